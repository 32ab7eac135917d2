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
