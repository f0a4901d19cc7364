-- What a Supabase project holds besides our schema (a small, faithful subset), so the checks
-- are proven not to be confused by other schemas, same-named objects and Supabase's roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE FUNCTION extensions.uuid_generate_v4() RETURNS uuid LANGUAGE sql
    AS $$ SELECT gen_random_uuid() $$;

-- auth.users / auth.sessions share names with our tables and indexes on purpose.
CREATE TABLE auth.users (
    id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(),
    email varchar(255),
    encrypted_password varchar(255),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE INDEX idx_users_email ON auth.users (email);
CREATE TABLE auth.sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE auth.refresh_tokens (
    id bigserial PRIMARY KEY,
    token varchar(255) UNIQUE,
    session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
);
COMMENT ON TABLE auth.users IS 'Auth: Stores user login data within a secure schema.';

CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
CREATE FUNCTION storage.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;

CREATE TABLE storage.buckets (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE storage.objects (
    id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(),
    bucket_id text REFERENCES storage.buckets (id),
    name text,
    updated_at timestamptz DEFAULT now()
);
CREATE TRIGGER update_objects_updated_at BEFORE UPDATE ON storage.objects
    FOR EACH ROW EXECUTE FUNCTION storage.update_updated_at_column();

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

-- Privilege defaults for what is created next in public (our schema). A project created
-- before 30 Oct 2026 grants the Data API roles everything on new tables, sequences and
-- functions ('old', the default); a newer one grants only service_role ('new'). Select with
-- `SET supabase_like.defaults = 'new'` before applying this file (--supabase-like new).
DO $$
DECLARE
    api text := CASE coalesce(nullif(current_setting('supabase_like.defaults', true), ''), 'old')
        WHEN 'old' THEN 'anon, authenticated, service_role'
        WHEN 'new' THEN 'service_role'
    END;
BEGIN
    IF api IS NULL THEN
        RAISE EXCEPTION 'supabase_like.defaults must be old or new, not %',
            current_setting('supabase_like.defaults', true);
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO %s', api);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO %s', api);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO %s', api);
END
$$;
