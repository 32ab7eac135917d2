-- Range analysis (longest sequence, highest peak) by collatz_analyze against the same
-- analysis written in PL/pgSQL (a walk per number in bigint, exact here: every peak below
-- 10^5 is far under 2^63), side by side on [1, 10^5], three interleaved rounds, medians and
-- their ratio.
--   psql -d DB -f benches/analysis_vs_plpgsql.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS collatz_bench CASCADE;
CREATE SCHEMA collatz_bench;
CREATE FUNCTION collatz_bench.plpgsql_analyze(a bigint, b bigint,
    OUT longest bigint, OUT longest_steps bigint, OUT highest bigint, OUT highest_peak bigint)
LANGUAGE plpgsql AS $$
DECLARE
    x bigint; steps bigint; peak bigint;
BEGIN
    longest_steps := -1; highest_peak := 0;
    FOR n IN a..b LOOP
        x := n; steps := 0; peak := n;
        WHILE x <> 1 LOOP
            IF x % 2 = 0 THEN x := x / 2; ELSE x := 3 * x + 1; END IF;
            steps := steps + 1;
            IF x > peak THEN peak := x; END IF;
        END LOOP;
        IF steps > longest_steps THEN longest := n; longest_steps := steps; END IF;
        IF peak > highest_peak THEN highest := n; highest_peak := peak; END IF;
    END LOOP;
END $$;
CREATE TABLE collatz_bench.timings (variant text, ms double precision, answer text);
CREATE PROCEDURE collatz_bench.run(rounds int, b bigint) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; answer text;
BEGIN
    FOR r IN 1..rounds LOOP
        t0 := clock_timestamp();
        SELECT format('%s %s %s %s', longest, longest_steps + 1, highest, highest_peak) INTO answer
        FROM collatz_bench.plpgsql_analyze(1, b);
        INSERT INTO collatz_bench.timings VALUES ('plpgsql', extract(epoch FROM clock_timestamp() - t0) * 1000, answer);
        t0 := clock_timestamp();
        SELECT format('%s %s %s %s', longest_sequence, longest_sequence_length, highest_peak, highest_peak_value) INTO answer
        FROM collatz.collatz_analyze(1, b);
        INSERT INTO collatz_bench.timings VALUES ('collatz_analyze', extract(epoch FROM clock_timestamp() - t0) * 1000, answer);
        COMMIT;
    END LOOP;
END $$;
CALL collatz_bench.run(3, 100000);
SELECT variant, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS median_ms,
       min(answer) AS answer, count(DISTINCT answer) AS distinct_answers
FROM collatz_bench.timings GROUP BY variant ORDER BY variant;
SELECT round((max(m) FILTER (WHERE variant = 'plpgsql') / max(m) FILTER (WHERE variant = 'collatz_analyze'))::numeric)
       AS plpgsql_over_collatz_analyze
FROM (SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM collatz_bench.timings GROUP BY variant) t;
DROP SCHEMA collatz_bench CASCADE;
