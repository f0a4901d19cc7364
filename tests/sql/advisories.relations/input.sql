-- What the lints read of a relation: RLS flags, privileges, columns, policies, primary key,
-- foreign keys (key order), duplicate indexes, comments; another schema is not read.
CREATE TABLE public.parent (a int, b int, PRIMARY KEY (b, a));
CREATE TABLE public.child (id int PRIMARY KEY, pa int, pb int, secret text,
  FOREIGN KEY (pb, pa) REFERENCES public.parent (b, a));
CREATE INDEX child_pb ON public.child (pb);
CREATE INDEX child_pb_again ON public.child (pb);
COMMENT ON COLUMN public.child.secret IS 'a credential';
ALTER TABLE public.child ENABLE ROW LEVEL SECURITY;
CREATE POLICY child_all ON public.child USING (true);
GRANT SELECT ON public.parent TO PUBLIC;
CREATE VIEW public.v WITH (security_invoker = true) AS SELECT id FROM public.child;
CREATE SCHEMA hidden;
CREATE TABLE hidden.t (id int);
