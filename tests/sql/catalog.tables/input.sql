-- Tables of every user schema: a same-named table elsewhere, unlogged with options and RLS,
-- a partitioned table and its partition, inheritance.
CREATE SCHEMA other;
CREATE TABLE public.parent (id int PRIMARY KEY, name text);
CREATE TABLE other.parent (id int);
CREATE UNLOGGED TABLE public.logs (n int) WITH (fillfactor = 70);
ALTER TABLE public.logs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE TABLE public.measures (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE public.measures_2024 PARTITION OF public.measures
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.child_of (extra int) INHERITS (public.parent);
CREATE VIEW public.not_a_table AS SELECT 1 AS one;
INSERT INTO public.parent VALUES (1, 'a');
