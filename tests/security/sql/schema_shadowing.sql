-- Public-schema and own-schema shadowing. The writer has CREATE on public (as every role had
-- before PostgreSQL 15) and a schema of its own. It plants there the whole kit of
-- sec_log.plant: comparison operators that lie, aggregates that return wrong results
-- (array_agg(text) is the one the 0.4.0 sequence_steps check ran as the superuser), the
-- functions a resolution prefers to pg_catalog's polymorphic ones, functions named like the
-- extension's, and a type of its own with IMPLICIT casts. Then every role runs every path
-- with those schemas in its search_path, pg_catalog last where a path can put it there:
--   the superuser and the admin (write paths, cleanup), the second writer, a reader (the
--   read paths), and the planter itself with SET search_path = mine, public, pg_catalog,
--   which also tries to slip wrong terms, gaps and renumberings past the integrity checks.
-- Nothing planted may run, no wrong row may get in, and no number may change.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

\c - sec_writer
SET client_min_messages = warning;
CALL sec_log.plant('public');
CALL sec_log.plant('sec_writer_own');
SELECT n.nspname AS schema,
       (SELECT count(*) FROM pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) n.oid
                                         AND p.prokind OPERATOR(pg_catalog.=) 'f') AS functions,
       (SELECT count(*) FROM pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) n.oid
                                         AND p.prokind OPERATOR(pg_catalog.=) 'a') AS aggregates,
       (SELECT count(*) FROM pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) n.oid) AS operators,
       (SELECT count(*) FROM pg_cast c JOIN pg_type t ON t.oid OPERATOR(pg_catalog.=) c.castsource
        WHERE t.typnamespace OPERATOR(pg_catalog.=) n.oid) AS casts
FROM pg_namespace n WHERE n.nspname IN ('public', 'sec_writer_own') ORDER BY 1;
-- The kit works: a query of the writer's own, with its schema first, meets it (the
-- WARNINGs and lines below); then the log starts empty again.
SET search_path = sec_writer_own, public, pg_catalog;
SELECT 1::bigint = 2::bigint AS lying_equals, (SELECT array_agg(t) FROM (VALUES ('x'::text)) v(t)) AS planted_array_agg;
RESET search_path;
SELECT label, ran_as FROM sec_log.planted ORDER BY id;
DELETE FROM sec_log.planted;
-- A stored sequence without steps, for the integrity attacks below.
SELECT collatz.save_sequence(230150) IS NOT NULL AS stored_without_steps;

------------------------------------------------------------------------------------------
-- The superuser, public first and pg_catalog last
------------------------------------------------------------------------------------------
\c - postgres
SET client_min_messages = warning;
SET search_path = public, collatz, pg_catalog;
\set lo 200000
\set expname sec_shadow_superuser
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/read_paths.sql
\i :abs_srcdir/include/cleanup_paths.sql
-- The superuser hands out and takes back levels with public in its path.
SELECT collatz.collatz_grant('sec_nobody', 'admin') IS NOT NULL AS granted;
SELECT collatz.collatz_revoke('sec_nobody') IS NOT NULL AS revoked;
RESET search_path;

------------------------------------------------------------------------------------------
-- The admin and the second writer, public first
------------------------------------------------------------------------------------------
\c - sec_admin
SET client_min_messages = warning;
SET search_path = public, collatz, pg_catalog;
\set lo 210000
\set expname sec_shadow_admin
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/cleanup_paths.sql
RESET search_path;

\c - sec_writer2
SET client_min_messages = warning;
SET search_path = public, collatz;
\set lo 220000
\set expname sec_shadow_writer2
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/read_paths.sql
RESET search_path;

\c - sec_reader
SET client_min_messages = warning;
SET search_path = public, collatz, pg_catalog;
\set lo 200000
\i :abs_srcdir/include/read_paths.sql
RESET search_path;

------------------------------------------------------------------------------------------
-- The planter itself, its own schema first: every path, then the integrity checks
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
SELECT id AS id_free FROM collatz.collatz_sequences WHERE number OPERATOR(pg_catalog.=) 230150 \gset
SELECT count(*) AS planted_runs_so_far FROM sec_log.planted;
SET search_path = sec_writer_own, public, pg_catalog;
\set lo 230000
\set expname sec_shadow_writer
\i :abs_srcdir/include/write_paths.sql
\i :abs_srcdir/include/read_paths.sql
SELECT id AS id_steps FROM collatz.collatz_sequences WHERE number OPERATOR(pg_catalog.=) :n103 \gset
-- With = always true and <> always false in the path, each of these is still refused
-- (23514), since every check runs with its own path.
-- A wrong term.
INSERT INTO collatz.sequence_steps (sequence_id, step_number, value, operation_type)
VALUES (:id_free, 0, 230150, 'start'), (:id_free, 1, 1, 'even');
-- The true terms with a gap at step 1.
INSERT INTO collatz.sequence_steps (sequence_id, step_number, value, operation_type)
SELECT :id_free, q.step_number, q.value, q.operation_type FROM collatz.collatz_sequence(230150) q
WHERE q.step_number OPERATOR(pg_catalog.<>) 1;
-- The true terms and one past the end.
INSERT INTO collatz.sequence_steps (sequence_id, step_number, value, operation_type)
SELECT :id_free, q.step_number, q.value, q.operation_type FROM collatz.collatz_sequence(230150) q
UNION ALL SELECT :id_free, 10000, 4, 'odd';
-- A stored term changed, steps moved to another sequence, steps that start later.
UPDATE collatz.sequence_steps SET value = 5
WHERE sequence_id OPERATOR(pg_catalog.=) :id_steps AND step_number OPERATOR(pg_catalog.=) 1;
UPDATE collatz.sequence_steps SET sequence_id = :id_free WHERE sequence_id OPERATOR(pg_catalog.=) :id_steps;
UPDATE collatz.sequence_steps SET step_number = step_number OPERATOR(pg_catalog.+) 1
WHERE sequence_id OPERATOR(pg_catalog.=) :id_steps;
-- A sequence with steps renumbered to another number's true values (its steps would then
-- belong to the wrong number), and a row that lies.
UPDATE collatz.collatz_sequences SET (number, sequence_length, steps_to_one, max_value) =
    (SELECT 230151, st.sequence_length, st.steps_to_one, st.max_value FROM collatz.collatz_stats(230151::bigint) st)
WHERE id OPERATOR(pg_catalog.=) :id_steps;
INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (230151, 1, 0, 230151);
UPDATE collatz.collatz_sequences SET max_value = 1 WHERE id OPERATOR(pg_catalog.=) :id_free;
-- COPY runs the same checks (step 1 of 230150 is 115075).
\setenv SEC_ID :id_free
\copy collatz.sequence_steps (sequence_id, step_number, value, operation_type) FROM PROGRAM 'printf "%s\t0\t230150\tstart\n%s\t1\t115076\teven\n" $SEC_ID $SEC_ID'
-- The table under the view, written directly with the same path: a wrong term, a term past
-- the end, a sequence's true terms given to another (23514 each).
INSERT INTO collatz.sequence_terms (sequence_id, terms) VALUES (:id_free, '{230150, 1}');
INSERT INTO collatz.sequence_terms (sequence_id, terms)
SELECT :id_free, collatz_internal.collatz_terms(230150, 10000) OPERATOR(pg_catalog.||) 4::numeric;
UPDATE collatz.sequence_terms SET sequence_id = :id_free WHERE sequence_id OPERATOR(pg_catalog.=) :id_steps;
-- The view gathers a statement's rows in temp tables of the writer's own: one whose trigger
-- turns every term into 5 on the way gets the write refused (23514), not a wrong term stored.
CREATE TEMP TABLE IF NOT EXISTS collatz_steps_result (sequence_id bigint, step_number integer, value numeric);
CREATE FUNCTION pg_temp.sec_lie() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.value := 5; RETURN NEW; END $f$;
CREATE TRIGGER sec_lie BEFORE INSERT ON pg_temp.collatz_steps_result FOR EACH ROW EXECUTE FUNCTION pg_temp.sec_lie();
INSERT INTO collatz.sequence_steps (sequence_id, step_number, value, operation_type)
SELECT :id_free, q.step_number, q.value, q.operation_type FROM collatz.collatz_sequence(230150) q;
DROP TABLE pg_temp.collatz_steps_result;
-- Triggers cannot be switched off by the writer.
SET session_replication_role = replica;
ALTER TABLE collatz.sequence_terms DISABLE TRIGGER ALL;
ALTER TABLE collatz.collatz_sequences DISABLE TRIGGER USER;
RESET search_path;
-- Nothing of that got in: the free sequence has no steps, the other its true ones.
SELECT (SELECT count(*) FROM collatz.sequence_steps WHERE sequence_id OPERATOR(pg_catalog.=) :id_free) AS free_steps,
       (SELECT count(*) FROM collatz.collatz_sequences WHERE number OPERATOR(pg_catalog.=) 230151) AS renumbered;
-- The planted objects go again, so that the later files' own statements do not meet them.
CALL sec_log.unplant('public');
CALL sec_log.unplant('sec_writer_own');
SELECT count(*) AS left_in_public FROM pg_proc WHERE pronamespace OPERATOR(pg_catalog.=) 'public'::regnamespace;

\i :abs_srcdir/include/check.sql
