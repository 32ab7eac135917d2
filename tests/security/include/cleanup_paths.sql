-- The cleanup paths, by an admin or the superuser: they run their DELETEs (on rows older
-- than a century, so nothing goes) and record their metric.
SELECT table_name, rows_matched, steps_matched, deleted
FROM collatz.cleanup_old_data(older_than => '100 years', dry_run => false,
     targets => ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs', 'collatz_sequences', 'sequence_steps']);
CALL collatz.sp_cleanup_old_data(older_than => '100 years', keep_last => 1, dry_run => false,
     targets => ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs', 'collatz_sequences', 'sequence_steps']);
SELECT table_name, deleted FROM collatz.cleanup_old_data(keep_last => 0);
