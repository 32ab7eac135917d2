-- What a user of an older release has built on it: only the core functions, which every
-- release has. The update must leave all of it working and unchanged.
CREATE TABLE public.user_numbers (n bigint PRIMARY KEY, steps bigint NOT NULL, peak numeric NOT NULL);
INSERT INTO public.user_numbers
SELECT n, collatz.collatz_steps(n), collatz.collatz_peak(n) FROM generate_series(1, 5000) AS n;
-- An expression index and a view on the extension's functions depend on them by OID.
CREATE INDEX user_numbers_length_idx ON public.user_numbers (collatz.collatz_length(n));
CREATE VIEW public.user_records AS
SELECT number, steps_to_one, delay_record, path_record FROM collatz.collatz_records(1, 5000);
