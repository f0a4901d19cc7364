-- A DO INSTEAD rule on a table (a view's _RETURN rule is not read).
CREATE TABLE public.t (id int PRIMARY KEY);
CREATE TABLE public.t_log (id int);
CREATE RULE t_keep AS ON DELETE TO public.t DO INSTEAD NOTHING;
CREATE RULE t_also AS ON INSERT TO public.t DO ALSO INSERT INTO public.t_log VALUES (NEW.id);
CREATE VIEW public.v AS SELECT id FROM public.t;
