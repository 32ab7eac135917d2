-- Per-row SQL: sum(collatz_steps(n)) over generate_series(1, :N) against the same written as a
-- PL/pgSQL function and as a recursive CTE. Ratios are to collatz_steps.
--   psql -v N=100000 -v ROUNDS=3 -d DB -f benches/sql/per_row.sql
\ir timing.sql
CREATE OR REPLACE FUNCTION collatz_bench.plpgsql_steps(n bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE x bigint := n; steps bigint := 0;
BEGIN
    WHILE x <> 1 LOOP
        IF x % 2 = 0 THEN x := x / 2; ELSE x := 3 * x + 1; END IF;
        steps := steps + 1;
    END LOOP;
    RETURN steps;
END $$;
CALL collatz_bench.compare('per_row_steps',
    ARRAY['collatz_steps', 'plpgsql', 'recursive_cte'],
    ARRAY['', '', ''],
    ARRAY[format('SELECT sum(collatz.collatz_steps(n)) FROM generate_series(1, %s) n', :N),
          format('SELECT sum(collatz_bench.plpgsql_steps(n)) FROM generate_series(1, %s) n', :N),
          format($q$WITH RECURSIVE walk(n, x) AS (
                         SELECT n, n FROM generate_series(1, %s) n
                         UNION ALL
                         SELECT n, CASE WHEN x %% 2 = 0 THEN x / 2 ELSE 3 * x + 1 END FROM walk WHERE x <> 1)
                     SELECT count(*) - %s FROM walk$q$, :N, :N)],
    :ROUNDS);
SELECT * FROM collatz_bench.results('collatz_steps') WHERE bench = 'per_row_steps';
