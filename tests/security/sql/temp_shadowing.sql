-- Temp-schema shadowing. A role's pg_temp is searched for relations and types before every
-- schema that is not named in the path, and last where the path names it; a SECURITY
-- DEFINER function runs in the caller's session, with the caller's pg_temp. So each role
-- fills its pg_temp with look-alikes of what the extension reads and writes, and runs every
-- path it may. Nothing planted may run, and no number may change.
--   * temp views named like transition tables (new_rows, old_rows) and like the extension's
--     tables and views, reading through a planted function, with INSTEAD OF triggers
--   * the whole kit of sec_log.plant in pg_temp (functions, aggregates, operators; the
--     first two are never looked up there unqualified, but the extension might qualify)
--   * the issue's six-statement escalation: a trigger function attached to a temp table
--   * staging tables of the import made before import_open, and tampering with the real ones
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

------------------------------------------------------------------------------------------
-- The writer: look-alikes everywhere in pg_temp, then every write path, pg_temp first
------------------------------------------------------------------------------------------
\c - sec_writer
\i :abs_srcdir/include/temp_kit.sql
-- new_rows and old_rows with the columns of both tables the triggers read, and lies in them.
CREATE TEMP VIEW new_rows AS
SELECT s.id, s.number, 1000000::bigint AS sequence_length, s.max_value, s.steps_to_one, s.created_at,
       s.id AS sequence_id, 0 AS step_number, 1::numeric AS value, 'start'::text AS operation_type
FROM collatz.collatz_sequences s WHERE pg_temp.sec_seen('pg_temp view new_rows');
CREATE TEMP VIEW old_rows AS
SELECT * FROM new_rows WHERE pg_temp.sec_seen('pg_temp view old_rows');
-- Look-alikes of every table and view of the extension.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['collatz_sequences', 'sequence_steps', 'collatz_totals', 'pipeline_runs',
                             'performance_metrics', 'analysis_results', 'experiments', 'v_pipeline_progress',
                             'v_sequence_summary', 'v_range_analysis', 'v_experiments']
    LOOP
        EXECUTE format('CREATE TEMP VIEW %I AS SELECT * FROM collatz.%I WHERE pg_temp.sec_seen(%L)',
                       r, r, 'pg_temp view ' || r);
        EXECUTE format('CREATE TRIGGER sec_instead INSTEAD OF INSERT OR UPDATE OR DELETE ON pg_temp.%I
                        FOR EACH ROW EXECUTE FUNCTION pg_temp.sec_instead()', r);
    END LOOP;
END $$;
-- Types of the same names as the extension's.
CREATE TYPE pg_temp.pipeline_step AS (run_id bigint, done boolean);
CREATE TYPE pg_temp.collatz_stats AS (number numeric);
SELECT count(*) AS planted_in_pg_temp FROM pg_class WHERE relnamespace = pg_my_temp_schema();
-- The look-alikes work: reading one runs the planted function (the WARNING and the line
-- below); then the log starts empty again.
SELECT total_sequences > 0 AS read_through_planted FROM pg_temp.v_sequence_summary;
SELECT label, ran_as FROM sec_log.planted GROUP BY label, ran_as;
DELETE FROM sec_log.planted;
-- pg_temp first, as explicitly as a path can name it.
SET search_path = pg_temp, collatz, public;
\set lo 100000
\set expname sec_temp_writer
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/read_paths.sql
RESET search_path;

------------------------------------------------------------------------------------------
-- The writer against the import's staging tables
------------------------------------------------------------------------------------------
-- A new session, where import_open has not run yet. Made before it: a table of the
-- caller's own with a trigger, then a view. The import refuses both, never reads them.
\c - sec_writer
\i :abs_srcdir/include/temp_kit.sql
CREATE TEMP TABLE collatz_import_lines (line_number bigint GENERATED ALWAYS AS IDENTITY, line text);
INSERT INTO collatz_import_lines (line) VALUES ('number'), ('7');
CREATE TRIGGER sec_lines AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pg_temp.collatz_import_lines
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.sec_instead();
SELECT sec_log.sqlstate_of('SELECT collatz.import_open()') AS own_lines_table_open;
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.import_sequences(''csv'')') AS own_lines_table_import;
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.import_rejections()') AS own_lines_table_rejections;
DROP TABLE pg_temp.collatz_import_lines;
CREATE TEMP VIEW collatz_import_lines AS SELECT 1::bigint AS line_number, 'number'::text AS line
    WHERE pg_temp.sec_seen('pg_temp view collatz_import_lines');
SELECT sec_log.sqlstate_of('SELECT collatz.import_open()') AS own_lines_view_open;
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.import_sequences(''csv'')') AS own_lines_view_import;
DROP VIEW pg_temp.collatz_import_lines;
-- Only the second staging table, as a view: import_open must not adopt it.
CREATE TEMP VIEW collatz_import_rows AS
SELECT 1::bigint AS line_number, 7::bigint AS number, 1::bigint AS sequence_length, 0::bigint AS steps_to_one,
       7::numeric AS max_value, NULL::numeric[] AS steps, NULL::text AS rejection
WHERE pg_temp.sec_seen('pg_temp view collatz_import_rows');
SELECT sec_log.sqlstate_of('SELECT collatz.import_open()') NOT IN ('ok', 'XX000', '42601') AS own_rows_view_refused;
SELECT sec_log.sqlstate_of('SELECT * FROM collatz.import_sequences(''csv'')') NOT IN ('ok', 'XX000', '42601')
    AS own_rows_view_import_refused;
DROP VIEW pg_temp.collatz_import_rows;
-- The real staging tables belong to the extension's owner: the caller may add lines, and
-- nothing else (no forged checked row, no trigger, rule, child table, index or lock).
SELECT collatz.import_open();
SELECT c.relname, c.relowner::regrole AS owner FROM pg_class c
WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'collatz\_import\_%' AND c.relkind = 'r' ORDER BY 1;
SELECT q AS attempt, sec_log.sqlstate_of(q) AS sqlstate FROM (VALUES
    ('INSERT INTO pg_temp.collatz_import_rows VALUES (2, 7, 1, 0, 7, NULL, NULL)'),
    ('UPDATE pg_temp.collatz_import_rows SET rejection = NULL'),
    ('INSERT INTO pg_temp.collatz_import_lines (line_number, line) OVERRIDING SYSTEM VALUE VALUES (1, ''number'')'),
    ('UPDATE pg_temp.collatz_import_lines SET line = ''7'''),
    ('DELETE FROM pg_temp.collatz_import_lines'),
    ('TRUNCATE pg_temp.collatz_import_lines'),
    ('CREATE TRIGGER t AFTER INSERT ON pg_temp.collatz_import_rows FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.sec_instead()'),
    ('CREATE RULE r AS ON INSERT TO pg_temp.collatz_import_rows DO ALSO SELECT pg_temp.sec_seen(''rule'')'),
    ('CREATE TEMP TABLE sec_child () INHERITS (pg_temp.collatz_import_rows)'),
    ('CREATE INDEX ON pg_temp.collatz_import_rows ((pg_temp.sec_seen(''index'')))'),
    ('ALTER TABLE pg_temp.collatz_import_rows ADD COLUMN x int'),
    ('LOCK TABLE pg_temp.collatz_import_rows IN ACCESS EXCLUSIVE MODE'),
    ('DROP TABLE pg_temp.collatz_import_rows'),
    ('ALTER TABLE pg_temp.collatz_import_lines OWNER TO sec_writer')
) AS a(q);
-- A valid import still works, and stores only what it computed.
INSERT INTO pg_temp.collatz_import_lines (line) VALUES ('number,sequence_length,max_value'), ('100201,,');
SELECT lines, loaded, rejected FROM collatz.import_sequences('csv');

------------------------------------------------------------------------------------------
-- The reader: the issue's escalation, and the read paths through look-alikes
------------------------------------------------------------------------------------------
\c - sec_reader
\i :abs_srcdir/include/temp_kit.sql
-- 0.4.0: a temp table, the totals trigger attached without REFERENCING, a temp view
-- new_rows calling the role's function, and one INSERT ran it as the extension's owner.
CREATE TEMP VIEW new_rows AS SELECT 1000000::bigint AS sequence_length WHERE pg_temp.sec_seen('pg_temp view new_rows (reader)');
CREATE TEMP TABLE sec_t (sequence_length bigint);
CREATE TRIGGER sec_t_totals AFTER INSERT ON sec_t FOR EACH STATEMENT
    EXECUTE FUNCTION collatz_internal.collatz_sequences_totals();
CREATE TRIGGER sec_t_steps AFTER INSERT ON sec_t FOR EACH STATEMENT
    EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
INSERT INTO sec_t VALUES (1);
-- The read paths with the look-alikes in place, pg_temp first.
SET search_path = pg_temp, collatz, public;
\set lo 100000
\i :abs_srcdir/include/read_paths.sql
RESET search_path;
-- What a reader may not do, whatever pg_temp holds.
SELECT sec_log.sqlstate_of('SELECT collatz.import_open()') AS reader_import_open;
SELECT sec_log.sqlstate_of('SELECT collatz.save_sequence(100300)') AS reader_save;

------------------------------------------------------------------------------------------
-- The admin: look-alikes, every write path and the cleanup
------------------------------------------------------------------------------------------
\c - sec_admin
\i :abs_srcdir/include/temp_kit.sql
CREATE TEMP VIEW new_rows AS SELECT 1::bigint AS id, 1000000::bigint AS sequence_length, 0 AS step_number
    WHERE pg_temp.sec_seen('pg_temp view new_rows (admin)');
CREATE TEMP VIEW old_rows AS SELECT * FROM new_rows;
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['collatz_sequences', 'sequence_steps', 'collatz_totals', 'pipeline_runs',
                             'performance_metrics', 'analysis_results', 'experiments']
    LOOP
        EXECUTE format('CREATE TEMP VIEW %I AS SELECT * FROM collatz.%I WHERE pg_temp.sec_seen(%L)',
                       r, r, 'pg_temp view ' || r || ' (admin)');
    END LOOP;
END $$;
SET search_path = pg_temp, collatz, public;
\set lo 110000
\set expname sec_temp_admin
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/cleanup_paths.sql
RESET search_path;

\i :abs_srcdir/include/check.sql
