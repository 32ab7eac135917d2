-- Bad input gets a proper SQLSTATE with a hint: never XX000, never a Rust backtrace in the
-- detail, never a syntax error (42601) from generated SQL; and it changes nothing.
-- sec_log.error_of shows the SQLSTATE, "no hint" when the error has none, and "BACKTRACE"
-- when its text shows Rust internals. The cases of issue 10, item 7, then a sweep of the
-- API a reader may call with NULLs and out-of-range values.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

------------------------------------------------------------------------------------------
-- Issue 10, item 7
------------------------------------------------------------------------------------------
\c - postgres
SET client_min_messages = warning;
SELECT q AS call, sec_log.error_of(q) AS outcome FROM (VALUES
    ('SELECT collatz.export_sequences_json(1, 10, page_size => NULL)'),
    ('SELECT collatz.export_sequences_json(10, 1)'),
    ('SELECT collatz.collatz_grant(NULL, ''read'')'),
    ('SELECT collatz.collatz_grant(''sec_nobody'', NULL)'),
    ('SELECT collatz.collatz_grant(''sec_nobody'', ''superuser'')'),
    ('SELECT * FROM collatz_internal.collatz_import_check(''csv'', ''number'', ARRAY[1, NULL]::bigint[], ARRAY[''27'', ''28''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(27, ARRAY[0, NULL], ARRAY[27, 82]::numeric[], ARRAY[''start'', ''odd''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(27, ARRAY[0, 1], ARRAY[27, NULL]::numeric[], ARRAY[''start'', ''odd''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(27, ARRAY[0, 1], ARRAY[27, 82]::numeric[], ARRAY[''start'', NULL])'),
    ('SELECT collatz.collatz_steps(2^53)'),
    ('SELECT collatz.collatz_steps(2^53 + 1)'),
    ('SELECT count(*) FROM collatz.collatz_range(2^53 - 2, 2^53)'),
    ('SELECT collatz.collatz_steps(''NaN''::float8)'),
    ('SELECT collatz.collatz_steps(''Infinity''::numeric)'),
    ('SELECT collatz.collatz_steps(2.5)')
) AS c(q);
-- '-' is the regrole of no role (0): refused with a SQLSTATE of its own and a hint, not by
-- a syntax error in the GRANT that collatz_revoke builds (0.4.0: 42601).
SELECT q AS call, sec_log.error_of(q) !~ '^(ok|XX000|42601)|no hint|BACKTRACE' AS refused_properly FROM (VALUES
    ('SELECT collatz.collatz_grant(''-'', ''read'')'),
    ('SELECT collatz.collatz_revoke(''-'')'),
    ('SELECT collatz.collatz_grant(0::oid::regrole, ''admin'')')
) AS c(q);
-- Below 2^53 a double precision is exact, and accepted.
SELECT collatz.collatz_steps(2^53 - 1) = collatz.collatz_steps(9007199254740991::numeric) AS below_2_53_accepted;
-- An empty page, not 22003, after the last bigint.
SELECT count(*) AS after_the_last_bigint FROM collatz.find_sequences_in_range(1, 10, after_number => 9223372036854775807);
-- NULL results change nothing.
SELECT collatz.create_experiment('sec_bad_input', parameters => '{"a": 1}') AS exp_id \gset
SELECT (collatz.record_experiment_results(:exp_id, '{"kept": true}')).results AS recorded;
SELECT sec_log.error_of(format('SELECT collatz.record_experiment_results(%s, NULL)', :exp_id)) AS null_results;
SELECT results FROM collatz.experiments WHERE id = :exp_id;
-- A level replaces what a role had: read after admin leaves no DELETE or TRUNCATE.
SELECT collatz.collatz_grant('sec_nobody', 'admin') IS NOT NULL AS admin_granted;
SELECT collatz.collatz_grant('sec_nobody', 'read') IS NOT NULL AS read_granted;
SELECT c.relname,
       has_table_privilege('sec_nobody', c.oid, 'SELECT') AS s, has_table_privilege('sec_nobody', c.oid, 'DELETE') AS d,
       has_table_privilege('sec_nobody', c.oid, 'TRUNCATE') AS t, has_any_column_privilege('sec_nobody', c.oid, 'INSERT') AS i,
       has_any_column_privilege('sec_nobody', c.oid, 'UPDATE') AS u
FROM pg_class c WHERE c.relnamespace = 'collatz'::regnamespace AND c.relkind = 'r' ORDER BY 1;
SELECT count(*) FILTER (WHERE has_function_privilege('sec_nobody', p.oid, 'EXECUTE')) AS executable,
       count(*) FILTER (WHERE has_function_privilege('sec_nobody', p.oid, 'EXECUTE') AND l.level NOT IN ('public', 'read'))
           AS above_read
FROM pg_proc p JOIN collatz_internal.function_levels() l ON l.signature = p.oid;
SELECT collatz.collatz_revoke('sec_nobody') IS NOT NULL AS revoked;
SELECT count(*) AS privileges_left
FROM pg_class c
WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
  AND (has_table_privilege('sec_nobody', c.oid, 'SELECT') OR has_any_column_privilege('sec_nobody', c.oid, 'SELECT'));

------------------------------------------------------------------------------------------
-- The procedures at the end of bigint, by a writer: they complete (or refuse cleanly), and
-- leave no run 'running' behind
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
CALL collatz.sp_analyze_range(9223372036854775000, 9223372036854775807);
CALL collatz.sp_analyze_range(9223372036854775000, 9223372036854775807, segment_size => 100);
CALL collatz.sp_batch_insert_sequences(9223372036854775800, 9223372036854775807, with_steps => true);
CALL collatz.sp_batch_insert_sequences(9223372036854775790, 9223372036854775807, batch_size => 7);
SELECT numbers_analyzed, longest_sequence, highest_peak FROM collatz.analyze_range(9223372036854775000, 9223372036854775807);
SELECT operation_type, start_range, status FROM collatz.pipeline_runs
WHERE end_range = 9223372036854775807 AND status <> 'done' ORDER BY id;
SELECT count(*) AS stored, count(*) FILTER (WHERE s.id IN (SELECT sequence_id FROM collatz.sequence_steps)) AS with_steps
FROM collatz.collatz_sequences s WHERE number >= 9223372036854775790;

------------------------------------------------------------------------------------------
-- analyze_segment (the nodes' part of collatz_ext_cluster), by a writer: a segment outside
-- its run, NULLs, a segment above 10^12 numbers, the end of bigint; by a reader: refused.
-- Each call that completes records exactly one metric, with the records it computed.
------------------------------------------------------------------------------------------
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(1, 100, 50, 200)') AS segment_outside_run;
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(1, 100, 1, NULL)') AS segment_null_run;
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(NULL, 100, 1, 100)') AS segment_null_start;
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(100, 1, 1, 100)') AS segment_inverted;
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(1, 4611686018427387904, 1, 9223372036854775807)') AS segment_huge;
SELECT numbers_analyzed, longest_sequence, highest_peak
FROM collatz.analyze_segment(9223372036854775000, 9223372036854775807, 1, 9223372036854775807);
SELECT numbers_analyzed, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value
FROM collatz.analyze_segment(1, 500, 1, 1000);
SELECT count(*) AS segment_metrics, max(context->>'longest_sequence') AS recorded_longest,
       max(context->>'run_end') AS recorded_run_end
FROM collatz.performance_metrics WHERE operation_type = 'analyze_segment' AND context->>'start_range' = '1';
\c - sec_reader
SELECT sec_log.error_of('SELECT * FROM collatz.analyze_segment(1, 100, 1, 100)') AS segment_by_reader;
\c - sec_writer
SET client_min_messages = warning;

------------------------------------------------------------------------------------------
-- Import lines: a key twice, U+0000 (text cannot hold it), by a writer
------------------------------------------------------------------------------------------
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES
    ('{"number": 700000001, "number": 700000002}'),
    ('{"number": 700000003, "steps": [700000003], "steps": []}'),
    ('{"number": 700000004, "a\u0000b": 1}'),
    ('{"number": 700000005, "created_at": "2026-01-01\u0000"}'),
    ('{"number": 700000006}');
SELECT lines, loaded, rejected FROM collatz.import_sequences('json', on_error => 'ignore');
-- Neither value of a repeated key is loaded; no reason holds a NUL (a NUL would end
-- length() early: text stops there).
SELECT number FROM collatz.collatz_sequences WHERE number BETWEEN 700000001 AND 700000006 ORDER BY number;
SELECT line_number, length(reason) = octet_length(reason) AS reason_is_text FROM collatz.import_rejections();

------------------------------------------------------------------------------------------
-- A sweep: every function a reader may call, with NULLs and values out of range. None may
-- end in XX000, a backtrace, or 42601.
------------------------------------------------------------------------------------------
\c - sec_reader
SET client_min_messages = warning;
CREATE TEMP TABLE sweep AS
SELECT q, sec_log.error_of(q) AS outcome FROM (VALUES
    ('SELECT collatz.export_sequences_json(NULL, 10)'),
    ('SELECT collatz.export_sequences_json(1, 10, cursor => ''x'')'),
    ('SELECT collatz.export_sequences_json(1, 10, cursor => ''9223372036854775808'')'),
    ('SELECT collatz.export_sequences_json(1, 10, cursor => ''-5'')'),
    ('SELECT collatz.export_sequences_json(1, 10, page_size => 0)'),
    ('SELECT collatz.export_sequences_json(1, 10, page_size => 2147483647)'),
    ('SELECT collatz.export_sequences_json(1, 10, with_steps => NULL)'),
    ('SELECT collatz.export_sequences_json(-1, 10)'),
    ('SELECT collatz.export_sequences_json(1, 9223372036854775807)'),
    ('SELECT collatz.export_analysis_json(page_size => NULL)'),
    ('SELECT collatz.export_analysis_json(page_size => -1)'),
    ('SELECT collatz.export_analysis_json(cursor => ''1e9'')'),
    ('SELECT collatz.export_analysis_json(experiment_id => -1)'),
    ('SELECT collatz.export_sequence_json(-1)'),
    ('SELECT collatz.export_sequence_json(9223372036854775807)'),
    ('SELECT * FROM collatz.export_sequences_csv(1, 10, NULL)'),
    ('SELECT * FROM collatz.export_sequences_csv(1, 10, ARRAY[NULL])'),
    ('SELECT * FROM collatz.export_sequences_csv(1, 10, ARRAY[''number; DROP TABLE x''])'),
    ('SELECT * FROM collatz.export_sequences_csv(1, 10, ARRAY[''s.id) FROM pg_authid --''])'),
    ('SELECT * FROM collatz.export_sequences_csv(NULL, NULL)'),
    ('SELECT * FROM collatz.export_analysis_csv(ARRAY[''id; SELECT 1''])'),
    ('SELECT * FROM collatz.export_analysis_csv(ARRAY[]::text[])'),
    ('SELECT * FROM collatz.export_sequences_jsonl(10, 1)'),
    ('SELECT * FROM collatz.export_sequences_jsonl(NULL, 1)'),
    ('SELECT * FROM collatz.find_sequences_in_range(1, 10, page_size => NULL)'),
    ('SELECT * FROM collatz.find_sequences_in_range(1, 10, page_size => 0)'),
    ('SELECT * FROM collatz.find_sequences_in_range(0, 10)'),
    ('SELECT * FROM collatz.find_sequences_in_range(10, 1)'),
    ('SELECT * FROM collatz.find_sequences_in_range(1, 10, min_length => -1, max_length => -2)'),
    ('SELECT * FROM collatz.get_sequence(0)'),
    ('SELECT * FROM collatz.get_sequence(-9223372036854775808)'),
    ('SELECT * FROM collatz.get_sequence(27, cache => true)'),
    ('SELECT collatz.collatz_steps(0)'),
    ('SELECT collatz.collatz_steps(-1)'),
    ('SELECT collatz.collatz_steps(-9223372036854775808)'),
    ('SELECT collatz.collatz_steps(-2147483648)'),
    ('SELECT collatz.collatz_next(9223372036854775807)'),
    ('SELECT collatz.collatz_next(''-Infinity''::numeric)'),
    ('SELECT collatz.collatz_peak(1e-5)'),
    ('SELECT collatz.collatz_stats(''NaN''::numeric)'),
    ('SELECT count(*) FROM collatz.collatz_range(0, 10)'),
    ('SELECT count(*) FROM collatz.collatz_range(10, 1)'),
    ('SELECT count(*) FROM collatz.collatz_range(1::numeric, ''NaN''::numeric)'),
    ('SELECT count(*) FROM collatz.collatz_range(''-Infinity''::float8, 1)'),
    ('SELECT count(*) FROM collatz.collatz_records(NULL::bigint, 10)'),
    ('SELECT count(*) FROM collatz.collatz_records(9223372036854775807, 9223372036854775807)'),
    ('SELECT count(*) FROM collatz.collatz_analyze(0, 1)'),
    ('SELECT count(*) FROM collatz.collatz_analyze(9223372036854775807, 9223372036854775807)'),
    ('SELECT collatz_internal.collatz_check_range(1, 10, -1, NULL)'),
    ('SELECT collatz_internal.collatz_check_range(1, 9223372036854775807, 0, ''x'')'),
    ('SELECT collatz_internal.csv_expressions(''x'', ''[1]'', ARRAY[''a''])'),
    ('SELECT collatz_internal.csv_expressions(''x'', ''{"a": "1); SELECT (1"}'', ARRAY[''a''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(0, ARRAY[0], ARRAY[0]::numeric[], ARRAY[''start''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(27, ARRAY[-1], ARRAY[27]::numeric[], ARRAY[''start''])'),
    ('SELECT collatz_internal.collatz_first_wrong_step(27, ARRAY[2147483647], ARRAY[1e131071]::numeric[], ARRAY[''x''])'),
    ('SELECT collatz.collatz_health()')
) AS c(q);
SELECT q AS call, replace(outcome, ' no hint', '') AS outcome FROM sweep ORDER BY q;
SELECT count(*) FILTER (WHERE outcome ~ '^(XX000|42601)' OR outcome LIKE '%BACKTRACE%') AS internal_errors FROM sweep;

\i :abs_srcdir/include/check.sql
