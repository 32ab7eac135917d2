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
