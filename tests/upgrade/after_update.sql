-- The new release's surface works in an updated database.
\set ON_ERROR_STOP 1
SET search_path = collatz, public;
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT n, collatz_length(n), steps, peak FROM public.user_numbers WHERE n <= 1000
ON CONFLICT (number) DO NOTHING;
-- sequence_steps is a view from 0.6.0 on, which ON CONFLICT cannot serve: skip the stored.
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(s.number) q WHERE s.number <= 10
AND NOT EXISTS (SELECT 1 FROM sequence_steps st WHERE st.sequence_id = s.id);
-- The summary's totals and the length histogram (0.6.0), filled from the rows already
-- there, agree with counting.
SELECT total_sequences, longest_sequence_number,
       total_sequences = (SELECT count(*) FROM collatz_sequences)
       AND stored_steps = (SELECT count(*) FROM sequence_steps)
       AND NOT EXISTS (SELECT sequence_length, sequences, smallest_number, highest_peak FROM v_sequence_length_distribution
                       EXCEPT SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz_sequences GROUP BY 1)
       AND NOT EXISTS (SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz_sequences GROUP BY 1
                       EXCEPT SELECT sequence_length, sequences, smallest_number, highest_peak FROM v_sequence_length_distribution)
           AS totals_agree
FROM v_sequence_summary;
-- 0.4.0: what an updated database exports, it imports back unchanged.
SELECT import_open();
INSERT INTO collatz_import_lines (line) SELECT * FROM export_sequences_jsonl(1, 10, with_steps => true);
SELECT valid, rejected, already_stored,
       valid = (SELECT count(*) FROM collatz_sequences WHERE number <= 10) AND rejected = 0 AS export_imports_back
FROM import_sequences('json');
-- 0.6.0: sequence_steps_computed (the extension's foreign scan) holds every term of the
-- updated rows: as many as their lengths, the stored steps among them.
SELECT (SELECT count(*) FROM sequence_steps_computed) = (SELECT sum(sequence_length) FROM collatz_sequences)
       AND NOT EXISTS (SELECT * FROM sequence_steps EXCEPT SELECT * FROM sequence_steps_computed) AS computed_steps_agree;
