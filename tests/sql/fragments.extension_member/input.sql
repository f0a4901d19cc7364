-- An extension's function and type, and ones of our own.
CREATE EXTENSION citext SCHEMA public;
CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE public.mood AS ENUM ('ok');
