-- Ranges: one stats row per number, and the record tables.

SELECT * FROM collatz_range(1, 10);

-- Every overload gives the same rows; numeric bounds give numeric numbers.
SELECT (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1, 300) r)
     = (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1::bigint, 300::bigint) r) AS int8_agrees,
       (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1, 300) r)
     = (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1::float8, 300::float8) r) AS float8_agrees,
       (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1, 300) r)
     = (SELECT array_agg(r ORDER BY number)::text FROM collatz_range(1::numeric, 300::numeric) r) AS numeric_agrees;
SELECT pg_typeof(number) FROM collatz_range(5, 5)
UNION ALL SELECT pg_typeof(number) FROM collatz_range(5::numeric, 5::numeric);

-- The range agrees with collatz_stats number by number, below and above the memo table.
SET collatz.memo_mb = 1;
SELECT count(*) AS numbers,
       count(*) FILTER (WHERE (r.number::numeric, r.sequence_length, r.steps_to_one, r.max_value,
                               r.stopping_time, r.odd_steps, r.even_steps) IS DISTINCT FROM
                              (s.number, s.sequence_length, s.steps_to_one, s.max_value,
                               s.stopping_time, s.odd_steps, s.even_steps)) AS mismatches
FROM collatz_range(50000, 150000) r, LATERAL collatz_stats(r.number) s;
RESET collatz.memo_mb;

-- Longest below 10^6 (ties go to the smaller number).
SELECT number, steps_to_one FROM collatz_range(1, 999999) ORDER BY steps_to_one DESC, number LIMIT 1;

-- Settings change the work, never the answer: one thread, no memo, small memo.
CREATE TEMP TABLE baseline AS SELECT * FROM collatz_range(1, 100000);
SET collatz.threads = 1;
SET collatz.memo_mb = 0;
SELECT count(*) AS differing FROM (SELECT * FROM collatz_range(1, 100000) EXCEPT SELECT * FROM baseline) d;
SET collatz.threads = 2;
SET collatz.memo_mb = 1;
SELECT count(*) AS differing FROM (SELECT * FROM collatz_range(1, 100000) EXCEPT SELECT * FROM baseline) d;
RESET collatz.threads;
RESET collatz.memo_mb;

-- Far out and past u64: exact, and consistent with collatz_stats.
SELECT number, steps_to_one, max_value FROM collatz_range(12327829500, 12327829504);
SELECT (r.number - 2::numeric^64)::int AS offset_from_2_64, r.steps_to_one, r.max_value = s.max_value AS peak_agrees
FROM collatz_range(2::numeric^64 - 2, 2::numeric^64 + 2) r, LATERAL collatz_stats(r.number) s;

-- Published record tables (OEIS A006877 delay records, A006884 path records) below 10^6.
SELECT string_agg(number::text, ' ' ORDER BY number) AS delay_records
FROM collatz_records(1, 999999) WHERE delay_record;
SELECT string_agg(number::text, ' ' ORDER BY number) AS path_records
FROM collatz_records(1, 999999) WHERE path_record;
SELECT * FROM collatz_records(1, 30);
-- From another start the scan's running records start there.
SELECT * FROM collatz_records(100, 200);
SELECT number, delay_record, path_record FROM collatz_records(2::numeric^64, 2::numeric^64 + 40);

-- Errors: inverted, oversized, zero, negative.
SELECT * FROM collatz_range(10, 1);
SELECT * FROM collatz_records(1, 10^13);
SELECT * FROM collatz_range(0, 10);
SELECT * FROM collatz_records(-5, 5);
SELECT * FROM collatz_range(1, 2.5);
SELECT count(*) FROM collatz_range(NULL, 10);
