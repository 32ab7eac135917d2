-- The extension's trigger functions and internal helpers, used directly.
--   * Every role tries to attach each trigger function to a table of its own (a temp table;
--     the writer also a table in its schema whose column has a type of its own with an
--     IMPLICIT cast, and with REFERENCING new_rows): CREATE TRIGGER needs EXECUTE, which no
--     level has (42501).
--   * Were one attached anyway (here by the superuser), it refuses to run for any table or
--     event but its own (09000), before reading a transition table.
--   * Every function of collatz_internal, and collatz_grant / collatz_revoke, called by each
--     role: refused (42501), except the three pure helpers for read and above.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
SET client_min_messages = warning;

CREATE TABLE sec_log.attempts (id int PRIMARY KEY, attempt text NOT NULL, statement text NOT NULL);
CREATE TABLE sec_log.outcomes (role name NOT NULL DEFAULT current_user, id int NOT NULL, sqlstate text NOT NULL);
GRANT SELECT ON sec_log.attempts TO PUBLIC;
GRANT INSERT ON sec_log.outcomes TO PUBLIC;
-- Attaching: each trigger function to pg_temp.sec_own (made by each role below), as a
-- statement trigger with and without transition tables, and as a row trigger.
INSERT INTO sec_log.attempts
SELECT row_number() OVER (ORDER BY f, k), f || ' ' || k,
       format('CREATE TRIGGER sec_t AFTER %s ON pg_temp.sec_own %s EXECUTE FUNCTION %s', e, r, f)
FROM unnest(ARRAY['collatz_internal.collatz_sequences_totals()', 'collatz_internal.sequence_terms_totals()',
                  'collatz_internal.sequence_terms_check()', 'collatz_internal.collatz_sequences_keep_number()',
                  'collatz_internal.sequence_steps_begin()', 'collatz_internal.sequence_steps_stage()',
                  'collatz_internal.sequence_steps_apply()']) AS f,
     (VALUES ('statement', 'INSERT', 'FOR EACH STATEMENT'),
             ('referencing', 'INSERT', 'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT'),
             ('row', 'UPDATE', 'FOR EACH ROW')) AS x(k, e, r);
-- Calling: every function of collatz_internal, and the grants, with NULL arguments.
INSERT INTO sec_log.attempts
SELECT 100 + row_number() OVER (ORDER BY p.oid::regprocedure::text), p.oid::regprocedure::text,
       format('SELECT %s(%s)', p.oid::regproc,
              (SELECT coalesce(string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY k), '')
               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, k)))
FROM pg_proc p
WHERE (p.pronamespace = 'collatz_internal'::regnamespace
       OR p.oid IN ('collatz.collatz_grant'::regproc, 'collatz.collatz_revoke'::regproc))
  AND p.prokind = 'f';

-- Each role makes its own table, then tries.
\c - sec_reader
SET client_min_messages = warning;
CREATE TEMP TABLE sec_own (number bigint, sequence_length bigint, sequence_id bigint, step_number int, value numeric, operation_type text);
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_writer
SET client_min_messages = warning;
CREATE TEMP TABLE sec_own (number bigint, sequence_length bigint, sequence_id bigint, step_number int, value numeric, operation_type text);
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_admin
SET client_min_messages = warning;
CREATE TEMP TABLE sec_own (number bigint, sequence_length bigint, sequence_id bigint, step_number int, value numeric, operation_type text);
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;
\c - sec_nobody
SET client_min_messages = warning;
CREATE TEMP TABLE sec_own (number bigint, sequence_length bigint, sequence_id bigint, step_number int, value numeric, operation_type text);
INSERT INTO sec_log.outcomes (id, sqlstate) SELECT a.id, sec_log.try(a.statement) FROM sec_log.attempts a ORDER BY a.id;

\c - postgres
SET client_min_messages = warning;
SELECT a.attempt,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_reader') AS reader,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_writer') AS writer,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_admin') AS admin,
       max(o.sqlstate) FILTER (WHERE o.role = 'sec_nobody') AS nobody
FROM sec_log.attempts a LEFT JOIN sec_log.outcomes o ON o.id = a.id
GROUP BY a.id, a.attempt ORDER BY a.id;
DROP TABLE sec_log.attempts, sec_log.outcomes;

-- The writer's own schema: a type of its own with an IMPLICIT cast to bigint (0.4.0: the
-- totals trigger summed the column through it, as the owner), a table of that type, and
-- the trigger with a real transition table named new_rows.
\c - sec_writer
SET client_min_messages = warning;
CALL sec_log.plant('sec_writer_own');
CREATE TABLE sec_writer_own.sec_own (number bigint, sequence_length sec_writer_own.sec_evil);
CREATE TRIGGER sec_t AFTER INSERT ON sec_writer_own.sec_own REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.collatz_sequences_totals();
CREATE TRIGGER sec_t AFTER INSERT ON sec_writer_own.sec_own
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.collatz_sequences_totals();
CREATE TRIGGER sec_s AFTER INSERT ON sec_writer_own.sec_own REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();
DROP TABLE sec_writer_own.sec_own;
CALL sec_log.unplant('sec_writer_own');

-- The guards, with the functions attached by the one role that can (the superuser) to a
-- table that is not theirs: each refuses (09000) and collatz_totals stays as it is.
\c - postgres
SET client_min_messages = warning;
SELECT sum(sequences) AS sequences_before, sum(steps) AS steps_before FROM collatz.collatz_totals \gset
CREATE TABLE sec_log.guard (id bigint, number bigint, sequence_length bigint, sequence_id bigint, step_number int,
                            value numeric, operation_type text, terms numeric[]);
CREATE TRIGGER g1 AFTER INSERT ON sec_log.guard REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.collatz_sequences_totals();
INSERT INTO sec_log.guard (sequence_length) VALUES (1000000);
DROP TRIGGER g1 ON sec_log.guard;
CREATE TRIGGER g2 AFTER INSERT ON sec_log.guard REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
INSERT INTO sec_log.guard (terms) VALUES ('{1}');
DROP TRIGGER g2 ON sec_log.guard;
CREATE TRIGGER g3 AFTER INSERT ON sec_log.guard REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();
INSERT INTO sec_log.guard (sequence_id, terms) VALUES (1, '{1}');
DROP TRIGGER g3 ON sec_log.guard;
-- The view's three, each on a table (which no INSTEAD OF trigger may serve) at its own timing.
CREATE TRIGGER g3b BEFORE INSERT ON sec_log.guard
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_begin();
INSERT INTO sec_log.guard (sequence_id, step_number, value, operation_type) VALUES (1, 0, 1, 'start');
DROP TRIGGER g3b ON sec_log.guard;
CREATE TRIGGER g3c BEFORE INSERT ON sec_log.guard
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.sequence_steps_stage();
INSERT INTO sec_log.guard (sequence_id, step_number, value, operation_type) VALUES (1, 0, 1, 'start');
DROP TRIGGER g3c ON sec_log.guard;
CREATE TRIGGER g3d AFTER INSERT ON sec_log.guard
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_apply();
INSERT INTO sec_log.guard (sequence_id, step_number, value, operation_type) VALUES (1, 0, 1, 'start');
DROP TRIGGER g3d ON sec_log.guard;
CREATE TRIGGER g4 BEFORE UPDATE ON sec_log.guard
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.collatz_sequences_keep_number();
INSERT INTO sec_log.guard (number) VALUES (1);
UPDATE sec_log.guard SET number = 2;
DROP TABLE sec_log.guard;
-- On their own tables, for an event they were not made for.
CREATE TRIGGER g5 BEFORE INSERT ON collatz.collatz_totals
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.collatz_sequences_totals();
SELECT collatz.save_sequence(300100) IS NOT NULL AS saved;
DROP TRIGGER g5 ON collatz.collatz_totals;
CREATE TRIGGER g6 BEFORE INSERT ON collatz.sequence_terms
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
SELECT collatz.save_sequence(300100, with_steps => true) IS NOT NULL AS saved_with_steps;
DROP TRIGGER g6 ON collatz.sequence_terms;
CREATE TRIGGER g7 BEFORE INSERT ON collatz.sequence_terms
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.sequence_terms_check();
SELECT collatz.save_sequence(300101, with_steps => true) IS NOT NULL AS saved_with_steps;
DROP TRIGGER g7 ON collatz.sequence_terms;
SELECT sum(sequences) = :sequences_before AS sequences_unchanged, sum(steps) = :steps_before AS steps_unchanged
FROM collatz.collatz_totals;

-- copy_sequences writes collatz_sequences by COPY FROM, which checks no privilege itself:
-- no level may execute it (42501, before anything is computed or written), and for the owner
-- it refuses what insert_sequences' callers refuse, and a read-only transaction.
\c - sec_writer
SELECT collatz_internal.copy_sequences(700001, 700010);
\c - postgres
SET client_min_messages = warning;
SELECT collatz_internal.copy_sequences(NULL, 700010);
SELECT collatz_internal.copy_sequences(700010, 700001);
SELECT collatz_internal.copy_sequences(1, 9223372036854775807);
BEGIN READ ONLY;
SELECT collatz_internal.copy_sequences(700001, 700010);
ROLLBACK;
SELECT count(*) AS copied_by_attacks FROM collatz.collatz_sequences WHERE number BETWEEN 700001 AND 700010;

\i :abs_srcdir/include/check.sql
