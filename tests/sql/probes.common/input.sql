-- acc_insert: a value of its type for every NOT NULL column without a default, a fresh
-- parent row for a NOT NULL foreign key; acc_try's error form.
CREATE TYPE public.mood AS ENUM ('sad', 'ok');
CREATE TABLE public.parent (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.child (id serial PRIMARY KEY,
  parent_id int NOT NULL REFERENCES public.parent,
  n int NOT NULL, price numeric(5, 2) NOT NULL, flag boolean NOT NULL, day date NOT NULL,
  doc jsonb NOT NULL, m public.mood NOT NULL, tags text[] NOT NULL, note text);
