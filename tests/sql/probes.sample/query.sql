pg_temp.acc_sample($j$[
  {"sql": "INSERT INTO tenants (id, name) VALUES (1, 'a'), (2, 'b') ON CONFLICT (id) DO NOTHING\nRETURNING jsonb_build_object('id', tenants.id) AS acc_key",
   "table": "tenants", "pk": ["id"]},
  {"sql": "UPDATE tenants SET name = upper(name) WHERE id = 1 AND name = 'a'", "table": "tenants"}
]$j$::jsonb)
