-- The one-number functions through SQL: known values, every overload, NULLs, errors.

-- The values everyone quotes.
SELECT collatz_steps(27) AS steps, collatz_length(27) AS length, collatz_peak(27) AS peak,
       collatz_stopping_time(27) AS stopping_time, collatz_next(27) AS next, collatz_next(82) AS next_of_82;

-- Longest trajectories below 100, 1000, 10^5, 10^6 and 10^7 (delay records).
SELECT n, collatz_steps(n) AS steps, collatz_peak(n) AS peak
FROM unnest(ARRAY[1, 2, 3, 97, 871, 77031, 837799, 8400511]) AS n;

-- The four overloads (integer, bigint, numeric, double precision) agree; result types.
SELECT count(DISTINCT s) = 1 AS agree FROM (VALUES
    (collatz_stats(871)), (collatz_stats(871::bigint)), (collatz_stats(871::numeric)),
    (collatz_stats(871::float8)), (collatz_stats(871.000))) AS v(s);
SELECT pg_typeof(collatz_steps(27)) AS steps, pg_typeof(collatz_length(27)) AS length,
       pg_typeof(collatz_peak(27)) AS peak, pg_typeof(collatz_next(27)) AS next,
       pg_typeof(collatz_stopping_time(27)) AS stopping_time, pg_typeof(collatz_stats(27)) AS stats;

-- One composite row; 1 has no stopping time.
SELECT * FROM collatz_stats(27);
SELECT * FROM collatz_stats(1);
SELECT (collatz_stats(9)).max_value AS peak_of_9, (collatz_stats(7)).max_value AS peak_of_7;
SELECT n, collatz_stopping_time(n) FROM generate_series(1, 8) AS n;

-- Past bigint: the first peaks above 2^63 and 2^64 (SPEC), exact.
SELECT collatz_peak(8528817511) AS peak, collatz_peak(8528817511) > 2::numeric^63 AS above_2_63,
       collatz_peak(8528817510 + 0) < 2::numeric^63 AS below_before;
SELECT collatz_peak(12327829503) AS peak, collatz_peak(12327829503) > 2::numeric^64 AS above_2_64;
SELECT collatz_next(9223372036854775807) AS next_of_max_bigint;

-- Double precision is taken where it is exact: below 2^53 (2^53 itself is also 2^53 + 1 rounded).
SELECT collatz_steps(10^11) AS steps_of_1e11, collatz_steps(2^53 - 1) AS steps_below_2_53;

-- NULL in, NULL out.
SELECT collatz_steps(NULL::int) IS NULL AS steps, collatz_length(NULL::bigint) IS NULL AS length,
       collatz_peak(NULL::numeric) IS NULL AS peak, collatz_next(NULL::float8) IS NULL AS next,
       collatz_stopping_time(NULL::bigint) IS NULL AS stopping_time,
       collatz_stats(NULL::bigint) IS NULL AS stats,
       collatz_sequence_json(NULL::bigint) IS NULL AS json,
       (SELECT count(*) FROM collatz_sequence(NULL::bigint)) AS sequence_rows;

-- Bad input: the messages and hints users see.
SELECT collatz_steps(0);
SELECT collatz_peak(-7::bigint);
SELECT collatz_length(12.5);
SELECT collatz_steps('NaN'::numeric);
SELECT collatz_steps('-Infinity'::numeric);
SELECT collatz_next('Infinity'::float8);
SELECT collatz_steps(2^100 + 1);
SELECT collatz_stats(0.5);

-- ... and their SQLSTATEs.
CREATE FUNCTION pg_temp.sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT query, pg_temp.sqlstate_of(query) AS sqlstate FROM (VALUES
    ('SELECT collatz_steps(0)'),
    ('SELECT collatz_steps(-1::bigint)'),
    ('SELECT collatz_steps(12.5)'),
    ('SELECT collatz_steps(''NaN''::numeric)'),
    ('SELECT collatz_steps(''Infinity''::numeric)'),
    ('SELECT collatz_steps(2^100)'),
    ('SELECT collatz_steps(0.5::float8)'),
    ('SELECT collatz_peak(-3)'),
    ('SELECT collatz_next(0)'),
    ('SELECT collatz_stopping_time(0)'),
    ('SELECT collatz_stats(-2)'),
    ('SELECT collatz_length(0)')) AS q(query);
