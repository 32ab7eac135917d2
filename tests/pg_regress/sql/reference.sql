-- collatz_range and collatz_records against the PL/pgSQL reference (setup.sql) over [1, 30000].

CREATE TEMP TABLE expected AS
SELECT n AS number, r.* FROM generate_series(1, 30000) AS n, LATERAL regress_reference.walk(n) AS r;

SELECT count(*) AS numbers,
       count(*) FILTER (WHERE (c.steps_to_one, c.odd_steps, c.max_value, c.stopping_time)
                   IS DISTINCT FROM (e.steps, e.odd_steps, e.peak, e.stopping_time)) AS mismatches,
       count(*) FILTER (WHERE c.sequence_length <> c.steps_to_one + 1
                           OR c.even_steps <> c.steps_to_one - c.odd_steps) AS inconsistent
FROM collatz_range(1, 30000) c JOIN expected e USING (number);

-- Records by window functions over the reference: a record beats every smaller number.
WITH running AS (
    SELECT number, steps, peak,
           max(steps) OVER (ORDER BY number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_steps,
           max(peak) OVER (ORDER BY number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_peak
    FROM expected
), reference_records AS (
    SELECT number, steps AS steps_to_one, peak AS max_value,
           best_steps IS NULL OR steps > best_steps AS delay_record,
           best_peak IS NULL OR peak > best_peak AS path_record
    FROM running
    WHERE best_steps IS NULL OR steps > best_steps OR peak > best_peak
)
SELECT (SELECT count(*) FROM reference_records) AS records,
       (SELECT count(*) FROM (
            SELECT number, steps_to_one, max_value, delay_record, path_record FROM reference_records
            EXCEPT
            SELECT number, steps_to_one, max_value, delay_record, path_record FROM collatz_records(1, 30000)) d)
     + (SELECT count(*) FROM (
            SELECT number, steps_to_one, max_value, delay_record, path_record FROM collatz_records(1, 30000)
            EXCEPT
            SELECT number, steps_to_one, max_value, delay_record, path_record FROM reference_records) d) AS differences;
