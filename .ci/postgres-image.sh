#!/usr/bin/env bash
# Builds a local Postgres image from Debian packages and starts a Docker engine, so the
# testcontainers backend is exercised for real on a machine that reaches no container registry.
# Prints the DOCKER_HOST to use. Idempotent: reuses a running engine and an existing image.
set -euo pipefail
IMAGE=${PG_IMAGE:-local/postgres:15}
ROOT=${DOCKER_WORK:-/var/tmp/harness-docker}
SOCK=$ROOT/docker.sock
mkdir -p "$ROOT"

command -v dockerd >/dev/null && command -v debootstrap >/dev/null || {
  echo "ERROR: dockerd or debootstrap missing: run bash tools/system-packages.sh --docker" >&2
  exit 1
}

if ! DOCKER_HOST=unix://$SOCK docker version >/dev/null 2>&1; then
  # a killed engine leaves its pid file, and dockerd refuses to start over it
  if [ -f "$ROOT/docker.pid" ] && ! kill -0 "$(cat "$ROOT/docker.pid")" 2>/dev/null; then
    rm -f "$ROOT/docker.pid"
  fi
  dockerd --iptables=false --ip6tables=false --storage-driver=overlay2 \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$ROOT/docker.pid" \
    -H "unix://$SOCK" >"$ROOT/dockerd.log" 2>&1 &
  for _ in $(seq 1 100); do
    DOCKER_HOST=unix://$SOCK docker version >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
export DOCKER_HOST=unix://$SOCK

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  rootfs=$ROOT/rootfs
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" >/dev/null
  mkdir -p "$rootfs/etc/postgresql-common"
  echo "create_main_cluster = false" >"$rootfs/etc/postgresql-common/createcluster.conf"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  mount -t proc proc "$rootfs/proc"
  trap 'umount "$rootfs/proc" 2>/dev/null || true' EXIT
  chroot "$rootfs" apt-get install -y -qq --no-install-recommends \
    postgresql-15 postgresql-client-15 >/dev/null
  umount "$rootfs/proc"
  cat >"$rootfs/usr/local/bin/entrypoint.sh" <<'SH'
#!/bin/sh
# Honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB like the official image.
set -e
PGDATA=/var/lib/postgresql/data
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
pw=$(mktemp); echo "${POSTGRES_PASSWORD:-postgres}" >"$pw"; chown postgres "$pw"
su postgres -c "initdb -D $PGDATA -U ${POSTGRES_USER:-postgres} --pwfile=$pw -A scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
rm -f "$pw"
echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != "${POSTGRES_USER:-postgres}" ]; then
  su postgres -c "postgres --single -D $PGDATA postgres" <<SQL >/dev/null
CREATE DATABASE "$POSTGRES_DB";
SQL
fi
exec su postgres -c "exec postgres -D $PGDATA -c listen_addresses='*' -c fsync=off"
SH
  chmod +x "$rootfs/usr/local/bin/entrypoint.sh"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]' \
    --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'EXPOSE 5432' - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
fi
echo "$DOCKER_HOST"
