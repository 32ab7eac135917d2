-- collatz_ext 0.1.0 -> 0.2.0: the data model (tables, indexes, views, checks, privileges).
-- Frozen at release: it is 01_create_tables.sql .. 04_create_functions.sql as they were in
-- 0.2.0. The SQL functions of 0.1.0 are unchanged. tests/upgrade checks that an upgraded
-- database and a fresh 0.2.0 install have the same objects, definitions and comments.
\echo Use "ALTER EXTENSION collatz_ext UPDATE TO '0.2.0'" to load this file. \quit

-- ==== 01_create_tables.sql
-- The five tables of collatz_ext, with the constraints that make invalid rows impossible.
-- Every key is an identity column; every table and its identity sequence is registered
-- with pg_extension_config_dump so that pg_dump carries the rows.

CREATE TABLE collatz_sequences (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          bigint      NOT NULL,
    sequence_length bigint      NOT NULL,
    max_value       numeric     NOT NULL,
    steps_to_one    bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collatz_sequences_number_key UNIQUE (number),
    CONSTRAINT collatz_sequences_number_positive CHECK (number >= 1),
    CONSTRAINT collatz_sequences_length_is_steps_plus_one CHECK (sequence_length = steps_to_one + 1),
    CONSTRAINT collatz_sequences_peak_at_least_number CHECK (max_value >= number),
    -- The row must hold the true values of its number, not just plausible ones.
    CONSTRAINT collatz_sequences_values_are_exact
        CHECK (steps_to_one = collatz_steps(number) AND max_value = collatz_peak(number))
);

COMMENT ON TABLE collatz_sequences IS
    'One stored Collatz sequence per number, with its statistics; every row is checked against the computed values';
COMMENT ON COLUMN collatz_sequences.id IS 'Surrogate key, referenced by sequence_steps.sequence_id';
COMMENT ON COLUMN collatz_sequences.number IS 'The starting number n (>= 1, unique)';
COMMENT ON COLUMN collatz_sequences.sequence_length IS 'Terms from n to 1, both included (steps_to_one + 1)';
COMMENT ON COLUMN collatz_sequences.max_value IS 'Largest term, n included; numeric because peaks pass 2^63 from n = 8,528,817,511';
COMMENT ON COLUMN collatz_sequences.steps_to_one IS 'Applications of T (n/2 or 3n+1) until 1 is reached';
COMMENT ON COLUMN collatz_sequences.created_at IS 'When the row was stored';

CREATE TABLE sequence_steps (
    sequence_id    bigint  NOT NULL REFERENCES collatz_sequences (id) ON DELETE CASCADE,
    step_number    integer NOT NULL,
    value          numeric NOT NULL,
    operation_type text    NOT NULL,
    PRIMARY KEY (sequence_id, step_number),
    CONSTRAINT sequence_steps_step_number_nonnegative CHECK (step_number >= 0),
    CONSTRAINT sequence_steps_value_positive CHECK (value >= 1),
    CONSTRAINT sequence_steps_operation_type_known CHECK (operation_type IN ('start', 'odd', 'even')),
    CONSTRAINT sequence_steps_start_is_step_zero CHECK ((step_number = 0) = (operation_type = 'start'))
);
-- Values are checked against the true sequence, and step numbers for contiguity from 0,
-- by the statement triggers in 04_create_functions.sql: a CHECK sees one row at a time.

COMMENT ON TABLE sequence_steps IS
    'The terms of stored sequences, one row per step; each sequence holds steps 0..k with the true values';
COMMENT ON COLUMN sequence_steps.sequence_id IS 'The sequence (collatz_sequences.id); its steps go when it goes';
COMMENT ON COLUMN sequence_steps.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';

CREATE TABLE experiments (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    description text,
    parameters  jsonb       NOT NULL DEFAULT '{}',
    results     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT experiments_name_key UNIQUE (name),
    CONSTRAINT experiments_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT experiments_parameters_object CHECK (jsonb_typeof(parameters) = 'object'),
    CONSTRAINT experiments_results_object CHECK (results IS NULL OR jsonb_typeof(results) = 'object')
);

COMMENT ON TABLE experiments IS 'Named experiments: parameters going in, results coming out, and the analyses run under them';
COMMENT ON COLUMN experiments.id IS 'Surrogate key, referenced by analysis_results.experiment_id';
COMMENT ON COLUMN experiments.name IS 'Unique, non-blank name';
COMMENT ON COLUMN experiments.description IS 'Free text';
COMMENT ON COLUMN experiments.parameters IS 'Parameters of the experiment (a JSON object)';
COMMENT ON COLUMN experiments.results IS 'Results recorded for the experiment (a JSON object), NULL until recorded';
COMMENT ON COLUMN experiments.created_at IS 'When the experiment was created';

CREATE TABLE analysis_results (
    id                      bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    start_range             bigint           NOT NULL,
    end_range               bigint           NOT NULL,
    longest_sequence        bigint           NOT NULL,
    longest_sequence_length bigint           NOT NULL,
    highest_peak            bigint           NOT NULL,
    highest_peak_value      numeric          NOT NULL,
    numbers_analyzed        bigint           NOT NULL,
    duration_ms             double precision NOT NULL,
    analysis_date           timestamptz      NOT NULL DEFAULT now(),
    experiment_id           bigint           REFERENCES experiments (id) ON DELETE SET NULL,
    CONSTRAINT analysis_results_start_positive CHECK (start_range >= 1),
    -- Named to be checked before the *_in_range ones (PostgreSQL checks in name order), so an
    -- inverted range is reported as such.
    CONSTRAINT analysis_results_end_not_before_start CHECK (end_range >= start_range),
    CONSTRAINT analysis_results_numbers_within_range
        CHECK (numbers_analyzed BETWEEN 1 AND end_range - start_range + 1),
    CONSTRAINT analysis_results_longest_in_range CHECK (longest_sequence BETWEEN start_range AND end_range),
    CONSTRAINT analysis_results_peak_in_range CHECK (highest_peak BETWEEN start_range AND end_range),
    CONSTRAINT analysis_results_duration_nonnegative CHECK (duration_ms >= 0),
    -- The record values must be the true ones of their holders.
    CONSTRAINT analysis_results_values_are_exact
        CHECK (longest_sequence_length = collatz_length(longest_sequence)
               AND highest_peak_value = collatz_peak(highest_peak))
);

COMMENT ON TABLE analysis_results IS 'One row per analysed range: its longest sequence and highest peak, exact';
COMMENT ON COLUMN analysis_results.id IS 'Surrogate key';
COMMENT ON COLUMN analysis_results.start_range IS 'First number of the range (>= 1)';
COMMENT ON COLUMN analysis_results.end_range IS 'Last number of the range (>= start_range)';
COMMENT ON COLUMN analysis_results.longest_sequence IS 'Number with the longest sequence in the range (the smallest on ties)';
COMMENT ON COLUMN analysis_results.longest_sequence_length IS 'Its sequence length (terms, n and 1 included)';
COMMENT ON COLUMN analysis_results.highest_peak IS 'Number whose sequence climbs highest in the range (the smallest on ties)';
COMMENT ON COLUMN analysis_results.highest_peak_value IS 'That peak, exact';
COMMENT ON COLUMN analysis_results.numbers_analyzed IS 'How many numbers of the range were analysed';
COMMENT ON COLUMN analysis_results.duration_ms IS 'Wall-clock time of the analysis, in milliseconds';
COMMENT ON COLUMN analysis_results.analysis_date IS 'When the analysis finished';
COMMENT ON COLUMN analysis_results.experiment_id IS 'Experiment the analysis ran under, if any (set NULL if the experiment is deleted)';

CREATE TABLE performance_metrics (
    id             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_type text             NOT NULL,
    execution_time double precision NOT NULL,
    rows_processed bigint           NOT NULL DEFAULT 0,
    memory_usage   bigint,
    recorded_at    timestamptz      NOT NULL DEFAULT now(),
    context        jsonb            NOT NULL DEFAULT '{}',
    CONSTRAINT performance_metrics_operation_type_identifier CHECK (operation_type ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT performance_metrics_execution_time_nonnegative CHECK (execution_time >= 0),
    CONSTRAINT performance_metrics_rows_nonnegative CHECK (rows_processed >= 0),
    CONSTRAINT performance_metrics_memory_nonnegative CHECK (memory_usage IS NULL OR memory_usage >= 0),
    CONSTRAINT performance_metrics_context_object CHECK (jsonb_typeof(context) = 'object')
);

COMMENT ON TABLE performance_metrics IS 'One row per executed operation: how long it took, how many rows, how much memory';
COMMENT ON COLUMN performance_metrics.id IS 'Surrogate key';
COMMENT ON COLUMN performance_metrics.operation_type IS 'What ran, as an identifier (batch_insert, analyze_range, cleanup, ...)';
COMMENT ON COLUMN performance_metrics.execution_time IS 'Wall-clock time, in milliseconds';
COMMENT ON COLUMN performance_metrics.rows_processed IS 'Rows (or numbers) the operation processed';
COMMENT ON COLUMN performance_metrics.memory_usage IS 'Peak memory the operation used, in bytes, when measured';
COMMENT ON COLUMN performance_metrics.recorded_at IS 'When the operation finished';
COMMENT ON COLUMN performance_metrics.context IS 'Arguments and settings of the run (a JSON object)';

-- pg_dump carries extension tables' rows, and their identity positions, only when told to.
-- One call per statement: each call updates the extension's catalog row.
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences', '');
SELECT pg_catalog.pg_extension_config_dump('sequence_steps', '');
SELECT pg_catalog.pg_extension_config_dump('experiments', '');
SELECT pg_catalog.pg_extension_config_dump('analysis_results', '');
SELECT pg_catalog.pg_extension_config_dump('performance_metrics', '');
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('analysis_results_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('performance_metrics_id_seq', '');

-- ==== 02_create_indexes.sql
-- Indexes beyond the keys. Each names the query it serves; tests/pg_regress/data_model.sql
-- checks with EXPLAIN that those queries use them.
-- Already indexed by their constraints: collatz_sequences (number) UNIQUE,
-- sequence_steps (sequence_id, step_number) PRIMARY KEY, experiments (name) UNIQUE.

-- Length ranges (WHERE sequence_length BETWEEN ...) and the longest first, smallest number
-- first on ties (ORDER BY sequence_length DESC, number).
CREATE INDEX collatz_sequences_sequence_length_idx ON collatz_sequences (sequence_length DESC, number);

-- The highest peaks first (ORDER BY max_value DESC, number).
CREATE INDEX collatz_sequences_max_value_idx ON collatz_sequences (max_value DESC, number);

-- Retention by age (WHERE created_at < ...).
CREATE INDEX collatz_sequences_created_at_idx ON collatz_sequences (created_at);

-- Analyses covering a number or overlapping a range.
CREATE INDEX analysis_results_range_idx ON analysis_results (start_range, end_range);

-- Latest analyses first, and retention by age.
CREATE INDEX analysis_results_analysis_date_idx ON analysis_results (analysis_date);

-- The foreign key: analyses of an experiment, and ON DELETE SET NULL without a scan.
CREATE INDEX analysis_results_experiment_id_idx ON analysis_results (experiment_id);

-- The dashboard per operation over time, and retention by age.
CREATE INDEX performance_metrics_operation_idx ON performance_metrics (operation_type, recorded_at);
CREATE INDEX performance_metrics_recorded_at_idx ON performance_metrics (recorded_at);

-- ==== 03_create_views.sql
-- Views for readers and BI tools: each answers one question without any SQL of the
-- reader's own, and every column is described (\d+ and BI catalogs show the comments).

CREATE VIEW v_sequence_summary AS
SELECT count(*)                                  AS total_sequences,
       min(s.number)                             AS smallest_number,
       max(s.number)                             AS largest_number,
       round(avg(s.sequence_length), 2)          AS mean_sequence_length,
       max(s.sequence_length)                    AS longest_sequence_length,
       (SELECT l.number FROM collatz_sequences l
        ORDER BY l.sequence_length DESC, l.number LIMIT 1) AS longest_sequence_number,
       max(s.max_value)                          AS highest_peak,
       (SELECT p.number FROM collatz_sequences p
        ORDER BY p.max_value DESC, p.number LIMIT 1)       AS highest_peak_number,
       (SELECT count(DISTINCT st.sequence_id) FROM sequence_steps st) AS sequences_with_steps,
       (SELECT count(*) FROM sequence_steps st)  AS stored_steps,
       min(s.created_at)                         AS first_stored_at,
       max(s.created_at)                         AS last_stored_at
FROM collatz_sequences s;

COMMENT ON VIEW v_sequence_summary IS 'Totals over the stored sequences: one row';
COMMENT ON COLUMN v_sequence_summary.total_sequences IS 'Stored sequences';
COMMENT ON COLUMN v_sequence_summary.smallest_number IS 'Smallest stored number';
COMMENT ON COLUMN v_sequence_summary.largest_number IS 'Largest stored number';
COMMENT ON COLUMN v_sequence_summary.mean_sequence_length IS 'Mean sequence length (terms), two decimals';
COMMENT ON COLUMN v_sequence_summary.longest_sequence_length IS 'Longest stored sequence length (terms)';
COMMENT ON COLUMN v_sequence_summary.longest_sequence_number IS 'Number with the longest stored sequence (smallest on ties)';
COMMENT ON COLUMN v_sequence_summary.highest_peak IS 'Highest peak among stored sequences';
COMMENT ON COLUMN v_sequence_summary.highest_peak_number IS 'Number with that peak (smallest on ties)';
COMMENT ON COLUMN v_sequence_summary.sequences_with_steps IS 'Stored sequences whose steps are stored too';
COMMENT ON COLUMN v_sequence_summary.stored_steps IS 'Rows in sequence_steps';
COMMENT ON COLUMN v_sequence_summary.first_stored_at IS 'When the oldest stored sequence was stored';
COMMENT ON COLUMN v_sequence_summary.last_stored_at IS 'When the newest stored sequence was stored';

CREATE VIEW v_sequence_length_distribution AS
SELECT s.sequence_length,
       count(*)                                            AS sequences,
       round(100.0 * count(*) / sum(count(*)) OVER (), 4)  AS percent,
       min(s.number)                                       AS smallest_number,
       max(s.max_value)                                    AS highest_peak
FROM collatz_sequences s
GROUP BY s.sequence_length;

COMMENT ON VIEW v_sequence_length_distribution IS 'How many stored sequences have each length: a histogram';
COMMENT ON COLUMN v_sequence_length_distribution.sequence_length IS 'Sequence length (terms)';
COMMENT ON COLUMN v_sequence_length_distribution.sequences IS 'Stored sequences of this length';
COMMENT ON COLUMN v_sequence_length_distribution.percent IS 'Share of all stored sequences, in percent';
COMMENT ON COLUMN v_sequence_length_distribution.smallest_number IS 'Smallest number with this length';
COMMENT ON COLUMN v_sequence_length_distribution.highest_peak IS 'Highest peak among sequences of this length';

CREATE VIEW v_top_sequences AS
(SELECT 'longest'::text AS ranking,
        row_number() OVER (ORDER BY s.sequence_length DESC, s.number) AS rank,
        s.number, s.sequence_length, s.steps_to_one, s.max_value
 FROM collatz_sequences s ORDER BY s.sequence_length DESC, s.number LIMIT 100)
UNION ALL
(SELECT 'highest peak'::text,
        row_number() OVER (ORDER BY s.max_value DESC, s.number),
        s.number, s.sequence_length, s.steps_to_one, s.max_value
 FROM collatz_sequences s ORDER BY s.max_value DESC, s.number LIMIT 100);

COMMENT ON VIEW v_top_sequences IS 'The 100 longest stored sequences and the 100 highest peaks (ties to the smaller number)';
COMMENT ON COLUMN v_top_sequences.ranking IS 'longest or highest peak';
COMMENT ON COLUMN v_top_sequences.rank IS 'Place in that ranking, from 1';
COMMENT ON COLUMN v_top_sequences.number IS 'The starting number';
COMMENT ON COLUMN v_top_sequences.sequence_length IS 'Its sequence length (terms)';
COMMENT ON COLUMN v_top_sequences.steps_to_one IS 'Its steps to 1';
COMMENT ON COLUMN v_top_sequences.max_value IS 'Its peak';

CREATE VIEW v_range_analysis AS
SELECT a.id                                 AS analysis_id,
       a.start_range,
       a.end_range,
       a.end_range - a.start_range + 1      AS range_size,
       a.numbers_analyzed,
       a.longest_sequence,
       a.longest_sequence_length,
       a.highest_peak,
       a.highest_peak_value,
       a.duration_ms,
       CASE WHEN a.duration_ms > 0
            THEN round((a.numbers_analyzed / (a.duration_ms / 1000.0))::numeric)
       END                                  AS numbers_per_second,
       a.analysis_date,
       a.experiment_id,
       e.name                               AS experiment_name
FROM analysis_results a
LEFT JOIN experiments e ON e.id = a.experiment_id;

COMMENT ON VIEW v_range_analysis IS 'Every range analysis with its records, speed and experiment';
COMMENT ON COLUMN v_range_analysis.analysis_id IS 'analysis_results.id';
COMMENT ON COLUMN v_range_analysis.start_range IS 'First number of the range';
COMMENT ON COLUMN v_range_analysis.end_range IS 'Last number of the range';
COMMENT ON COLUMN v_range_analysis.range_size IS 'Numbers in the range';
COMMENT ON COLUMN v_range_analysis.numbers_analyzed IS 'Numbers analysed';
COMMENT ON COLUMN v_range_analysis.longest_sequence IS 'Number with the longest sequence (smallest on ties)';
COMMENT ON COLUMN v_range_analysis.longest_sequence_length IS 'Its sequence length (terms)';
COMMENT ON COLUMN v_range_analysis.highest_peak IS 'Number with the highest peak (smallest on ties)';
COMMENT ON COLUMN v_range_analysis.highest_peak_value IS 'That peak, exact';
COMMENT ON COLUMN v_range_analysis.duration_ms IS 'Wall-clock time of the analysis, in milliseconds';
COMMENT ON COLUMN v_range_analysis.numbers_per_second IS 'Numbers analysed per second of wall-clock time';
COMMENT ON COLUMN v_range_analysis.analysis_date IS 'When the analysis finished';
COMMENT ON COLUMN v_range_analysis.experiment_id IS 'Experiment the analysis ran under, if any';
COMMENT ON COLUMN v_range_analysis.experiment_name IS 'Name of that experiment';

CREATE VIEW v_performance_dashboard AS
SELECT m.operation_type,
       count(*)                                                                 AS runs,
       sum(m.rows_processed)                                                    AS total_rows,
       round(avg(m.execution_time)::numeric, 3)                                 AS mean_ms,
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY m.execution_time)::numeric, 3) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY m.execution_time)::numeric, 3) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY m.execution_time)::numeric, 3) AS p99_ms,
       round(max(m.execution_time)::numeric, 3)                                 AS max_ms,
       CASE WHEN sum(m.execution_time) > 0
            THEN round(sum(m.rows_processed) / (sum(m.execution_time)::numeric / 1000))
       END                                                                      AS rows_per_second,
       max(m.memory_usage)                                                      AS max_memory_bytes,
       min(m.recorded_at)                                                       AS first_run_at,
       max(m.recorded_at)                                                       AS last_run_at
FROM performance_metrics m
GROUP BY m.operation_type;

COMMENT ON VIEW v_performance_dashboard IS 'Per operation: runs, throughput and execution-time percentiles';
COMMENT ON COLUMN v_performance_dashboard.operation_type IS 'The operation';
COMMENT ON COLUMN v_performance_dashboard.runs IS 'Recorded runs';
COMMENT ON COLUMN v_performance_dashboard.total_rows IS 'Rows processed by all runs';
COMMENT ON COLUMN v_performance_dashboard.mean_ms IS 'Mean execution time, ms';
COMMENT ON COLUMN v_performance_dashboard.p50_ms IS 'Median execution time, ms';
COMMENT ON COLUMN v_performance_dashboard.p95_ms IS '95th percentile of execution time, ms';
COMMENT ON COLUMN v_performance_dashboard.p99_ms IS '99th percentile of execution time, ms';
COMMENT ON COLUMN v_performance_dashboard.max_ms IS 'Slowest run, ms';
COMMENT ON COLUMN v_performance_dashboard.rows_per_second IS 'Throughput: all rows over all execution time';
COMMENT ON COLUMN v_performance_dashboard.max_memory_bytes IS 'Largest measured memory use, bytes';
COMMENT ON COLUMN v_performance_dashboard.first_run_at IS 'First recorded run';
COMMENT ON COLUMN v_performance_dashboard.last_run_at IS 'Latest recorded run';

-- ==== 04_create_functions.sql
-- Functions of the data model: the checks a CHECK constraint cannot make, and the
-- privilege levels a DBA hands out.

-- sequence_steps: every row written holds the true term of its sequence at its step, and
-- every sequence's steps stay contiguous from 0 (0..k). Statement triggers with transition
-- tables compute each touched sequence once, however many of its steps a statement writes.
CREATE FUNCTION sequence_steps_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
    bad record;
BEGIN
    -- Only the transition tables of this event exist, so each branch reads its own.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT sequence_id) INTO touched
        FROM (SELECT sequence_id FROM new_rows UNION SELECT sequence_id FROM old_rows) u;
    END IF;

    IF TG_OP <> 'DELETE' THEN
        WITH sequences AS (
            SELECT s.id, s.number, s.steps_to_one
            FROM @extschema@.collatz_sequences s
            JOIN unnest(touched) AS t(id) ON t.id = s.id
        ), truth AS (
            SELECT s.id AS sequence_id, q.step_number, q.value, q.operation_type
            FROM sequences s, LATERAL @extschema@.collatz_sequence(s.number) q
        )
        SELECT n.step_number, n.value, n.operation_type, s.number, s.steps_to_one,
               tr.value AS true_value, tr.operation_type AS true_operation
        INTO bad
        FROM new_rows n
        JOIN sequences s ON s.id = n.sequence_id
        LEFT JOIN truth tr ON tr.sequence_id = n.sequence_id AND tr.step_number = n.step_number
        WHERE tr.value IS DISTINCT FROM n.value OR tr.operation_type IS DISTINCT FROM n.operation_type
        LIMIT 1;
        IF FOUND AND bad.true_value IS NULL THEN
            RAISE EXCEPTION 'sequence_steps: step % of % does not exist: its sequence ends at step %',
                    bad.step_number, bad.number, bad.steps_to_one
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'A sequence has steps 0 to steps_to_one.';
        ELSIF FOUND THEN
            RAISE EXCEPTION 'sequence_steps: step % of % is % (%), not % (%)',
                    bad.step_number, bad.number, bad.true_value, bad.true_operation, bad.value, bad.operation_type
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'Store the terms collatz_sequence(number) returns.';
        END IF;
    END IF;

    SELECT s.number, count(*) AS steps, max(st.step_number) AS last_step
    INTO bad
    FROM @extschema@.sequence_steps st
    JOIN unnest(touched) AS t(id) ON t.id = st.sequence_id
    JOIN @extschema@.collatz_sequences s ON s.id = st.sequence_id
    GROUP BY s.number
    HAVING count(*) <> max(st.step_number) + 1
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'sequence_steps: the steps of % are not contiguous from 0: % stored, the last is step %',
                bad.number, bad.steps, bad.last_step
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'Store steps 0..k without gaps; delete from the end, or the whole sequence.';
    END IF;
    RETURN NULL;
END $$;

COMMENT ON FUNCTION sequence_steps_check() IS
    'Trigger: sequence_steps rows hold the true terms and stay contiguous from step 0';

-- A trigger sees only the transition tables its event has, so each event gets its own
-- trigger; the function reads only those that exist for TG_OP.
CREATE TRIGGER sequence_steps_check_insert AFTER INSERT ON sequence_steps
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();
CREATE TRIGGER sequence_steps_check_update AFTER UPDATE ON sequence_steps
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();
CREATE TRIGGER sequence_steps_check_delete AFTER DELETE ON sequence_steps
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();

-- collatz_sequences: a sequence whose steps are stored keeps its number (the steps would
-- silently belong to another sequence).
CREATE FUNCTION collatz_sequences_keep_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number <> OLD.number
       AND EXISTS (SELECT 1 FROM @extschema@.sequence_steps WHERE sequence_id = OLD.id) THEN
        RAISE EXCEPTION 'collatz_sequences: % has stored steps, so its number cannot change to %',
                OLD.number, NEW.number
            USING ERRCODE = 'check_violation', TABLE = 'collatz_sequences',
                  HINT = 'Delete the row (its steps go with it) and insert the new number.';
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION collatz_sequences_keep_number() IS
    'Trigger: a sequence with stored steps keeps its number';

CREATE TRIGGER collatz_sequences_keep_number BEFORE UPDATE OF number ON collatz_sequences
    FOR EACH ROW EXECUTE FUNCTION collatz_sequences_keep_number();

-- Privilege levels. Nothing is granted to PUBLIC: the schema itself is closed to it.
--   read:  look at everything (tables, views) and call the functions
--   write: read, plus INSERT and UPDATE on the tables (no DELETE, no TRUNCATE)
--   admin: write, plus DELETE and TRUNCATE (retention and cleanup)
CREATE FUNCTION collatz_grant(role_name regrole, access_level text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure;
BEGIN
    IF access_level IS NULL OR access_level NOT IN ('read', 'write', 'admin') THEN
        RAISE EXCEPTION 'collatz_grant: unknown access level %', coalesce(quote_literal(access_level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read, write or admin.';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role_name);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %s', role_name);
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace
          AND p.proname NOT IN ('collatz_grant', 'collatz_revoke')
          AND p.prorettype <> 'trigger'::regtype
    LOOP
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s',
                       CASE WHEN (SELECT prokind FROM pg_catalog.pg_proc WHERE oid = f) = 'p'
                            THEN 'PROCEDURE' ELSE 'FUNCTION' END, f, role_name);
    END LOOP;
    IF access_level IN ('write', 'admin') THEN
        EXECUTE format('GRANT INSERT, UPDATE ON collatz_sequences, sequence_steps, experiments,
                        analysis_results, performance_metrics TO %s', role_name);
    END IF;
    IF access_level = 'admin' THEN
        EXECUTE format('GRANT DELETE, TRUNCATE ON collatz_sequences, sequence_steps, experiments,
                        analysis_results, performance_metrics TO %s', role_name);
    END IF;
    RETURN format('%s can now %s collatz_ext data', role_name, access_level);
END $$;

COMMENT ON FUNCTION collatz_grant(regrole, text) IS
    'Gives a role read, write (read + INSERT/UPDATE) or admin (write + DELETE/TRUNCATE) access to collatz_ext. Re-run after ALTER EXTENSION UPDATE to cover new objects.';

CREATE FUNCTION collatz_revoke(role_name regrole) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON ALL PROCEDURES IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@ FROM %s', role_name);
    RETURN format('%s has no collatz_ext access now', role_name);
END $$;

COMMENT ON FUNCTION collatz_revoke(regrole) IS 'Takes every collatz_ext privilege back from a role';

REVOKE ALL ON FUNCTION collatz_grant(regrole, text), collatz_revoke(regrole) FROM PUBLIC;

