-- Every read path that runs SQL, by whoever is connected (read level or above), on the
-- numbers above :lo that write_paths.sql stored. Values that change from run to run
-- (timestamps, durations) are shown only as present.
SELECT :lo OPERATOR(pg_catalog.+) 1 AS n1, :lo OPERATOR(pg_catalog.+) 3 AS n3,
       :lo OPERATOR(pg_catalog.+) 10 AS n10, :lo OPERATOR(pg_catalog.+) 2000 AS n2000 \gset
SELECT collatz.export_sequence_json(:n1) IS NOT NULL AS sequence_json;
SELECT collatz.export_sequences_json(:n1, :n10, page_size => 3, with_steps => true) IS NOT NULL AS sequences_json;
SELECT collatz.export_analysis_json(page_size => 2) IS NOT NULL AS analysis_json;
SELECT line FROM collatz.export_sequences_csv(:n1, :n3, ARRAY['number', 'steps_to_one', 'max_value']) AS line;
SELECT line IS NOT NULL AS steps_csv FROM collatz.export_sequences_csv(:n1, :n3, ARRAY['number', 'steps'], false) AS line;
SELECT line IS NOT NULL AS jsonl FROM collatz.export_sequences_jsonl(:n1, :n3, with_steps => true) AS line;
SELECT (SELECT true FROM collatz.export_analysis_csv() LIMIT 1) AS analysis_csv;
SELECT collatz.collatz_health() IS NOT NULL AS health;
SELECT number FROM collatz.find_sequences_in_range(:n1, :n10, 3);
SELECT number, stored FROM collatz.get_sequence(:n2000);
SELECT (SELECT true FROM collatz.v_sequence_summary LIMIT 1) AS summary,
       (SELECT true FROM collatz.v_top_sequences LIMIT 1) AS top,
       (SELECT true FROM collatz.v_range_analysis LIMIT 1) AS analyses,
       (SELECT true FROM collatz.v_sequence_length_distribution LIMIT 1) AS distribution,
       (SELECT true FROM collatz.v_performance_dashboard LIMIT 1) AS dashboard,
       (SELECT true FROM collatz.v_experiments LIMIT 1) AS experiments,
       (SELECT true FROM collatz.v_pipeline_progress LIMIT 1) AS progress;
-- sequence_steps_computed with the kit in the path (its sum, count and operators): the
-- foreign scan runs no SQL and applies only operators of the integer B-tree family, so a
-- sequence's rows are its true terms (against collatz_sequence's), and
-- the totals of the sequences up to 2100 are the same for every role (setup's digest
-- 'computed_steps', computed with a clean path, is compared again at the teardown).
SELECT (SELECT pg_catalog.array_agg(ROW(c.step_number, c.value, c.operation_type) ORDER BY c.step_number)
        FROM collatz.sequence_steps_computed c JOIN collatz.collatz_sequences s ON s.id OPERATOR(pg_catalog.=) c.sequence_id
        WHERE s.number OPERATOR(pg_catalog.=) :n3)::text
       OPERATOR(pg_catalog.=)
       (SELECT pg_catalog.array_agg(ROW(q.step_number::integer, q.value, q.operation_type) ORDER BY q.step_number)
        FROM collatz.collatz_sequence(:n3::bigint) q)::text AS computed_steps_true;
SELECT (SELECT pg_catalog.count(*)::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.sum(c.value)::text
                OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.count(c.operation_type)::text
        FROM collatz.sequence_steps_computed c JOIN collatz.collatz_sequences s ON s.id OPERATOR(pg_catalog.=) c.sequence_id
        WHERE s.number OPERATOR(pg_catalog.<=) 2100) AS computed_totals_up_to_2100;
