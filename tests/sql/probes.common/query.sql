jsonb_build_object(
  'insert', pg_temp.acc_insert('public.child'::regclass),
  'error', pg_temp.acc_try('SELECT 1/0'),
  'log', current_setting('acc.log')::jsonb)
