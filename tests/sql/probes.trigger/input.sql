-- DOD-08: a BEFORE UPDATE trigger that sets updated_at (the run's clock is masked).
CREATE TABLE public.t (id serial PRIMARY KEY, name text NOT NULL, n int,
  updated_at timestamp NOT NULL DEFAULT now());
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch();
