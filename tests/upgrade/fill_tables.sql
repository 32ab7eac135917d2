-- For releases that have the data model: rows in every table, which the update must keep.
\set ON_ERROR_STOP 1
SET search_path = collatz, public;
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT n, collatz_length(n), collatz_steps(n), collatz_peak(n) FROM generate_series(1, 3000) AS n;
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(s.number) q WHERE s.number <= 40;
-- A partial sequence (steps 0..20 of 2919), and one whose terms pass 2^63 (8,528,817,511:
-- 0.6.0 stores steps as arrays, which must carry both exactly).
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(s.number) q
WHERE s.number = 2919 AND q.step_number <= 20;
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT 8528817511, collatz_length(8528817511), collatz_steps(8528817511), collatz_peak(8528817511);
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(s.number) q WHERE s.number = 8528817511;
INSERT INTO experiments (name, parameters) VALUES ('kept across updates', '{"k": 1}');
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak,
                              highest_peak_value, numbers_analyzed, duration_ms, experiment_id)
SELECT 1, 3000, 2919, collatz_length(2919), 1819, collatz_peak(1819), 3000, 3.5, id FROM experiments;
INSERT INTO performance_metrics (operation_type, execution_time, rows_processed) VALUES ('batch_insert', 12.5, 3000);
