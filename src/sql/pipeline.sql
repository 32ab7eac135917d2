-- The pipeline: batch insert and range analysis as runs of one-transaction steps, with
-- progress for other sessions and resume after an interruption.
--
-- Who writes what (SPEC section 6): analysis_results, pipeline_runs and performance_metrics
-- take INSERT and UPDATE from no role. The functions that write them are SECURITY DEFINER
-- with a pinned search_path, take ranges and options (never results), and compute what they
-- store. A procedure that COMMITs cannot be SECURITY DEFINER or carry SET search_path, so
-- the sp_* procedures are thin invoker loops around those functions, with every name,
-- type and operator in their bodies schema-qualified.

-- Runs of the long procedures: their progress, for other sessions, and the state an
-- interrupted run resumes from. A run belongs to the role that started it. It is alive while
-- a transaction of its backend holds the row locked: each step locks it first (FOR NO KEY
-- UPDATE), and only the extension's own functions may lock rows of this table, so no other
-- role can make a run look alive, block it, or feed it partial results. (0.4.0 used
-- advisory locks, which any role may take.)
CREATE TABLE pipeline_runs (
    id             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_type text             NOT NULL,
    start_range    bigint           NOT NULL,
    end_range      bigint           NOT NULL,
    next_number    bigint,
    rows_done      bigint           NOT NULL DEFAULT 0,
    options        jsonb            NOT NULL DEFAULT '{}',
    partial        jsonb,
    experiment_id  bigint           REFERENCES experiments (id) ON DELETE SET NULL,
    status         text             NOT NULL DEFAULT 'running',
    backend_pid    integer,
    elapsed_ms     double precision NOT NULL DEFAULT 0,
    started_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    started_by     name             NOT NULL,
    CONSTRAINT pipeline_runs_operation_known CHECK (operation_type IN ('batch_insert', 'analyze_range')),
    CONSTRAINT pipeline_runs_end_not_before_start CHECK (end_range >= start_range AND start_range >= 1),
    -- Written without end_range + 1, which does not exist for a run ending at 2^63 - 1.
    CONSTRAINT pipeline_runs_next_within_range CHECK (next_number >= start_range AND next_number - 1 <= end_range),
    CONSTRAINT pipeline_runs_status_known CHECK (status IN ('running', 'done')),
    CONSTRAINT pipeline_runs_done_is_finished CHECK ((status = 'done') = (finished_at IS NOT NULL)),
    CONSTRAINT pipeline_runs_done_has_no_next CHECK ((status = 'done') = (next_number IS NULL)),
    CONSTRAINT pipeline_runs_rows_nonnegative CHECK (rows_done >= 0 AND elapsed_ms >= 0)
);

COMMENT ON TABLE pipeline_runs IS 'Runs of sp_batch_insert_sequences and sp_analyze_range: progress, and where an interrupted run resumes';
COMMENT ON COLUMN pipeline_runs.id IS 'Surrogate key';
COMMENT ON COLUMN pipeline_runs.operation_type IS 'batch_insert or analyze_range';
COMMENT ON COLUMN pipeline_runs.start_range IS 'First number of the run';
COMMENT ON COLUMN pipeline_runs.end_range IS 'Last number of the run';
COMMENT ON COLUMN pipeline_runs.next_number IS 'First number not yet done; NULL once the run is complete';
COMMENT ON COLUMN pipeline_runs.rows_done IS 'Rows inserted (batch_insert) or numbers analysed (analyze_range) so far';
COMMENT ON COLUMN pipeline_runs.options IS 'Arguments of the run (a JSON object)';
COMMENT ON COLUMN pipeline_runs.partial IS 'analyze_range: the records of the numbers done so far';
COMMENT ON COLUMN pipeline_runs.experiment_id IS 'Experiment the run belongs to, if any';
COMMENT ON COLUMN pipeline_runs.status IS 'running until complete, then done (see v_pipeline_progress.state for interrupted)';
COMMENT ON COLUMN pipeline_runs.backend_pid IS 'Backend that last worked on the run';
COMMENT ON COLUMN pipeline_runs.elapsed_ms IS 'Working time so far, in milliseconds';
COMMENT ON COLUMN pipeline_runs.started_at IS 'When the run started';
COMMENT ON COLUMN pipeline_runs.updated_at IS 'When the run last committed progress';
COMMENT ON COLUMN pipeline_runs.finished_at IS 'When the run completed';
COMMENT ON COLUMN pipeline_runs.started_by IS 'Role that started the run; only it (or an admin) may resume it';

CREATE INDEX pipeline_runs_unfinished_idx ON pipeline_runs (operation_type, start_range, end_range) WHERE status = 'running';
CREATE INDEX pipeline_runs_updated_at_idx ON pipeline_runs (updated_at);
CREATE INDEX pipeline_runs_experiment_id_idx ON pipeline_runs (experiment_id);

SELECT pg_catalog.pg_extension_config_dump('pipeline_runs', '');
SELECT pg_catalog.pg_extension_config_dump('pipeline_runs_id_seq', '');

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

-- Whether a progress line is due: collatz.progress_interval after the last one (always when
-- there was none).
CREATE FUNCTION collatz_internal.progress_due(last_notice timestamptz) RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT last_notice IS NULL
        OR collatz_internal.elapsed_ms(last_notice)
           >= extract(epoch FROM current_setting('collatz.progress_interval')::interval) * 1000
$$;
COMMENT ON FUNCTION collatz_internal.progress_due(timestamptz) IS
    'Whether collatz.progress_interval has passed since the last progress line';

-- The progress line of a long operation, in any unit.
CREATE FUNCTION collatz_internal.progress_line(operation text, unit text, done bigint, total bigint, detail text,
                                               ms double precision)
RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('%s: %s of %s %s (%s%%), %s, %s %s/s, about %s s left',
                  operation, done, total, unit, round(100.0 * done / greatest(total, 1), 1), detail,
                  CASE WHEN ms > 0 THEN round(done / (ms / 1000.0)) END, unit,
                  CASE WHEN done > 0 AND ms > 0 THEN round((total - done) * (ms / 1000.0) / done) END)
$$;
COMMENT ON FUNCTION collatz_internal.progress_line(text, text, bigint, bigint, text, double precision) IS
    'The progress line the long operations print: how far, how fast, how long still';

-- The step report of a run as it stands, with a progress line when one is due.
CREATE FUNCTION collatz_internal.step_report(run @extschema@.pipeline_runs, last_notice timestamptz)
RETURNS @extschema@.pipeline_step
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT run.id, run.status = 'done', done, total,
           CASE WHEN run.status = 'done' OR collatz_internal.progress_due(last_notice)
                THEN collatz_internal.progress_line(
                         CASE run.operation_type WHEN 'batch_insert' THEN 'sp_batch_insert_sequences'
                                                 ELSE 'sp_analyze_range' END,
                         'numbers', done, total, run.rows_done || ' rows', run.elapsed_ms) END,
           clock_timestamp()
    FROM (SELECT coalesce(run.next_number - run.start_range, run.end_range - run.start_range + 1) AS done,
                 run.end_range - run.start_range + 1 AS total) n
$$;
COMMENT ON FUNCTION collatz_internal.step_report(@extschema@.pipeline_runs, timestamptz) IS
    'How far a run is, as a pipeline_step, with its progress line when collatz.progress_interval has passed';

-- The runs' owner-only side. Each takes the calling role first: collatz_internal's
-- start_*_run and advance_run (src/definer.rs) pass it, after switching to the owner; no
-- other role may execute these.

-- Opens a batch insert run of role `caller`: the arguments are checked and kept in the run.
CREATE FUNCTION collatz_internal.open_batch_insert_run(caller_role oid, start_number bigint, end_number bigint,
                                                       with_steps boolean, on_conflict text, batch_size integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller CONSTANT text := 'sp_batch_insert_sequences';
    size bigint;
    existing bigint;
    run @extschema@.pipeline_runs;
BEGIN
    -- Rows are materialised, so the range is capped (at about 200 GB of rows).
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, 1000000000, caller);
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, caller);
    size := coalesce(batch_size, current_setting('collatz.batch_size')::bigint);
    IF size < 1 THEN
        RAISE EXCEPTION '%: batch_size must be at least 1, got %', caller, size
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Leave it NULL to use collatz.batch_size.';
    END IF;
    IF with_steps IS NULL THEN
        RAISE EXCEPTION '%: with_steps must not be NULL', caller
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true to store every term, false for the rows only.';
    END IF;
    IF on_conflict = 'error' THEN
        SELECT count(*) INTO existing FROM @extschema@.collatz_sequences
        WHERE number BETWEEN start_number AND end_number;
        IF existing > 0 THEN
            RAISE EXCEPTION '%: % numbers of [%, %] are already stored', caller, existing, start_number, end_number
                USING ERRCODE = 'unique_violation',
                      HINT = 'Nothing was written. Use on_conflict => ''skip'' to keep them or ''upsert'' to rewrite them.';
        END IF;
    END IF;
    PERFORM collatz_internal.collatz_reset_peak_memory();
    INSERT INTO @extschema@.pipeline_runs (operation_type, start_range, end_range, next_number, options,
                                           backend_pid, started_by)
    VALUES ('batch_insert', start_number, end_number, start_number,
            jsonb_build_object('with_steps', with_steps, 'on_conflict', on_conflict, 'batch_size', size),
            pg_backend_pid(), pg_get_userbyid(caller_role))
    RETURNING * INTO run;
    RETURN run.id;
END $$;
COMMENT ON FUNCTION collatz_internal.open_batch_insert_run(oid, bigint, bigint, boolean, text, integer) IS
    'Opens a batch insert run of a role, its arguments checked; returns its id (owner only: see batch_insert_run_start)';

-- Opens, or resumes, an analysis run of role `caller`: an unfinished run of the same range
-- and experiment that belongs to it (any role's, for an admin) and is not running is resumed.
CREATE FUNCTION collatz_internal.open_analysis_run(caller_role oid, start_number bigint, end_number bigint,
                                                   experiment_id bigint, segment_size bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller CONSTANT text := 'sp_analyze_range';
    run @extschema@.pipeline_runs;
    busy record;
BEGIN
    -- No limit on the range: nothing is materialised, and the run checkpoints every segment.
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, caller);
    PERFORM collatz_internal.check_experiment(experiment_id, caller);
    IF segment_size IS NULL OR segment_size < 1 THEN
        RAISE EXCEPTION '%: segment_size must be at least 1, got %', caller, coalesce(segment_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Numbers analysed between checkpoints; the default is 2^27.';
    END IF;
    PERFORM collatz_internal.collatz_reset_peak_memory();
    -- Locked rows are runs at work in other backends: skipped, and named if nothing else is left.
    SELECT * INTO run FROM @extschema@.pipeline_runs r
    WHERE r.operation_type = 'analyze_range' AND r.status = 'running'
      AND r.start_range = start_number AND r.end_range = end_number
      AND r.experiment_id IS NOT DISTINCT FROM open_analysis_run.experiment_id
      AND (r.started_by = pg_get_userbyid(caller_role) OR collatz_internal.is_admin(caller_role))
    ORDER BY r.id DESC LIMIT 1
    FOR NO KEY UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE @extschema@.pipeline_runs
        SET backend_pid = pg_backend_pid(), partial = coalesce(partial, '{}') || '{"resumed": true}'
        WHERE id = run.id;
        RETURN run.id;
    END IF;
    SELECT p.run_id, p.backend_pid INTO busy FROM @extschema@.v_pipeline_progress p
    WHERE p.state = 'running' AND p.operation_type = 'analyze_range'
      AND p.start_range = start_number AND p.end_range = end_number
      AND p.experiment_id IS NOT DISTINCT FROM open_analysis_run.experiment_id
      AND p.started_by = pg_get_userbyid(caller_role)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: [%, %] is being analysed by backend % (run %)', caller, start_number, end_number,
                busy.backend_pid, busy.run_id
            USING ERRCODE = 'lock_not_available', HINT = 'Wait for it, or cancel it with pg_cancel_backend.';
    END IF;
    INSERT INTO @extschema@.pipeline_runs (operation_type, start_range, end_range, next_number, options,
                                           experiment_id, backend_pid, started_by)
    VALUES ('analyze_range', start_number, end_number, start_number,
            jsonb_build_object('segment_size', segment_size), experiment_id, pg_backend_pid(),
            pg_get_userbyid(caller_role))
    RETURNING * INTO run;
    RETURN run.id;
END $$;
COMMENT ON FUNCTION collatz_internal.open_analysis_run(oid, bigint, bigint, bigint, bigint) IS
    'Opens or resumes an analysis run of a role; returns its id (owner only: see analysis_run_start)';

-- One step of a run of role `caller`, in the caller's transaction: the next batch of a batch
-- insert or the next segment of an analysis, and at the end what the run stores. The run's
-- row stays locked until the caller commits, which is what shows the run as running.
CREATE FUNCTION collatz_internal.run_step(caller_role oid, run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run @extschema@.pipeline_runs;
    started timestamptz := clock_timestamp();
    lo bigint;
    hi bigint;
    next_lo bigint;
    size bigint;
    written bigint;
    s record;
    best jsonb;
BEGIN
    IF run_id IS NULL THEN
        RAISE EXCEPTION 'pipeline_run_step: run_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass the run_id of a pipeline_step or of v_pipeline_progress.';
    END IF;
    -- Whose run it is, before locking it: a role that may not advance a run must not hold
    -- its lock even for a moment (the run's own next step would then fail).
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = run_step.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline_run_step: no run %', run_step.run_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'v_pipeline_progress lists the runs.';
    END IF;
    IF run.started_by <> pg_get_userbyid(caller_role) AND NOT collatz_internal.is_admin(caller_role) THEN
        RAISE EXCEPTION 'pipeline_run_step: run % belongs to %', run.id, run.started_by
            USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that started a run, or an admin, may advance it.';
    END IF;
    -- Locked in this (top-level) transaction, never in a subtransaction: v_pipeline_progress
    -- finds the run's backend by the lock a transaction holds on its own id, and a
    -- subtransaction's lock goes when it ends (a BEGIN ... EXCEPTION block around this made
    -- running runs show as interrupted). The row exists, so a skipped row is a locked one.
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = run_step.run_id
    FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline_run_step: run % is being worked on by another backend', run_step.run_id
            USING ERRCODE = 'lock_not_available', HINT = 'Wait for it, or cancel it with pg_cancel_backend.';
    END IF;
    IF run.status = 'done' THEN
        RETURN run.id;
    END IF;

    lo := run.next_number;
    size := coalesce((run.options ->> CASE run.operation_type WHEN 'batch_insert' THEN 'batch_size'
                                                              ELSE 'segment_size' END)::bigint, 1);
    -- Near the end of bigint lo + size and hi + 1 do not exist. IF, not CASE: the planner
    -- folds every branch of a CASE whose inputs it knows, the one not taken included, and
    -- the overflow is raised all the same.
    IF run.end_range - lo < size THEN
        hi := run.end_range;
    ELSE
        hi := lo + (size - 1);
    END IF;
    IF hi = run.end_range THEN
        next_lo := NULL;
    ELSE
        next_lo := hi + 1;
    END IF;

    IF run.operation_type = 'batch_insert' THEN
        written := collatz_internal.insert_sequences('range', lo, hi, NULL, run.options ->> 'on_conflict');
        IF (run.options ->> 'with_steps')::boolean THEN
            PERFORM collatz_internal.store_steps(lo, hi);
        END IF;
    ELSE
        -- Judged against the whole run, so that a number whose double (or a smaller number
        -- it is dominated by) lies in another segment is not walked; a segment may then
        -- offer no candidate for a record (NULL).
        SELECT * INTO s FROM collatz_internal.collatz_analyze_segment(lo, hi, run.start_range, run.end_range);
        written := s.numbers_analyzed;
        best := coalesce(run.partial, '{}');
        -- Merge in range order: a later segment takes a record only by beating it.
        IF s.longest_sequence IS NOT NULL AND ((best ->> 'longest_sequence_length') IS NULL
           OR s.longest_sequence_length > (best ->> 'longest_sequence_length')::bigint) THEN
            best := best || jsonb_build_object('longest_sequence', s.longest_sequence,
                                               'longest_sequence_length', s.longest_sequence_length);
        END IF;
        IF s.highest_peak IS NOT NULL AND ((best ->> 'highest_peak_value') IS NULL
           OR s.highest_peak_value > (best ->> 'highest_peak_value')::numeric) THEN
            best := best || jsonb_build_object('highest_peak', s.highest_peak, 'highest_peak_value', s.highest_peak_value);
        END IF;
        best := best || jsonb_build_object('memo_bytes', greatest(coalesce((best ->> 'memo_bytes')::bigint, 0), s.memory_bytes));
    END IF;

    UPDATE @extschema@.pipeline_runs r
    SET next_number = next_lo,
        rows_done = r.rows_done + written, partial = coalesce(best, r.partial), backend_pid = pg_backend_pid(),
        updated_at = clock_timestamp(), elapsed_ms = r.elapsed_ms + collatz_internal.elapsed_ms(started),
        status = CASE WHEN next_lo IS NULL THEN 'done' ELSE 'running' END,
        finished_at = CASE WHEN next_lo IS NULL THEN clock_timestamp() END
    WHERE r.id = run.id
    RETURNING * INTO run;

    IF run.status = 'done' AND run.operation_type = 'batch_insert' THEN
        PERFORM collatz_internal.compact_totals();
        PERFORM collatz_internal.record_metric('batch_insert', run.elapsed_ms, run.rows_done,
            jsonb_build_object('start_range', run.start_range, 'end_range', run.end_range, 'run_id', run.id)
            || run.options);
    ELSIF run.status = 'done' THEN
        PERFORM collatz_internal.record_analysis(run.start_range, run.end_range, run.rows_done,
            (run.partial ->> 'longest_sequence')::bigint, (run.partial ->> 'longest_sequence_length')::bigint,
            (run.partial ->> 'highest_peak')::bigint, (run.partial ->> 'highest_peak_value')::numeric,
            run.elapsed_ms, run.experiment_id,
            jsonb_build_object('form', 'procedure', 'run_id', run.id, 'memo_bytes', (run.partial ->> 'memo_bytes')::bigint,
                               'resumed', coalesce((run.partial ->> 'resumed')::boolean, false))
            || run.options);
    END IF;
    RETURN run.id;
END $$;
COMMENT ON FUNCTION collatz_internal.run_step(oid, bigint) IS
    'Advances a run of a role by one step, storing the result when the run completes; returns its id (owner only: see pipeline_run_step)';

-- The API of runs: invoker functions that ask collatz_internal's start_*_run and
-- advance_run (which know the calling role) to do the work, and report where the run is.

CREATE FUNCTION batch_insert_run_start(start_number bigint, end_number bigint, with_steps boolean DEFAULT false,
                                       on_conflict text DEFAULT 'skip', batch_size integer DEFAULT NULL)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- Called once, into a variable: in a WHERE clause a volatile function runs once a row.
    run_number CONSTANT bigint := collatz_internal.start_batch_insert_run(start_number, end_number, with_steps,
                                                                  on_conflict, batch_size);
    run @extschema@.pipeline_runs;
BEGIN
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = run_number;
    RETURN collatz_internal.step_report(run, clock_timestamp());
END $$;
COMMENT ON FUNCTION batch_insert_run_start(bigint, bigint, boolean, text, integer) IS
    'Starts a batch insert run (the first half of sp_batch_insert_sequences): checks the arguments and records the run; advance it with pipeline_run_step or CALL sp_continue_run';

CREATE FUNCTION analysis_run_start(start_number bigint, end_number bigint, experiment_id bigint DEFAULT NULL,
                                   segment_size bigint DEFAULT 134217728)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run_number CONSTANT bigint := collatz_internal.start_analysis_run(start_number, end_number,
                                                              analysis_run_start.experiment_id, segment_size);
    run @extschema@.pipeline_runs;
    report @extschema@.pipeline_step;
BEGIN
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = run_number;
    -- A run started in this transaction has now() as started_at; an older one is resumed.
    IF run.started_at < now() THEN
        report := collatz_internal.step_report(run, NULL);
        report.notice := format('sp_analyze_range: resuming run %s at %s (%s of %s numbers done)', run.id,
                                run.next_number, report.numbers_done, report.numbers_total);
        RETURN report;
    END IF;
    RETURN collatz_internal.step_report(run, clock_timestamp());
END $$;
COMMENT ON FUNCTION analysis_run_start(bigint, bigint, bigint, bigint) IS
    'Starts an analysis run (the first half of sp_analyze_range), or resumes an interrupted one of the same range and experiment; advance it with pipeline_run_step or CALL sp_continue_run';

CREATE FUNCTION pipeline_run_step(run_id bigint, last_notice timestamptz DEFAULT NULL)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run_number CONSTANT bigint := collatz_internal.advance_run(pipeline_run_step.run_id);
    run @extschema@.pipeline_runs;
BEGIN
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = run_number;
    RETURN collatz_internal.step_report(run, last_notice);
END $$;
COMMENT ON FUNCTION pipeline_run_step(bigint, timestamptz) IS
    'Advances a run by one batch (batch insert) or segment (analysis) in the caller''s transaction, storing the result when the run completes; only the role that started it, or an admin, may advance it';

-- Advances a run to its end, committing after every step: the loop of both sp_* procedures,
-- and the way to resume any interrupted run by id. No SET clause (it COMMITs): every name,
-- type and operator is qualified, and the work happens in pipeline_run_step.
CREATE PROCEDURE sp_continue_run(run_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    step @extschema@.pipeline_step;
    last_notice pg_catalog.timestamptz := pg_catalog.clock_timestamp();
BEGIN
    LOOP
        step := @extschema@.pipeline_run_step(run_id, last_notice);
        COMMIT;
        IF step.notice IS NOT NULL THEN
            RAISE NOTICE '%', step.notice;
            last_notice := step.noticed_at;
        END IF;
        EXIT WHEN step.done;
    END LOOP;
END $$;
COMMENT ON PROCEDURE sp_continue_run(bigint) IS
    'Advances a pipeline run to its end, committing every step; resumes any interrupted run of the caller''s (an admin: anyone''s) by its run_id';

CREATE PROCEDURE sp_batch_insert_sequences(start_number bigint, end_number bigint,
                                           with_steps boolean DEFAULT false,
                                           on_conflict text DEFAULT 'skip',
                                           batch_size integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    step @extschema@.pipeline_step;
BEGIN
    step := @extschema@.batch_insert_run_start(start_number, end_number, with_steps, on_conflict, batch_size);
    COMMIT;
    CALL @extschema@.sp_continue_run(step.run_id);
END $$;
COMMENT ON PROCEDURE sp_batch_insert_sequences(bigint, bigint, boolean, text, integer) IS
    'Stores the computed rows of [start_number, end_number] (and their steps if asked), committing every batch_size numbers; on_conflict: skip, upsert or error. Progress in v_pipeline_progress.';

CREATE PROCEDURE sp_analyze_range(start_number bigint, end_number bigint,
                                  experiment_id bigint DEFAULT NULL,
                                  segment_size bigint DEFAULT 134217728)
LANGUAGE plpgsql AS $$
DECLARE
    step @extschema@.pipeline_step;
BEGIN
    step := @extschema@.analysis_run_start(start_number, end_number, experiment_id, segment_size);
    IF step.notice IS NOT NULL THEN
        RAISE NOTICE '%', step.notice;
    END IF;
    COMMIT;
    CALL @extschema@.sp_continue_run(step.run_id);
END $$;
COMMENT ON PROCEDURE sp_analyze_range(bigint, bigint, bigint, bigint) IS
    'Analyses [start_number, end_number] in parallel without stored rows, checkpointing every segment_size numbers; an interrupted run of the same range resumes. Stores analysis_results and performance_metrics.';
