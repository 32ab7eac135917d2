-- Batch insert through SQL, as psql users run it: the procedure that COMMITs per batch,
-- conflict strategies, errors that leave nothing behind, progress. Progress NOTICEs carry
-- rates and times, so they are hidden here and the message is checked through
-- collatz_internal.progress_line() itself.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

SELECT collatz_internal.progress_line('sp_batch_insert_sequences', 'numbers', 250, 1000, '240 rows', 500);

------------------------------------------------------------------------------------------
-- Batch insert
------------------------------------------------------------------------------------------
-- Bad arguments: clear errors, nothing written.
CALL sp_batch_insert_sequences(10, 1);
CALL sp_batch_insert_sequences(0, 5);
CALL sp_batch_insert_sequences(-5, 5);
CALL sp_batch_insert_sequences(NULL, 5);
CALL sp_batch_insert_sequences(1, 5000000000);
CALL sp_batch_insert_sequences(1, 10, on_conflict => 'overwrite');
CALL sp_batch_insert_sequences(1, 10, batch_size => 0);
CALL sp_batch_insert_sequences(1, 10, with_steps => NULL);
SELECT count(*) AS stored, (SELECT count(*) FROM pipeline_runs) AS runs FROM collatz_sequences;

-- [1, 1000] in batches of 300 (four commits), checked against the reference.
CALL sp_batch_insert_sequences(1, 1000, batch_size => 300);
SELECT count(*) AS stored, min(number), max(number),
       count(*) FILTER (WHERE (steps_to_one, max_value) IS DISTINCT FROM
                              (SELECT (r.steps, r.peak) FROM regress_reference.walk(number) r)) AS wrong
FROM collatz_sequences;

-- Re-runs over overlapping ranges: skip keeps stored rows, upsert rewrites them, error refuses.
CREATE TEMP TABLE stamps AS SELECT number, created_at FROM collatz_sequences;
CALL sp_batch_insert_sequences(501, 1500);
SELECT count(*) AS stored,
       count(*) FILTER (WHERE s.created_at = t.created_at) AS untouched_old_rows
FROM collatz_sequences s LEFT JOIN stamps t USING (number);
CALL sp_batch_insert_sequences(900, 1100, on_conflict => 'upsert');
SELECT count(*) FILTER (WHERE s.created_at > t.created_at) AS refreshed
FROM collatz_sequences s JOIN stamps t USING (number);
CALL sp_batch_insert_sequences(1400, 1600, on_conflict => 'error');
SELECT count(*) AS stored, max(number) FROM collatz_sequences;
CALL sp_batch_insert_sequences(1501, 1600, on_conflict => 'error');
SELECT count(*) AS stored, max(number) FROM collatz_sequences;

-- With steps: every stored sequence in the range gets its terms.
CALL sp_batch_insert_sequences(1, 60, with_steps => true, batch_size => 25);
SELECT count(DISTINCT sequence_id) AS sequences, count(*) AS steps,
       (SELECT sum(r.steps + 1) FROM generate_series(1, 60) n, regress_reference.walk(n) r) AS expected
FROM sequence_steps;

-- Progress of each run, as another session sees it.
SELECT p.operation_type, p.start_range, p.end_range, p.numbers_done, p.percent_done, p.rows_done, p.state,
       r.options ->> 'on_conflict' AS on_conflict
FROM v_pipeline_progress p JOIN pipeline_runs r ON r.id = p.run_id ORDER BY p.run_id;

-- Inside a transaction block a committing CALL cannot run; the function forms can.
BEGIN;
CALL sp_batch_insert_sequences(2000, 2010);
ROLLBACK;
