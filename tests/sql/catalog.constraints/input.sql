-- Keys in key order (not column order), actions, MATCH, deferrability, NOT VALID, checks.
CREATE TABLE public.parent (a int, b int, PRIMARY KEY (b, a), UNIQUE (a));
CREATE TABLE public.child (
  id int PRIMARY KEY,
  pa int, pb int,
  qty int CONSTRAINT qty_positive CHECK (qty > 0),
  FOREIGN KEY (pb, pa) REFERENCES public.parent (b, a) MATCH FULL ON DELETE CASCADE
    ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE public.child ADD CONSTRAINT qty_small CHECK (qty < 100) NOT VALID;
INSERT INTO public.parent VALUES (1, 2);
INSERT INTO public.child VALUES (1, 1, 2, 5);
