-- The cost of one call (issue 11, P3 and P4): each per-row function over generate_series(1, :N)
-- against a built-in function of the same shape over the same rows, the variants of a bench
-- interleaved round by round. Ratios are to the built-in ('builtin'): abs(n) for the bigint
-- results, n::numeric for the numeric ones (both build a numeric per row).
--   psql -v N=1000000 -v ROUNDS=7 -d DB -f benches/sql/calls.sql
\ir timing.sql
CALL collatz_bench.compare('call_steps',
    ARRAY['builtin', 'collatz_steps'],
    ARRAY['', ''],
    ARRAY[format('SELECT sum(abs(n)) FROM generate_series(1, %s::bigint) n', :N),
          format('SELECT sum(collatz.collatz_steps(n)) FROM generate_series(1, %s::bigint) n', :N)],
    :ROUNDS);
CALL collatz_bench.compare('call_peak',
    ARRAY['builtin', 'collatz_peak'],
    ARRAY['', ''],
    ARRAY[format('SELECT sum(n::numeric) FROM generate_series(1, %s::bigint) n', :N),
          format('SELECT sum(collatz.collatz_peak(n)) FROM generate_series(1, %s::bigint) n', :N)],
    :ROUNDS);
-- Next to nothing to compute: what is left is the call itself and the numeric it returns.
CALL collatz_bench.compare('call_next',
    ARRAY['builtin', 'collatz_next'],
    ARRAY['', ''],
    ARRAY[format('SELECT sum(n::numeric) FROM generate_series(1, %s::bigint) n', :N),
          format('SELECT sum(collatz.collatz_next(n)) FROM generate_series(1, %s::bigint) n', :N)],
    :ROUNDS);
SELECT * FROM collatz_bench.results('builtin') WHERE bench LIKE 'call\_%';
