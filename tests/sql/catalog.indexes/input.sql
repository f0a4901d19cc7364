-- Unique, partial, INCLUDE, operator class, collation, sort order, expression, constraint.
CREATE TABLE public.t (id int PRIMARY KEY, email text, name text, at date);
CREATE UNIQUE INDEX t_email ON public.t (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX t_name ON public.t (name text_pattern_ops, at DESC NULLS LAST) INCLUDE (email);
CREATE INDEX t_name_c ON public.t (name COLLATE "C");
INSERT INTO public.t VALUES (1, 'A@x', 'a', '2024-01-01');
