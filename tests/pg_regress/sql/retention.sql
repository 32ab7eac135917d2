-- Retention with a dry run first, and the privileges of the pipeline's levels.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
-- Something old and something new in every table retention looks at: loads (with steps),
-- analyses, metrics and finished runs.
CALL sp_batch_insert_sequences(1, 1600);
CALL sp_batch_insert_sequences(1, 60, with_steps => true);
CALL sp_analyze_range(1, 100000, segment_size => 30000);
SELECT count(*) AS analyses FROM analyze_range(1, 1000);
SELECT count(*) AS analyses FROM analyze_range(1, 2000);

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
                                                      'regress_pipeline_admin']) AS r;
DROP ROLE regress_pipeline_reader, regress_pipeline_writer, regress_pipeline_admin;
