-- Planted and hijacked pipeline runs. A run belongs to the role that started it: only that
-- role or an admin may advance or resume it; it is "running" while a transaction of its
-- backend holds its row locked, which only the extension's own functions can do.
--   * writer A (sec_writer) starts an analysis and is interrupted by statement_timeout;
--     writer B (sec_writer2) tries to advance it, to continue it, to take it over by
--     analysing the same range (it must get a run of its own), to lock its row
--   * while A holds a run (a transaction open in another session, through dblink), B takes
--     advisory locks on everything the 0.4.0 pipeline used and more, and an ACCESS SHARE lock
--     on pipeline_runs: the run shows as running, B cannot step it, and once A lets go the
--     admin resumes it without waiting on anything B holds
--   * B's SECURITY DEFINER function, called by an admin, must not advance A's run
--   * the admin resumes A's interrupted analysis; the stored records are the true ones
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA sec_audit;

------------------------------------------------------------------------------------------
-- A's run, interrupted
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
-- One segment of 10^8 numbers takes seconds: the timeout lands inside it, after the run
-- was recorded (its first transaction).
SET statement_timeout = '300ms';
CALL collatz.sp_analyze_range(400000001, 500000000, segment_size => 100000000);
RESET statement_timeout;
SELECT run_id AS a_run FROM collatz.v_pipeline_progress WHERE start_range = 400000001 AND end_range = 500000000 \gset
SELECT state, started_by, numbers_total, numbers_done FROM collatz.v_pipeline_progress WHERE run_id = :a_run;
SELECT status, next_number, rows_done, partial FROM collatz.pipeline_runs WHERE id = :a_run;

------------------------------------------------------------------------------------------
-- B against A's interrupted run
------------------------------------------------------------------------------------------
\c - sec_writer2
SET client_min_messages = warning;
SELECT collatz.pipeline_run_step(:a_run);
CALL collatz.sp_continue_run(:a_run);
SELECT 1 FROM collatz.pipeline_runs WHERE id = :a_run FOR KEY SHARE;
UPDATE collatz.pipeline_runs SET started_by = 'sec_writer2' WHERE id = :a_run;
-- The same range, the same experiment (none): B gets a run of its own and does all the
-- work itself; A's run is left as it was.
CALL collatz.sp_analyze_range(400000001, 500000000, segment_size => 100000000);
SELECT r.started_by, r.status, p.numbers_done, r.id <> :a_run AS own_run
FROM collatz.v_pipeline_progress p JOIN collatz.pipeline_runs r ON r.id = p.run_id
WHERE r.start_range = 400000001 AND r.end_range = 500000000 ORDER BY r.id;
SELECT status, next_number, rows_done, partial FROM collatz.pipeline_runs WHERE id = :a_run;

-- A reader may not step any run.
\c - sec_reader
SET client_min_messages = warning;
SELECT collatz.pipeline_run_step(:a_run);
SELECT * FROM collatz.analysis_run_start(400000001, 500000000);

------------------------------------------------------------------------------------------
-- A holds a run while B tries everything (three sessions, through dblink)
------------------------------------------------------------------------------------------
\c - postgres
SET client_min_messages = warning;
SET search_path = pg_catalog, sec_audit;
SELECT format('dbname=%s host=%s port=%s', current_database(),
              split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port')) AS conninfo \gset
SELECT dblink_connect('a', :'conninfo' || ' user=sec_writer application_name=sec_runs_a') AS a,
       dblink_connect('b', :'conninfo' || ' user=sec_writer2 application_name=sec_runs_b') AS b,
       dblink_connect('adm', :'conninfo' || ' user=sec_admin application_name=sec_runs_admin') AS adm;
-- A starts a run of ten segments, and holds it: one step in a transaction left open.
SELECT run_id AS c_run FROM dblink('a', $$SELECT run_id FROM collatz.analysis_run_start(500000001, 500100000, segment_size => 10000)$$)
    AS t(run_id bigint) \gset
SELECT dblink_exec('a', 'BEGIN');
SELECT done FROM dblink('a', format('SELECT done FROM collatz.pipeline_run_step(%s)', :c_run)) AS t(done boolean);
SELECT state, started_by FROM collatz.v_pipeline_progress WHERE run_id = :c_run;
-- B: advisory locks on every key the 0.4.0 pipeline could have used and more (one and two
-- keys, the run ids), held by its session; an ACCESS SHARE lock on pipeline_runs, held by
-- an open transaction.
SELECT locks FROM dblink('b', format($$
    SELECT (SELECT count(pg_advisory_lock(k)) FROM generate_series(0, 200) k)
         + (SELECT count(pg_advisory_lock(k, r)) FROM generate_series(0, 50) k, unnest(ARRAY[%s, %s]::int[]) r)
         + (SELECT count(pg_advisory_lock(r)) FROM unnest(ARRAY[%s, %s]::bigint[]) r)
         + (SELECT count(pg_advisory_lock(hashtext(n))) FROM unnest(ARRAY['collatz_ext', 'pipeline_runs', 'collatz']) n)$$,
    :a_run, :c_run, :a_run, :c_run)) AS t(locks bigint);
SELECT dblink_exec('b', 'BEGIN');
SELECT dblink_exec('b', 'LOCK TABLE collatz.pipeline_runs IN ACCESS SHARE MODE');
-- B against the held run: refused, whatever it tries.
SELECT attempt, s AS sqlstate FROM (VALUES
    ('step it', format('SELECT collatz.pipeline_run_step(%s)', :c_run)),
    ('start its range (a run of its own)', 'SELECT collatz.analysis_run_start(500000001, 500100000, segment_size => 10000)'),
    ('lock its row', format('SELECT 1 FROM collatz.pipeline_runs WHERE id = %s FOR KEY SHARE', :c_run)),
    ('lock the table', 'LOCK TABLE collatz.pipeline_runs IN SHARE MODE')) AS a(attempt, q),
    LATERAL dblink('b', format('SELECT sec_log.sqlstate_of(%L)', q)) AS t(s text);
SELECT state FROM collatz.v_pipeline_progress WHERE run_id = :c_run;
-- A lets go without finishing: the run is interrupted, not running, whatever B holds.
SELECT dblink_exec('a', 'COMMIT');
SELECT state, numbers_done FROM collatz.v_pipeline_progress WHERE run_id = :c_run;
-- The admin resumes it to the end while B still holds all of that (a lock wait would
-- fail after lock_timeout).
SELECT dblink_exec('adm', 'SET lock_timeout = ''5s''');
SELECT dblink_exec('adm', format('CALL collatz.sp_continue_run(%s)', :c_run));
SELECT state, started_by, numbers_done FROM collatz.v_pipeline_progress WHERE run_id = :c_run;
SELECT dblink_exec('b', 'ROLLBACK');
SELECT dblink_disconnect('a'), dblink_disconnect('b'), dblink_disconnect('adm');
RESET search_path;

------------------------------------------------------------------------------------------
-- B's code with the admin's rights: a SECURITY DEFINER function of B's, which an admin
-- calls in good faith, runs as B and must not get to advance A's run (PostgreSQL checks
-- its privileges as B; the run's owner check must too).
------------------------------------------------------------------------------------------
\c - sec_writer2
SET client_min_messages = warning;
SELECT run_id AS d_run FROM collatz.analysis_run_start(500200001, 500300000, segment_size => 10000) \gset
\c - sec_writer
SET client_min_messages = warning;
SELECT run_id AS e_run FROM collatz.analysis_run_start(500300001, 500400000, segment_size => 10000) \gset
\c - sec_writer2
SET client_min_messages = warning;
CREATE FUNCTION sec_writer2_own.progress_report(run bigint) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS
$$ SELECT numbers_done FROM collatz.pipeline_run_step(run) $$;
GRANT USAGE ON SCHEMA sec_writer2_own TO sec_admin;
GRANT EXECUTE ON FUNCTION sec_writer2_own.progress_report(bigint) TO sec_admin;
SELECT sec_writer2_own.progress_report(:d_run) AS own_run_advanced;
SELECT sec_writer2_own.progress_report(:e_run) AS others_run;
\c - sec_admin
SET client_min_messages = warning;
SELECT sec_writer2_own.progress_report(:e_run) AS others_run_through_the_admin;
SELECT next_number = start_range AS untouched FROM collatz.pipeline_runs WHERE id = :e_run;
CALL collatz.sp_continue_run(:d_run);
CALL collatz.sp_continue_run(:e_run);
\c - sec_writer2
SET client_min_messages = warning;
DROP FUNCTION sec_writer2_own.progress_report(bigint);

------------------------------------------------------------------------------------------
-- The admin resumes A's interrupted analysis; the records stored are the true ones
------------------------------------------------------------------------------------------
\c - sec_admin
SET client_min_messages = warning;
CALL collatz.sp_analyze_range(400000001, 500000000, segment_size => 100000000);
SELECT r.started_by, r.status, (r.partial ->> 'resumed')::boolean AS resumed
FROM collatz.pipeline_runs r WHERE r.id = :a_run;
SELECT count(*) AS analyses, count(DISTINCT (longest_sequence, longest_sequence_length, highest_peak, highest_peak_value))
    AS distinct_answers
FROM collatz.analysis_results WHERE start_range = 400000001 AND end_range = 500000000;

\c - postgres
SET client_min_messages = warning;
-- The stored answer of the 10^8 numbers against a fresh computation.
SELECT bool_and((a.longest_sequence, a.longest_sequence_length, a.highest_peak, a.highest_peak_value, a.numbers_analyzed)
                = (c.longest_sequence, c.longest_sequence_length, c.highest_peak, c.highest_peak_value, c.numbers_analyzed))
       AS stored_answers_true
FROM collatz.analysis_results a, collatz.collatz_analyze(400000001, 500000000) c
WHERE a.start_range = 400000001 AND a.end_range = 500000000;
SELECT run_id, state FROM collatz.v_pipeline_progress WHERE state <> 'done' ORDER BY run_id;
DROP EXTENSION dblink;
\i :abs_srcdir/include/check.sql
