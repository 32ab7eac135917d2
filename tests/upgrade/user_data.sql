-- A digest of the user's objects and of what they compute; equal before and after the update.
\pset tuples_only on
\pset format unaligned
SELECT 'user_numbers ' || md5(string_agg(format('%s:%s:%s', n, steps, peak), ',' ORDER BY n)) FROM public.user_numbers;
SELECT 'recomputed ' || md5(string_agg(format('%s:%s:%s', n, collatz.collatz_steps(n), collatz.collatz_peak(n)), ',' ORDER BY n))
FROM public.user_numbers;
SELECT 'user_records ' || md5(string_agg(format('%s:%s:%s:%s', number, steps_to_one, delay_record, path_record), ',' ORDER BY number))
FROM public.user_records;
SET enable_seqscan = off;
SELECT 'by_length ' || string_agg(n::text, ',' ORDER BY n) FROM public.user_numbers WHERE collatz.collatz_length(n) = 112;
