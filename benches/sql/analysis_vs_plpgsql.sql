-- Range analysis (longest sequence, highest peak) by collatz_analyze against the same
-- analysis in PL/pgSQL (a bigint walk per number, exact for these ranges), side by side on
-- [1, :N], and collatz_analyze on 1 and 2 threads. Ratios are to collatz_analyze (2 threads).
--   psql -v N=100000 -v ROUNDS=3 -d DB -f benches/sql/analysis_vs_plpgsql.sql
\ir timing.sql
CREATE OR REPLACE FUNCTION collatz_bench.plpgsql_analyze(a bigint, b bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    x bigint; steps bigint; peak bigint;
    longest bigint; longest_steps bigint := -1; highest bigint; highest_peak bigint := 0;
BEGIN
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
    RETURN format('%s %s %s %s', longest, longest_steps + 1, highest, highest_peak);
END $$;
CALL collatz_bench.compare('analysis',
    ARRAY['collatz_analyze_2_threads', 'collatz_analyze_1_thread', 'plpgsql'],
    ARRAY['SET collatz.threads = 2', 'SET collatz.threads = 1', 'RESET collatz.threads'],
    ARRAY[format($q$SELECT format('%%s %%s %%s %%s', longest_sequence, longest_sequence_length, highest_peak, highest_peak_value)
                    FROM collatz.collatz_analyze(1, %s)$q$, :N),
          format($q$SELECT format('%%s %%s %%s %%s', longest_sequence, longest_sequence_length, highest_peak, highest_peak_value)
                    FROM collatz.collatz_analyze(1, %s)$q$, :N),
          format('SELECT collatz_bench.plpgsql_analyze(1, %s)', :N)],
    :ROUNDS);
RESET collatz.threads;
SELECT * FROM collatz_bench.results('collatz_analyze_2_threads') WHERE bench = 'analysis';
