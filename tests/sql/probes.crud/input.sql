-- DOD-10: insert, read, update every column, read, delete, read.
CREATE TABLE public.t (id serial PRIMARY KEY, name text NOT NULL, n int, flag boolean,
  day date DEFAULT '2024-01-01');
