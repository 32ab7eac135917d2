-- Range analysis: the longest sequence and the highest peak of a range, stored in
-- analysis_results by the functions that computed them (the function form here; the
-- resumable procedure in pipeline.sql).

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

-- Analyses covering a number or overlapping a range.
CREATE INDEX analysis_results_range_idx ON analysis_results (start_range, end_range);
-- Latest analyses first, and retention by age.
CREATE INDEX analysis_results_analysis_date_idx ON analysis_results (analysis_date);
-- The foreign key: analyses of an experiment, and ON DELETE SET NULL without a scan.
CREATE INDEX analysis_results_experiment_id_idx ON analysis_results (experiment_id);

-- pg_dump carries an extension table's rows, and its identity's position, only when told to.
SELECT pg_catalog.pg_extension_config_dump('analysis_results', '');
SELECT pg_catalog.pg_extension_config_dump('analysis_results_id_seq', '');

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

-- The latest analysis of each experiment comes from analysis_results, which only the
-- extension writes: it is not copied into experiments.results, which the write level may
-- edit (0.4.0 kept it there, where a writer could rewrite it).
CREATE VIEW v_experiments AS
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

COMMENT ON VIEW v_experiments IS 'Experiments with their analyses';
COMMENT ON COLUMN v_experiments.experiment_id IS 'experiments.id';
COMMENT ON COLUMN v_experiments.name IS 'Experiment name';
COMMENT ON COLUMN v_experiments.description IS 'Free text';
COMMENT ON COLUMN v_experiments.parameters IS 'Parameters (JSON object)';
COMMENT ON COLUMN v_experiments.results IS 'Results recorded with record_experiment_results (a JSON object)';
COMMENT ON COLUMN v_experiments.created_at IS 'When the experiment was created';
COMMENT ON COLUMN v_experiments.analyses IS 'Analyses run under it';
COMMENT ON COLUMN v_experiments.last_analysis_at IS 'When the latest of them finished';
COMMENT ON COLUMN v_experiments.numbers_analyzed IS 'Numbers analysed under it in all';
COMMENT ON COLUMN v_experiments.last_analysis IS 'The latest analysis under it: range, records, duration (from analysis_results)';

-- Stores a finished analysis and its metric.
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
    PERFORM collatz_internal.record_metric('analyze_range', duration, numbers,
        context || jsonb_build_object('start_range', start_number, 'end_range', end_number,
                                      'analysis_id', stored.id, 'experiment_id', experiment));
    RETURN stored;
END $$;
COMMENT ON FUNCTION collatz_internal.record_analysis(bigint, bigint, bigint, bigint, bigint, bigint, numeric, double precision, bigint, jsonb) IS
    'Stores a finished analysis in analysis_results and its metric';

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

-- One segment of an analysis run that is spread over several servers (collatz_ext_cluster
-- runs one on each node): the records of [start_number, end_number] among the numbers that
-- can hold the records of the whole run [run_start, run_end], NULL where none can (a number
-- that a number elsewhere in the run dominates is not walked). Recorded in this server's
-- performance_metrics, records included; analysis_results is for whole ranges only. Judged
-- against the run, the six parts of the 3-server plan of [1, 3*10^8] cost 0.8-1.0 times the
-- whole range (14.1 / 13.2 s against 17.7 / 13.6 s, two repeats, 2 cores, with the engine
-- before the 0.6.0 sieve); judged against their own bounds (analyze_range), its thirds cost
-- 1.4-1.5 times the whole (24.7 / 20.1 s), and the busiest third took 0.6 of it, where the
-- busiest server's parts take 0.3.
CREATE FUNCTION analyze_segment(start_number bigint, end_number bigint, run_start bigint, run_end bigint)
RETURNS TABLE (numbers_analyzed bigint, longest_sequence bigint, longest_sequence_length bigint,
               highest_peak bigint, highest_peak_value numeric, duration_ms double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    s record;
BEGIN
    PERFORM collatz_internal.collatz_check_range(run_start, run_end, NULL, 'analyze_segment');
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, 1000000000000, 'analyze_segment');
    IF start_number < run_start OR end_number > run_end THEN
        RAISE EXCEPTION 'analyze_segment: the segment [%, %] is not within the run [%, %]',
                        start_number, end_number, run_start, run_end
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A segment is a piece of the run it is judged against.';
    END IF;
    PERFORM collatz_internal.collatz_reset_peak_memory();
    SELECT * INTO s FROM collatz_internal.collatz_analyze_segment(start_number, end_number, run_start, run_end);
    numbers_analyzed := s.numbers_analyzed;
    longest_sequence := s.longest_sequence;
    longest_sequence_length := s.longest_sequence_length;
    highest_peak := s.highest_peak;
    highest_peak_value := s.highest_peak_value;
    duration_ms := collatz_internal.elapsed_ms(started);
    PERFORM collatz_internal.record_metric('analyze_segment', duration_ms, numbers_analyzed,
        jsonb_build_object('start_range', start_number, 'end_range', end_number, 'run_start', run_start,
                           'run_end', run_end, 'longest_sequence', longest_sequence,
                           'longest_sequence_length', longest_sequence_length, 'highest_peak', highest_peak,
                           'highest_peak_value', highest_peak_value, 'memo_bytes', s.memory_bytes));
    RETURN NEXT;
END $$;
COMMENT ON FUNCTION analyze_segment(bigint, bigint, bigint, bigint) IS
    'The records of [start_number, end_number] among the numbers that can hold those of the run [run_start, run_end] (NULL where none can), for analyses spread over several servers; recorded in performance_metrics';
