-- The fast paths of 0.6.0 against independent references: the hand-written entry points of
-- the integer and bigint overloads (src/fmgr.rs) with their table walks (src/engine/jump.rs)
-- against the PL/pgSQL reference walk of the fixture; the numerics they build against
-- PostgreSQL's own (numeric_in of the same digits); and the batch insert by COPY
-- (src/bulk.rs) against the reference, the totals and the conflict strategies.

-- Every integer and bigint overload on [1, 3000] (the tail table covers 1..1024, the
-- table walk the rest) agrees with the reference.
SELECT count(*) AS numbers,
       count(*) FILTER (WHERE collatz_steps(n::int) = r.steps AND collatz_steps(n) = r.steps
                          AND collatz_length(n::int) = r.steps + 1 AND collatz_length(n) = r.steps + 1
                          AND collatz_peak(n::int) = r.peak AND collatz_peak(n) = r.peak
                          AND collatz_stopping_time(n::int) IS NOT DISTINCT FROM r.stopping_time
                          AND collatz_stopping_time(n) IS NOT DISTINCT FROM r.stopping_time
                          AND collatz_next(n::int) = CASE WHEN n % 2 = 0 THEN n / 2 ELSE 3 * n + 1 END
                          AND collatz_next(n) = CASE WHEN n % 2 = 0 THEN n / 2 ELSE 3 * n::numeric + 1 END)
           AS agree
FROM generate_series(1, 3000::bigint) n, regress_reference.walk(n) r;

-- At the edges: of the tables (2^10), of the table walk (2^57, past which the full walk takes
-- over), peaks past 2^63 and 2^64 (SPEC), the top of integer and of bigint.
SELECT n, collatz_steps(n) = r.steps AS steps, collatz_length(n) = r.steps + 1 AS length,
       collatz_peak(n) = r.peak AS peak, collatz_stopping_time(n) IS NOT DISTINCT FROM r.stopping_time AS stopping_time,
       collatz_peak(n::numeric) = r.peak AS numeric_peak, collatz_steps(n::numeric) = r.steps AS numeric_steps
FROM unnest(ARRAY[1023, 1024, 1025, 144115188075855871, 144115188075855872, 144115188075855873,
                  8528817511, 12327829503, 2147483647, 4611686018427387904, 9223372036854775807]::bigint[]) n,
     regress_reference.walk(n) r
ORDER BY n;
SELECT collatz_steps(2147483647) AS int4_max_steps, collatz_peak(2147483647) AS int4_max_peak,
       collatz_next(2147483647) AS int4_max_next, collatz_next(9223372036854775807) AS int8_max_next;

-- The numerics are PostgreSQL's own: the same digits, weight, sign and scale as numeric_in
-- makes of their text (numeric_send shows all of them), the same hash, scale 0. Values with
-- trailing zero digits in base 10000 (10^4, 10^8, 10^16), interior zeros, a single digit,
-- and peaks past 2^64 (five or more digits, from u128).
SELECT count(*) AS values,
       count(*) FILTER (WHERE numeric_send(v) = numeric_send(v::text::numeric)
                          AND hash_numeric(v) = hash_numeric(v::text::numeric)
                          AND scale(v) = 0 AND v::text = r::text) AS identical
FROM (SELECT collatz_next(n) AS v, CASE WHEN n % 2 = 0 THEN n / 2 ELSE 3 * n::numeric + 1 END AS r
      FROM unnest(ARRAY[2, 3, 20000, 200000000, 20000000000000000, 200010000, 6666666666666666667,
                        9223372036854775807, 4611686018427387904]::bigint[]) n
      UNION ALL
      SELECT collatz_peak(n), (regress_reference.walk(n)).peak
      FROM unnest(ARRAY[1, 27, 703, 8528817511, 12327829503, 9223372036854775807]::bigint[]) n) t;

-- Bad input through the entry points: the same ERRORs as from any overload.
SELECT collatz_next(0);
SELECT collatz_length(-2147483648);
SELECT collatz_stopping_time(-9223372036854775808);
SELECT collatz_peak(-1::bigint);

------------------------------------------------------------------------------------------
-- The batch insert by COPY
------------------------------------------------------------------------------------------
SET client_min_messages = warning;
CALL sp_batch_insert_sequences(1, 3000, batch_size => 1000);
-- Every row is the reference's, with its identity and created_at; the totals count them.
SELECT count(*) AS stored,
       count(*) FILTER (WHERE s.steps_to_one = r.steps AND s.sequence_length = r.steps + 1 AND s.max_value = r.peak)
           AS agree,
       count(DISTINCT s.id) AS ids, count(*) FILTER (WHERE s.created_at IS NULL) AS without_created_at
FROM collatz_sequences s, regress_reference.walk(s.number) r;
SELECT total_sequences, longest_sequence_number FROM v_sequence_summary;
SELECT rows_done, status FROM pipeline_runs ORDER BY id DESC LIMIT 1;
-- Peaks past 2^64 go through COPY's binary numeric exactly.
CALL sp_batch_insert_sequences(12327829500, 12327829510);
SELECT count(*) AS stored, count(*) FILTER (WHERE s.max_value = r.peak) AS exact_peaks,
       max(s.max_value) > 18446744073709551615 AS past_2_64
FROM collatz_sequences s, regress_reference.walk(s.number) r WHERE s.number >= 12327829500;
-- A range with some numbers stored goes in with ON CONFLICT, as before: skip keeps them,
-- upsert rewrites them, error refuses the whole range before writing.
SELECT number, created_at AS kept_at FROM save_sequence(3100) \gset
CALL sp_batch_insert_sequences(3090, 3110);
SELECT count(*) AS in_range, count(*) FILTER (WHERE created_at = :'kept_at') AS kept FROM collatz_sequences
WHERE number BETWEEN 3090 AND 3110;
CALL sp_batch_insert_sequences(3090, 3110, on_conflict => 'upsert');
SELECT rows_done FROM pipeline_runs ORDER BY id DESC LIMIT 1;
\set VERBOSITY terse
CALL sp_batch_insert_sequences(3000, 3200, on_conflict => 'error');
\set VERBOSITY default
SELECT count(*) AS in_range FROM collatz_sequences WHERE number BETWEEN 3000 AND 3200;
SELECT (SELECT count(*) FROM collatz_sequences) = (SELECT total_sequences FROM v_sequence_summary) AS totals_agree;
