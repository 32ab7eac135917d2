-- The two ways insert_sequences writes a range with nothing stored (issue 11, P5): the
-- INSERT ... SELECT from collatz_range of 0.5.0 against the COPY-style loader
-- collatz_internal.copy_sequences (src/bulk.rs), :N rows into an empty collatz_sequences,
-- interleaved. Run as the extension's owner. Ratios are to the INSERT.
--   psql -v N=1000000 -v ROUNDS=5 -d DB -f benches/sql/insert_paths.sql
\ir timing.sql
CALL collatz_bench.compare('insert_paths',
    ARRAY['insert_select', 'copy'],
    ARRAY['TRUNCATE collatz.collatz_sequences CASCADE', 'TRUNCATE collatz.collatz_sequences CASCADE'],
    ARRAY[format('WITH i AS (INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
                             SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, %s)
                             RETURNING 1)
                  SELECT count(*) FROM i', :N),
          format('SELECT collatz_internal.copy_sequences(1, %s)', :N)],
    :ROUNDS);
TRUNCATE collatz.collatz_sequences CASCADE;
SELECT * FROM collatz_bench.results('insert_select') WHERE bench = 'insert_paths';
