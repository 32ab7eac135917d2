-- A resumable analysis is split into segments, each judged against the whole run (numbers
-- dominated by a number in another segment are not walked). Whatever the split, the run
-- stores the answer of the whole range, checked against a plain maximum over collatz_range,
-- which walks every number to 1 and knows no dominance rule.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TEMP TABLE splits (start_number bigint, end_number bigint, segment bigint);
INSERT INTO splits VALUES (1, 1000, 1), (1, 1000, 2), (1, 1000, 7), (17, 5000, 64), (3000, 9000, 1000),
                          (1, 100000, 4096), (77000, 78000, 3), (2, 3, 1), (9, 9, 1);
-- The steps in one transaction: the function forms of what sp_analyze_range commits.
DO $$
DECLARE
    r record;
    step collatz.pipeline_step;
BEGIN
    FOR r IN SELECT * FROM splits ORDER BY start_number, end_number, segment LOOP
        step := collatz.analysis_run_start(r.start_number, r.end_number, NULL, r.segment);
        WHILE NOT step.done LOOP
            step := collatz.pipeline_run_step(step.run_id);
        END LOOP;
    END LOOP;
END $$;
SELECT s.start_number, s.end_number, s.segment,
       (a.longest_sequence, a.longest_sequence_length) = (l.number, l.sequence_length) AS longest_agrees,
       (a.highest_peak, a.highest_peak_value) = (p.number, p.max_value) AS peak_agrees,
       a.numbers_analyzed = s.end_number - s.start_number + 1 AS all_counted
FROM splits s
JOIN pipeline_runs r ON (r.start_range, r.end_range, (r.options ->> 'segment_size')::bigint)
                      = (s.start_number, s.end_number, s.segment)
JOIN performance_metrics m ON (m.context ->> 'run_id')::bigint = r.id
JOIN analysis_results a ON a.id = (m.context ->> 'analysis_id')::bigint
CROSS JOIN LATERAL (SELECT number, sequence_length FROM collatz_range(s.start_number, s.end_number)
                    ORDER BY sequence_length DESC, number LIMIT 1) l
CROSS JOIN LATERAL (SELECT number, max_value FROM collatz_range(s.start_number, s.end_number)
                    ORDER BY max_value DESC, number LIMIT 1) p
ORDER BY 1, 2, 3;
-- The segment function itself: NULL where no number of the segment can hold a record
-- (every number of [501, 1000] has its double in [1, 2000], so none is the longest), and a
-- segment outside its run refused.
SELECT numbers_analyzed, longest_sequence, highest_peak IS NULL AS no_peak_candidate
FROM collatz_internal.collatz_analyze_segment(501, 1000, 1, 2000);
SELECT * FROM collatz_internal.collatz_analyze_segment(1, 10, 5, 20);

-- Any bigint range: up to the bigint maximum (no end_range + 1 is ever computed), and one of
-- 2^40 numbers, which the procedure accepts, checkpoints every segment and leaves
-- resumable when statement_timeout stops it.
CALL sp_analyze_range(9223372036854775000, 9223372036854775807, segment_size => 300);
CALL sp_batch_insert_sequences(9223372036854775800, 9223372036854775807, batch_size => 3);
SELECT operation_type, state, numbers_done = numbers_total AS complete
FROM v_pipeline_progress WHERE end_range = 9223372036854775807 ORDER BY run_id;
SELECT count(*) AS stored_near_the_maximum, min(max_value) > 2::numeric^63 AS peaks_past_bigint
FROM collatz_sequences WHERE number >= 9223372036854775800;
SELECT a.longest_sequence = l.number AND a.highest_peak = p.number AS agrees_with_a_plain_maximum
FROM analysis_results a,
     LATERAL (SELECT number FROM collatz_range(9223372036854775000, 9223372036854775807)
              ORDER BY sequence_length DESC, number LIMIT 1) l,
     LATERAL (SELECT number FROM collatz_range(9223372036854775000, 9223372036854775807)
              ORDER BY max_value DESC, number LIMIT 1) p
WHERE a.end_range = 9223372036854775807;
SET statement_timeout = '500ms';
CALL sp_analyze_range(1, 1099511627776, segment_size => 1000000);
RESET statement_timeout;
SELECT state, numbers_total, numbers_done > 0 AS checkpointed FROM v_pipeline_progress
WHERE end_range = 1099511627776;
SELECT numbers_done AS done_before FROM v_pipeline_progress WHERE end_range = 1099511627776 \gset
SET statement_timeout = '500ms';
CALL sp_analyze_range(1, 1099511627776, segment_size => 1000000);
RESET statement_timeout;
SELECT count(*) AS runs, bool_and(numbers_done > :done_before) AS resumed_further, bool_and(state = 'interrupted') AS interrupted
FROM v_pipeline_progress WHERE end_range = 1099511627776;
