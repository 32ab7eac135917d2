-- The data model: tables, constraints (each violation), the step triggers, views with known
-- contents, indexes used by the common queries, descriptions, and privilege levels.
\set SHOW_CONTEXT never

-- What \d shows a DBA.
\d collatz_sequences
\d sequence_steps

-- Every table, view, foreign table and column is described for BI tools and \d+.
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') IS NOT NULL AS described,
       count(a.attnum) AS columns, count(col_description(c.oid, a.attnum)) AS described_columns
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'collatz'::regnamespace AND c.relkind IN ('r', 'v', 'f')
GROUP BY c.oid, c.relname, c.relkind ORDER BY c.relkind, c.relname;

-- pg_dump carries all five tables and their identity sequences.
SELECT unnest(extconfig)::regclass::text AS dumped FROM pg_extension WHERE extname = 'collatz_ext' ORDER BY 1;

-- Known rows: [1, 1000] with the steps of 1..30 and of 27.
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT number, sequence_length, steps_to_one, max_value FROM collatz_range(1, 1000);
INSERT INTO sequence_steps (sequence_id, step_number, value, operation_type)
SELECT s.id, q.step_number, q.value, q.operation_type
FROM collatz_sequences s, collatz_sequence(s.number) q WHERE s.number <= 30;

-- collatz_sequences: each constraint, violated. (Terse: the DETAIL would show created_at.)
\set VERBOSITY terse
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (27, 112, 111, 9232);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (0, 1, 0, 1);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (2001, 10, 10, 6004);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (2001, 1, 0, 1);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (2001, 21, 20, 6004);
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (2001, NULL, NULL, NULL);
INSERT INTO collatz_sequences (id, number, sequence_length, steps_to_one, max_value) VALUES (5, 2001, 20, 19, 6004);
UPDATE collatz_sequences SET max_value = max_value + 1 WHERE number = 5;
\set VERBOSITY default
-- The true row goes in.
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT 2001, collatz_length(2001), collatz_steps(2001), collatz_peak(2001) RETURNING number, sequence_length, max_value;

-- sequence_steps: the checks per row, and the triggers over each statement.
INSERT INTO sequence_steps SELECT id, 0, 31, 'odd' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps SELECT id, 0, 31, 'middle' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps SELECT id, -1, 31, 'even' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps SELECT id, 0, 0, 'start' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps VALUES (999999, 0, 1, 'start');
INSERT INTO sequence_steps SELECT id, 0, 32, 'start' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps SELECT id, 1, 94, 'odd' FROM collatz_sequences WHERE number = 31;
INSERT INTO sequence_steps SELECT id, 107, 1, 'even' FROM collatz_sequences WHERE number = 31;
UPDATE sequence_steps SET value = 125 WHERE step_number = 3 AND sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27);
DELETE FROM sequence_steps WHERE step_number = 50 AND sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27);
UPDATE collatz_sequences SET number = 28 WHERE number = 27;
-- Steps in several statements, in order, are fine; so is trimming from the end.
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(31) q WHERE s.number = 31 AND q.step_number < 50;
INSERT INTO sequence_steps SELECT s.id, q.* FROM collatz_sequences s, collatz_sequence(31) q WHERE s.number = 31 AND q.step_number >= 50;
DELETE FROM sequence_steps WHERE step_number > 100 AND sequence_id = (SELECT id FROM collatz_sequences WHERE number = 31);
SELECT count(*) AS steps_of_31, max(step_number) AS last FROM sequence_steps JOIN collatz_sequences s ON s.id = sequence_id WHERE s.number = 31;
-- Deleting a sequence takes its steps.
DELETE FROM collatz_sequences WHERE number = 31;
SELECT count(*) AS steps_left_of_31 FROM sequence_steps WHERE sequence_id NOT IN (SELECT id FROM collatz_sequences);

-- Underneath, one sequence_terms row per sequence holds its terms from step 0: the same
-- terms as a recursive walk from the definition, row for row through the view (rules too).
WITH RECURSIVE w(n, step, x, rule) AS (
    SELECT number, 0, number::numeric, 'start' FROM collatz_sequences WHERE id IN (SELECT sequence_id FROM sequence_terms)
    UNION ALL
    SELECT n, step + 1, CASE WHEN mod(x, 2) = 1 THEN 3 * x + 1 ELSE div(x, 2) END,
           CASE WHEN mod(x, 2) = 1 THEN 'odd' ELSE 'even' END
    FROM w WHERE x <> 1)
SELECT count(*) AS steps, count(*) FILTER (WHERE st.value = w.x AND st.operation_type = w.rule) AS true_steps,
       (SELECT count(*) FROM sequence_terms) AS sequences,
       (SELECT bool_and(t.terms = (SELECT array_agg(x ORDER BY step) FROM w WHERE w.n = s.number))
        FROM sequence_terms t JOIN collatz_sequences s ON s.id = t.sequence_id) AS arrays_agree
FROM w JOIN collatz_sequences s ON s.number = w.n
JOIN sequence_steps st ON st.sequence_id = s.id AND st.step_number = w.step;
-- Written directly, each wrong array is refused (23514): a wrong term, a term past the end,
-- a NULL, no terms, another shape, true terms moved to another sequence.
\set VERBOSITY terse
INSERT INTO sequence_terms SELECT id, '{40, 20, 11}' FROM collatz_sequences WHERE number = 40;
INSERT INTO sequence_terms SELECT id, '{40, 20, 10, 5, 16, 8, 4, 2, 1, 4}' FROM collatz_sequences WHERE number = 40;
INSERT INTO sequence_terms SELECT id, '{40, NULL}' FROM collatz_sequences WHERE number = 40;
INSERT INTO sequence_terms SELECT id, '{}' FROM collatz_sequences WHERE number = 40;
INSERT INTO sequence_terms SELECT id, '[0:1]={40, 20}' FROM collatz_sequences WHERE number = 40;
INSERT INTO sequence_terms SELECT id, '{{40, 20}}' FROM collatz_sequences WHERE number = 40;
UPDATE sequence_terms SET sequence_id = (SELECT id FROM collatz_sequences WHERE number = 41)
WHERE sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27);
\set VERBOSITY default
-- A true prefix goes in, through the table or (COPY too) through the view, and grows.
INSERT INTO sequence_terms SELECT id, '{40, 20}' FROM collatz_sequences WHERE number = 40;
\copy sequence_steps (sequence_id, step_number, value, operation_type) FROM PROGRAM 'printf "40\t2\t10\teven\n"'
UPDATE sequence_steps SET value = value WHERE sequence_id = 40;
SELECT t.terms, array_agg(st.operation_type ORDER BY st.step_number) AS rules
FROM sequence_terms t JOIN sequence_steps st USING (sequence_id) WHERE t.sequence_id = 40 GROUP BY t.terms;
-- Deleting every step of a sequence through the view takes its row away.
DELETE FROM sequence_steps WHERE sequence_id = 40;
SELECT count(*) AS rows_of_40 FROM sequence_terms WHERE sequence_id = 40;
-- The view is no table: TRUNCATE sequence_terms empties the steps.
TRUNCATE sequence_steps;
-- Terms past 2^63 stay exact: 8,528,817,511 is the first number whose peak passes it.
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT 8528817511, collatz_length(8528817511), collatz_steps(8528817511), collatz_peak(8528817511);
SELECT collatz_internal.store_steps(8528817511, 8528817511) AS stored;
SELECT max(st.value) AS peak, max(st.value) = s.max_value AS is_the_peak, max(st.value) > 2 ^ 63 AS past_2_63,
       count(*) = s.sequence_length AS every_step
FROM sequence_steps st JOIN collatz_sequences s ON s.id = st.sequence_id WHERE s.number = 8528817511
GROUP BY s.max_value, s.sequence_length;
DELETE FROM collatz_sequences WHERE number = 8528817511;

-- experiments, analysis_results, performance_metrics: each constraint, violated, then true rows.
\set VERBOSITY terse
INSERT INTO experiments (name) VALUES ('  ');
INSERT INTO experiments (name, parameters) VALUES ('x', '[1, 2]');
INSERT INTO experiments (name, results) VALUES ('x', '"done"');
INSERT INTO experiments (name, description, parameters) VALUES ('baseline', 'first look', '{"range": [1, 1000]}');
INSERT INTO experiments (name) VALUES ('baseline');
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (0, 10, 9, 20, 7, 52, 10, 1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (10, 1, 9, 20, 7, 52, 10, 1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (1, 10, 9, 20, 7, 52, 11, 1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (1, 10, 27, 112, 7, 52, 10, 1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (1, 10, 9, 21, 7, 52, 10, 1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
VALUES (1, 10, 9, 20, 7, 52, 10, -1);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms, experiment_id)
VALUES (1, 10, 9, 20, 7, 52, 10, 2.5, 12345);
INSERT INTO analysis_results (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms, experiment_id)
VALUES (1, 10, 9, 20, 7, 52, 10, 2.5, (SELECT id FROM experiments WHERE name = 'baseline')),
       (1, 1000, 871, 179, 703, 250504, 1000, 40, NULL);
INSERT INTO performance_metrics (operation_type, execution_time) VALUES ('Batch Insert', 1);
INSERT INTO performance_metrics (operation_type, execution_time) VALUES ('batch_insert', -1);
INSERT INTO performance_metrics (operation_type, execution_time, rows_processed) VALUES ('batch_insert', 1, -5);
INSERT INTO performance_metrics (operation_type, execution_time, context) VALUES ('batch_insert', 1, '[]');
\set VERBOSITY default
INSERT INTO performance_metrics (operation_type, execution_time, rows_processed, memory_usage)
SELECT 'batch_insert', ms, 1000, 1048576 FROM generate_series(1, 100) AS ms;
INSERT INTO performance_metrics (operation_type, execution_time, rows_processed) VALUES ('analyze_range', 40, 1000);

-- Views over known contents.
SELECT total_sequences, smallest_number, largest_number, mean_sequence_length, longest_sequence_length,
       longest_sequence_number, highest_peak, highest_peak_number, sequences_with_steps, stored_steps,
       first_stored_at <= last_stored_at AS times_ordered
FROM v_sequence_summary;
SELECT * FROM v_sequence_length_distribution ORDER BY sequences DESC, sequence_length LIMIT 5;
SELECT sum(sequences) AS total, round(sum(percent)) AS percent FROM v_sequence_length_distribution;
SELECT * FROM v_top_sequences WHERE rank <= 3 ORDER BY ranking, rank;
SELECT start_range, end_range, range_size, numbers_analyzed, longest_sequence, longest_sequence_length,
       highest_peak, highest_peak_value, duration_ms, numbers_per_second, experiment_name
FROM v_range_analysis ORDER BY analysis_id;
SELECT operation_type, runs, total_rows, mean_ms, p50_ms, p95_ms, p99_ms, max_ms, rows_per_second, max_memory_bytes
FROM v_performance_dashboard ORDER BY operation_type;
-- The summary's maintained totals agree with counting, after inserts, failed inserts,
-- deletes (with cascades) and updates.
SELECT s.total_sequences = (SELECT count(*) FROM collatz.collatz_sequences) AS sequences_agree,
       s.stored_steps = (SELECT count(*) FROM collatz.sequence_steps) AS steps_agree,
       s.sequences_with_steps = (SELECT count(DISTINCT sequence_id) FROM collatz.sequence_steps) AS with_steps_agree,
       s.mean_sequence_length IS NOT DISTINCT FROM (SELECT round(avg(sequence_length), 2) FROM collatz.collatz_sequences) AS mean_agrees
FROM collatz.v_sequence_summary s;
-- Deleting an experiment keeps its analyses, unlinked.
DELETE FROM experiments WHERE name = 'baseline';
SELECT count(*) AS analyses, count(experiment_id) AS linked FROM analysis_results;

-- The common queries use the indexes (planner told to avoid sequential scans, as on a big table).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM collatz_sequences WHERE number = 27;
EXPLAIN (COSTS OFF) SELECT number FROM collatz_sequences WHERE sequence_length BETWEEN 100 AND 120;
EXPLAIN (COSTS OFF) SELECT number FROM collatz_sequences ORDER BY sequence_length DESC, number LIMIT 10;
EXPLAIN (COSTS OFF) SELECT number FROM collatz_sequences ORDER BY max_value DESC, number LIMIT 10;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps WHERE sequence_id = 27 ORDER BY step_number;
EXPLAIN (COSTS OFF) SELECT * FROM analysis_results WHERE start_range <= 500 AND end_range >= 500;
EXPLAIN (COSTS OFF) SELECT * FROM performance_metrics WHERE operation_type = 'batch_insert' ORDER BY recorded_at DESC LIMIT 10;
RESET enable_seqscan;
-- Each index of collatz_sequences answers queries the README lists (issue 15; the others are
-- above): the unique number index the summary's number range and find_sequences_in_range,
-- the length index a page of a length range (benches/pgbench/length_range.sql) and the
-- longest sequences, the peak index the highest peaks (ties in number order: an incremental
-- sort over it), created_at the summary's first and last stored rows, and the primary key
-- a sequence's steps (sequence_steps_computed, the foreign key of sequence_steps).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT number, sequence_length FROM collatz_sequences WHERE sequence_length BETWEEN 100 AND 105
ORDER BY sequence_length DESC, number LIMIT 100;
-- find_sequences_in_range's page (and the exports' number ranges):
EXPLAIN (COSTS OFF) SELECT * FROM collatz_sequences WHERE number BETWEEN 1 AND 1000 AND number > 20 ORDER BY number LIMIT 20;
EXPLAIN (COSTS OFF) SELECT ranking, rank, number FROM v_top_sequences;
EXPLAIN (COSTS OFF) SELECT smallest_number, largest_number, highest_peak_number, first_stored_at, last_stored_at
FROM v_sequence_summary;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE sequence_id = 27;
RESET enable_seqscan;

-- Privileges: PUBLIC gets nothing; read, write and admin levels through collatz_grant.
CREATE ROLE regress_collatz_nobody;
CREATE ROLE regress_collatz_reader;
CREATE ROLE regress_collatz_writer;
CREATE ROLE regress_collatz_admin;
SELECT collatz_grant('regress_collatz_reader', 'read');
SELECT collatz_grant('regress_collatz_writer', 'write');
SELECT collatz_grant('regress_collatz_admin', 'admin');
SELECT collatz_grant('regress_collatz_nobody', 'superpowers');
-- The role is named as text: a name that is no role, NULL, and the extension's owner are
-- refused with their own SQLSTATEs (a regrole argument gave 42601 for '-').
SELECT collatz_grant('-', 'read');
SELECT collatz_grant('regress_collatz_nosuch', 'read');
SELECT collatz_grant(NULL, 'read');
SELECT collatz_revoke(NULL);
SELECT collatz_grant(current_user, 'read');
-- A name as stored, or as SQL writes it.
CREATE ROLE "Regress Collatz Spaced";
SELECT collatz_grant('Regress Collatz Spaced', 'read'), collatz_revoke('"Regress Collatz Spaced"');
DROP ROLE "Regress Collatz Spaced";
DO $$
DECLARE
    q text;
BEGIN
    FOREACH q IN ARRAY ARRAY['SELECT collatz_grant(''-'', ''read'')', 'SELECT collatz_grant(NULL, ''read'')',
                             'SELECT collatz_grant(current_user, ''read'')'] LOOP
        BEGIN
            EXECUTE q;
            RAISE NOTICE '% -> ok', q;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE '% -> %', q, SQLSTATE;
        END;
    END LOOP;
END $$;

SET ROLE regress_collatz_nobody;
SELECT count(*) FROM collatz.collatz_sequences;
SELECT collatz.collatz_steps(27);
RESET ROLE;

SET ROLE regress_collatz_reader;
SELECT collatz_steps(27) AS steps, (SELECT total_sequences FROM v_sequence_summary) AS stored;
INSERT INTO experiments (name) VALUES ('reader was here');
UPDATE collatz_sequences SET created_at = now() WHERE number = 1;
SELECT collatz_grant('regress_collatz_reader', 'admin');
RESET ROLE;

SET ROLE regress_collatz_writer;
INSERT INTO experiments (name) VALUES ('writer was here') RETURNING name;
INSERT INTO collatz_sequences (number, sequence_length, steps_to_one, max_value)
SELECT 5000, collatz_length(5000), collatz_steps(5000), collatz_peak(5000) RETURNING number;
DELETE FROM performance_metrics;
TRUNCATE performance_metrics;
RESET ROLE;

SET ROLE regress_collatz_admin;
DELETE FROM experiments WHERE name = 'writer was here';
DELETE FROM performance_metrics WHERE operation_type = 'analyze_range';
RESET ROLE;

SELECT collatz_revoke('regress_collatz_admin');
SET ROLE regress_collatz_admin;
SELECT count(*) FROM collatz.experiments;
RESET ROLE;

SELECT collatz_revoke(r) FROM unnest(ARRAY['regress_collatz_reader', 'regress_collatz_writer']) AS r;
DROP ROLE regress_collatz_nobody, regress_collatz_reader, regress_collatz_writer, regress_collatz_admin;
