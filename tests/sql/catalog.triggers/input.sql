-- A BEFORE UPDATE OF trigger, a disabled AFTER statement trigger, a constraint trigger.
CREATE TABLE public.t (id int PRIMARY KEY, name text, updated_at timestamp);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE SCHEMA util;
CREATE FUNCTION util.log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER t_touch BEFORE UPDATE OF name, id ON public.t FOR EACH ROW
  EXECUTE FUNCTION public.touch();
CREATE TRIGGER t_log AFTER INSERT OR DELETE ON public.t FOR EACH STATEMENT
  EXECUTE FUNCTION util.log();
ALTER TABLE public.t DISABLE TRIGGER t_log;
CREATE CONSTRAINT TRIGGER t_check AFTER INSERT ON public.t DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION util.log();
INSERT INTO public.t VALUES (1, 'a', NULL);
