-- DOD-14: a sample block of two statements loaded twice (the second adds nothing).
CREATE TABLE public.tenants (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.notes (id serial PRIMARY KEY, tenant int REFERENCES public.tenants,
  body text);
