-- COMMENT ON every kind of object the snapshot reads.
CREATE TABLE public.t (id int PRIMARY KEY, name text CONSTRAINT name_set CHECK (name <> ''));
CREATE INDEX t_name ON public.t (name);
CREATE VIEW public.v AS SELECT id FROM public.t;
CREATE SEQUENCE public.s;
CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
CREATE FUNCTION public.tg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_tg BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.tg();
CREATE TYPE public.mood AS ENUM ('ok');
COMMENT ON TABLE public.t IS 'the table';
COMMENT ON COLUMN public.t.name IS 'its name';
COMMENT ON CONSTRAINT name_set ON public.t IS 'never empty';
COMMENT ON INDEX public.t_name IS 'by name';
COMMENT ON VIEW public.v IS 'the view';
COMMENT ON SEQUENCE public.s IS 'a counter';
COMMENT ON FUNCTION public.f(int) IS 'identity';
COMMENT ON TRIGGER t_tg ON public.t IS 'fires';
COMMENT ON TYPE public.mood IS 'moods';
