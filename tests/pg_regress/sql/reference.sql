-- collatz_range and collatz_records against a PL/pgSQL reference written from the
-- definition (one application of T per loop turn), over [1, 30000].
CREATE FUNCTION pg_temp.reference(n bigint,
    OUT steps bigint, OUT odd_steps bigint, OUT peak numeric, OUT stopping_time bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    x numeric := n;
BEGIN
    steps := 0; odd_steps := 0; peak := n;
    WHILE x <> 1 LOOP
        IF x % 2 = 1 THEN x := 3 * x + 1; odd_steps := odd_steps + 1; ELSE x := x / 2; END IF;
        steps := steps + 1;
        IF x > peak THEN peak := x; END IF;
        IF stopping_time IS NULL AND x < n THEN stopping_time := steps; END IF;
    END LOOP;
END $$;

CREATE TEMP TABLE expected AS
SELECT n AS number, r.* FROM generate_series(1, 30000) AS n, LATERAL pg_temp.reference(n) AS r;

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
