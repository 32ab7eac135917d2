-- sequence_steps_computed is a foreign table whose scan (src/terms.rs) reads collatz_sequences
-- directly, outside the executor's permission checks: so the scan checks them itself, with
-- the rights of the role the query runs as. Attacks: reading terms without SELECT on
-- collatz_sequences (whatever grants the foreign table has), tables named collatz_sequences
-- where a search_path would find them, making or altering foreign objects of the wrapper,
-- options, and hostile bounds.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

------------------------------------------------------------------------------------------
-- SELECT on the foreign table alone reads nothing: the scan needs SELECT on collatz_sequences
------------------------------------------------------------------------------------------
\c - postgres
SET client_min_messages = warning;
GRANT USAGE ON SCHEMA collatz TO sec_nobody;
GRANT SELECT ON collatz.sequence_steps_computed TO sec_nobody;
\c - sec_nobody
SET client_min_messages = warning;
SELECT q AS call, sec_log.error_of(q) AS outcome FROM (VALUES
    ('SELECT count(*) FROM collatz.sequence_steps_computed'),
    ('SELECT value FROM collatz.sequence_steps_computed WHERE sequence_id = 1'),
    ('SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number = 3')
) AS a(q);
-- EXPLAIN without ANALYZE reads no row, and shows no term.
EXPLAIN (COSTS OFF) SELECT * FROM collatz.sequence_steps_computed WHERE sequence_id = 1;
-- The columns the scan reads (id, number, steps_to_one), granted one by one, are enough;
-- fewer are not.
\c - postgres
SET client_min_messages = warning;
GRANT SELECT (id, number) ON collatz.collatz_sequences TO sec_nobody;
\c - sec_nobody
SELECT sec_log.error_of('SELECT count(*) FROM collatz.sequence_steps_computed') AS two_of_three_columns;
\c - postgres
SET client_min_messages = warning;
GRANT SELECT (steps_to_one) ON collatz.collatz_sequences TO sec_nobody;
\c - sec_nobody
SELECT count(*) AS with_the_three_columns FROM collatz.sequence_steps_computed c
WHERE c.sequence_id OPERATOR(pg_catalog.=) 1;
\c - postgres
SET client_min_messages = warning;
REVOKE SELECT (id, number, steps_to_one) ON collatz.collatz_sequences FROM sec_nobody;
-- Row level security on collatz_sequences (which the extension never enables) would not be
-- applied by the direct read, so the scan refuses to run under it.
ALTER TABLE collatz.collatz_sequences ENABLE ROW LEVEL SECURITY;
\c - sec_reader
SELECT sec_log.error_of('SELECT count(*) FROM collatz.sequence_steps_computed') AS under_row_level_security;
\c - postgres
SET client_min_messages = warning;
ALTER TABLE collatz.collatz_sequences DISABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------------------
-- Through views: a plain view reads as its owner (as PostgreSQL's views do: the writer can
-- share what it may read), a security_invoker view as its reader.
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
CREATE VIEW public.sec_shared_steps AS SELECT * FROM collatz.sequence_steps_computed;
CREATE VIEW public.sec_invoker_steps WITH (security_invoker = true) AS SELECT * FROM collatz.sequence_steps_computed;
GRANT SELECT ON public.sec_shared_steps, public.sec_invoker_steps TO sec_nobody;
\c - sec_nobody
SELECT count(*) AS through_owners_view FROM public.sec_shared_steps WHERE sequence_id OPERATOR(pg_catalog.=) 1;
SELECT sec_log.error_of('SELECT count(*) FROM public.sec_invoker_steps') AS through_invoker_view;
\c - sec_writer
DROP VIEW public.sec_shared_steps, public.sec_invoker_steps;
\c - postgres
SET client_min_messages = warning;
REVOKE SELECT ON collatz.sequence_steps_computed FROM sec_nobody;
REVOKE USAGE ON SCHEMA collatz FROM sec_nobody;

------------------------------------------------------------------------------------------
-- A collatz_sequences of the attacker's where a search_path looks first (public, its own
-- schema, pg_temp): the scan reads the one beside the foreign table, by OID.
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
CREATE TABLE public.collatz_sequences (id bigint PRIMARY KEY, number bigint, steps_to_one bigint);
INSERT INTO public.collatz_sequences VALUES (1, 7, 3), (2, 9, 999);
CREATE TABLE sec_writer_own.collatz_sequences (LIKE public.collatz_sequences INCLUDING ALL);
INSERT INTO sec_writer_own.collatz_sequences SELECT * FROM public.collatz_sequences;
CREATE TEMP TABLE collatz_sequences (LIKE public.collatz_sequences INCLUDING ALL);
INSERT INTO pg_temp.collatz_sequences SELECT * FROM public.collatz_sequences;
SET search_path = pg_temp, sec_writer_own, public, collatz;
SELECT (SELECT pg_catalog.array_agg(c.value ORDER BY c.step_number) FROM collatz.sequence_steps_computed c
        WHERE c.sequence_id OPERATOR(pg_catalog.=) 1)::text AS terms_of_id_1,
       (SELECT pg_catalog.count(*) FROM collatz.sequence_steps_computed c
        WHERE c.sequence_id OPERATOR(pg_catalog.=) (SELECT s.id FROM collatz.collatz_sequences s WHERE s.number OPERATOR(pg_catalog.=) 9))
       AS terms_of_9;
-- With the kit (operators that lie, aggregates) in the path: the scan applies no operator of
-- the path (only those of the integer B-tree family, which no role can extend), so the rows
-- are the true ones.
CALL sec_log.plant('sec_writer_own');
SET search_path = sec_writer_own, collatz, pg_catalog;
SELECT (SELECT pg_catalog.array_agg(ROW(c.step_number, c.value) ORDER BY c.step_number) FROM collatz.sequence_steps_computed c
        WHERE c.sequence_id OPERATOR(pg_catalog.=) 3 AND c.step_number OPERATOR(pg_catalog.<) 4)::text
       AS true_terms_of_id_3;
CALL sec_log.unplant('sec_writer_own');
RESET search_path;
DROP TABLE public.collatz_sequences, sec_writer_own.collatz_sequences, pg_temp.collatz_sequences;

------------------------------------------------------------------------------------------
-- The wrapper and its server belong to the owner: nobody makes, alters or grants them
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
SELECT q AS call, sec_log.sqlstate_of(q) AS outcome FROM (VALUES
    ('CREATE FOREIGN TABLE public.sec_steps (sequence_id bigint, step_number integer, value numeric, operation_type text) SERVER collatz_ext_computed'),
    ('CREATE SERVER sec_server FOREIGN DATA WRAPPER collatz_ext_computed'),
    ('CREATE USER MAPPING FOR sec_writer SERVER collatz_ext_computed'),
    ('ALTER SERVER collatz_ext_computed OPTIONS (ADD host ''elsewhere'')'),
    ('ALTER SERVER collatz_ext_computed OWNER TO sec_writer'),
    ('ALTER FOREIGN DATA WRAPPER collatz_ext_computed OPTIONS (ADD x ''y'')'),
    ('ALTER FOREIGN DATA WRAPPER collatz_ext_computed HANDLER collatz_internal.sequence_steps_computed_handler'),
    ('ALTER FOREIGN TABLE collatz.sequence_steps_computed OPTIONS (ADD relation ''public.collatz_sequences'')'),
    ('ALTER FOREIGN TABLE collatz.sequence_steps_computed ALTER COLUMN value OPTIONS (ADD x ''y'')'),
    ('ALTER FOREIGN TABLE collatz.sequence_steps_computed ADD COLUMN extra text'),
    ('GRANT USAGE ON FOREIGN SERVER collatz_ext_computed TO sec_writer'),
    ('GRANT USAGE ON FOREIGN DATA WRAPPER collatz_ext_computed TO sec_writer'),
    ('INSERT INTO collatz.sequence_steps_computed VALUES (1, 1, 1, ''start'')'),
    ('TRUNCATE collatz.sequence_steps_computed'),
    ('SELECT collatz_internal.sequence_steps_computed_validator(ARRAY[''a=b''], 0)')
) AS a(q);
SELECT has_server_privilege('collatz_ext_computed', 'USAGE') AS server_usage,
       has_foreign_data_wrapper_privilege('collatz_ext_computed', 'USAGE') AS wrapper_usage;
-- Even the owner cannot give them options.
\c - postgres
SET client_min_messages = warning;
SELECT q AS call, sec_log.error_of(q) AS outcome FROM (VALUES
    ('ALTER SERVER collatz_ext_computed OPTIONS (ADD host ''elsewhere'')'),
    ('ALTER FOREIGN TABLE collatz.sequence_steps_computed OPTIONS (ADD relation ''public.collatz_sequences'')'),
    ('CREATE USER MAPPING FOR sec_writer SERVER collatz_ext_computed OPTIONS (password ''x'')')
) AS a(q);

------------------------------------------------------------------------------------------
-- Hostile bounds and long scans, by a reader under a 1 s timeout: no panic, no allocation
-- beyond one walk, the scan interruptible
------------------------------------------------------------------------------------------
\c - sec_reader
SET client_min_messages = warning;
CREATE TEMP TABLE scans (k serial, call text, outcome text, prompt boolean);
SET statement_timeout = '1s';
-- One statement each: a statement_timeout covers one top-level statement.
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number > 9223372036854775807$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number > 9223372036854775807$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number < -9223372036854775808$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number < -9223372036854775808$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number BETWEEN 2147483647 AND 9223372036854775807$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number BETWEEN 2147483647 AND 9223372036854775807$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number >= -9223372036854775808 AND step_number <= 2$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE step_number >= -9223372036854775808 AND step_number <= 2$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = -9223372036854775808$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = -9223372036854775808$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = 9223372036854775807$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = 9223372036854775807$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = 1 AND sequence_id = 2$$, * FROM sec_log.timed($$SELECT count(*) FROM collatz.sequence_steps_computed WHERE sequence_id = 1 AND sequence_id = 2$$);
INSERT INTO scans (call, outcome, prompt) SELECT $$SELECT count(c.value) FROM generate_series(1, 1000000) g CROSS JOIN LATERAL (SELECT value FROM collatz.sequence_steps_computed WHERE step_number <= g) c$$, * FROM sec_log.timed($$SELECT count(c.value) FROM generate_series(1, 1000000) g CROSS JOIN LATERAL (SELECT value FROM collatz.sequence_steps_computed WHERE step_number <= g) c$$);
RESET statement_timeout;
SELECT call, outcome, prompt FROM scans ORDER BY k;
SELECT 1 AS backend_alive;

\i :abs_srcdir/include/check.sql
