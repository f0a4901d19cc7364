-- SQL, SQL-standard body, plpgsql with SET options and SECURITY DEFINER, a procedure; an
-- extension's functions are not read.
CREATE EXTENSION citext SCHEMA public;
CREATE FUNCTION public.add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT a + b';
CREATE FUNCTION public.twice(x int) RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
  RETURN x * 2;
CREATE FUNCTION public.secret() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog COST 10 ROWS 5 AS $$ BEGIN RETURN NEXT 'x'; END $$;
CREATE PROCEDURE public.noop() LANGUAGE sql AS $$ SELECT 1 $$;
