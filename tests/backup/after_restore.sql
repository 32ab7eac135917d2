-- New rows in the restored database continue each identity instead of colliding.
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
SET search_path = collatz, public;
WITH before AS (SELECT max(id) AS m FROM collatz_sequences),
     added AS (INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
               SELECT 30001, collatz_length(30001), collatz_steps(30001), collatz_peak(30001) RETURNING id)
SELECT 'collatz_sequences continues: ' || ((SELECT id FROM added) > (SELECT m FROM before));
WITH before AS (SELECT max(id) AS m FROM experiments),
     added AS (INSERT INTO experiments (name) VALUES ('after restore') RETURNING id)
SELECT 'experiments continues: ' || ((SELECT id FROM added) > (SELECT m FROM before));
WITH before AS (SELECT max(id) AS m FROM analysis_results),
     added AS (INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length,
                                             highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
               VALUES (1, 10, 9, 20, 7, 52, 10, 1) RETURNING id)
SELECT 'analysis_results continues: ' || ((SELECT id FROM added) > (SELECT m FROM before));
WITH before AS (SELECT max(id) AS m FROM performance_metrics),
     added AS (INSERT INTO performance_metrics (operation_type, execution_time) VALUES ('restore_check', 1) RETURNING id)
SELECT 'performance_metrics continues: ' || ((SELECT id FROM added) > (SELECT m FROM before));
WITH before AS (SELECT max(id) AS m FROM pipeline_runs),
     added AS (INSERT INTO pipeline_runs (operation_type, start_range, end_range, next_number, started_by)
               VALUES ('batch_insert', 1, 1, 1, current_user) RETURNING id)
SELECT 'pipeline_runs continues: ' || ((SELECT id FROM added) > (SELECT m FROM before));
SELECT 'summary totals rebuilt: ' || (total_sequences = (SELECT count(*) FROM collatz_sequences)
                                       AND stored_steps = (SELECT count(*) FROM sequence_steps))
FROM v_sequence_summary;
SELECT 'length histogram rebuilt: ' || NOT EXISTS (
    (SELECT sequence_length, sequences, smallest_number, highest_peak FROM v_sequence_length_distribution
     EXCEPT SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz_sequences GROUP BY 1)
    UNION ALL
    (SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz_sequences GROUP BY 1
     EXCEPT SELECT sequence_length, sequences, smallest_number, highest_peak FROM v_sequence_length_distribution));
