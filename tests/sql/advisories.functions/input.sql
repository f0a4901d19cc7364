-- Functions of the exposed schemas: SECURITY DEFINER with and without a search_path, who may
-- execute them; an extension's are not read.
CREATE EXTENSION citext SCHEMA public;
CREATE FUNCTION public.open() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
CREATE FUNCTION public.closed() RETURNS int LANGUAGE sql SECURITY DEFINER
  SET search_path = '' AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION public.closed() FROM PUBLIC;
