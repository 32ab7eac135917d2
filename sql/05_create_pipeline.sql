-- The in-database pipeline: batch insert, range analysis, cleanup, the repository and
-- experiments API, progress and health.
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

------------------------------------------------------------------------------------------
-- Helpers (collatz_internal): called only by the extension's SECURITY DEFINER functions
------------------------------------------------------------------------------------------

-- The role a run belongs to: the caller outside every SECURITY DEFINER function.
CREATE FUNCTION collatz_internal.invoking_role_name() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_get_userbyid(collatz_internal.invoking_role())
$$;
COMMENT ON FUNCTION collatz_internal.invoking_role_name() IS
    'Name of the role that called into the extension (outside every SECURITY DEFINER function)';

-- An admin of collatz_ext (collatz_grant(role, 'admin'), or a superuser) may resume any run.
CREATE FUNCTION collatz_internal.invoker_is_admin() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.has_table_privilege(collatz_internal.invoking_role(), '@extschema@.pipeline_runs', 'DELETE')
$$;
COMMENT ON FUNCTION collatz_internal.invoker_is_admin() IS
    'Whether the calling role holds the admin level (DELETE on pipeline_runs), which may resume any role''s run';

-- Records one operation in performance_metrics. execution_time in ms; memory from the
-- backend's peak resident size since collatz_reset_peak_memory() at the operation's start.
CREATE FUNCTION collatz_internal.record_metric(operation_type text, execution_time double precision,
                                               rows_processed bigint, context jsonb DEFAULT '{}')
RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO @extschema@.performance_metrics (operation_type, execution_time, rows_processed, memory_usage, context)
    VALUES (operation_type, execution_time, rows_processed, collatz_internal.collatz_peak_memory(),
            context || jsonb_build_object('threads', current_setting('collatz.threads'),
                                          'memo_mb', current_setting('collatz.memo_mb'),
                                          'role', collatz_internal.invoking_role_name()));
$$;
COMMENT ON FUNCTION collatz_internal.record_metric(text, double precision, bigint, jsonb) IS
    'Adds a performance_metrics row for an operation, with the backend''s peak memory, the settings and the calling role';

CREATE FUNCTION collatz_internal.elapsed_ms(since timestamptz) RETURNS double precision
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT extract(epoch FROM clock_timestamp() - since) * 1000
$$;
COMMENT ON FUNCTION collatz_internal.elapsed_ms(timestamptz) IS 'Milliseconds of wall-clock time since a moment';

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

CREATE FUNCTION collatz_internal.check_conflict_strategy(on_conflict text, caller text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF on_conflict IS NULL OR on_conflict NOT IN ('skip', 'upsert', 'error') THEN
        RAISE EXCEPTION '%: unknown conflict strategy %', caller, coalesce(quote_literal(on_conflict), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use skip (keep stored rows), upsert (rewrite them) or error (refuse).';
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.check_conflict_strategy(text, text) IS 'Refuses anything but skip, upsert and error';

CREATE FUNCTION collatz_internal.check_experiment(experiment bigint, caller text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF experiment IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.experiments WHERE id = experiment) THEN
        RAISE EXCEPTION '%: experiment % does not exist', caller, experiment
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it with create_experiment(name, ...) first.';
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.check_experiment(bigint, text) IS 'Refuses an experiment id that does not exist';

------------------------------------------------------------------------------------------
-- Storing sequences
------------------------------------------------------------------------------------------

-- Inserts the computed rows of the numbers in [first_number, last_number] (all of them, or
-- only those in `numbers`) into collatz_sequences in ascending number order: sessions loading
-- overlapping ranges then wait for each other in one direction only and cannot deadlock.
-- Every value is computed here; nothing the caller says about a number is stored. Shared by
-- the batch insert, the repository and the import.
CREATE FUNCTION collatz_internal.insert_sequences(first_number bigint, last_number bigint, numbers bigint[],
                                                  on_conflict text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inserted bigint;
    -- Built from constants only: the source is chosen by whether numbers is given.
    plain CONSTANT text := 'INSERT INTO @extschema@.collatz_sequences (number, sequence_length, steps_to_one, max_value) '
        || CASE WHEN numbers IS NULL
                -- collatz_range yields ascending numbers and a plain function scan keeps that order.
                THEN 'SELECT number, sequence_length, steps_to_one, max_value FROM @extschema@.collatz_range($1, $2)'
                ELSE 'SELECT u.n, st.sequence_length, st.steps_to_one, st.max_value
                      FROM (SELECT DISTINCT n FROM unnest($3) AS n WHERE n BETWEEN $1 AND $2) u
                      CROSS JOIN LATERAL @extschema@.collatz_stats(u.n) st ORDER BY u.n' END || ' ';
    clause CONSTANT text := CASE on_conflict
        WHEN 'skip' THEN 'ON CONFLICT (number) DO NOTHING'
        WHEN 'upsert' THEN 'ON CONFLICT (number) DO UPDATE SET sequence_length = EXCLUDED.sequence_length,
                            steps_to_one = EXCLUDED.steps_to_one, max_value = EXCLUDED.max_value, created_at = now()'
        ELSE '' END;
BEGIN
    -- A batch with nothing stored in its range goes in as a plain INSERT: ON CONFLICT's
    -- speculative insertion costs 21% (10^6 rows: 7.5 s against 6.2 s). If a concurrent
    -- session stores some of these numbers meanwhile, the batch is redone with the clause.
    IF on_conflict <> 'error' AND NOT EXISTS (SELECT 1 FROM @extschema@.collatz_sequences
                                              WHERE number BETWEEN first_number AND last_number) THEN
        BEGIN
            EXECUTE plain USING first_number, last_number, numbers;
        EXCEPTION WHEN unique_violation THEN
            EXECUTE plain || clause USING first_number, last_number, numbers;
        END;
    ELSE
        EXECUTE plain || clause USING first_number, last_number, numbers;
    END IF;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END $$;
COMMENT ON FUNCTION collatz_internal.insert_sequences(bigint, bigint, bigint[], text) IS
    'Inserts the computed rows of [first_number, last_number] (or of the given numbers in it) into collatz_sequences with a conflict strategy; returns rows written';

-- Stores the computed steps of the stored sequences in [first_number, last_number] (all, or
-- only `numbers`, each with its first step_counts[i] terms when counts are given) that have
-- none yet; with merge, also the missing ones of sequences that have some (a stored prefix
-- grows; stored terms are true, so merging changes no value).
CREATE FUNCTION collatz_internal.store_steps(first_number bigint, last_number bigint, numbers bigint[] DEFAULT NULL,
                                             step_counts integer[] DEFAULT NULL, merge boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored bigint;
BEGIN
    INSERT INTO @extschema@.sequence_steps (sequence_id, step_number, value, operation_type)
    SELECT s.id, q.step_number, q.value, q.operation_type
    FROM @extschema@.collatz_sequences s
    LEFT JOIN unnest(numbers, step_counts) AS w(n, k) ON w.n = s.number
    CROSS JOIN LATERAL @extschema@.collatz_sequence(s.number) q
    WHERE s.number BETWEEN first_number AND last_number
      AND (numbers IS NULL OR w.n IS NOT NULL)
      AND (w.k IS NULL OR q.step_number < w.k)
      AND (merge OR NOT EXISTS (SELECT 1 FROM @extschema@.sequence_steps st WHERE st.sequence_id = s.id))
    ORDER BY s.id, q.step_number
    ON CONFLICT (sequence_id, step_number) DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END $$;
COMMENT ON FUNCTION collatz_internal.store_steps(bigint, bigint, bigint[], integer[], boolean) IS
    'Stores the computed terms of stored sequences of a number range (optionally only some numbers, and only their first terms) that have none yet, or merges them in';

------------------------------------------------------------------------------------------
-- Runs: batch insert and range analysis, a step per transaction
------------------------------------------------------------------------------------------

-- Stores a finished analysis, its metric, and (under an experiment) the experiment's results.
CREATE FUNCTION collatz_internal.record_analysis(start_number bigint, end_number bigint, numbers bigint,
                                                 longest bigint, longest_length bigint, highest bigint,
                                                 highest_value numeric, duration double precision,
                                                 experiment bigint, context jsonb)
RETURNS @extschema@.analysis_results
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored @extschema@.analysis_results;
BEGIN
    INSERT INTO @extschema@.analysis_results (start_range, end_range, longest_sequence, longest_sequence_length,
                                              highest_peak, highest_peak_value, numbers_analyzed, duration_ms,
                                              experiment_id)
    VALUES (start_number, end_number, longest, longest_length, highest, highest_value, numbers, duration, experiment)
    RETURNING * INTO stored;
    IF experiment IS NOT NULL THEN
        UPDATE @extschema@.experiments
        SET results = coalesce(results, '{}') || jsonb_build_object('last_analysis', jsonb_build_object(
                          'analysis_id', stored.id, 'start_range', start_number, 'end_range', end_number,
                          'numbers_analyzed', numbers, 'duration_ms', duration,
                          'longest_sequence', jsonb_build_object('number', longest, 'sequence_length', longest_length),
                          'highest_peak', jsonb_build_object('number', highest, 'max_value', highest_value)))
        WHERE id = experiment;
    END IF;
    PERFORM collatz_internal.record_metric('analyze_range', duration, numbers,
        context || jsonb_build_object('start_range', start_number, 'end_range', end_number,
                                      'analysis_id', stored.id, 'experiment_id', experiment));
    RETURN stored;
END $$;
COMMENT ON FUNCTION collatz_internal.record_analysis(bigint, bigint, bigint, bigint, bigint, bigint, numeric, double precision, bigint, jsonb) IS
    'Stores a finished analysis in analysis_results, its metric, and its summary in the experiment''s results';

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

-- Starts a batch insert run: the arguments are checked and kept in the run.
CREATE FUNCTION batch_insert_run_start(start_number bigint, end_number bigint, with_steps boolean DEFAULT false,
                                       on_conflict text DEFAULT 'skip', batch_size integer DEFAULT NULL)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
            pg_backend_pid(), collatz_internal.invoking_role_name())
    RETURNING * INTO run;
    RETURN collatz_internal.step_report(run, clock_timestamp());
END $$;
COMMENT ON FUNCTION batch_insert_run_start(bigint, bigint, boolean, text, integer) IS
    'Starts a batch insert run (the first half of sp_batch_insert_sequences): checks the arguments and records the run; advance it with pipeline_run_step or CALL sp_continue_run';

-- Starts, or resumes, an analysis run: an unfinished run of the same range and experiment
-- that belongs to the caller (any role's, for an admin) and is not running is resumed.
CREATE FUNCTION analysis_run_start(start_number bigint, end_number bigint, experiment_id bigint DEFAULT NULL,
                                   segment_size bigint DEFAULT 134217728)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller CONSTANT text := 'sp_analyze_range';
    run @extschema@.pipeline_runs;
    busy record;
    report @extschema@.pipeline_step;
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
      AND r.experiment_id IS NOT DISTINCT FROM analysis_run_start.experiment_id
      AND (r.started_by = collatz_internal.invoking_role_name() OR collatz_internal.invoker_is_admin())
    ORDER BY r.id DESC LIMIT 1
    FOR NO KEY UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE @extschema@.pipeline_runs
        SET backend_pid = pg_backend_pid(), partial = coalesce(partial, '{}') || '{"resumed": true}'
        WHERE id = run.id RETURNING * INTO run;
        report := collatz_internal.step_report(run, NULL);
        report.notice := format('%s: resuming run %s at %s (%s of %s numbers done)', caller, run.id,
                                run.next_number, report.numbers_done, report.numbers_total);
        RETURN report;
    END IF;
    SELECT p.run_id, p.backend_pid INTO busy FROM @extschema@.v_pipeline_progress p
    WHERE p.state = 'running' AND p.operation_type = 'analyze_range'
      AND p.start_range = start_number AND p.end_range = end_number
      AND p.experiment_id IS NOT DISTINCT FROM analysis_run_start.experiment_id
      AND p.started_by = collatz_internal.invoking_role_name()
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
            collatz_internal.invoking_role_name())
    RETURNING * INTO run;
    RETURN collatz_internal.step_report(run, clock_timestamp());
END $$;
COMMENT ON FUNCTION analysis_run_start(bigint, bigint, bigint, bigint) IS
    'Starts an analysis run (the first half of sp_analyze_range), or resumes an interrupted one of the same range and experiment; advance it with pipeline_run_step or CALL sp_continue_run';

-- One step of a run, in the caller's transaction: the next batch of a batch insert or the
-- next segment of an analysis, and at the end what the run stores. The run's row stays
-- locked until the caller commits, which is what shows the run as running.
CREATE FUNCTION pipeline_run_step(run_id bigint, last_notice timestamptz DEFAULT NULL)
RETURNS pipeline_step
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    run @extschema@.pipeline_runs;
    started timestamptz := clock_timestamp();
    lo bigint;
    hi bigint;
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
    SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = pipeline_run_step.run_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pipeline_run_step: no run %', pipeline_run_step.run_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'v_pipeline_progress lists the runs.';
    END IF;
    IF run.started_by <> collatz_internal.invoking_role_name() AND NOT collatz_internal.invoker_is_admin() THEN
        RAISE EXCEPTION 'pipeline_run_step: run % belongs to %', run.id, run.started_by
            USING ERRCODE = 'insufficient_privilege', HINT = 'Only the role that started a run, or an admin, may advance it.';
    END IF;
    BEGIN
        SELECT * INTO run FROM @extschema@.pipeline_runs r WHERE r.id = pipeline_run_step.run_id
        FOR NO KEY UPDATE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'pipeline_run_step: run % is being worked on by another backend', pipeline_run_step.run_id
            USING ERRCODE = 'lock_not_available', HINT = 'Wait for it, or cancel it with pg_cancel_backend.';
    END;
    IF run.status = 'done' THEN
        RETURN collatz_internal.step_report(run, last_notice);
    END IF;

    lo := run.next_number;
    size := coalesce((run.options ->> CASE run.operation_type WHEN 'batch_insert' THEN 'batch_size'
                                                              ELSE 'segment_size' END)::bigint, 1);
    -- Without lo + size, which may pass 2^63 - 1 near the end of bigint.
    hi := CASE WHEN run.end_range - lo < size THEN run.end_range ELSE lo + (size - 1) END;

    IF run.operation_type = 'batch_insert' THEN
        written := collatz_internal.insert_sequences(lo, hi, NULL, run.options ->> 'on_conflict');
        IF (run.options ->> 'with_steps')::boolean THEN
            PERFORM collatz_internal.store_steps(lo, hi);
        END IF;
    ELSE
        SELECT * INTO s FROM @extschema@.collatz_analyze(lo, hi);
        written := s.numbers_analyzed;
        best := run.partial;
        -- Merge in range order: a later segment takes a record only by beating it.
        IF (best ->> 'longest_sequence_length') IS NULL
           OR s.longest_sequence_length > (best ->> 'longest_sequence_length')::bigint THEN
            best := coalesce(best, '{}') || jsonb_build_object('longest_sequence', s.longest_sequence,
                                                               'longest_sequence_length', s.longest_sequence_length);
        END IF;
        IF best ? 'highest_peak' IS NOT TRUE OR s.highest_peak_value > (best ->> 'highest_peak_value')::numeric THEN
            best := best || jsonb_build_object('highest_peak', s.highest_peak, 'highest_peak_value', s.highest_peak_value);
        END IF;
        best := best || jsonb_build_object('memo_bytes', greatest(coalesce((best ->> 'memo_bytes')::bigint, 0), s.memory_bytes));
    END IF;

    UPDATE @extschema@.pipeline_runs r
    SET next_number = CASE WHEN hi = r.end_range THEN NULL ELSE hi + 1 END,
        rows_done = r.rows_done + written, partial = coalesce(best, r.partial), backend_pid = pg_backend_pid(),
        updated_at = clock_timestamp(), elapsed_ms = r.elapsed_ms + collatz_internal.elapsed_ms(started),
        status = CASE WHEN hi = r.end_range THEN 'done' ELSE 'running' END,
        finished_at = CASE WHEN hi = r.end_range THEN clock_timestamp() END
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

-- The function form: one transaction, usable inside a caller's transaction block.
CREATE FUNCTION analyze_range(start_number bigint, end_number bigint, experiment_id bigint DEFAULT NULL)
RETURNS SETOF analysis_results
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    s record;
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, 1000000000000, 'analyze_range');
    PERFORM collatz_internal.check_experiment(experiment_id, 'analyze_range');
    PERFORM collatz_internal.collatz_reset_peak_memory();
    SELECT * INTO s FROM @extschema@.collatz_analyze(start_number, end_number);
    RETURN NEXT collatz_internal.record_analysis(start_number, end_number, s.numbers_analyzed,
        s.longest_sequence, s.longest_sequence_length, s.highest_peak, s.highest_peak_value,
        collatz_internal.elapsed_ms(started), experiment_id,
        jsonb_build_object('form', 'function', 'memo_bytes', s.memory_bytes));
END $$;
COMMENT ON FUNCTION analyze_range(bigint, bigint, bigint) IS
    'Analyses [start_number, end_number] in one transaction (works inside BEGIN ... COMMIT) and stores the result; returns the analysis_results row';

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

------------------------------------------------------------------------------------------
-- Repository
------------------------------------------------------------------------------------------

-- The repository writes through SECURITY DEFINER functions that compute every value from
-- the numbers given, so that each write records its metric; the write level may call them.
CREATE FUNCTION save_sequence(n bigint, with_steps boolean DEFAULT false)
RETURNS collatz_sequences
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored @extschema@.collatz_sequences;
BEGIN
    PERFORM collatz_internal.collatz_check_range(n, n, 1, 'save_sequence');
    PERFORM collatz_internal.insert_sequences(n, n, ARRAY[n], 'skip');
    IF with_steps THEN
        PERFORM collatz_internal.store_steps(n, n);
    END IF;
    SELECT * INTO stored FROM @extschema@.collatz_sequences WHERE number = n;
    RETURN stored;
END $$;
COMMENT ON FUNCTION save_sequence(bigint, boolean) IS
    'Stores n (and its steps if asked) unless stored already; returns the stored row';

CREATE FUNCTION get_sequence(n bigint, cache boolean DEFAULT false)
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, stored boolean)
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF cache AND NOT has_function_privilege('@extschema@.save_sequence(bigint, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'get_sequence: cache => true stores the sequence, which needs the write level'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Call get_sequence(n) without cache, or ask for collatz_grant(role, ''write'').';
    END IF;
    RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                 FROM @extschema@.collatz_sequences s WHERE s.number = n;
    IF NOT FOUND THEN
        IF cache THEN
            RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                         FROM @extschema@.save_sequence(n) s;
        ELSE
            PERFORM collatz_internal.collatz_check_range(n, n, 1, 'get_sequence');
            RETURN QUERY SELECT n, @extschema@.collatz_length(n), @extschema@.collatz_steps(n),
                                @extschema@.collatz_peak(n), NULL::timestamptz, false;
        END IF;
    END IF;
END $$;
COMMENT ON FUNCTION get_sequence(bigint, boolean) IS
    'The stored row of n, or (stored = false) its computed values; with cache => true a missing n is stored first';

CREATE FUNCTION batch_save_sequences(numbers bigint[], with_steps boolean DEFAULT false,
                                     on_conflict text DEFAULT 'skip')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written bigint;
    bad bigint;
    lo bigint;
    hi bigint;
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, 'batch_save_sequences');
    IF numbers IS NULL OR with_steps IS NULL THEN
        RAISE EXCEPTION 'batch_save_sequences: numbers and with_steps must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass an array of numbers (it may be empty) and true or false.';
    END IF;
    SELECT n INTO bad FROM unnest(numbers) AS n WHERE n IS NULL OR n < 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'batch_save_sequences: every number must be a positive integer, got %', coalesce(bad::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Nothing was written.';
    END IF;
    IF on_conflict = 'error' THEN
        SELECT count(*) INTO bad FROM @extschema@.collatz_sequences WHERE number IN (SELECT unnest(numbers));
        IF bad > 0 THEN
            RAISE EXCEPTION 'batch_save_sequences: % of the numbers are already stored', bad
                USING ERRCODE = 'unique_violation',
                      HINT = 'Nothing was written. Use on_conflict => ''skip'' to keep them or ''upsert'' to rewrite them.';
        END IF;
    END IF;
    SELECT min(n), max(n) INTO lo, hi FROM unnest(numbers) AS n;
    written := 0;
    IF lo IS NOT NULL THEN
        written := collatz_internal.insert_sequences(lo, hi, numbers, on_conflict);
        IF with_steps THEN
            PERFORM collatz_internal.store_steps(lo, hi, numbers);
        END IF;
    END IF;
    PERFORM collatz_internal.record_metric('batch_save', collatz_internal.elapsed_ms(started), written,
        jsonb_build_object('numbers', cardinality(numbers), 'with_steps', with_steps, 'on_conflict', on_conflict));
    RETURN written;
END $$;
COMMENT ON FUNCTION batch_save_sequences(bigint[], boolean, text) IS
    'Stores the given numbers (and their steps if asked) in one statement with a conflict strategy; returns rows written';

-- Keyset pagination: pass the last number of a page as after_number to get the next one.
CREATE FUNCTION find_sequences_in_range(start_number bigint, end_number bigint,
                                        page_size integer DEFAULT 100, after_number bigint DEFAULT NULL,
                                        min_length bigint DEFAULT NULL, max_length bigint DEFAULT NULL)
RETURNS SETOF collatz_sequences
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, 'find_sequences_in_range');
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'find_sequences_in_range: page_size must be between 1 and 100000, got %',
                coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Fetch large ranges page by page with after_number.';
    END IF;
    RETURN QUERY
        SELECT * FROM @extschema@.collatz_sequences s
        WHERE s.number BETWEEN start_number AND end_number
          AND (after_number IS NULL OR s.number > after_number)
          AND (min_length IS NULL OR s.sequence_length >= min_length)
          AND (max_length IS NULL OR s.sequence_length <= max_length)
        ORDER BY s.number
        LIMIT page_size;
END $$;
COMMENT ON FUNCTION find_sequences_in_range(bigint, bigint, integer, bigint, bigint, bigint) IS
    'Stored sequences of a number range in number order, a page at a time (keyset: after_number = last number seen), optionally by length';

------------------------------------------------------------------------------------------
-- Experiments
------------------------------------------------------------------------------------------

CREATE FUNCTION create_experiment(name text, description text DEFAULT NULL, parameters jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO @extschema@.experiments (name, description, parameters)
    VALUES (name, description, coalesce(parameters, '{}'))
    RETURNING id;
$$;
COMMENT ON FUNCTION create_experiment(text, text, jsonb) IS 'Creates an experiment; returns its id';

CREATE FUNCTION record_experiment_results(experiment_id bigint, results jsonb)
RETURNS experiments
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    updated @extschema@.experiments;
BEGIN
    IF experiment_id IS NULL OR results IS NULL THEN
        RAISE EXCEPTION 'record_experiment_results: experiment_id and results must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a JSON object of results; its keys replace the stored ones, and ''{}'' changes nothing.';
    END IF;
    IF jsonb_typeof(results) <> 'object' THEN
        RAISE EXCEPTION 'record_experiment_results: results must be a JSON object, got %', jsonb_typeof(results)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Wrap the value in an object: {"key": ...}.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.experiments e WHERE e.id = record_experiment_results.experiment_id) THEN
        RAISE EXCEPTION 'record_experiment_results: experiment % does not exist', experiment_id
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it with create_experiment(name, ...) first.';
    END IF;
    UPDATE @extschema@.experiments e
    SET results = coalesce(e.results, '{}') || record_experiment_results.results
    WHERE e.id = record_experiment_results.experiment_id RETURNING * INTO updated;
    RETURN updated;
END $$;
COMMENT ON FUNCTION record_experiment_results(bigint, jsonb) IS
    'Merges a JSON object into an experiment''s results (keys given replace keys stored)';

CREATE VIEW v_experiments AS
SELECT e.id AS experiment_id, e.name, e.description, e.parameters, e.results, e.created_at,
       count(a.id) AS analyses, max(a.analysis_date) AS last_analysis_at,
       sum(a.numbers_analyzed) AS numbers_analyzed
FROM experiments e
LEFT JOIN analysis_results a ON a.experiment_id = e.id
GROUP BY e.id;

COMMENT ON VIEW v_experiments IS 'Experiments with their analyses';
COMMENT ON COLUMN v_experiments.experiment_id IS 'experiments.id';
COMMENT ON COLUMN v_experiments.name IS 'Experiment name';
COMMENT ON COLUMN v_experiments.description IS 'Free text';
COMMENT ON COLUMN v_experiments.parameters IS 'Parameters (JSON object)';
COMMENT ON COLUMN v_experiments.results IS 'Results (JSON object); last_analysis is filled by analyses run under it';
COMMENT ON COLUMN v_experiments.created_at IS 'When the experiment was created';
COMMENT ON COLUMN v_experiments.analyses IS 'Analyses run under it';
COMMENT ON COLUMN v_experiments.last_analysis_at IS 'When the latest of them finished';
COMMENT ON COLUMN v_experiments.numbers_analyzed IS 'Numbers analysed under it in all';

------------------------------------------------------------------------------------------
-- Retention
------------------------------------------------------------------------------------------

-- What a cleanup removes, per table: rows older than the cutoff (by each table's own time
-- column), and beyond the keep_last newest. Sequences take their steps with them (ON DELETE
-- CASCADE); analyses lose their experiment link only when experiments go, which is never here.
CREATE FUNCTION cleanup_old_data(older_than interval DEFAULT NULL, keep_last integer DEFAULT NULL,
                                 targets text[] DEFAULT ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs'],
                                 dry_run boolean DEFAULT true)
RETURNS TABLE (table_name text, rows_matched bigint, steps_matched bigint, deleted boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cutoff timestamptz;
    target text;
    time_column text;
    ids bigint[];
    matched bigint;
    steps bigint;
    started timestamptz := clock_timestamp();
    total bigint := 0;
BEGIN
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs read below
    IF dry_run IS NULL OR targets IS NULL THEN
        RAISE EXCEPTION 'cleanup_old_data: dry_run and targets must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave them out to use the defaults.';
    END IF;
    IF keep_last < 0 THEN
        RAISE EXCEPTION 'cleanup_old_data: keep_last must not be negative, got %', keep_last
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than < interval '0' THEN
        RAISE EXCEPTION 'cleanup_old_data: older_than must not be negative, got %', older_than
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT t INTO target FROM unnest(targets) t
    WHERE t IS NULL OR t NOT IN ('performance_metrics', 'analysis_results', 'pipeline_runs', 'collatz_sequences', 'sequence_steps');
    IF FOUND THEN
        RAISE EXCEPTION 'cleanup_old_data: unknown target %', coalesce(quote_literal(target), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Targets: performance_metrics, analysis_results, pipeline_runs, collatz_sequences, sequence_steps.';
    END IF;
    -- Without keep_last, the age defaults to collatz.retention_days; with it, age applies only if given.
    IF older_than IS NOT NULL OR keep_last IS NULL THEN
        cutoff := now() - coalesce(older_than, make_interval(days => current_setting('collatz.retention_days')::int));
    END IF;

    FOREACH target IN ARRAY targets LOOP
        time_column := CASE target WHEN 'performance_metrics' THEN 'recorded_at' WHEN 'analysis_results' THEN 'analysis_date'
                                   WHEN 'pipeline_runs' THEN 'updated_at' ELSE 'created_at' END;
        -- The rows in question: old enough and beyond the newest keep_last. Unfinished
        -- pipeline runs are never touched; sequence_steps goes by its sequence's age.
        EXECUTE format($q$
            SELECT coalesce(array_agg(id), '{}') FROM (
                SELECT t.id, t.%2$I AS at, row_number() OVER (ORDER BY t.%2$I DESC, t.id DESC) AS newest
                FROM @extschema@.%1$I t %3$s
            ) ranked
            WHERE ($1 IS NULL OR at < $1) AND ($2 IS NULL OR newest > $2)$q$,
            CASE target WHEN 'sequence_steps' THEN 'collatz_sequences' ELSE target END,
            time_column,
            CASE target WHEN 'pipeline_runs' THEN $w$WHERE t.status = 'done'$w$ ELSE '' END)
        INTO ids
        USING cutoff, keep_last;
        matched := cardinality(ids);
        steps := 0;
        IF target IN ('collatz_sequences', 'sequence_steps') THEN
            SELECT count(*) INTO steps FROM @extschema@.sequence_steps st WHERE st.sequence_id = ANY (ids);
        END IF;
        IF NOT dry_run THEN
            IF target = 'sequence_steps' THEN
                DELETE FROM @extschema@.sequence_steps WHERE sequence_id = ANY (ids);
            ELSE
                EXECUTE format('DELETE FROM @extschema@.%I WHERE id = ANY ($1)', target) USING ids;
            END IF;
        END IF;
        total := total + matched;
        table_name := target;
        rows_matched := CASE WHEN target = 'sequence_steps' THEN steps ELSE matched END;
        steps_matched := CASE WHEN target IN ('collatz_sequences', 'sequence_steps') THEN steps ELSE 0 END;
        deleted := NOT dry_run;
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        PERFORM collatz_internal.record_metric('cleanup', collatz_internal.elapsed_ms(started), total,
            jsonb_build_object('older_than', older_than, 'keep_last', keep_last, 'targets', targets));
    END IF;
END $$;
COMMENT ON FUNCTION cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention: rows older than older_than (default collatz.retention_days) and beyond the keep_last newest, per target table; dry_run (the default) only counts';

CREATE PROCEDURE sp_cleanup_old_data(older_than interval DEFAULT NULL, keep_last integer DEFAULT NULL,
                                     targets text[] DEFAULT ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs'],
                                     dry_run boolean DEFAULT true)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    -- No SET clause (it COMMITs): every name and operator is qualified.
    FOR r IN SELECT * FROM @extschema@.cleanup_old_data(older_than, keep_last, targets, dry_run) LOOP
        RAISE NOTICE '%: % % rows%', r.table_name, CASE WHEN r.deleted THEN 'deleted' ELSE 'would delete' END,
            r.rows_matched,
            CASE WHEN r.steps_matched OPERATOR(pg_catalog.>) 0 AND r.table_name OPERATOR(pg_catalog.=) 'collatz_sequences'
                 THEN pg_catalog.format(' (and their %s steps)', r.steps_matched) ELSE '' END;
    END LOOP;
    COMMIT;
END $$;
COMMENT ON PROCEDURE sp_cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention with a report per table; dry_run => true (the default) deletes nothing. See cleanup_old_data for the function form.';

------------------------------------------------------------------------------------------
-- Health
------------------------------------------------------------------------------------------

CREATE FUNCTION collatz_health() RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    report jsonb;
BEGIN
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs read below
    SELECT jsonb_build_object(
        'version', (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'collatz_ext'),
        'library_version', @extschema@.collatz_library_version(),
        'settings', (SELECT jsonb_object_agg(name, setting || coalesce(unit, ''))
                     FROM pg_catalog.pg_settings WHERE name LIKE 'collatz.%'),
        'tables', (SELECT jsonb_object_agg(c.relname, jsonb_build_object(
                              'estimated_rows', greatest(c.reltuples, 0)::bigint,
                              'bytes', pg_catalog.pg_total_relation_size(c.oid)))
                   FROM pg_catalog.pg_class c
                   WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'),
        'last_analysis', (SELECT to_jsonb(a) FROM @extschema@.v_range_analysis a
                          ORDER BY a.analysis_date DESC, a.analysis_id DESC LIMIT 1),
        'runs', (SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) AS n
                 FROM @extschema@.v_pipeline_progress GROUP BY state) s)
    ) INTO report;
    RETURN report;
END $$;
COMMENT ON FUNCTION collatz_health() IS
    'Version (SQL and library), settings, table sizes, the last analysis and the pipeline runs by state, as jsonb';
