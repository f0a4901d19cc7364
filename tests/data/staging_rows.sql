-- Rows a shared staging database already holds: the DDL's own sample block, plus rows shaped
-- like the ones the checks write (acc<hex>-<n> tags, high serial ids) to tempt collisions.
INSERT INTO tenants (tenant_id, name, status, business_hours_start, business_hours_end, business_hours_timezone)
VALUES
    ('hotel-demo', 'Hotel Demo', 'active', 8, 22, 'America/Argentina/Buenos_Aires'),
    ('resort-test', 'Resort Test', 'active', 0, 23, 'UTC'),
    ('acc000000-1', 'Tagged like a check row', 'active', NULL, NULL, NULL);
INSERT INTO tenants (id, tenant_id, name) VALUES (1001, 'acc000000-2', 'High id');
INSERT INTO tenant_user_identifiers (tenant_id, identifier)
SELECT t.id, '+5491112345678' FROM tenants t WHERE t.tenant_id = 'hotel-demo';
INSERT INTO tenant_user_identifiers (tenant_id, identifier) VALUES (1001, 'acc000000-3');
INSERT INTO users (id, username, email, hashed_password, full_name, is_active, is_superuser, tenant_id)
VALUES
    ('usr_admin_demo', 'admin', 'admin@hotel-demo.com',
     '$2b$12$LQv3c1yqBWVHxkd0LHAkCOYz6TtxMQJqhN8/LewY5GyYL5obAJ5EK', 'Administrator', TRUE, TRUE, 'hotel-demo'),
    ('acc000000-4', 'acc000000-5', 'acc000000-6', 'x', NULL, TRUE, FALSE, NULL);
INSERT INTO user_sessions (id, user_id, token_jti, expires_at)
VALUES ('sess-1', 'usr_admin_demo', 'jti-1', '2030-01-01'), ('acc000000-7', 'acc000000-4', 'acc000000-8', '2099-01-01');
INSERT INTO password_history (user_id, password_hash) VALUES ('usr_admin_demo', 'old-hash'), ('acc000000-4', 'acc000000-9');
INSERT INTO lock_audit (lock_key, event_type, details)
VALUES ('reservation:guest123', 'acquired', '{"holder_id": "worker-1", "ttl": 30}'), ('acc000000-10', 'released', NULL);
