-- The repository and experiments API, metrics and health, through SQL.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
-- What the repository finds: [1, 1600] stored, with the steps of [1, 60].
CALL sp_batch_insert_sequences(1, 1600);
CALL sp_batch_insert_sequences(1, 60, with_steps => true);

------------------------------------------------------------------------------------------
-- Repository
------------------------------------------------------------------------------------------
SELECT number, sequence_length, steps_to_one, max_value FROM save_sequence(1000001);
SELECT number, sequence_length, max_value, stored FROM get_sequence(27);
SELECT number, sequence_length, max_value, created_at, stored FROM get_sequence(99999999);
SELECT count(*) AS cached_before FROM collatz_sequences WHERE number = 99999999;
SELECT number, sequence_length, stored FROM get_sequence(99999999, cache => true);
SELECT count(*) AS cached_after FROM collatz_sequences WHERE number = 99999999;
SELECT * FROM get_sequence(0);
SELECT batch_save_sequences(ARRAY[27, 2000001, 2000002, 2000002], with_steps => true) AS written;
SELECT count(*) AS steps_of_2000001 FROM sequence_steps st JOIN collatz_sequences s ON s.id = st.sequence_id
WHERE s.number = 2000001;
SELECT batch_save_sequences(ARRAY[3000001, -4]);
SELECT count(*) AS stored_3000001 FROM collatz_sequences WHERE number = 3000001;
SELECT batch_save_sequences(ARRAY[27], on_conflict => 'error');

-- Keyset pagination: the next page starts after the last number of this one.
SELECT number, sequence_length FROM find_sequences_in_range(100, 1000, page_size => 3);
SELECT number, sequence_length FROM find_sequences_in_range(100, 1000, page_size => 3, after_number => 102);
SELECT number FROM find_sequences_in_range(100, 1000, page_size => 5, after_number => 998);
SELECT number, sequence_length FROM find_sequences_in_range(1, 1600, page_size => 3, min_length => 150);
SELECT count(*) AS pages FROM (
    WITH RECURSIVE pages(last_number, n) AS (
        SELECT max(number), 1 FROM find_sequences_in_range(1, 1600, 400)
        UNION ALL
        SELECT (SELECT max(number) FROM find_sequences_in_range(1, 1600, 400, after_number => p.last_number)), n + 1
        FROM pages p WHERE p.last_number IS NOT NULL
    ) SELECT * FROM pages WHERE last_number IS NOT NULL) p;
SELECT * FROM find_sequences_in_range(100, 1000, page_size => 0);

------------------------------------------------------------------------------------------
-- Experiments
------------------------------------------------------------------------------------------
SELECT create_experiment('records below 10^5', 'baseline', '{"start": 1, "end": 100000}') AS experiment_id \gset
CALL sp_analyze_range(1, 100000, experiment_id => :experiment_id);
SELECT last_analysis -> 'longest_sequence' AS longest, last_analysis -> 'highest_peak' AS highest
FROM v_experiments WHERE experiment_id = :experiment_id;
SELECT name, results ->> 'note' AS note, results ? 'last_analysis' AS analysis_in_results
FROM record_experiment_results(:experiment_id, '{"note": "matches OEIS"}');
SELECT name, parameters, analyses, numbers_analyzed FROM v_experiments;
SELECT record_experiment_results(4242, '{}');
SELECT create_experiment('records below 10^5');

------------------------------------------------------------------------------------------
-- Metrics and health
------------------------------------------------------------------------------------------
SELECT operation_type, runs, total_rows, max_memory_bytes > 0 AS memory_measured
FROM v_performance_dashboard ORDER BY operation_type;
SELECT h ->> 'version' AS version, h ->> 'library_version' AS library,
       h -> 'settings' ->> 'collatz.batch_size' AS batch_size,
       h -> 'last_analysis' ->> 'end_range' AS last_analysis_end,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(h -> 'tables') k) AS tables
FROM collatz_health() AS h;
