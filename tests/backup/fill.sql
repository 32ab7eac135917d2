-- A populated database: every table, steps included, experiments linked to analyses, a
-- finished pipeline run.
\set ON_ERROR_STOP 1
SET search_path = collatz, public;
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT number, sequence_length, steps_to_one, max_value FROM collatz_range(1, 20000);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT n, collatz_length(n), collatz_steps(n), collatz_peak(n) FROM (VALUES (8528817511), (12327829503)) AS v(n);
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(s.number) q
WHERE s.number <= 200 OR s.number = 12327829503;
-- A gap in the identity: deleted rows must not be reused after a restore either.
DELETE FROM collatz_sequences WHERE number BETWEEN 15000 AND 15100;
INSERT INTO experiments (name, description, parameters, results)
VALUES ('first', 'records below 20000', '{"start": 1, "end": 20000}', '{"longest": 17647}'),
       ('second', NULL, '{}', NULL);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak,
                              highest_peak_value, numbers_analyzed, duration_ms, experiment_id)
SELECT 1, 20000, 17647, collatz_length(17647), 17647, collatz_peak(17647), 20000, 12.5, id FROM experiments WHERE name = 'first';
INSERT INTO performance_metrics (operation_type, execution_time, rows_processed, memory_usage, context)
SELECT 'batch_insert', i * 1.5, 1000 * i, 4096 * i, jsonb_build_object('batch', i) FROM generate_series(1, 50) AS i;
SET client_min_messages = warning;
CALL sp_batch_insert_sequences(20001, 20100, batch_size => 40);
