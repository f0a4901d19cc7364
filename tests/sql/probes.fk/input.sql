-- DOD-07: a parent with ON DELETE CASCADE children.

CREATE TABLE public.parent (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.child (id serial PRIMARY KEY,
  parent_id int NOT NULL REFERENCES public.parent ON DELETE CASCADE, note text);
