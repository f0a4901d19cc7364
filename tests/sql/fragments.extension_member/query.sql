SELECT json_build_object(
  'functions', (SELECT json_object_agg(p.proname, {{ extension_member('pg_proc', p.oid) }}
                                       ORDER BY p.proname)
                FROM pg_proc p WHERE p.proname IN ('mine', 'citextin')),
  'types', (SELECT json_object_agg(t.typname, {{ extension_member('pg_type', t.oid) }}
                                   ORDER BY t.typname)
            FROM pg_type t WHERE t.typname IN ('mood', 'citext')))
