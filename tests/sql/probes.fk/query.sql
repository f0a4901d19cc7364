pg_temp.acc_fk('public.child'::regclass, ARRAY['parent_id'], 'public.parent'::regclass,
               ARRAY['id'], ARRAY['id'], ARRAY['id'])
