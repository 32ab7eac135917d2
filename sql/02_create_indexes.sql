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
