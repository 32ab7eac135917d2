-- The in-database pipeline: batch insert, range analysis, cleanup, the repository and
-- experiments API, progress and health. Procedures that COMMIT per batch are PL/pgSQL
-- around Rust functions (a Rust function cannot commit); they carry no SET search_path (a
-- procedure with one cannot COMMIT), so every name is schema-qualified.

-- Runs of the long procedures: their progress, for other sessions, and the state an
-- interrupted analysis resumes from. A run is alive while its backend holds the run's
-- advisory lock (taken in every batch transaction), so a cancelled or crashed run shows as
-- interrupted at once, whatever its status column still says.
CREATE TABLE pipeline_runs (
    id             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_type text             NOT NULL,
    start_range    bigint           NOT NULL,
    end_range      bigint           NOT NULL,
    next_number    bigint           NOT NULL,
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
    CONSTRAINT pipeline_runs_operation_known CHECK (operation_type IN ('batch_insert', 'analyze_range')),
    CONSTRAINT pipeline_runs_end_not_before_start CHECK (end_range >= start_range AND start_range >= 1),
    CONSTRAINT pipeline_runs_next_within_range CHECK (next_number BETWEEN start_range AND end_range + 1),
    CONSTRAINT pipeline_runs_status_known CHECK (status IN ('running', 'done')),
    CONSTRAINT pipeline_runs_done_is_finished CHECK ((status = 'done') = (finished_at IS NOT NULL)),
    CONSTRAINT pipeline_runs_rows_nonnegative CHECK (rows_done >= 0 AND elapsed_ms >= 0)
);

COMMENT ON TABLE pipeline_runs IS 'Runs of sp_batch_insert_sequences and sp_analyze_range: progress, and where an interrupted run resumes';
COMMENT ON COLUMN pipeline_runs.id IS 'Surrogate key; also the key of the run''s advisory lock';
COMMENT ON COLUMN pipeline_runs.operation_type IS 'batch_insert or analyze_range';
COMMENT ON COLUMN pipeline_runs.start_range IS 'First number of the run';
COMMENT ON COLUMN pipeline_runs.end_range IS 'Last number of the run';
COMMENT ON COLUMN pipeline_runs.next_number IS 'First number not yet done (end_range + 1 when complete)';
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

CREATE INDEX pipeline_runs_unfinished_idx ON pipeline_runs (operation_type, start_range, end_range) WHERE status = 'running';
CREATE INDEX pipeline_runs_updated_at_idx ON pipeline_runs (updated_at);
CREATE INDEX pipeline_runs_experiment_id_idx ON pipeline_runs (experiment_id);

SELECT pg_catalog.pg_extension_config_dump('pipeline_runs', '');
SELECT pg_catalog.pg_extension_config_dump('pipeline_runs_id_seq', '');

-- The advisory lock class of pipeline runs (the second key is the run id): 'CLTZ'.
CREATE FUNCTION pipeline_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1129075802 $$;
COMMENT ON FUNCTION pipeline_lock_class() IS 'First key of the advisory locks that mark pipeline runs as alive';

CREATE VIEW v_pipeline_progress AS
SELECT r.id                                                   AS run_id,
       r.operation_type,
       r.start_range,
       r.end_range,
       r.end_range - r.start_range + 1                        AS numbers_total,
       r.next_number - r.start_range                          AS numbers_done,
       round(100.0 * (r.next_number - r.start_range) / (r.end_range - r.start_range + 1), 2) AS percent_done,
       r.rows_done,
       CASE WHEN r.elapsed_ms > 0
            THEN round((r.next_number - r.start_range) / (r.elapsed_ms / 1000.0)) END AS numbers_per_second,
       CASE WHEN r.status = 'running' AND r.next_number > r.start_range AND r.elapsed_ms > 0
            THEN round(((r.end_range + 1 - r.next_number) * (r.elapsed_ms / 1000.0)
                        / (r.next_number - r.start_range))::numeric, 1) END AS seconds_left,
       CASE WHEN r.status = 'done' THEN 'done'
            WHEN l.pid IS NOT NULL THEN 'running'
            ELSE 'interrupted' END                            AS state,
       coalesce(l.pid, r.backend_pid)                         AS backend_pid,
       r.experiment_id,
       r.started_at,
       r.updated_at,
       r.finished_at
FROM pipeline_runs r
LEFT JOIN pg_catalog.pg_locks l
       ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.classid = pipeline_lock_class()::oid AND l.objid = r.id::oid;

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
COMMENT ON COLUMN v_pipeline_progress.started_at IS 'When the run started';
COMMENT ON COLUMN v_pipeline_progress.updated_at IS 'When the run last committed progress';
COMMENT ON COLUMN v_pipeline_progress.finished_at IS 'When the run completed';

-- Records one operation in performance_metrics. execution_time in ms; memory from the
-- backend's peak resident size since collatz_reset_peak_memory() at the operation's start.
CREATE FUNCTION record_metric(operation_type text, execution_time double precision,
                              rows_processed bigint, context jsonb DEFAULT '{}')
RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO @extschema@.performance_metrics (operation_type, execution_time, rows_processed, memory_usage, context)
    VALUES (operation_type, execution_time, rows_processed, @extschema@.collatz_peak_memory(),
            context || jsonb_build_object('threads', current_setting('collatz.threads'),
                                          'memo_mb', current_setting('collatz.memo_mb')));
$$;
COMMENT ON FUNCTION record_metric(text, double precision, bigint, jsonb) IS
    'Adds a performance_metrics row for an operation, with the backend''s peak memory and the settings';

CREATE FUNCTION elapsed_ms(since timestamptz) RETURNS double precision
LANGUAGE sql VOLATILE AS $$ SELECT extract(epoch FROM clock_timestamp() - since) * 1000 $$;
COMMENT ON FUNCTION elapsed_ms(timestamptz) IS 'Milliseconds of wall-clock time since a moment';

-- The progress line of a long operation, in any unit.
CREATE FUNCTION progress_line(operation text, unit text, done bigint, total bigint, detail text,
                              ms double precision)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%s: %s of %s %s (%s%%), %s, %s %s/s, about %s s left',
                  operation, done, total, unit, round(100.0 * done / greatest(total, 1), 1), detail,
                  CASE WHEN ms > 0 THEN round(done / (ms / 1000.0)) END, unit,
                  CASE WHEN done > 0 AND ms > 0 THEN round((total - done) * (ms / 1000.0) / done) END)
$$;
COMMENT ON FUNCTION progress_line(text, text, bigint, bigint, text, double precision) IS
    'The progress line the long operations print: how far, how fast, how long still';

-- The batch procedures' line: progress_line with numbers as the unit.
CREATE FUNCTION progress_message(operation text, done bigint, total bigint, rows bigint, ms double precision)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT @extschema@.progress_line(operation, 'numbers', done, total, rows || ' rows', ms)
$$;
COMMENT ON FUNCTION progress_message(text, bigint, bigint, bigint, double precision) IS
    'The progress line the long procedures print';

------------------------------------------------------------------------------------------
-- Storing sequences
------------------------------------------------------------------------------------------

-- The ON CONFLICT clause of a conflict strategy: skip (keep the stored row), upsert
-- (rewrite it, refreshing created_at) or error (refuse).
CREATE FUNCTION conflict_clause(on_conflict text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE on_conflict
        WHEN 'skip' THEN 'ON CONFLICT (number) DO NOTHING'
        WHEN 'upsert' THEN 'ON CONFLICT (number) DO UPDATE SET sequence_length = EXCLUDED.sequence_length,
                            steps_to_one = EXCLUDED.steps_to_one, max_value = EXCLUDED.max_value, created_at = now()'
        WHEN 'error' THEN ''
    END;
END $$;
COMMENT ON FUNCTION conflict_clause(text) IS 'The ON CONFLICT clause of a conflict strategy (skip, upsert, error)';

CREATE FUNCTION check_conflict_strategy(on_conflict text, caller text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF on_conflict IS NULL OR on_conflict NOT IN ('skip', 'upsert', 'error') THEN
        RAISE EXCEPTION '%: unknown conflict strategy %', caller, coalesce(quote_literal(on_conflict), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use skip (keep stored rows), upsert (rewrite them) or error (refuse).';
    END IF;
END $$;
COMMENT ON FUNCTION check_conflict_strategy(text, text) IS 'Refuses anything but skip, upsert and error';

-- Stores the steps of the stored sequences among the given numbers that have none yet.
CREATE FUNCTION store_steps(first_number bigint, last_number bigint, only_numbers bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    stored bigint;
BEGIN
    INSERT INTO @extschema@.sequence_steps (sequence_id, step_number, value, operation_type)
    SELECT s.id, q.step_number, q.value, q.operation_type
    FROM @extschema@.collatz_sequences s
    CROSS JOIN LATERAL @extschema@.collatz_sequence(s.number) q
    WHERE s.number BETWEEN first_number AND last_number
      AND (only_numbers IS NULL OR s.number IN (SELECT unnest(only_numbers)))
      AND NOT EXISTS (SELECT 1 FROM @extschema@.sequence_steps st WHERE st.sequence_id = s.id)
    ORDER BY s.id, q.step_number
    ON CONFLICT (sequence_id, step_number) DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END $$;
COMMENT ON FUNCTION store_steps(bigint, bigint, bigint[]) IS
    'Stores the terms of stored sequences in a number range (optionally only some numbers) that have none yet';

-- Inserts rows into collatz_sequences from a query over [first_number, last_number] ($1, $2)
-- that yields number, sequence_length, steps_to_one, max_value in ascending number order:
-- sessions loading overlapping ranges then wait for each other in one direction only and
-- cannot deadlock. Shared by the batch insert and the import.
CREATE FUNCTION insert_sequences(rows_query text, first_number bigint, last_number bigint, on_conflict text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    inserted bigint;
    plain CONSTANT text := 'INSERT INTO @extschema@.collatz_sequences (number, sequence_length, steps_to_one, max_value) '
                           || rows_query || ' ';
BEGIN
    -- A batch with nothing stored in its range goes in as a plain INSERT: ON CONFLICT's
    -- speculative insertion costs 21% (10^6 rows: 7.5 s against 6.2 s). If a concurrent
    -- session stores some of these numbers meanwhile, the batch is redone with the clause.
    IF on_conflict <> 'error' AND NOT EXISTS (SELECT 1 FROM @extschema@.collatz_sequences
                                              WHERE number BETWEEN first_number AND last_number) THEN
        BEGIN
            EXECUTE plain USING first_number, last_number;
        EXCEPTION WHEN unique_violation THEN
            EXECUTE plain || @extschema@.conflict_clause(on_conflict) USING first_number, last_number;
        END;
    ELSE
        EXECUTE plain || @extschema@.conflict_clause(on_conflict) USING first_number, last_number;
    END IF;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END $$;
COMMENT ON FUNCTION insert_sequences(text, bigint, bigint, text) IS
    'Inserts the rows of a query over [first_number, last_number] into collatz_sequences with a conflict strategy; returns rows written';

-- One batch of sp_batch_insert_sequences: [first_number, last_number], computed in parallel.
CREATE FUNCTION insert_sequence_batch(first_number bigint, last_number bigint,
                                      with_steps boolean, on_conflict text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    inserted bigint;
BEGIN
    -- collatz_range yields ascending numbers and a plain function scan keeps that order.
    inserted := @extschema@.insert_sequences(
        'SELECT number, sequence_length, steps_to_one, max_value FROM @extschema@.collatz_range($1, $2)',
        first_number, last_number, on_conflict);
    IF with_steps THEN
        PERFORM @extschema@.store_steps(first_number, last_number);
    END IF;
    RETURN inserted;
END $$;
COMMENT ON FUNCTION insert_sequence_batch(bigint, bigint, boolean, text) IS
    'Inserts the computed rows of a number range (and their steps) with a conflict strategy; returns rows written';

CREATE PROCEDURE sp_batch_insert_sequences(start_number bigint, end_number bigint,
                                           with_steps boolean DEFAULT false,
                                           on_conflict text DEFAULT 'skip',
                                           batch_size integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    caller CONSTANT text := 'sp_batch_insert_sequences';
    size bigint;
    run_id bigint;
    lo bigint;
    hi bigint;
    written bigint := 0;
    started timestamptz := clock_timestamp();
    batch_started timestamptz;
    last_message timestamptz := clock_timestamp();
    interval_ms double precision;
    total bigint;
    existing bigint;
BEGIN
    PERFORM @extschema@.collatz_check_range(start_number, end_number, 1000000000, caller);
    PERFORM @extschema@.check_conflict_strategy(on_conflict, caller);
    size := coalesce(batch_size, current_setting('collatz.batch_size')::bigint);
    IF size < 1 THEN
        RAISE EXCEPTION '%: batch_size must be at least 1, got %', caller, size
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Leave it NULL to use collatz.batch_size.';
    END IF;
    IF with_steps IS NULL THEN
        RAISE EXCEPTION '%: with_steps must not be NULL', caller USING ERRCODE = 'null_value_not_allowed';
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
    interval_ms := extract(epoch FROM current_setting('collatz.progress_interval')::interval) * 1000;
    total := end_number - start_number + 1;
    PERFORM @extschema@.collatz_reset_peak_memory();

    INSERT INTO @extschema@.pipeline_runs (operation_type, start_range, end_range, next_number, options, backend_pid)
    VALUES ('batch_insert', start_number, end_number, start_number,
            jsonb_build_object('with_steps', with_steps, 'on_conflict', on_conflict, 'batch_size', size),
            pg_backend_pid())
    RETURNING id INTO run_id;
    COMMIT;

    lo := start_number;
    WHILE lo <= end_number LOOP
        PERFORM pg_advisory_xact_lock(@extschema@.pipeline_lock_class(), run_id::integer);
        batch_started := clock_timestamp();
        hi := least(lo + size - 1, end_number);
        written := written + @extschema@.insert_sequence_batch(lo, hi, with_steps, on_conflict);
        UPDATE @extschema@.pipeline_runs
        SET next_number = hi + 1, rows_done = written, updated_at = clock_timestamp(),
            elapsed_ms = elapsed_ms + @extschema@.elapsed_ms(batch_started)
        WHERE id = run_id;
        COMMIT;
        IF hi = end_number OR @extschema@.elapsed_ms(last_message) >= interval_ms THEN
            RAISE NOTICE '%', @extschema@.progress_message(caller, hi - start_number + 1, total, written,
                                                           @extschema@.elapsed_ms(started));
            last_message := clock_timestamp();
        END IF;
        lo := hi + 1;
    END LOOP;

    UPDATE @extschema@.pipeline_runs SET status = 'done', finished_at = clock_timestamp() WHERE id = run_id;
    PERFORM @extschema@.compact_totals();
    PERFORM @extschema@.record_metric('batch_insert', @extschema@.elapsed_ms(started), written,
        jsonb_build_object('start_range', start_number, 'end_range', end_number, 'with_steps', with_steps,
                           'on_conflict', on_conflict, 'batch_size', size, 'run_id', run_id));
    COMMIT;
END $$;
COMMENT ON PROCEDURE sp_batch_insert_sequences(bigint, bigint, boolean, text, integer) IS
    'Stores the computed rows of [start_number, end_number] (and their steps if asked), committing every batch_size numbers; on_conflict: skip, upsert or error. Progress in v_pipeline_progress.';

------------------------------------------------------------------------------------------
-- Range analysis
------------------------------------------------------------------------------------------

-- Stores a finished analysis, its metric, and (under an experiment) the experiment's results.
CREATE FUNCTION record_analysis(start_number bigint, end_number bigint, numbers bigint,
                                longest bigint, longest_length bigint, highest bigint, highest_value numeric,
                                duration double precision, experiment bigint, context jsonb)
RETURNS @extschema@.analysis_results
LANGUAGE plpgsql VOLATILE AS $$
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
    PERFORM @extschema@.record_metric('analyze_range', duration, numbers,
        context || jsonb_build_object('start_range', start_number, 'end_range', end_number,
                                      'analysis_id', stored.id, 'experiment_id', experiment));
    RETURN stored;
END $$;
COMMENT ON FUNCTION record_analysis(bigint, bigint, bigint, bigint, bigint, bigint, numeric, double precision, bigint, jsonb) IS
    'Stores a finished analysis in analysis_results, its metric, and its summary in the experiment''s results';

CREATE FUNCTION check_experiment(experiment bigint, caller text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF experiment IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.experiments WHERE id = experiment) THEN
        RAISE EXCEPTION '%: experiment % does not exist', caller, experiment
            USING ERRCODE = 'foreign_key_violation', HINT = 'Create it with create_experiment(name, ...) first.';
    END IF;
END $$;
COMMENT ON FUNCTION check_experiment(bigint, text) IS 'Refuses an experiment id that does not exist';

-- The function form: one transaction, usable inside a caller's transaction block.
CREATE FUNCTION analyze_range(start_number bigint, end_number bigint, experiment_id bigint DEFAULT NULL)
RETURNS SETOF @extschema@.analysis_results
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    started timestamptz := clock_timestamp();
    s record;
BEGIN
    PERFORM @extschema@.collatz_check_range(start_number, end_number, 1000000000000, 'analyze_range');
    PERFORM @extschema@.check_experiment(experiment_id, 'analyze_range');
    PERFORM @extschema@.collatz_reset_peak_memory();
    SELECT * INTO s FROM @extschema@.collatz_analyze(start_number, end_number);
    RETURN NEXT @extschema@.record_analysis(start_number, end_number, s.numbers_analyzed,
        s.longest_sequence, s.longest_sequence_length, s.highest_peak, s.highest_peak_value,
        @extschema@.elapsed_ms(started), experiment_id,
        jsonb_build_object('form', 'function', 'memo_bytes', s.memory_bytes));
END $$;
COMMENT ON FUNCTION analyze_range(bigint, bigint, bigint) IS
    'Analyses [start_number, end_number] in one transaction (works inside BEGIN ... COMMIT) and stores the result; returns the analysis_results row';

CREATE PROCEDURE sp_analyze_range(start_number bigint, end_number bigint,
                                  experiment_id bigint DEFAULT NULL,
                                  segment_size bigint DEFAULT 134217728)
LANGUAGE plpgsql AS $$
DECLARE
    caller CONSTANT text := 'sp_analyze_range';
    run @extschema@.pipeline_runs;
    best jsonb;
    s record;
    lo bigint;
    hi bigint;
    started timestamptz := clock_timestamp();
    segment_started timestamptz;
    last_message timestamptz := clock_timestamp();
    interval_ms double precision;
    total bigint;
    memo_bytes bigint := 0;
    resumed boolean := false;
BEGIN
    PERFORM @extschema@.collatz_check_range(start_number, end_number, 1000000000000, caller);
    PERFORM @extschema@.check_experiment(experiment_id, caller);
    IF segment_size IS NULL OR segment_size < 1 THEN
        RAISE EXCEPTION '%: segment_size must be at least 1, got %', caller, coalesce(segment_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Numbers analysed between checkpoints; the default is 2^27.';
    END IF;
    interval_ms := extract(epoch FROM current_setting('collatz.progress_interval')::interval) * 1000;
    total := end_number - start_number + 1;
    PERFORM @extschema@.collatz_reset_peak_memory();

    -- An unfinished run of the same range and experiment is resumed, unless it is running.
    SELECT * INTO run FROM @extschema@.pipeline_runs r
    WHERE r.operation_type = 'analyze_range' AND r.status = 'running'
      AND r.start_range = start_number AND r.end_range = end_number
      AND r.experiment_id IS NOT DISTINCT FROM sp_analyze_range.experiment_id
    ORDER BY r.id DESC LIMIT 1;
    IF FOUND THEN
        IF NOT pg_try_advisory_xact_lock(@extschema@.pipeline_lock_class(), run.id::integer) THEN
            RAISE EXCEPTION '%: [%, %] is being analysed by backend % (run %)', caller, start_number, end_number,
                    run.backend_pid, run.id
                USING ERRCODE = 'lock_not_available', HINT = 'Wait for it, or cancel it with pg_cancel_backend.';
        END IF;
        resumed := true;
        RAISE NOTICE '%: resuming run % at % (% of % numbers done)', caller, run.id, run.next_number,
            run.next_number - start_number, total;
        UPDATE @extschema@.pipeline_runs SET backend_pid = pg_backend_pid() WHERE id = run.id;
    ELSE
        INSERT INTO @extschema@.pipeline_runs (operation_type, start_range, end_range, next_number, options,
                                               experiment_id, backend_pid)
        VALUES ('analyze_range', start_number, end_number, start_number,
                jsonb_build_object('segment_size', segment_size), experiment_id, pg_backend_pid())
        RETURNING * INTO run;
    END IF;
    best := run.partial;
    COMMIT;

    lo := run.next_number;
    WHILE lo <= end_number LOOP
        PERFORM pg_advisory_xact_lock(@extschema@.pipeline_lock_class(), run.id::integer);
        segment_started := clock_timestamp();
        hi := least(lo + segment_size - 1, end_number);
        SELECT * INTO s FROM @extschema@.collatz_analyze(lo, hi);
        memo_bytes := greatest(memo_bytes, s.memory_bytes);
        -- Merge in range order: a later segment takes a record only by beating it.
        IF best IS NULL OR s.longest_sequence_length > (best ->> 'longest_sequence_length')::bigint THEN
            best := coalesce(best, '{}') || jsonb_build_object('longest_sequence', s.longest_sequence,
                                                               'longest_sequence_length', s.longest_sequence_length);
        END IF;
        IF best ? 'highest_peak' IS NOT TRUE OR s.highest_peak_value > (best ->> 'highest_peak_value')::numeric THEN
            best := best || jsonb_build_object('highest_peak', s.highest_peak,
                                               'highest_peak_value', s.highest_peak_value);
        END IF;
        UPDATE @extschema@.pipeline_runs
        SET next_number = hi + 1, rows_done = rows_done + s.numbers_analyzed, partial = best,
            updated_at = clock_timestamp(), elapsed_ms = elapsed_ms + @extschema@.elapsed_ms(segment_started)
        WHERE id = run.id
        RETURNING * INTO run;
        COMMIT;
        IF hi = end_number OR @extschema@.elapsed_ms(last_message) >= interval_ms THEN
            RAISE NOTICE '%', @extschema@.progress_message(caller, hi - start_number + 1, total, run.rows_done,
                                                           run.elapsed_ms);
            last_message := clock_timestamp();
        END IF;
        lo := hi + 1;
    END LOOP;

    PERFORM @extschema@.record_analysis(start_number, end_number, run.rows_done,
        (best ->> 'longest_sequence')::bigint, (best ->> 'longest_sequence_length')::bigint,
        (best ->> 'highest_peak')::bigint, (best ->> 'highest_peak_value')::numeric,
        run.elapsed_ms, experiment_id,
        jsonb_build_object('form', 'procedure', 'run_id', run.id, 'resumed', resumed, 'memo_bytes', memo_bytes,
                           'segment_size', segment_size));
    UPDATE @extschema@.pipeline_runs SET status = 'done', finished_at = clock_timestamp() WHERE id = run.id;
    COMMIT;
END $$;
COMMENT ON PROCEDURE sp_analyze_range(bigint, bigint, bigint, bigint) IS
    'Analyses [start_number, end_number] in parallel without stored rows, checkpointing every segment_size numbers; an interrupted run of the same range resumes. Stores analysis_results and performance_metrics.';

------------------------------------------------------------------------------------------
-- Repository
------------------------------------------------------------------------------------------

CREATE FUNCTION save_sequence(n bigint, with_steps boolean DEFAULT false)
RETURNS @extschema@.collatz_sequences
LANGUAGE plpgsql VOLATILE STRICT AS $$
DECLARE
    stored @extschema@.collatz_sequences;
BEGIN
    PERFORM @extschema@.collatz_check_range(n, n, 1, 'save_sequence');
    INSERT INTO @extschema@.collatz_sequences (number, sequence_length, steps_to_one, max_value)
    SELECT n, @extschema@.collatz_length(n), @extschema@.collatz_steps(n), @extschema@.collatz_peak(n)
    ON CONFLICT (number) DO NOTHING;
    IF with_steps THEN
        PERFORM @extschema@.store_steps(n, n);
    END IF;
    SELECT * INTO stored FROM @extschema@.collatz_sequences WHERE number = n;
    RETURN stored;
END $$;
COMMENT ON FUNCTION save_sequence(bigint, boolean) IS
    'Stores n (and its steps if asked) unless stored already; returns the stored row';

CREATE FUNCTION get_sequence(n bigint, cache boolean DEFAULT false)
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, stored boolean)
LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
    RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                 FROM @extschema@.collatz_sequences s WHERE s.number = n;
    IF NOT FOUND THEN
        IF cache THEN
            RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                         FROM @extschema@.save_sequence(n) s;
        ELSE
            PERFORM @extschema@.collatz_check_range(n, n, 1, 'get_sequence');
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
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    written bigint;
    bad bigint;
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM @extschema@.check_conflict_strategy(on_conflict, 'batch_save_sequences');
    IF numbers IS NULL OR with_steps IS NULL THEN
        RAISE EXCEPTION 'batch_save_sequences: numbers and with_steps must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
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
    EXECUTE format('INSERT INTO @extschema@.collatz_sequences (number, sequence_length, steps_to_one, max_value)
                    SELECT n, @extschema@.collatz_length(n), @extschema@.collatz_steps(n), @extschema@.collatz_peak(n)
                    FROM (SELECT DISTINCT n FROM unnest($1) AS n) u ORDER BY n %s',
                   @extschema@.conflict_clause(on_conflict))
        USING numbers;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF with_steps AND cardinality(numbers) > 0 THEN
        PERFORM @extschema@.store_steps((SELECT min(n) FROM unnest(numbers) n), (SELECT max(n) FROM unnest(numbers) n), numbers);
    END IF;
    PERFORM @extschema@.record_metric('batch_save', @extschema@.elapsed_ms(started), written,
        jsonb_build_object('numbers', cardinality(numbers), 'with_steps', with_steps, 'on_conflict', on_conflict));
    RETURN written;
END $$;
COMMENT ON FUNCTION batch_save_sequences(bigint[], boolean, text) IS
    'Stores the given numbers (and their steps if asked) in one statement with a conflict strategy; returns rows written';

-- Keyset pagination: pass the last number of a page as after_number to get the next one.
CREATE FUNCTION find_sequences_in_range(start_number bigint, end_number bigint,
                                        page_size integer DEFAULT 100, after_number bigint DEFAULT NULL,
                                        min_length bigint DEFAULT NULL, max_length bigint DEFAULT NULL)
RETURNS SETOF @extschema@.collatz_sequences
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM @extschema@.collatz_check_range(start_number, end_number, NULL, 'find_sequences_in_range');
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'find_sequences_in_range: page_size must be between 1 and 100000, got %',
                coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Fetch large ranges page by page with after_number.';
    END IF;
    RETURN QUERY
        SELECT * FROM @extschema@.collatz_sequences s
        WHERE s.number BETWEEN greatest(start_number, coalesce(after_number + 1, start_number)) AND end_number
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
LANGUAGE sql VOLATILE AS $$
    INSERT INTO @extschema@.experiments (name, description, parameters)
    VALUES (name, description, coalesce(parameters, '{}'))
    RETURNING id;
$$;
COMMENT ON FUNCTION create_experiment(text, text, jsonb) IS 'Creates an experiment; returns its id';

CREATE FUNCTION record_experiment_results(experiment_id bigint, results jsonb)
RETURNS @extschema@.experiments
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    updated @extschema@.experiments;
BEGIN
    PERFORM @extschema@.check_experiment(experiment_id, 'record_experiment_results');
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
LANGUAGE plpgsql VOLATILE AS $$
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
        RAISE EXCEPTION 'cleanup_old_data: dry_run and targets must not be NULL' USING ERRCODE = 'null_value_not_allowed';
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
        PERFORM @extschema@.record_metric('cleanup', @extschema@.elapsed_ms(started), total,
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
    FOR r IN SELECT * FROM @extschema@.cleanup_old_data(older_than, keep_last, targets, dry_run) LOOP
        RAISE NOTICE '%: % % rows%', r.table_name, CASE WHEN r.deleted THEN 'deleted' ELSE 'would delete' END,
            r.rows_matched,
            CASE WHEN r.steps_matched > 0 AND r.table_name = 'collatz_sequences'
                 THEN format(' (and their %s steps)', r.steps_matched) ELSE '' END;
    END LOOP;
    COMMIT;
END $$;
COMMENT ON PROCEDURE sp_cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention with a report per table; dry_run => true (the default) deletes nothing. See cleanup_old_data for the function form.';

------------------------------------------------------------------------------------------
-- Health
------------------------------------------------------------------------------------------

CREATE FUNCTION collatz_health() RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
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
