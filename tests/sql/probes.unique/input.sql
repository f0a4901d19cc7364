-- DOD-09: a UNIQUE column, and a table without one (ON CONFLICT has no arbiter: 42P10).
CREATE TABLE public.u (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE public.loose (id serial PRIMARY KEY, email text NOT NULL);
