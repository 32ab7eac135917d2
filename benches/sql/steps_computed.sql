-- sequence_steps_computed (terms computed when read) against the same rows stored, as 0.5.0
-- stored them: a plain table with sequence_steps' columns and key, scanned warm. Every
-- variant reads every column of every row (count, sum(value), count(operation_type)), so
-- no plan can skip computing a value. Also the 0.5.0 way of computing them on read, a
-- LATERAL collatz_sequence(number). Stores [1, :N] (N = 30000: 2,894,311 terms) unless
-- collatz_sequences already holds exactly that. One core (no parallel workers, which would
-- split both scans alike) and no JIT (whose compile time, ~100 ms, would blur both). The
-- stored table is read into shared buffers first (pg_prewarm) as far as they hold it: at
-- N = 30000 it is 145 MB, so with the default shared_buffers (128MB) part of each scan
-- comes from the OS cache; the baseline's name shows the size and the setting.
--   psql -v N=30000 -v ROUNDS=5 -d DB -f benches/sql/steps_computed.sql
\ir timing.sql
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\o /dev/null
SELECT collatz.batch_save_sequences(ARRAY(SELECT generate_series(1, :N)::bigint))
WHERE (SELECT count(*) FROM collatz.collatz_sequences) <> :N;
\o
DROP TABLE IF EXISTS collatz_bench.stored_steps;
CREATE TABLE collatz_bench.stored_steps (
    sequence_id    bigint  NOT NULL,
    step_number    integer NOT NULL,
    value          numeric NOT NULL,
    operation_type text    NOT NULL,
    PRIMARY KEY (sequence_id, step_number));
INSERT INTO collatz_bench.stored_steps SELECT * FROM collatz.sequence_steps_computed ORDER BY 1, 2;
VACUUM ANALYZE collatz_bench.stored_steps;
-- The baseline's name says how large the stored table is and how much shared_buffers holds.
SELECT format('stored table (%s; shared_buffers %s)', pg_size_pretty(pg_relation_size('collatz_bench.stored_steps')),
              current_setting('shared_buffers')) AS baseline \gset
CALL collatz_bench.compare('steps_of_every_stored_sequence',
    ARRAY[:'baseline', 'sequence_steps_computed', 'lateral_collatz_sequence'],
    -- Each scan warmed untimed first.
    ARRAY['SELECT pg_prewarm(''collatz_bench.stored_steps'')',
          'SELECT count(value) FROM collatz.sequence_steps_computed',
          ''],
    ARRAY['SELECT count(*) || '' '' || sum(value) || '' '' || count(operation_type) FROM collatz_bench.stored_steps',
          'SELECT count(*) || '' '' || sum(value) || '' '' || count(operation_type) FROM collatz.sequence_steps_computed',
          'SELECT count(*) || '' '' || sum(q.value) || '' '' || count(q.operation_type)
           FROM collatz.collatz_sequences s CROSS JOIN LATERAL collatz.collatz_sequence(s.number) q'],
    :ROUNDS);
SELECT * FROM collatz_bench.results(:'baseline') WHERE bench = 'steps_of_every_stored_sequence';
DROP TABLE collatz_bench.stored_steps;
