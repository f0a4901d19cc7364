-- A composite key whose order is not the columns' order.
CREATE TABLE public.parent (a int, b int, PRIMARY KEY (b, a));
CREATE TABLE public.child (id int PRIMARY KEY, pa int, pb int,
  CONSTRAINT child_parent FOREIGN KEY (pb, pa) REFERENCES public.parent (b, a));
