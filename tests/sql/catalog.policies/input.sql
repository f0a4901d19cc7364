-- Permissive and restrictive policies, per command, with USING and WITH CHECK.
CREATE TABLE public.t (id int PRIMARY KEY, owner text);
ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_read ON public.t FOR SELECT USING (owner = current_user);
CREATE POLICY t_write ON public.t AS RESTRICTIVE FOR INSERT TO PUBLIC
  WITH CHECK (owner IS NOT NULL);
