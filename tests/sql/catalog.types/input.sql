-- Enum, domain with a check, composite, range; a table's row type is not read.
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'ok';
CREATE DOMAIN public.positive AS numeric(6, 2) NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE TYPE public.pair AS (a int, b text);
CREATE TYPE public.floatrange AS RANGE (subtype = float8);
CREATE TABLE public.t (id int PRIMARY KEY, m public.mood);
