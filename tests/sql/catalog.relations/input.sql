-- Views and materialized views of public (tables and other schemas' views are not read).
CREATE TABLE public.t (id int PRIMARY KEY, name text);
CREATE VIEW public.v AS SELECT id FROM public.t;
CREATE MATERIALIZED VIEW public.mv AS SELECT count(*) AS n FROM public.t;
CREATE SCHEMA other;
CREATE VIEW other.v AS SELECT 1 AS one;
INSERT INTO public.t VALUES (1, 'a');
