-- What the exactness CHECK (collatz_steps/collatz_peak recomputed for every row) costs a
-- bulk insert: the same :N precomputed rows into two copies of collatz_sequences, same
-- indexes and other constraints, with and without that one constraint. Ratios are to the
-- unchecked copy.
--   psql -v N=1000000 -v ROUNDS=3 -d DB -f benches/sql/check_constraint_cost.sql
\ir timing.sql
DROP TABLE IF EXISTS collatz_bench.source, collatz_bench.checked, collatz_bench.unchecked;
CREATE TABLE collatz_bench.source AS
SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, :N);
CREATE TABLE collatz_bench.checked (LIKE collatz.collatz_sequences INCLUDING ALL);
CREATE TABLE collatz_bench.unchecked (LIKE collatz.collatz_sequences INCLUDING ALL);
ALTER TABLE collatz_bench.unchecked DROP CONSTRAINT collatz_sequences_values_are_exact;
CALL collatz_bench.compare('exactness_check',
    ARRAY['checked', 'unchecked'],
    ARRAY['TRUNCATE collatz_bench.checked', 'TRUNCATE collatz_bench.unchecked'],
    ARRAY['WITH i AS (INSERT INTO collatz_bench.checked (number, sequence_length, steps_to_one, max_value)
                      SELECT * FROM collatz_bench.source RETURNING 1) SELECT count(*) FROM i',
          'WITH i AS (INSERT INTO collatz_bench.unchecked (number, sequence_length, steps_to_one, max_value)
                      SELECT * FROM collatz_bench.source RETURNING 1) SELECT count(*) FROM i'],
    :ROUNDS);
DROP TABLE collatz_bench.source, collatz_bench.checked, collatz_bench.unchecked;
SELECT * FROM collatz_bench.results('unchecked') WHERE bench = 'exactness_check';
