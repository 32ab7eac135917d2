-- Shared by the SQL benchmarks: run variants side by side, interleaved, for a number of
-- rounds, each after an untimed setup, and keep every time and answer. Included with \ir.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS collatz_bench;
CREATE TABLE IF NOT EXISTS collatz_bench.timings (
    bench text, variant text, round integer, ms double precision, answer text);

-- queries[i] is timed after setups[i] (untimed, may be ''); its first column, as text, is
-- the answer, so variants that disagree show up in the results.
CREATE OR REPLACE PROCEDURE collatz_bench.compare(bench text, variants text[], setups text[],
                                                 queries text[], rounds integer)
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    answer text;
BEGIN
    DELETE FROM collatz_bench.timings t WHERE t.bench = compare.bench;
    FOR r IN 1..rounds LOOP
        FOR i IN 1..cardinality(variants) LOOP
            IF setups[i] <> '' THEN EXECUTE setups[i]; END IF;
            COMMIT;
            started := clock_timestamp();
            EXECUTE queries[i] INTO answer;
            INSERT INTO collatz_bench.timings
            VALUES (bench, variants[i], r, extract(epoch FROM clock_timestamp() - started) * 1000, answer);
            COMMIT;
        END LOOP;
    END LOOP;
END $$;

-- Medians per variant, each as a ratio to the named baseline variant of its bench.
CREATE OR REPLACE FUNCTION collatz_bench.results(baseline text)
RETURNS TABLE (bench text, variant text, median_ms numeric, ratio_to_baseline numeric, answers bigint, answer text)
LANGUAGE sql AS $$
    WITH medians AS (
        SELECT t.bench, t.variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms) AS ms,
               count(DISTINCT t.answer) AS answers, min(t.answer) AS answer
        FROM collatz_bench.timings t GROUP BY t.bench, t.variant
    )
    SELECT m.bench, m.variant, round(m.ms::numeric, 2),
           round((m.ms / nullif(b.ms, 0))::numeric, 4), m.answers, m.answer
    FROM medians m LEFT JOIN medians b ON b.bench = m.bench AND b.variant = baseline
    ORDER BY m.bench, m.ms;
$$;
