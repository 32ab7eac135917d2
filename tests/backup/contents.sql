-- Each table's full contents, ids and timestamps included, as one digest a line; and where
-- each identity stands.
\pset tuples_only on
\pset format unaligned
SET search_path = collatz, public;
SELECT 'collatz_sequences ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM collatz_sequences t;
SELECT 'sequence_steps ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY sequence_id, step_number)) FROM sequence_steps t;
SELECT 'experiments ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM experiments t;
SELECT 'analysis_results ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM analysis_results t;
SELECT 'performance_metrics ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM performance_metrics t;
SELECT 'pipeline_runs ' || count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM pipeline_runs t;
SELECT 'identity ' || s.seqrelid::regclass || ' ' || coalesce(q.last_value, 0)
FROM pg_sequence s JOIN pg_sequences q ON q.schemaname = 'collatz' AND q.sequencename = s.seqrelid::regclass::text
WHERE s.seqrelid::regclass::text LIKE '%\_id\_seq'
  AND s.seqrelid::regclass::text NOT IN ('collatz_totals_id_seq', 'collatz_length_totals_id_seq')  -- rebuilt by the restore's triggers, not dumped
ORDER BY 1;
