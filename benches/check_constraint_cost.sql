-- What the exactness CHECK (collatz_steps/collatz_peak recomputed for every row) costs a
-- bulk insert: the same 10^6 precomputed rows into two copies of collatz_sequences, same
-- indexes and other constraints, with and without that one constraint; three rounds,
-- interleaved, median reported. Run against a database with the extension:
--   psql -d DB -f benches/check_constraint_cost.sql
\set ON_ERROR_STOP 1
SET search_path = collatz, public;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS collatz_bench CASCADE;
CREATE SCHEMA collatz_bench;
CREATE TABLE collatz_bench.source AS
SELECT number, sequence_length, steps_to_one, max_value FROM collatz_range(1, 1000000);
CREATE TABLE collatz_bench.checked (LIKE collatz.collatz_sequences INCLUDING ALL);
CREATE TABLE collatz_bench.unchecked (LIKE collatz.collatz_sequences INCLUDING ALL);
ALTER TABLE collatz_bench.unchecked DROP CONSTRAINT collatz_sequences_values_are_exact;
CREATE TABLE collatz_bench.timings (variant text, round int, ms double precision);

CREATE PROCEDURE collatz_bench.run(rounds int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    variant text;
BEGIN
    FOR r IN 1..rounds LOOP
        FOREACH variant IN ARRAY ARRAY['checked', 'unchecked'] LOOP
            EXECUTE format('TRUNCATE collatz_bench.%I', variant);
            COMMIT;
            t0 := clock_timestamp();
            EXECUTE format('INSERT INTO collatz_bench.%I (number, sequence_length, steps_to_one, max_value)
                            SELECT * FROM collatz_bench.source', variant);
            INSERT INTO collatz_bench.timings
            VALUES (variant, r, extract(epoch FROM clock_timestamp() - t0) * 1000);
            COMMIT;
        END LOOP;
    END LOOP;
END $$;
CALL collatz_bench.run(3);

SELECT variant, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) AS median_ms,
       round(1000000 / (percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) / 1000)) AS rows_per_second
FROM collatz_bench.timings GROUP BY variant ORDER BY variant;
SELECT round((max(m) FILTER (WHERE variant = 'checked') / max(m) FILTER (WHERE variant = 'unchecked'))::numeric, 2)
       AS checked_over_unchecked
FROM (SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM collatz_bench.timings GROUP BY variant) t;
DROP SCHEMA collatz_bench CASCADE;
