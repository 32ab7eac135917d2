-- ==== Structure: the helpers' schema, objects that move there, the tables' new shape

CREATE SCHEMA IF NOT EXISTS collatz_internal;

-- Helpers that keep their signature move; their bodies are replaced below. Trigger
-- functions move rather than being re-created, so the triggers keep pointing at them.
ALTER FUNCTION @extschema@.collatz_check_range(bigint, bigint, bigint, text) SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_peak_memory() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_reset_peak_memory() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_first_wrong_step(bigint, integer[], numeric[], text[]) SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_import_check(text, text, bigint[], text[]) SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.sequence_steps_check() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_sequences_keep_number() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.collatz_sequences_totals() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.sequence_steps_totals() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.compact_totals() SET SCHEMA collatz_internal;
ALTER FUNCTION @extschema@.add_totals(bigint, numeric, bigint, bigint) SET SCHEMA collatz_internal;

-- Helpers that are gone (the typed insert_sequences and store_steps replace the text-taking
-- and narrower ones; the run steps replace the advisory lock class), or that move with a
-- new body (dropped here, created in collatz_internal below).
DROP VIEW @extschema@.v_pipeline_progress;  -- uses pipeline_lock_class; re-created below
DROP FUNCTION @extschema@.pipeline_lock_class();
DROP FUNCTION @extschema@.progress_message(text, bigint, bigint, bigint, double precision);
DROP FUNCTION @extschema@.conflict_clause(text);
DROP FUNCTION @extschema@.insert_sequence_batch(bigint, bigint, boolean, text);
DROP FUNCTION @extschema@.insert_sequences(text, bigint, bigint, text);
DROP FUNCTION @extschema@.store_steps(bigint, bigint, bigint[]);
DROP FUNCTION @extschema@.csv_lines(text, jsonb, text[], boolean, text);
DROP FUNCTION @extschema@.record_metric(text, double precision, bigint, jsonb);
DROP FUNCTION @extschema@.elapsed_ms(timestamptz);
DROP FUNCTION @extschema@.progress_line(text, text, bigint, bigint, text, double precision);
DROP FUNCTION @extschema@.check_conflict_strategy(text, text);
DROP FUNCTION @extschema@.check_experiment(bigint, text);
DROP FUNCTION @extschema@.record_analysis(bigint, bigint, bigint, bigint, bigint, bigint, numeric, double precision, bigint, jsonb);
DROP FUNCTION @extschema@.import_staged_lines(text);
-- collatz_grant and collatz_revoke take the role's name as text (a regrole argument gave a
-- syntax error, 42601, for a name that is no role).
DROP FUNCTION @extschema@.collatz_grant(regrole, text);
DROP FUNCTION @extschema@.collatz_revoke(regrole);

-- Rust functions that now run SQL with a pinned search_path.
ALTER FUNCTION @extschema@.export_sequences_json(bigint, bigint, integer, text, boolean) SET search_path TO pg_catalog, @extschema@, pg_temp;
ALTER FUNCTION @extschema@.export_sequence_json(bigint) SET search_path TO pg_catalog, @extschema@, pg_temp;
ALTER FUNCTION @extschema@.export_analysis_json(integer, text, bigint) SET search_path TO pg_catalog, @extschema@, pg_temp;

-- pipeline_runs: runs belong to a role (the runs of 0.4.0 to the role that updates, so that
-- only an admin resumes them); a complete run has no next number (end_range + 1 does not
-- exist for a run ending at 2^63 - 1).
ALTER TABLE @extschema@.pipeline_runs ADD COLUMN started_by name;
UPDATE @extschema@.pipeline_runs SET started_by = current_user;
ALTER TABLE @extschema@.pipeline_runs ALTER COLUMN started_by SET NOT NULL;
ALTER TABLE @extschema@.pipeline_runs ALTER COLUMN next_number DROP NOT NULL;
ALTER TABLE @extschema@.pipeline_runs DROP CONSTRAINT pipeline_runs_next_within_range;
UPDATE @extschema@.pipeline_runs SET next_number = NULL WHERE status = 'done';
ALTER TABLE @extschema@.pipeline_runs
    ADD CONSTRAINT pipeline_runs_next_within_range CHECK (next_number >= start_range AND next_number - 1 <= end_range),
    ADD CONSTRAINT pipeline_runs_done_has_no_next CHECK ((status = 'done') = (next_number IS NULL));
COMMENT ON COLUMN @extschema@.pipeline_runs.id IS 'Surrogate key';
COMMENT ON COLUMN @extschema@.pipeline_runs.next_number IS 'First number not yet done; NULL once the run is complete';
COMMENT ON COLUMN @extschema@.pipeline_runs.started_by IS 'Role that started the run; only it (or an admin) may resume it';

-- performance_metrics: the seed design's name for recorded_at.
ALTER TABLE @extschema@.performance_metrics
    ADD COLUMN "timestamp" timestamptz GENERATED ALWAYS AS (recorded_at) STORED;
COMMENT ON COLUMN @extschema@.performance_metrics."timestamp" IS 'recorded_at under the seed design''s name (generated)';

-- v_experiments shows the latest analysis from analysis_results (no longer copied into the
-- results a writer may edit).
-- The latest analysis of each experiment comes from analysis_results, which only the
-- extension writes: it is not copied into experiments.results, which the write level may
-- edit (0.4.0 kept it there, where a writer could rewrite it).
CREATE OR REPLACE VIEW v_experiments AS
SELECT e.id AS experiment_id, e.name, e.description, e.parameters, e.results, e.created_at,
       count(a.id) AS analyses, max(a.analysis_date) AS last_analysis_at,
       sum(a.numbers_analyzed) AS numbers_analyzed,
       (SELECT jsonb_build_object(
                   'analysis_id', l.id, 'start_range', l.start_range, 'end_range', l.end_range,
                   'numbers_analyzed', l.numbers_analyzed, 'duration_ms', l.duration_ms,
                   'longest_sequence', jsonb_build_object('number', l.longest_sequence,
                                                          'sequence_length', l.longest_sequence_length),
                   'highest_peak', jsonb_build_object('number', l.highest_peak, 'max_value', l.highest_peak_value))
        FROM analysis_results l WHERE l.experiment_id = e.id
        ORDER BY l.analysis_date DESC, l.id DESC LIMIT 1) AS last_analysis
FROM experiments e
LEFT JOIN analysis_results a ON a.experiment_id = e.id
GROUP BY e.id;

COMMENT ON COLUMN @extschema@.v_experiments.results IS 'Results recorded with record_experiment_results (a JSON object)';
COMMENT ON COLUMN @extschema@.v_experiments.last_analysis IS 'The latest analysis under it: range, records, duration (from analysis_results)';

-- v_pipeline_progress gains started_by and tells liveness by row lock: re-created.
-- A run is running while the transaction that locked its row is open: the row's xmax is
-- that transaction, and the transaction holds a lock on its own id until it ends.
CREATE VIEW v_pipeline_progress AS
SELECT r.id                                                   AS run_id,
       r.operation_type,
       r.start_range,
       r.end_range,
       r.end_range - r.start_range + 1                        AS numbers_total,
       coalesce(r.next_number - r.start_range, r.end_range - r.start_range + 1) AS numbers_done,
       round(100.0 * coalesce(r.next_number - r.start_range, r.end_range - r.start_range + 1)
             / (r.end_range - r.start_range + 1), 2)          AS percent_done,
       r.rows_done,
       CASE WHEN r.elapsed_ms > 0
            THEN round(coalesce(r.next_number - r.start_range, r.end_range - r.start_range + 1)
                       / (r.elapsed_ms / 1000.0)) END         AS numbers_per_second,
       CASE WHEN r.status = 'running' AND r.next_number > r.start_range AND r.elapsed_ms > 0
            THEN round(((r.end_range - r.next_number + 1) * (r.elapsed_ms / 1000.0)
                        / (r.next_number - r.start_range))::numeric, 1) END AS seconds_left,
       CASE WHEN r.status = 'done' THEN 'done'
            WHEN l.pid IS NOT NULL THEN 'running'
            ELSE 'interrupted' END                            AS state,
       coalesce(l.pid, r.backend_pid)                         AS backend_pid,
       r.experiment_id,
       r.started_by,
       r.started_at,
       r.updated_at,
       r.finished_at
FROM pipeline_runs r
LEFT JOIN pg_catalog.pg_locks l
       ON l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
      AND l.transactionid = r.xmax AND r.status = 'running';

COMMENT ON VIEW v_pipeline_progress IS 'Every pipeline run with how far it is: running, interrupted (resumable) or done';
COMMENT ON COLUMN v_pipeline_progress.run_id IS 'pipeline_runs.id';
COMMENT ON COLUMN v_pipeline_progress.operation_type IS 'batch_insert or analyze_range';
COMMENT ON COLUMN v_pipeline_progress.start_range IS 'First number of the run';
COMMENT ON COLUMN v_pipeline_progress.end_range IS 'Last number of the run';
COMMENT ON COLUMN v_pipeline_progress.numbers_total IS 'Numbers in the run';
COMMENT ON COLUMN v_pipeline_progress.numbers_done IS 'Numbers done';
COMMENT ON COLUMN v_pipeline_progress.percent_done IS 'Share done, in percent';
COMMENT ON COLUMN v_pipeline_progress.rows_done IS 'Rows inserted or numbers analysed';
COMMENT ON COLUMN v_pipeline_progress.numbers_per_second IS 'Numbers done per second of working time';
COMMENT ON COLUMN v_pipeline_progress.seconds_left IS 'Estimated working time left, at the speed so far';
COMMENT ON COLUMN v_pipeline_progress.state IS 'running (its backend is at it now), interrupted (resumable) or done';
COMMENT ON COLUMN v_pipeline_progress.backend_pid IS 'Backend working on it now, or the last one';
COMMENT ON COLUMN v_pipeline_progress.experiment_id IS 'Experiment of the run, if any';
COMMENT ON COLUMN v_pipeline_progress.started_by IS 'Role that started the run';
COMMENT ON COLUMN v_pipeline_progress.started_at IS 'When the run started';
COMMENT ON COLUMN v_pipeline_progress.updated_at IS 'When the run last committed progress';
COMMENT ON COLUMN v_pipeline_progress.finished_at IS 'When the run completed';

-- What one step of a run reports back to the procedure that loops over the steps.
CREATE TYPE pipeline_step AS (
    run_id        bigint,
    done          boolean,
    numbers_done  bigint,
    numbers_total bigint,
    notice        text,
    noticed_at    timestamptz
);
COMMENT ON TYPE pipeline_step IS 'One step of a pipeline run: how far the run is, and the progress line to print (NULL when none is due)';
COMMENT ON COLUMN pipeline_step.run_id IS 'pipeline_runs.id';
COMMENT ON COLUMN pipeline_step.done IS 'Whether the run is complete';
COMMENT ON COLUMN pipeline_step.numbers_done IS 'Numbers done so far';
COMMENT ON COLUMN pipeline_step.numbers_total IS 'Numbers in the run';
COMMENT ON COLUMN pipeline_step.notice IS 'Progress line to print now (every collatz.progress_interval, and at the end), or NULL';
COMMENT ON COLUMN pipeline_step.noticed_at IS 'When that line was made; pass it back as last_notice';

