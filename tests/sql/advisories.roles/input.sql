-- The roles of the scope that exist: only the connected one here (no role is created: roles
-- outlive the scratch database).
SELECT 1;
