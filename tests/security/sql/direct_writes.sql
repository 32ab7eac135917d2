-- Direct writes. Each role tries every statement below on the extension's tables,
-- sequences and schemas: INSERT (OVERRIDING SYSTEM VALUE too), UPDATE, DELETE, TRUNCATE,
-- MERGE, row locks, LOCK TABLE, setval and nextval, DDL. Each statement is undone after it
-- ran (sec_log.try), so an allowed one shows as ok and changes nothing. The computed tables
-- (analysis_results, pipeline_runs, performance_metrics, collatz_totals, collatz_length_totals) take INSERT and
-- UPDATE from no role; ids and timestamps are the extension's; only an admin deletes; no
-- role below the owner moves a sequence, locks out readers, or changes a definition.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
SET client_min_messages = warning;

CREATE TABLE sec_log.attempts (id int PRIMARY KEY, attempt text NOT NULL, statement text NOT NULL);
CREATE TABLE sec_log.outcomes (role name NOT NULL DEFAULT current_user, id int NOT NULL, sqlstate text NOT NULL);
GRANT SELECT ON sec_log.attempts TO PUBLIC;
GRANT INSERT ON sec_log.outcomes TO PUBLIC;
INSERT INTO sec_log.attempts VALUES
-- collatz_sequences: the write level writes the four data columns, nothing else.
(1, 'sequences: insert a true row', $$INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
     SELECT 300001, sequence_length, steps_to_one, max_value FROM collatz.collatz_stats(300001::bigint)$$),
(2, 'sequences: insert with id (OVERRIDING SYSTEM VALUE)', $$INSERT INTO collatz.collatz_sequences (id, number, sequence_length, steps_to_one, max_value)
     OVERRIDING SYSTEM VALUE SELECT 9000000, 300001, sequence_length, steps_to_one, max_value FROM collatz.collatz_stats(300001::bigint)$$),
(3, 'sequences: insert with created_at', $$INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value, created_at)
     SELECT 300001, sequence_length, steps_to_one, max_value, '2000-01-01' FROM collatz.collatz_stats(300001::bigint)$$),
(4, 'sequences: update a data column', $$UPDATE collatz.collatz_sequences SET max_value = max_value WHERE number = 27$$),
(5, 'sequences: update created_at', $$UPDATE collatz.collatz_sequences SET created_at = '2000-01-01' WHERE number = 27$$),
(6, 'sequences: update id', $$UPDATE collatz.collatz_sequences SET id = id WHERE number = 27$$),
(7, 'sequences: delete', $$DELETE FROM collatz.collatz_sequences WHERE number = 27$$),
(8, 'sequences: truncate (cascade)', $$TRUNCATE collatz.collatz_sequences CASCADE$$),
(9, 'sequences: truncate restart identity', $$TRUNCATE collatz.collatz_sequences RESTART IDENTITY CASCADE$$),
(10, 'sequences: lock table share', $$LOCK TABLE collatz.collatz_sequences IN SHARE MODE$$),
(11, 'sequences: lock table access exclusive', $$LOCK TABLE collatz.collatz_sequences IN ACCESS EXCLUSIVE MODE$$),
-- sequence_steps: the write level inserts and updates terms (checked), an admin deletes.
(20, 'steps: update a term to itself', $$UPDATE collatz.sequence_steps SET value = value WHERE sequence_id = (SELECT id FROM collatz.collatz_sequences WHERE number = 27)$$),
(21, 'steps: delete', $$DELETE FROM collatz.sequence_steps WHERE sequence_id = (SELECT id FROM collatz.collatz_sequences WHERE number = 27)$$),
(22, 'steps: truncate', $$TRUNCATE collatz.sequence_steps$$),
(23, 'steps: lock table share', $$LOCK TABLE collatz.sequence_steps IN SHARE MODE$$),
(24, 'steps: lock table access exclusive', $$LOCK TABLE collatz.sequence_steps IN ACCESS EXCLUSIVE MODE$$),
-- sequence_terms, under the view: the write level writes arrays (checked), an admin deletes.
(25, 'terms: update the terms to themselves', $$UPDATE collatz.sequence_terms SET terms = terms WHERE sequence_id = (SELECT id FROM collatz.collatz_sequences WHERE number = 27)$$),
(26, 'terms: update a term to a wrong value', $$UPDATE collatz.sequence_terms SET terms[3] = terms[3] + 2 WHERE sequence_id = (SELECT id FROM collatz.collatz_sequences WHERE number = 27)$$),
(27, 'terms: delete', $$DELETE FROM collatz.sequence_terms WHERE sequence_id = (SELECT id FROM collatz.collatz_sequences WHERE number = 27)$$),
(28, 'terms: truncate', $$TRUNCATE collatz.sequence_terms$$),
(29, 'terms: lock table share', $$LOCK TABLE collatz.sequence_terms IN SHARE MODE$$),
-- experiments: name, description, parameters, results are the write level's.
(30, 'experiments: insert', $$INSERT INTO collatz.experiments (name) VALUES ('sec_direct')$$),
(31, 'experiments: insert with id (OVERRIDING SYSTEM VALUE)', $$INSERT INTO collatz.experiments (id, name) OVERRIDING SYSTEM VALUE VALUES (9000000, 'sec_direct')$$),
(32, 'experiments: update created_at', $$UPDATE collatz.experiments SET created_at = '2000-01-01'$$),
(33, 'experiments: delete', $$DELETE FROM collatz.experiments WHERE name = 'sec_setup'$$),
-- analysis_results: a forged analysis passes every CHECK (27 is a true holder), so only
-- the privileges keep it out.
(40, 'analyses: insert a forged result', $$INSERT INTO collatz.analysis_results (start_range, end_range, longest_sequence, longest_sequence_length,
     highest_peak, highest_peak_value, numbers_analyzed, duration_ms) VALUES (1, 100000, 27, 112, 27, 9232, 100000, 1)$$),
(41, 'analyses: insert with id (OVERRIDING SYSTEM VALUE)', $$INSERT INTO collatz.analysis_results (id, start_range, end_range, longest_sequence, longest_sequence_length,
     highest_peak, highest_peak_value, numbers_analyzed, duration_ms) OVERRIDING SYSTEM VALUE VALUES (9000000, 27, 27, 27, 112, 27, 9232, 1, 1)$$),
(42, 'analyses: update', $$UPDATE collatz.analysis_results SET numbers_analyzed = numbers_analyzed$$),
(43, 'analyses: merge a forged result', $$MERGE INTO collatz.analysis_results a USING (SELECT 1) s ON false WHEN NOT MATCHED THEN
     INSERT (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed, duration_ms)
     VALUES (1, 100000, 27, 112, 27, 9232, 100000, 1)$$),
(44, 'analyses: rows locked for update', $$SELECT 1 FROM collatz.analysis_results FOR UPDATE$$),
(45, 'analyses: delete', $$DELETE FROM collatz.analysis_results$$),
(46, 'analyses: truncate', $$TRUNCATE collatz.analysis_results$$),
(47, 'analyses: insert through a view of the role''s', $$CREATE TEMP VIEW sec_v AS SELECT * FROM collatz.analysis_results;
     INSERT INTO sec_v (start_range, end_range, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value,
     numbers_analyzed, duration_ms) VALUES (1, 100000, 27, 112, 27, 9232, 100000, 1)$$),
-- pipeline_runs: a planted running run with fake partial records, a finished run revived,
-- row locks that would make a run look alive or block its resume.
(50, 'runs: insert a planted running run', $$INSERT INTO collatz.pipeline_runs (operation_type, start_range, end_range, next_number, partial, started_by)
     VALUES ('analyze_range', 1, 100000, 50001, '{"longest_sequence": 1, "longest_sequence_length": 1, "highest_peak": 1, "highest_peak_value": 1}', 'sec_admin')$$),
(51, 'runs: revive a finished run', $$UPDATE collatz.pipeline_runs SET status = 'running', finished_at = NULL, next_number = start_range$$),
(52, 'runs: rows locked for key share', $$SELECT 1 FROM collatz.pipeline_runs FOR KEY SHARE$$),
(53, 'runs: rows locked for no key update', $$SELECT 1 FROM collatz.pipeline_runs FOR NO KEY UPDATE$$),
(54, 'runs: lock table share', $$LOCK TABLE collatz.pipeline_runs IN SHARE MODE$$),
(55, 'runs: delete', $$DELETE FROM collatz.pipeline_runs WHERE status = 'done'$$),
-- performance_metrics, collatz_totals and the histogram behind v_sequence_length_distribution.
(60, 'metrics: insert', $$INSERT INTO collatz.performance_metrics (operation_type, execution_time, rows_processed) VALUES ('batch_insert', 0, 1000000000)$$),
(61, 'metrics: update', $$UPDATE collatz.performance_metrics SET execution_time = 0$$),
(62, 'metrics: delete', $$DELETE FROM collatz.performance_metrics$$),
(70, 'totals: insert a delta', $$INSERT INTO collatz.collatz_totals (sequences, length_sum, steps, sequences_with_steps) VALUES (1000000, 0, 0, 0)$$),
(71, 'totals: update', $$UPDATE collatz.collatz_totals SET sequences = sequences + 1$$),
(72, 'totals: delete', $$DELETE FROM collatz.collatz_totals$$),
(73, 'totals: truncate', $$TRUNCATE collatz.collatz_totals$$),
(74, 'histogram: insert a delta', $$INSERT INTO collatz.collatz_length_totals (sequence_length, sequences, smallest_number, highest_peak, peak_number) VALUES (112, 1000000, 1, 10^30, 1)$$),
(75, 'histogram: update a candidate', $$UPDATE collatz.collatz_length_totals SET highest_peak = highest_peak + 1$$),
(76, 'histogram: delete', $$DELETE FROM collatz.collatz_length_totals$$),
(77, 'histogram: truncate', $$TRUNCATE collatz.collatz_length_totals$$),
-- The identity sequences: nextval would take ids, setval would make every loader fail (23505).
(80, 'setval collatz_sequences_id_seq', $$SELECT setval('collatz.collatz_sequences_id_seq', 1)$$),
(81, 'setval experiments_id_seq', $$SELECT setval('collatz.experiments_id_seq', 1)$$),
(82, 'setval analysis_results_id_seq', $$SELECT setval('collatz.analysis_results_id_seq', 1)$$),
(83, 'setval performance_metrics_id_seq', $$SELECT setval('collatz.performance_metrics_id_seq', 1)$$),
(84, 'setval pipeline_runs_id_seq', $$SELECT setval('collatz.pipeline_runs_id_seq', 1)$$),
(85, 'setval collatz_totals_id_seq', $$SELECT setval('collatz.collatz_totals_id_seq', 1)$$),
(79, 'setval collatz_length_totals_id_seq', $$SELECT setval('collatz.collatz_length_totals_id_seq', 1)$$),
(86, 'nextval collatz_sequences_id_seq', $$SELECT nextval('collatz.collatz_sequences_id_seq')$$),
(87, 'nextval analysis_results_id_seq', $$SELECT nextval('collatz.analysis_results_id_seq')$$),
(88, 'nextval pipeline_runs_id_seq', $$SELECT nextval('collatz.pipeline_runs_id_seq')$$),
(89, 'alter sequence restart', $$ALTER SEQUENCE collatz.collatz_sequences_id_seq RESTART$$),
-- Views and definitions.
(90, 'view: update v_experiments', $$UPDATE collatz.v_experiments SET name = name$$),
(91, 'ddl: create a table in collatz', $$CREATE TABLE collatz.sec_x (x int)$$),
(92, 'ddl: create a function in collatz_internal', $$CREATE FUNCTION collatz_internal.sec_f() RETURNS int LANGUAGE sql AS 'SELECT 1'$$),
(93, 'ddl: disable the triggers of sequence_terms', $$ALTER TABLE collatz.sequence_terms DISABLE TRIGGER ALL$$),
(94, 'ddl: drop the exact-values check', $$ALTER TABLE collatz.collatz_sequences DROP CONSTRAINT collatz_sequences_values_are_exact$$),
(95, 'ddl: a trigger on analysis_results', $$CREATE TRIGGER sec_t BEFORE INSERT ON collatz.analysis_results FOR EACH ROW EXECUTE FUNCTION collatz_internal.collatz_sequences_keep_number()$$),
(96, 'ddl: a rule on collatz_totals', $$CREATE RULE sec_r AS ON INSERT TO collatz.collatz_totals DO INSTEAD NOTHING$$),
(97, 'ddl: an index on collatz_sequences', $$CREATE INDEX ON collatz.collatz_sequences (number)$$),
(98, 'ddl: unpin a function''s search_path', $$ALTER FUNCTION collatz.save_sequence(bigint, boolean) SET search_path = public$$),
(99, 'ddl: drop collatz_totals', $$DROP TABLE collatz.collatz_totals$$),
(100, 'ddl: comment on a table', $$COMMENT ON TABLE collatz.analysis_results IS 'mine'$$),
(101, 'ddl: grant EXECUTE on an internal helper', $$GRANT EXECUTE ON FUNCTION collatz_internal.add_totals(bigint, numeric, bigint, bigint) TO PUBLIC$$);

-- Each role in its own login session.
\c - sec_reader
SET client_min_messages = warning;
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_writer
SET client_min_messages = warning;
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_admin
SET client_min_messages = warning;
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_nobody
SET client_min_messages = warning;
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;

\c - postgres
SET client_min_messages = warning;
-- ok = allowed (and undone here); a SQLSTATE = refused.
SELECT a.attempt,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_reader') AS reader,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_writer') AS writer,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_admin') AS admin,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_nobody') AS nobody
FROM sec_log.attempts a LEFT JOIN sec_log.outcomes o ON o.id = a.id
GROUP BY a.id, a.attempt ORDER BY a.id;
DROP TABLE sec_log.attempts, sec_log.outcomes;

-- Outside a subtransaction, the same forgeries as plain statements, with their SQLSTATEs.
\c - sec_writer
SET client_min_messages = warning;
INSERT INTO collatz.analysis_results (start_range, end_range, longest_sequence, longest_sequence_length,
    highest_peak, highest_peak_value, numbers_analyzed, duration_ms) VALUES (1, 100000, 27, 112, 27, 9232, 100000, 1);
INSERT INTO collatz.pipeline_runs (operation_type, start_range, end_range, next_number, partial, started_by)
VALUES ('analyze_range', 1, 100000, 50001,
        '{"longest_sequence": 1, "longest_sequence_length": 1, "highest_peak": 1, "highest_peak_value": 1}', 'sec_admin');
INSERT INTO collatz.collatz_totals (sequences, length_sum, steps, sequences_with_steps) VALUES (1000000, 0, 0, 0);
INSERT INTO collatz.collatz_sequences (id, number, sequence_length, steps_to_one, max_value)
OVERRIDING SYSTEM VALUE VALUES (9000000, 300002, 1, 0, 300002);
SELECT setval('collatz.collatz_sequences_id_seq', 1);
TRUNCATE collatz.collatz_sequences CASCADE;
-- What 0.4.0 let the planted run do: the admin's next analysis of [1, 100000] adopted it
-- and stored longest = 1, peak = 1. Now it stores the true records.
\c - sec_admin
SET client_min_messages = warning;
CALL collatz.sp_analyze_range(1, 100000, segment_size => 40000);
SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed
FROM collatz.analysis_results WHERE start_range = 1 AND end_range = 100000 ORDER BY id DESC LIMIT 1;
SELECT r.started_by, r.status, r.partial ? 'resumed' AS adopted_a_run
FROM collatz.pipeline_runs r WHERE r.start_range = 1 AND r.end_range = 100000 ORDER BY r.id DESC LIMIT 1;

-- The latest analysis of an experiment is the extension's: a writer who edits the
-- experiment's results (which the write level may) cannot change what v_experiments shows.
\c - sec_admin
SET client_min_messages = warning;
SELECT collatz.create_experiment('sec forged summary') AS forged_experiment \gset
SELECT numbers_analyzed FROM collatz.analyze_range(1, 1000, experiment_id => :forged_experiment);
\c - sec_writer
SET client_min_messages = warning;
UPDATE collatz.experiments SET results = '{"last_analysis": {"longest_sequence": {"number": 1, "sequence_length": 1}}}'
WHERE id = :forged_experiment;
SELECT name FROM collatz.record_experiment_results(:forged_experiment,
    '{"last_analysis": {"highest_peak": {"number": 1, "max_value": 1}}}');
SELECT last_analysis -> 'longest_sequence' AS longest, last_analysis -> 'highest_peak' AS highest
FROM collatz.v_experiments WHERE experiment_id = :forged_experiment;
\c - postgres
SET client_min_messages = warning;
DELETE FROM collatz.analysis_results WHERE experiment_id = :forged_experiment;
DELETE FROM collatz.experiments WHERE id = :forged_experiment;

\i :abs_srcdir/include/check.sql
