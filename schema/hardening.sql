-- Hardening of the canonical schema for Supabase: the smallest change after which every
-- advisory (fixtures/supabase_acceptance/advisories/) passes while every DoD item still passes for the backend.
-- Supabase only (it names the roles anon and authenticated). Applied by `make supabase-harden`
-- in one transaction, after `make supabase-apply-schema`.
--
-- Not done on purpose: the redundant idx_* indexes are kept (schema.sql creates them; dropping
-- one is a DOD-06 divergence the customer must justify) and the timestamp columns keep their
-- type (DOD-05); both are named below in object comments, which the advisories read as
-- "accepted" (schema/advisories.yaml accept_marker).

-- 1. Row level security on the six tables. Not forced: the owner (the backend's role,
--    postgres on Supabase) is not subject to it, so every DoD check still passes.
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.password_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_user_identifiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.lock_audit ENABLE ROW LEVEL SECURITY;

-- 2. The Data API roles hold no privilege on them (projects before 30 Oct 2026 granted all).
REVOKE ALL ON TABLE public.users, public.user_sessions, public.password_history, public.tenants,
    public.tenant_user_identifiers, public.lock_audit FROM anon, authenticated, PUBLIC;
REVOKE ALL ON SEQUENCE public.password_history_id_seq, public.tenants_id_seq,
    public.tenant_user_identifiers_id_seq, public.lock_audit_id_seq FROM anon, authenticated;

-- 3. RLS without a policy is a decision, not an accident: say it (rls_enabled_no_policy).
CREATE POLICY no_data_api_access ON public.users AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);
CREATE POLICY no_data_api_access ON public.user_sessions AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);
CREATE POLICY no_data_api_access ON public.password_history AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);
CREATE POLICY no_data_api_access ON public.tenants AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);
CREATE POLICY no_data_api_access ON public.tenant_user_identifiers AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);
CREATE POLICY no_data_api_access ON public.lock_audit AS RESTRICTIVE FOR ALL
    TO anon, authenticated USING (false) WITH CHECK (false);

-- 4. The dedicated backend role of schema.sql (DOD-13), when it exists, is not the owner:
--    RLS applies to it, so it needs a policy to keep its CRUD (rls_blocks_backend_role).
DO $$
DECLARE
    t text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agente_backend') THEN
        FOREACH t IN ARRAY ARRAY['users', 'user_sessions', 'password_history', 'tenants',
                                 'tenant_user_identifiers', 'lock_audit'] LOOP
            EXECUTE format('CREATE POLICY backend_access ON public.%I FOR ALL TO agente_backend '
                           'USING (true) WITH CHECK (true)', t);
        END LOOP;
    END IF;
END
$$;

-- 5. The trigger function resolves now() in pg_catalog whatever the caller's search_path
--    (function_search_path_mutable). A DOD-08 divergence, justified in
--    schema/hardening.divergences.yaml.
ALTER FUNCTION public.update_updated_at_column() SET search_path = '';

-- 6. Named, not dropped (duplicate_index): each idx_* below repeats the unique index of a
--    UNIQUE constraint of schema.sql.
COMMENT ON INDEX public.idx_users_username IS
    'advisory-accepted: duplicate_index of users_username_key; kept as schema.sql creates it';
COMMENT ON INDEX public.idx_users_email IS
    'advisory-accepted: duplicate_index of users_email_key; kept as schema.sql creates it';
COMMENT ON INDEX public.idx_user_sessions_token_jti IS
    'advisory-accepted: duplicate_index of user_sessions_token_jti_key; kept as schema.sql creates it';
COMMENT ON INDEX public.idx_tenants_tenant_id IS
    'advisory-accepted: duplicate_index of tenants_tenant_id_key; kept as schema.sql creates it';
COMMENT ON INDEX public.idx_tenant_identifiers_identifier IS
    'advisory-accepted: duplicate_index of uq_identifier; kept as schema.sql creates it';

-- 7. timestamp without time zone kept (DOD-05): Supabase runs in UTC and the backend writes
--    NOW() in UTC; a client must not SET TimeZone on these columns' writes.
COMMENT ON COLUMN public.users.password_last_changed IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.users.created_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.users.updated_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.user_sessions.expires_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.user_sessions.created_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.password_history.created_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.tenants.created_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.tenants.updated_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.tenant_user_identifiers.created_at IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
COMMENT ON COLUMN public.lock_audit.timestamp IS
    'advisory-accepted: timestamp_without_time_zone (UTC by convention)';
