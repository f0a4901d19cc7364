-- Every column property the snapshot reads.
CREATE TABLE public.t (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text COLLATE "C" NOT NULL,
  price numeric(8, 2) DEFAULT 0,
  total numeric GENERATED ALWAYS AS (price * 2) STORED,
  created timestamptz NOT NULL DEFAULT now(),
  notes text,
  dropped int
);
ALTER TABLE public.t DROP COLUMN dropped;
ALTER TABLE public.t ALTER COLUMN notes SET STORAGE EXTERNAL;
ALTER TABLE public.t ALTER COLUMN notes SET STATISTICS 500;
ALTER TABLE public.t ALTER COLUMN price SET (n_distinct = 10);
INSERT INTO public.t (code, price) VALUES ('a', 1.5);
