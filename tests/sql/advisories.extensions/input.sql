-- An extension installed in an exposed schema (its version varies by server: masked).
CREATE EXTENSION citext SCHEMA public;
