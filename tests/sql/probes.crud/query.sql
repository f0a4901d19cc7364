pg_temp.acc_crud('public.t'::regclass, ARRAY['id'], ARRAY['name', 'n', 'flag', 'day'])
