-- Range analysis through SQL: the resumable procedure and the function form, against the
-- record tables and the PL/pgSQL reference; interrupted by statement_timeout and resumed.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

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
