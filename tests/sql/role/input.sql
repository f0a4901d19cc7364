-- DOD-13's read: the role's attributes, its privileges on a table that exists and one that
-- does not, the sequence behind a serial column.
CREATE TABLE public.t (id serial PRIMARY KEY);
