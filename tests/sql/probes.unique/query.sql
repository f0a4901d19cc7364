jsonb_build_object(
  'unique', pg_temp.acc_unique('public.u'::regclass, ARRAY['email']),
  'not unique', pg_temp.acc_unique('public.loose'::regclass, ARRAY['email']))
