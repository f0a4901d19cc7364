SELECT json_agg(json_build_object('name', con.conname,
                                  'columns', {{ key_columns(con.conkey, con.conrelid) }},
                                  'refs', {{ key_columns(con.confkey, con.confrelid) }})
                ORDER BY con.conname)
FROM pg_constraint con WHERE con.conrelid IN ('public.parent'::regclass, 'public.child'::regclass)
