-- Performance metrics: every operation records its time, rows and memory here, through
-- record_metric, which only the extension's own functions may call.

CREATE TABLE performance_metrics (
    id             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_type text             NOT NULL,
    execution_time double precision NOT NULL,
    rows_processed bigint           NOT NULL DEFAULT 0,
    memory_usage   bigint,
    recorded_at    timestamptz      NOT NULL DEFAULT now(),
    context        jsonb            NOT NULL DEFAULT '{}',
    -- The seed design's name for recorded_at, for the SQL users and ORMs that know it.
    "timestamp"    timestamptz      GENERATED ALWAYS AS (recorded_at) STORED,
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
COMMENT ON COLUMN performance_metrics."timestamp" IS 'recorded_at under the seed design''s name (generated)';

-- The dashboard per operation over time, and retention by age.
CREATE INDEX performance_metrics_operation_idx ON performance_metrics (operation_type, recorded_at);
CREATE INDEX performance_metrics_recorded_at_idx ON performance_metrics (recorded_at);

-- pg_dump carries an extension table's rows, and its identity's position, only when told to.
SELECT pg_catalog.pg_extension_config_dump('performance_metrics', '');
SELECT pg_catalog.pg_extension_config_dump('performance_metrics_id_seq', '');

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
