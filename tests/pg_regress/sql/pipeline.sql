-- The pipeline through SQL, as psql users run it: procedures that COMMIT per batch,
-- conflict strategies, errors that leave nothing behind, resume after an interruption,
-- cleanup with a dry run, the repository and experiments API, metrics, health, privileges.
-- Progress NOTICEs carry rates and times, so they are hidden here and the message is
-- checked through collatz_internal.progress_line() itself.
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

------------------------------------------------------------------------------------------
-- Range analysis
------------------------------------------------------------------------------------------
CALL sp_analyze_range(5, 1);
CALL sp_analyze_range(1, 10, segment_size => 0);
CALL sp_analyze_range(1, 10, experiment_id => 4242);

-- [1, 100000] in four segments; the answer against the record tables and the reference.
CALL sp_analyze_range(1, 100000, segment_size => 30000);
SELECT start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value,
       numbers_analyzed
FROM analysis_results ORDER BY id;
SELECT (SELECT max(number) FROM collatz_records(1, 100000) WHERE delay_record) AS last_delay_record,
       (SELECT max(number) FROM collatz_records(1, 100000) WHERE path_record) AS last_path_record,
       (regress_reference.walk(77031)).steps + 1 AS reference_length,
       (regress_reference.walk(77671)).peak AS reference_peak;

-- The function form works inside a transaction and gives the same answer.
BEGIN;
SELECT start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value,
       numbers_analyzed
FROM analyze_range(1, 100000);
ROLLBACK;
-- A range whose highest peak passes 2^64 (first at 12,327,829,503), and a tie on the peak.
SELECT longest_sequence, highest_peak, highest_peak_value, highest_peak_value > 2::numeric^64 AS past_2_64
FROM analyze_range(12327829500, 12327829510);
SELECT highest_peak, highest_peak_value FROM analyze_range(7, 9);

-- Interrupted by statement_timeout, then resumed: the same run finishes with the same answer.
-- On one thread the whole range takes seconds, so the timeout always lands mid-run.
SET collatz.threads = 1;
SET statement_timeout = '300ms';
CALL sp_analyze_range(1, 100000000, segment_size => 2000000);
RESET statement_timeout;
RESET collatz.threads;
SELECT operation_type, state, numbers_done < numbers_total AS unfinished
FROM v_pipeline_progress WHERE start_range = 1 AND end_range = 100000000;
CALL sp_analyze_range(1, 100000000, segment_size => 2000000);
SELECT operation_type, state, percent_done FROM v_pipeline_progress WHERE start_range = 1 AND end_range = 100000000;
SELECT count(*) AS runs FROM pipeline_runs WHERE start_range = 1 AND end_range = 100000000;
SELECT a.longest_sequence, a.longest_sequence_length, a.highest_peak, a.highest_peak_value, a.numbers_analyzed,
       m.context ->> 'resumed' AS resumed
FROM analysis_results a
JOIN performance_metrics m ON m.operation_type = 'analyze_range' AND (m.context ->> 'analysis_id')::bigint = a.id
WHERE a.end_range = 100000000;
SELECT (SELECT max(number) FROM collatz_records(1, 100000000) WHERE delay_record) AS last_delay_record,
       (SELECT max(number) FROM collatz_records(1, 100000000) WHERE path_record) AS last_path_record;

------------------------------------------------------------------------------------------
-- Repository
------------------------------------------------------------------------------------------
SELECT number, sequence_length, steps_to_one, max_value FROM save_sequence(1000001);
SELECT number, sequence_length, max_value, stored FROM get_sequence(27);
SELECT number, sequence_length, max_value, created_at, stored FROM get_sequence(99999999);
SELECT count(*) AS cached_before FROM collatz_sequences WHERE number = 99999999;
SELECT number, sequence_length, stored FROM get_sequence(99999999, cache => true);
SELECT count(*) AS cached_after FROM collatz_sequences WHERE number = 99999999;
SELECT * FROM get_sequence(0);
SELECT batch_save_sequences(ARRAY[27, 2000001, 2000002, 2000002], with_steps => true) AS written;
SELECT count(*) AS steps_of_2000001 FROM sequence_steps st JOIN collatz_sequences s ON s.id = st.sequence_id
WHERE s.number = 2000001;
SELECT batch_save_sequences(ARRAY[3000001, -4]);
SELECT count(*) AS stored_3000001 FROM collatz_sequences WHERE number = 3000001;
SELECT batch_save_sequences(ARRAY[27], on_conflict => 'error');

-- Keyset pagination: the next page starts after the last number of this one.
SELECT number, sequence_length FROM find_sequences_in_range(100, 1000, page_size => 3);
SELECT number, sequence_length FROM find_sequences_in_range(100, 1000, page_size => 3, after_number => 102);
SELECT number FROM find_sequences_in_range(100, 1000, page_size => 5, after_number => 998);
SELECT number, sequence_length FROM find_sequences_in_range(1, 1600, page_size => 3, min_length => 150);
SELECT count(*) AS pages FROM (
    WITH RECURSIVE pages(last_number, n) AS (
        SELECT max(number), 1 FROM find_sequences_in_range(1, 1600, 400)
        UNION ALL
        SELECT (SELECT max(number) FROM find_sequences_in_range(1, 1600, 400, after_number => p.last_number)), n + 1
        FROM pages p WHERE p.last_number IS NOT NULL
    ) SELECT * FROM pages WHERE last_number IS NOT NULL) p;
SELECT * FROM find_sequences_in_range(100, 1000, page_size => 0);

------------------------------------------------------------------------------------------
-- Experiments
------------------------------------------------------------------------------------------
SELECT create_experiment('records below 10^5', 'baseline', '{"start": 1, "end": 100000}') AS experiment_id \gset
CALL sp_analyze_range(1, 100000, experiment_id => :experiment_id);
SELECT results -> 'last_analysis' -> 'longest_sequence' AS longest, results -> 'last_analysis' -> 'highest_peak' AS highest
FROM experiments WHERE id = :experiment_id;
SELECT name, results ->> 'note' AS note, results ? 'last_analysis' AS kept_analysis
FROM record_experiment_results(:experiment_id, '{"note": "matches OEIS"}');
SELECT name, parameters, analyses, numbers_analyzed FROM v_experiments;
SELECT record_experiment_results(4242, '{}');
SELECT create_experiment('records below 10^5');

------------------------------------------------------------------------------------------
-- Metrics and health
------------------------------------------------------------------------------------------
SELECT operation_type, runs, total_rows, max_memory_bytes > 0 AS memory_measured
FROM v_performance_dashboard ORDER BY operation_type;
SELECT h ->> 'version' AS version, h ->> 'library_version' AS library,
       h -> 'settings' ->> 'collatz.batch_size' AS batch_size,
       h -> 'last_analysis' ->> 'end_range' AS last_analysis_end,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(h -> 'tables') k) AS tables
FROM collatz_health() AS h;

------------------------------------------------------------------------------------------
-- Retention
------------------------------------------------------------------------------------------
UPDATE performance_metrics SET recorded_at = now() - interval '200 days' WHERE operation_type = 'batch_insert';
UPDATE analysis_results SET analysis_date = now() - interval '200 days' WHERE end_range = 100000;
-- Dry run (the default): reports, deletes nothing.
SELECT * FROM cleanup_old_data();
SELECT (SELECT count(*) FROM performance_metrics WHERE operation_type = 'batch_insert') AS batch_metrics,
       (SELECT count(*) FROM analysis_results) AS analyses;
-- keep_last alone: everything but the newest N, whatever its age.
SELECT * FROM cleanup_old_data(keep_last => 2, targets => ARRAY['analysis_results']);
-- Sequences take their steps with them.
SELECT * FROM cleanup_old_data(older_than => '0 seconds', targets => ARRAY['collatz_sequences', 'sequence_steps']);
CALL sp_cleanup_old_data(dry_run => false);
SELECT (SELECT count(*) FROM performance_metrics WHERE operation_type = 'batch_insert') AS batch_metrics,
       (SELECT count(*) FROM analysis_results) AS analyses,
       (SELECT count(*) FROM performance_metrics WHERE operation_type = 'cleanup') AS cleanup_metrics;
SELECT * FROM cleanup_old_data(targets => ARRAY['everything']);
SELECT * FROM cleanup_old_data(keep_last => -1);

-- After loads, upserts, repository saves and cleanups, the summary's totals still agree.
SELECT s.total_sequences = (SELECT count(*) FROM collatz.collatz_sequences) AS sequences_agree,
       s.stored_steps = (SELECT count(*) FROM collatz.sequence_steps) AS steps_agree,
       s.sequences_with_steps = (SELECT count(DISTINCT sequence_id) FROM collatz.sequence_steps) AS with_steps_agree,
       s.mean_sequence_length IS NOT DISTINCT FROM (SELECT round(avg(sequence_length), 2) FROM collatz.collatz_sequences) AS mean_agrees
FROM collatz.v_sequence_summary s;

------------------------------------------------------------------------------------------
-- Privileges: a reader cannot load or analyse, a writer cannot clean up, an admin can.
------------------------------------------------------------------------------------------
CREATE ROLE regress_pipeline_reader;
CREATE ROLE regress_pipeline_writer;
CREATE ROLE regress_pipeline_admin;
SELECT collatz_grant('regress_pipeline_reader', 'read'), collatz_grant('regress_pipeline_writer', 'write'),
       collatz_grant('regress_pipeline_admin', 'admin');
SET ROLE regress_pipeline_reader;
SELECT count(*) > 0 AS can_read FROM find_sequences_in_range(1, 100, 10);
CALL sp_batch_insert_sequences(5000, 5010);
SELECT * FROM analyze_range(1, 10);
RESET ROLE;
SET ROLE regress_pipeline_writer;
CALL sp_batch_insert_sequences(5000, 5010);
SELECT numbers_analyzed FROM analyze_range(1, 10);
CALL sp_cleanup_old_data(older_than => '0 seconds', dry_run => false);
INSERT INTO collatz_totals (sequences, length_sum, steps, sequences_with_steps) VALUES (1, 1, 0, 0);
SELECT collatz_internal.add_totals(1, 1, 0, 0);
RESET ROLE;
SET ROLE regress_pipeline_admin;
TRUNCATE collatz_totals;
CALL sp_cleanup_old_data(older_than => '0 seconds', targets => ARRAY['performance_metrics'], dry_run => false);
RESET ROLE;
SELECT count(*) AS metrics_left FROM performance_metrics;
SELECT collatz_revoke(r) IS NOT NULL FROM unnest(ARRAY['regress_pipeline_reader', 'regress_pipeline_writer',
                                                      'regress_pipeline_admin']::regrole[]) AS r;
DROP ROLE regress_pipeline_reader, regress_pipeline_writer, regress_pipeline_admin;
