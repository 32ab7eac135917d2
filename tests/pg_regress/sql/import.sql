-- Import as a psql user does it: files written with \copy, read back with \copy into the
-- staging table, every line checked. Files go through PROGRAM so the test finds them from
-- any working directory (pg_regress exports PG_ABS_SRCDIR/BUILDDIR).
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- Something to export and import back: 1..300, a gap, the first peaks past 2^63 and 2^64,
-- steps for some.
SELECT batch_save_sequences(ARRAY(SELECT generate_series(1, 300)));
DELETE FROM collatz_sequences WHERE number BETWEEN 100 AND 120;
SELECT batch_save_sequences(ARRAY[8528817511, 12327829503]);
SELECT collatz_internal.store_steps(1, 30) + collatz_internal.store_steps(12327829503, 12327829503) AS steps_stored;
SELECT count(*) FROM analyze_range(1, 1000);
SELECT count(*) FROM analyze_range(1, 50000);

------------------------------------------------------------------------------------------
-- Round trips: export, empty the tables, import, compare with what was there
------------------------------------------------------------------------------------------
-- Each sequence's terms are read through sequence_steps_computed, which has them whether
-- or not they are stored; stored_steps counts the stored ones, and stored_true those equal
-- to the reference (truth: a recursive CTE on numeric), so an import stores only true terms.
CREATE TEMP TABLE truth AS
WITH RECURSIVE walk(number, step_number, value, operation_type) AS (
    SELECT number, 0, number::numeric, 'start' FROM collatz_sequences
    UNION ALL
    SELECT number, step_number + 1, CASE WHEN value % 2 = 0 THEN div(value, 2) ELSE 3 * value + 1 END,
           CASE WHEN value % 2 = 0 THEN 'even' ELSE 'odd' END
    FROM walk WHERE value <> 1
)
SELECT * FROM walk;
CREATE TEMP TABLE before AS
SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value,
       (SELECT array_agg(st.value ORDER BY st.step_number) FROM sequence_steps_computed st WHERE st.sequence_id = s.id) AS steps
FROM collatz_sequences s;
CREATE TEMP VIEW differences AS
SELECT (SELECT count(*) FROM (SELECT * FROM before EXCEPT
        SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value,
               (SELECT array_agg(st.value ORDER BY st.step_number) FROM sequence_steps_computed st WHERE st.sequence_id = s.id)
        FROM collatz_sequences s) d) AS missing,
       (SELECT count(*) FROM (SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value,
               (SELECT array_agg(st.value ORDER BY st.step_number) FROM sequence_steps_computed st WHERE st.sequence_id = s.id)
        FROM collatz_sequences s EXCEPT SELECT * FROM before) d) AS extra,
       (SELECT count(*) FROM collatz_sequences) AS rows,
       (SELECT count(*) FROM sequence_steps) AS stored_steps,
       (SELECT count(*) FROM sequence_steps st JOIN collatz_sequences s ON s.id = st.sequence_id
        JOIN truth t ON (t.number, t.step_number, t.value, t.operation_type) = (s.number, st.step_number, st.value, st.operation_type))
       AS stored_true,
       (SELECT total_sequences FROM v_sequence_summary) AS summary_rows;
-- Before: the terms of every sequence (computed); the steps of 1..30 and 12327829503 stored.
SELECT count(*) AS sequences, count(steps) AS with_terms, sum(cardinality(steps)) AS terms FROM before;
SELECT * FROM differences;

-- CSV with every field, through a file.
\copy (SELECT * FROM export_sequences_csv(1, 9223372036854775807, ARRAY['id', 'number', 'sequence_length', 'steps_to_one', 'max_value', 'created_at', 'steps'])) TO PROGRAM 'cat > "$PG_ABS_BUILDDIR/results/sequences.csv"'
TRUNCATE collatz_sequences CASCADE;
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_BUILDDIR/results/sequences.csv"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT * FROM import_sequences('csv');
SELECT * FROM differences;

-- JSON Lines with steps, through a file.
\copy (SELECT * FROM export_sequences_jsonl(1, 9223372036854775807, with_steps => true)) TO PROGRAM 'cat > "$PG_ABS_BUILDDIR/results/sequences.jsonl"'
TRUNCATE collatz_sequences CASCADE;
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_BUILDDIR/results/sequences.jsonl"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT * FROM import_sequences('json');
SELECT * FROM differences;

-- psql's own CSV of the table (SELECT *: id and created_at are ignored on the way in).
\copy (SELECT * FROM collatz_sequences ORDER BY number) TO PROGRAM 'cat > "$PG_ABS_BUILDDIR/results/table.csv"' CSV HEADER
TRUNCATE collatz_sequences CASCADE;
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_BUILDDIR/results/table.csv"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT * FROM import_sequences('csv');
-- The table itself carries no steps: the rows come back identical, without them.
SELECT (SELECT count(*) FROM (SELECT number, sequence_length, steps_to_one, max_value FROM before
                              EXCEPT SELECT number, sequence_length, steps_to_one, max_value FROM collatz_sequences) d) AS missing,
       (SELECT count(*) FROM (SELECT number, sequence_length, steps_to_one, max_value FROM collatz_sequences
                              EXCEPT SELECT number, sequence_length, steps_to_one, max_value FROM before) d) AS extra,
       rows, stored_steps FROM differences;
-- Importing the same file again: every row is already stored.
SELECT * FROM import_sequences('csv');
-- The JSON file again, now under upsert: the steps come back, merged into the stored rows.
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_BUILDDIR/results/sequences.jsonl"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT * FROM import_sequences('json', on_conflict => 'upsert');
SELECT * FROM differences;
-- ... and under error, every line is a conflict: refused as such, nothing changes.
SELECT * FROM import_sequences('json', on_conflict => 'error');
SELECT * FROM differences;

------------------------------------------------------------------------------------------
-- Every rejection reason, all or nothing, and load-valid-and-report
------------------------------------------------------------------------------------------
TRUNCATE collatz_sequences CASCADE;
SELECT batch_save_sequences(ARRAY[41]);
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_SRCDIR/data/bad_sequences.csv"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
-- on_error => 'stop' (the default): one error naming the first ten, nothing loaded.
SELECT * FROM import_sequences('csv');
SELECT count(*) AS stored FROM collatz_sequences;
-- A dry run lists every rejected line without loading.
SELECT lines, valid, loaded, rejected FROM import_sequences('csv', on_error => 'ignore', dry_run => true);
SELECT * FROM import_rejections();
SELECT count(*) AS stored FROM collatz_sequences;
-- on_error => 'ignore': the valid lines go in (41 was already there), the report stays.
SET client_min_messages = notice;
SELECT * FROM import_sequences('csv', on_error => 'ignore');
SET client_min_messages = warning;
SELECT s.number, s.sequence_length, s.max_value, count(st.step_number) AS steps
FROM collatz_sequences s LEFT JOIN sequence_steps st ON st.sequence_id = s.id
GROUP BY s.id ORDER BY s.number;
SELECT count(*) AS rejections_listed FROM import_rejections();
-- on_conflict => 'error': every valid line is stored by now, so each is one more rejection.
SELECT rejected FROM import_sequences('csv', on_error => 'ignore', on_conflict => 'error', dry_run => true);
SELECT line_number, reason FROM import_rejections() WHERE reason LIKE '%already stored' ORDER BY line_number;

-- A file from Windows (CRLF line ends throughout) reads the same.
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_SRCDIR/data/windows_sequences.csv"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT lines, valid, loaded FROM import_sequences('csv');
SELECT number, steps_to_one, (SELECT count(*) FROM sequence_steps WHERE sequence_id = s.id) AS steps
FROM collatz_sequences s WHERE number IN (9, 10) ORDER BY number;

-- JSON Lines: its own reasons.
SELECT import_open();
\copy collatz_import_lines (line) FROM PROGRAM 'cat "$PG_ABS_SRCDIR/data/bad_sequences.jsonl"' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT * FROM import_sequences('json');
SELECT lines, valid, loaded, rejected FROM import_sequences('json', on_error => 'ignore');
SELECT line_number, reason FROM import_rejections();
SELECT number, sequence_length, (SELECT count(*) FROM sequence_steps WHERE sequence_id = s.id) AS steps
FROM collatz_sequences s WHERE number IN (6, 12) ORDER BY number;

-- A header that names no known column refuses the whole file, whatever on_error says.
SELECT import_open();
INSERT INTO collatz_import_lines (line) VALUES ('number,colour'), ('27,red');
SELECT * FROM import_sequences('csv', on_error => 'ignore');
TRUNCATE collatz_import_lines;
INSERT INTO collatz_import_lines (line) VALUES ('steps_to_one,max_value'), ('111,9232');
SELECT * FROM import_sequences('csv', on_error => 'ignore');
-- An empty file imports nothing.
SELECT import_open();
SELECT * FROM import_sequences('csv');
-- Bad arguments.
SELECT * FROM import_sequences('xml');
SELECT * FROM import_sequences('csv', on_error => 'skip');
SELECT * FROM import_sequences('csv', on_conflict => 'replace');

-- Inside a transaction that fails later, an on_error => 'ignore' import leaves nothing either.
SELECT import_open();
INSERT INTO collatz_import_lines (line) VALUES ('number'), ('1001'), ('1002');
BEGIN;
SELECT loaded FROM import_sequences('csv', on_error => 'ignore');
SELECT 1 / 0;
ROLLBACK;
SELECT count(*) FROM collatz_sequences WHERE number IN (1001, 1002);

-- Without import_open() in this session there is nothing to import.
\c
SELECT * FROM import_sequences('csv');
SELECT * FROM import_rejections();

-- Progress: the line the import prints while it checks and loads.
SELECT collatz_internal.progress_line('import_sequences (checking)', 'lines', 250000, 1000000, '3 rejected', 500);

-- Imports are recorded like the other operations.
SELECT operation_type, rows_processed, context - 'threads' - 'memo_mb' AS context
FROM performance_metrics WHERE operation_type = 'import' ORDER BY id;

-- The SQLSTATE of each refusal, as an application sees it.
CREATE FUNCTION pg_temp.sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT pg_temp.sqlstate_of('SELECT * FROM import_sequences()') AS nothing_staged;
SELECT import_open();
-- 27 is stored: a conflict under on_conflict => 'error'; read as JSON, no line is valid.
INSERT INTO collatz_import_lines (line) VALUES ('number,steps_to_one'), ('27,111');
SELECT query, pg_temp.sqlstate_of(query) AS sqlstate FROM (VALUES
    ('SELECT * FROM import_sequences()'),
    ('SELECT * FROM import_sequences(''csv'', on_conflict => ''error'')'),
    ('SELECT * FROM import_sequences(''json'')'),
    ('SELECT * FROM import_sequences(''yaml'')'),
    ('SELECT * FROM import_sequences(dry_run => NULL)'),
    ('SELECT collatz_internal.collatz_import_check(''csv'', ''number,colour'', ''{}'', ''{}'')'),
    ('SELECT collatz_internal.collatz_import_check(''csv'', ''number'', ''{1,2}'', ''{1}'')'),
    ('SELECT export_sequences_csv(1, 10, ARRAY[''colour''])'),
    ('SELECT export_sequences_csv(0, 10)'),
    ('SELECT export_sequences_json(1, 10, page_size => 10001)'),
    ('SELECT export_analysis_json(cursor => ''x'')')) AS q(query);

-- Access levels: a writer imports (upsert included) and calls import_open() again quietly;
-- a reader exports but cannot import.
SET client_min_messages = notice;
CREATE ROLE regress_importer LOGIN;
CREATE ROLE regress_exporter LOGIN;
SELECT collatz_grant('regress_importer', 'write'), collatz_grant('regress_exporter', 'read');
\c - regress_importer
SELECT import_open();
SELECT import_open();
INSERT INTO collatz_import_lines (line) VALUES ('number,steps'), ('5001,"{5001,15004}"');
SELECT lines, loaded, steps_loaded FROM import_sequences('csv');
SELECT lines, loaded, already_stored, steps_loaded FROM import_sequences('csv', on_conflict => 'upsert');
\c - regress_exporter
SELECT * FROM export_sequences_csv(5001, 5001, ARRAY['number', 'steps']);
SELECT import_open();
INSERT INTO collatz_import_lines (line) VALUES ('number'), ('5002');
SELECT loaded FROM import_sequences('csv');
\c - postgres
DROP OWNED BY regress_importer, regress_exporter;
DROP ROLE regress_importer;
DROP ROLE regress_exporter;
