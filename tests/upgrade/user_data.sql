-- A digest of the user's objects and of what they compute; equal before and after the update.
\pset tuples_only on
\pset format unaligned
SELECT 'user_numbers ' || md5(string_agg(format('%s:%s:%s', n, steps, peak), ',' ORDER BY n)) FROM public.user_numbers;
SELECT 'recomputed ' || md5(string_agg(format('%s:%s:%s', n, collatz.collatz_steps(n), collatz.collatz_peak(n)), ',' ORDER BY n))
FROM public.user_numbers;
SELECT 'user_records ' || md5(string_agg(format('%s:%s:%s:%s', number, steps_to_one, delay_record, path_record), ',' ORDER BY number))
FROM public.user_records;
SET enable_seqscan = off;
SELECT 'by_length ' || string_agg(n::text, ',' ORDER BY n) FROM public.user_numbers WHERE collatz.collatz_length(n) = 112;
-- The extension's own tables, where the old release had them (the caller says so with
-- -v had_tables=true|false, decided before the update): every row, ids included.
\if :had_tables
SELECT 'collatz_sequences ' || md5(string_agg(format('%s:%s:%s:%s:%s:%s', id, number, sequence_length, steps_to_one, max_value, created_at), ',' ORDER BY id)) FROM collatz.collatz_sequences;
SELECT 'sequence_steps count ' || count(*) || ', sequences ' || count(DISTINCT sequence_id) || ', value sum ' || sum(value)
       || ', max ' || max(value) FROM collatz.sequence_steps;
SELECT 'summary ' || stored_steps || ' steps, ' || sequences_with_steps || ' with steps' FROM collatz.v_sequence_summary;
SELECT 'sequence_steps ' || md5(string_agg(format('%s:%s:%s:%s', sequence_id, step_number, value, operation_type), ',' ORDER BY sequence_id, step_number)) FROM collatz.sequence_steps;
SELECT 'experiments ' || md5(string_agg(format('%s:%s:%s:%s', id, name, parameters, created_at), ',' ORDER BY id)) FROM collatz.experiments;
SELECT 'analysis_results ' || md5(string_agg(format('%s:%s:%s:%s:%s', id, longest_sequence, highest_peak_value, experiment_id, analysis_date), ',' ORDER BY id)) FROM collatz.analysis_results;
SELECT 'performance_metrics ' || md5(string_agg(format('%s:%s:%s:%s', id, operation_type, execution_time, recorded_at), ',' ORDER BY id)) FROM collatz.performance_metrics;
\endif
