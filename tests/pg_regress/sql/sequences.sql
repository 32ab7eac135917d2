-- Whole sequences as rows and as jsonb.

-- 27: 112 ordered rows, from 27 to 1.
SELECT count(*) AS rows, min(step_number) AS first, max(step_number) AS last,
       bool_and(step_number = expected) AS ordered
FROM (SELECT *, row_number() OVER () - 1 AS expected FROM collatz_sequence(27)) s;
SELECT operation_type, count(*) FROM collatz_sequence(27) GROUP BY 1 ORDER BY 1;
SELECT * FROM collatz_sequence(27) WHERE step_number < 4 OR step_number > 108;
SELECT * FROM collatz_sequence(1);

-- Against a recursive CTE reference, term by term, for several starts.
WITH RECURSIVE reference(n, step_number, value, operation_type) AS (
    SELECT n, 0::bigint, n::numeric, 'start' FROM unnest(ARRAY[6, 27, 97, 871, 8400511]) AS n
    UNION ALL
    SELECT n, step_number + 1,
           CASE WHEN value % 2 = 0 THEN value / 2 ELSE 3 * value + 1 END,
           CASE WHEN value % 2 = 0 THEN 'even' ELSE 'odd' END
    FROM reference WHERE value <> 1
)
SELECT r.n, count(*) AS terms,
       count(*) FILTER (WHERE s.value IS DISTINCT FROM r.value OR s.operation_type IS DISTINCT FROM r.operation_type) AS mismatches
FROM reference r
LEFT JOIN LATERAL (SELECT * FROM collatz_sequence(r.n) q WHERE q.step_number = r.step_number) s ON true
GROUP BY r.n ORDER BY r.n;

-- In the select list too, and past 2^64: every term exact.
SELECT collatz_sequence(3);
SELECT count(*) AS terms, max(value) = collatz_peak(2::numeric^70 + 1) AS peak_matches,
       (array_agg(value ORDER BY step_number))[2] = 3 * (2::numeric^70 + 1) + 1 AS second_term
FROM collatz_sequence(2::numeric^70 + 1);

-- jsonb: statistics and every term, numbers exact.
SELECT collatz_sequence_json(7);
SELECT jsonb_array_length(j -> 'sequence') = (j ->> 'sequence_length')::int AS lengths_agree,
       (j ->> 'max_value')::numeric = collatz_peak(12327829503) AS peak_exact,
       (j ->> 'max_value')::numeric > 2::numeric^64 AS past_2_64,
       (SELECT array_agg(e::numeric) FROM jsonb_array_elements_text(j -> 'sequence') e)
         = (SELECT array_agg(value ORDER BY step_number) FROM collatz_sequence(12327829503)) AS terms_agree
FROM collatz_sequence_json(12327829503) AS j;
SELECT (collatz_sequence_json(1) ->> 'stopping_time') IS NULL AS one_has_no_stopping_time;

-- Limits and errors.
SELECT count(*) FROM collatz_sequence(2::numeric^9000);
SELECT collatz_sequence_json(2::numeric^9000);
SELECT * FROM collatz_sequence(0);
SELECT collatz_sequence_json(-1);
