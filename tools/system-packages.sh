#!/usr/bin/env bash
# Debian packages the harness's own tests use: Postgres binaries (native backend, pg_dump),
# PgBouncer (the pooler path), openssl (TLS certificates), make (the Makefile wrappers) and
# Chromium (the report rendered in a real browser). `--docker` adds a Docker engine and
# debootstrap for the container backend (see .ci/postgres-image.sh). Installs only what is
# missing; the main job (`pytest -m local`) needs none of this.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
pairs="pgbouncer:pgbouncer openssl:openssl make:make chromium:chromium"
[ "${1:-}" = "--docker" ] && pairs="$pairs dockerd:docker.io debootstrap:debootstrap"
for pair in $pairs; do
  command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair#*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ERROR: missing Debian packages: ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
