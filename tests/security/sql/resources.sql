-- Resource settings. collatz.threads and collatz.memo_mb are any role's to set; the
-- superuser-only collatz.max_threads and collatz.max_memo_mb cap them, and a function asked
-- for more refuses (54000) before it starts a thread or allocates. 0.4.0: a reader's
--   SET collatz.memo_mb = 49152; SELECT * FROM collatz.collatz_records(4294967296, 5368709120);
-- aborted the backend on a failed 32 GiB allocation and restarted the cluster, and
-- SET collatz.threads = 300 gave a backend 301 threads.
-- That statement runs here only where the caps exist (without them it would restart the
-- cluster, and test_security.sh would report that).
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

------------------------------------------------------------------------------------------
-- A reader against the caps
------------------------------------------------------------------------------------------
\c - sec_reader
SET client_min_messages = warning;
-- Set before the library is loaded, a cap is only a placeholder; when the library defines
-- it, PostgreSQL drops the value a role below superuser gave it (WARNING 42501).
SET collatz.max_threads = 1000;
SET collatz.max_memo_mb = 49152;
SELECT collatz.collatz_library_version() IS NOT NULL AS library_loaded;
SELECT current_setting('collatz.max_memo_mb', true) IS NOT NULL AS have_caps \gset
SELECT name, context, setting = boot_val AS at_default FROM pg_settings
WHERE name IN ('collatz.threads', 'collatz.memo_mb', 'collatz.max_threads', 'collatz.max_memo_mb') ORDER BY name;
-- Once defined, no role below superuser may set them, in any way.
SET collatz.max_threads = 1000;
SET collatz.max_memo_mb = 49152;
SET LOCAL collatz.max_threads = 1000;
RESET collatz.max_threads;
SELECT set_config('collatz.max_threads', '1000', false);
SELECT set_config('collatz.max_memo_mb', '49152', true);
ALTER ROLE sec_reader SET collatz.max_threads = 1000;
ALTER ROLE sec_reader SET collatz.max_memo_mb = 49152;
ALTER DATABASE sec_regress SET collatz.max_threads = 1000;
-- The user-settable ones are set, and refused where used (54000).
SET collatz.threads = 300;
SELECT q AS call, sec_log.sqlstate_of(q) AS sqlstate FROM (VALUES
    ('SELECT count(*) FROM collatz.collatz_records(1, 1000)'),
    ('SELECT count(*) FROM collatz.collatz_range(1, 1000)'),
    ('SELECT count(*) FROM collatz.collatz_analyze(1, 1000)')) AS c(q);
SET collatz.threads = 1024;
SELECT sec_log.sqlstate_of('SELECT count(*) FROM collatz.collatz_records(1, 1000)') AS threads_1024;
RESET collatz.threads;
SET collatz.memo_mb = 49152;
\if :have_caps
SELECT q AS call, sec_log.sqlstate_of(q) AS sqlstate FROM (VALUES
    ('SELECT * FROM collatz.collatz_records(4294967296, 5368709120)'),
    ('SELECT count(*) FROM collatz.collatz_range(4294967296, 5368709120)'),
    ('SELECT count(*) FROM collatz.collatz_analyze(4294967296, 5368709120)'),
    ('SELECT count(*) FROM collatz.collatz_records(1, 1000)')) AS c(q);
\else
SELECT 'collatz.max_memo_mb does not exist: the memo attack is not run' AS not_testable;
\endif
RESET collatz.memo_mb;
-- At the defaults everything works.
SELECT count(*) AS records FROM collatz.collatz_records(1, 1000);
SELECT name, setting = boot_val AS at_default FROM pg_settings WHERE name LIKE 'collatz.max\_%' ORDER BY name;
SELECT rolname, rolconfig FROM pg_roles WHERE rolname = 'sec_reader';

------------------------------------------------------------------------------------------
-- A writer: the SECURITY DEFINER paths use the caller's settings, and are capped too
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
SELECT collatz.collatz_library_version() IS NOT NULL AS library_loaded;
SET collatz.threads = 300;
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.analyze_range(500200001, 500201000)') AS analyze_range;
SELECT sec_log.sqlstate_of('SELECT collatz.batch_save_sequences(ARRAY[500200001, 500200002]::bigint[])') AS batch_save;
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES ('number'), ('500200003');
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.import_sequences(''csv'')') AS import;
RESET collatz.threads;
SET collatz.memo_mb = 49152;
\if :have_caps
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.analyze_range(4294967296, 5368709120)') AS analyze_range_memo;
\else
SELECT 'collatz.max_memo_mb does not exist: the memo attack is not run' AS not_testable;
\endif
RESET collatz.memo_mb;
-- The refused calls stored nothing (batch_save computes one number at a time, without the
-- worker pool, so it is not refused).
SELECT count(*) AS stored FROM collatz.collatz_sequences WHERE number BETWEEN 500200001 AND 500201000;
SELECT count(*) AS analyses FROM collatz.analysis_results WHERE start_range = 500200001;
SELECT 1 AS backend_alive;

\i :abs_srcdir/include/check.sql
