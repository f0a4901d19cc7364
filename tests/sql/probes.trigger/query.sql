pg_temp.acc_trigger('public.t'::regclass, ARRAY['id'], 'updated_at',
                    '{"updated_at": "2000-01-01T00:00:00"}'::jsonb, ARRAY['name', 'n'])
