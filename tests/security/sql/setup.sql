-- tests/security, first file: the login roles that attack the installed extension, some true
-- data, and a fingerprint of every computed or maintained number, kept where no attacker
-- can write it. The last file (teardown) checks the fingerprint again and drops everything.
--
-- Roles (cluster-wide, so every name starts with sec_):
--   sec_reader   collatz_grant 'read'
--   sec_writer   collatz_grant 'write', plus CREATE on public (every role had it before
--                PostgreSQL 15, and upgraded databases still grant it) and a schema of its own
--   sec_writer2  collatz_grant 'write', a second writer (a run's owner is the other one)
--   sec_admin    collatz_grant 'admin'
--   sec_nobody   no grant at all
\set VERBOSITY terse
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- A previous run that stopped half-way may have left the extension or the roles behind.
DROP EXTENSION IF EXISTS collatz_ext CASCADE;
DROP SCHEMA IF EXISTS sec_audit, sec_log, sec_writer_own, sec_writer2_own CASCADE;
DO $$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles
             WHERE rolname IN ('sec_reader', 'sec_writer', 'sec_writer2', 'sec_admin', 'sec_nobody')
    LOOP
        EXECUTE format('DROP OWNED BY %I CASCADE', r);
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE ROLE sec_reader LOGIN;
CREATE ROLE sec_writer LOGIN;
CREATE ROLE sec_writer2 LOGIN;
CREATE ROLE sec_admin LOGIN;
CREATE ROLE sec_nobody LOGIN;
-- The pre-15 public schema, for the writer; and a schema the writer owns.
GRANT CREATE ON SCHEMA public TO sec_writer;
CREATE SCHEMA sec_writer_own AUTHORIZATION sec_writer;
CREATE SCHEMA sec_writer2_own AUTHORIZATION sec_writer2;

CREATE EXTENSION collatz_ext;
SELECT collatz.collatz_grant('sec_reader', 'read') AS reader,
       collatz.collatz_grant('sec_writer', 'write') AS writer,
       collatz.collatz_grant('sec_writer2', 'write') AS writer2,
       collatz.collatz_grant('sec_admin', 'admin') AS admin;

-- Where planted code reports that it ran: any role may add a line (a planted function runs
-- as whoever calls it, or as the extension's owner), and the tests count the lines.
CREATE SCHEMA sec_log;
CREATE TABLE sec_log.planted (
    id       bigint GENERATED ALWAYS AS IDENTITY,
    label    text NOT NULL,
    ran_as   name NOT NULL DEFAULT current_user,
    session  name NOT NULL DEFAULT session_user
);
GRANT USAGE ON SCHEMA sec_log TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON sec_log.planted TO PUBLIC;

-- What only the superuser sees and writes: the reference walk, the fingerprint and the
-- checks the later files run as postgres.
CREATE SCHEMA sec_audit;
REVOKE ALL ON SCHEMA sec_audit FROM PUBLIC;

-- An independent walk from the definition, on numeric, nothing shared with the extension.
CREATE FUNCTION sec_audit.walk(n numeric, OUT steps bigint, OUT peak numeric)
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    x numeric := n;
BEGIN
    steps := 0; peak := n;
    WHILE x OPERATOR(pg_catalog.<>) 1 LOOP
        IF pg_catalog.mod(x, 2) OPERATOR(pg_catalog.=) 1 THEN x := 3 * x + 1; ELSE x := pg_catalog.div(x, 2); END IF;
        steps := steps + 1;
        IF x OPERATOR(pg_catalog.>) peak THEN peak := x; END IF;
    END LOOP;
END $$;

-- The terms of the same walk, for the stored steps.
CREATE FUNCTION sec_audit.terms(n numeric, OUT step_number integer, OUT value numeric, OUT operation_type text)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    step_number := 0; value := n; operation_type := 'start';
    RETURN NEXT;
    WHILE value OPERATOR(pg_catalog.<>) 1 LOOP
        IF pg_catalog.mod(value, 2) OPERATOR(pg_catalog.=) 1 THEN
            value := 3 * value + 1; operation_type := 'odd';
        ELSE
            value := pg_catalog.div(value, 2); operation_type := 'even';
        END IF;
        step_number := step_number + 1;
        RETURN NEXT;
    END LOOP;
END $$;

-- The privileges of every object of the extension, as one digest: no role may gain or lose
-- one during the attacks (the privilege matrix shows them; this catches a change).
CREATE FUNCTION sec_audit.acl_digest() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT md5(string_agg(o, E'\n' ORDER BY o)) FROM (
        SELECT 'class ' || c.oid::regclass::text || ' ' || c.relowner::regrole::text || ' '
               || coalesce(c.relacl::text, '-') AS o
        FROM pg_class c WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
        UNION ALL
        SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || a.attacl::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND a.attacl IS NOT NULL
        UNION ALL
        SELECT 'proc ' || p.oid::regprocedure::text || ' ' || p.proowner::regrole::text || ' '
               || coalesce(p.proacl::text, '-') || ' ' || p.prosecdef || ' ' || coalesce(p.proconfig::text, '-')
        FROM pg_proc p WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
        UNION ALL
        SELECT 'schema ' || n.nspname || ' ' || n.nspowner::regrole::text || ' ' || coalesce(n.nspacl::text, '-')
        FROM pg_namespace n WHERE n.nspname IN ('collatz', 'collatz_internal', 'public')
        UNION ALL
        SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgfoid::regprocedure::text
               || ' ' || t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'collatz'::regnamespace
        UNION ALL
        SELECT 'wrapper ' || w.fdwname || ' ' || w.fdwowner::regrole::text || ' ' || coalesce(w.fdwacl::text, '-')
               || ' ' || coalesce(w.fdwoptions::text, '-')
        FROM pg_foreign_data_wrapper w
        UNION ALL
        SELECT 'server ' || s.srvname || ' ' || s.srvowner::regrole::text || ' ' || coalesce(s.srvacl::text, '-')
               || ' ' || coalesce(s.srvoptions::text, '-')
        FROM pg_foreign_server s
        UNION ALL
        SELECT 'foreign table ' || f.ftrelid::regclass::text || ' ' || coalesce(f.ftoptions::text, '-')
        FROM pg_foreign_table f
        UNION ALL
        SELECT 'user mapping ' || u.srvname || ' ' || u.usename
        FROM pg_user_mappings u
        UNION ALL
        SELECT 'member ' || m.member::regrole::text || ' of ' || m.roleid::regrole::text
        FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname LIKE 'sec\_%'
    ) x
$$;

-- The numbers the setup stores, as digests, and the ids they end at: the attacks add rows
-- of their own (in other ranges), but must change none of these.
CREATE TABLE sec_audit.setup_ids (t text PRIMARY KEY, max_id bigint);
CREATE FUNCTION sec_audit.digests(OUT item text, OUT digest text)
RETURNS SETOF record
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'collatz_sequences', md5(string_agg(format('%s %s %s %s %s %s', id, number, sequence_length, steps_to_one,
                                                      max_value, created_at), ',' ORDER BY id))
    FROM collatz.collatz_sequences WHERE number <= 2100
    UNION ALL
    SELECT 'sequence_steps', count(*) || ' ' || md5(string_agg(format('%s %s %s %s', st.sequence_id, st.step_number,
                                                                      st.value, st.operation_type),
                                                               ',' ORDER BY st.sequence_id, st.step_number))
    FROM collatz.sequence_steps st JOIN collatz.collatz_sequences s ON s.id = st.sequence_id WHERE s.number <= 2100
    UNION ALL
    SELECT 'computed_steps', count(*) || ' ' || sum(c.value) || ' ' || count(c.operation_type)
    FROM collatz.sequence_steps_computed c JOIN collatz.collatz_sequences s ON s.id = c.sequence_id WHERE s.number <= 2100
    UNION ALL
    SELECT 'analysis_results', md5(string_agg(row(a.*)::text, ',' ORDER BY a.id))
    FROM collatz.analysis_results a WHERE a.id <= (SELECT max_id FROM sec_audit.setup_ids WHERE t = 'analysis_results')
    UNION ALL
    SELECT 'pipeline_runs', md5(string_agg(row(r.*)::text, ',' ORDER BY r.id))
    FROM collatz.pipeline_runs r WHERE r.id <= (SELECT max_id FROM sec_audit.setup_ids WHERE t = 'pipeline_runs')
    UNION ALL
    SELECT 'performance_metrics', md5(string_agg(row(m.*)::text, ',' ORDER BY m.id))
    FROM collatz.performance_metrics m WHERE m.id <= (SELECT max_id FROM sec_audit.setup_ids WHERE t = 'performance_metrics')
    UNION ALL
    SELECT 'experiments', md5(string_agg(row(e.*)::text, ',' ORDER BY e.id))
    FROM collatz.experiments e WHERE e.id <= (SELECT max_id FROM sec_audit.setup_ids WHERE t = 'experiments')
$$;

-- What must hold at every moment, whatever was added: each check is true when it holds.
--   totals_match_rows    collatz_totals sums to the true counts of the rows
--   summary_matches_rows v_sequence_summary shows those counts and the true records
--   histogram_matches_rows v_sequence_length_distribution is the GROUP BY over the rows
--   sequences_exact      every stored sequence has its true length, steps and peak
--   steps_exact          every stored term is the true one, contiguous from step 0
--   computed_steps_exact sequence_steps_computed has every true term of the stored
--                        sequences up to 2100, and no other row for them
--   (the walks of sec_audit.walk and sec_audit.terms, not the extension's functions)
--   analyses_exact       every analysis_results row is what collatz_analyze computes
--   metrics_plausible    every metric names a known operation and the role that ran it
--   runs_consistent      every done run stored its result; every run names a real role
--   no_run_running       no run shows as running once the sessions are gone
-- analyses_exact recomputes ranges of up to 10^7 numbers unless thorough (the teardown).
CREATE FUNCTION sec_audit.invariants(thorough boolean DEFAULT false, OUT invariant text, OUT holds boolean)
RETURNS SETOF record
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH t AS (SELECT coalesce(sum(sequences), 0) AS sequences, coalesce(sum(length_sum), 0) AS length_sum,
                      coalesce(sum(steps), 0) AS steps, coalesce(sum(sequences_with_steps), 0) AS with_steps
               FROM collatz.collatz_totals),
         r AS (SELECT count(*) AS sequences, coalesce(sum(sequence_length), 0) AS length_sum,
                      (SELECT count(*) FROM collatz.sequence_steps) AS steps,
                      (SELECT count(DISTINCT sequence_id) FROM collatz.sequence_steps) AS with_steps
               FROM collatz.collatz_sequences)
    SELECT 'totals_match_rows', (t.sequences, t.length_sum, t.steps, t.with_steps) = (r.sequences, r.length_sum, r.steps, r.with_steps)
    FROM t, r
    UNION ALL
    SELECT 'summary_matches_rows', coalesce(
           (v.total_sequences, v.mean_sequence_length, v.stored_steps, v.sequences_with_steps,
            v.longest_sequence_length, v.highest_peak)
           = (r.sequences, CASE WHEN r.sequences > 0 THEN round(r.length_sum / r.sequences, 2) END, r.steps, r.with_steps,
              (SELECT max(sequence_length) FROM collatz.collatz_sequences),
              (SELECT max(max_value) FROM collatz.collatz_sequences)), false)
    FROM collatz.v_sequence_summary v, r
    UNION ALL
    SELECT 'histogram_matches_rows', NOT EXISTS (
        (SELECT sequence_length, sequences, smallest_number, highest_peak FROM collatz.v_sequence_length_distribution
         EXCEPT SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz.collatz_sequences GROUP BY 1)
        UNION ALL
        (SELECT sequence_length, count(*), min(number), max(max_value) FROM collatz.collatz_sequences GROUP BY 1
         EXCEPT SELECT sequence_length, sequences, smallest_number, highest_peak FROM collatz.v_sequence_length_distribution))
    UNION ALL
    SELECT 'sequences_exact', NOT EXISTS (
        SELECT 1 FROM collatz.collatz_sequences s CROSS JOIN LATERAL sec_audit.walk(s.number) w
        WHERE (s.steps_to_one, s.sequence_length, s.max_value) IS DISTINCT FROM (w.steps, w.steps + 1, w.peak))
    UNION ALL
    SELECT 'steps_exact', NOT EXISTS (
        SELECT 1 FROM collatz.collatz_sequences s
        CROSS JOIN LATERAL (SELECT 1 FROM collatz.sequence_steps st
                            LEFT JOIN sec_audit.terms(s.number) q ON q.step_number = st.step_number
                            WHERE st.sequence_id = s.id
                              AND (st.value, st.operation_type) IS DISTINCT FROM (q.value, q.operation_type)) bad
        WHERE s.id IN (SELECT sequence_id FROM collatz.sequence_steps))
      AND NOT EXISTS (SELECT 1 FROM collatz.sequence_steps GROUP BY sequence_id
                      HAVING count(*) <> max(step_number) + 1 OR min(step_number) <> 0)
    UNION ALL
    SELECT 'computed_steps_exact', NOT EXISTS (
        SELECT 1 FROM collatz.collatz_sequences s
        CROSS JOIN LATERAL ((SELECT c.step_number, c.value, c.operation_type FROM collatz.sequence_steps_computed c
                             WHERE c.sequence_id = s.id
                             EXCEPT ALL SELECT * FROM sec_audit.terms(s.number))
                            UNION ALL
                            (SELECT * FROM sec_audit.terms(s.number)
                             EXCEPT ALL SELECT c.step_number, c.value, c.operation_type FROM collatz.sequence_steps_computed c
                             WHERE c.sequence_id = s.id)) bad
        WHERE s.number <= 2100)
    UNION ALL
    SELECT 'analyses_exact', NOT EXISTS (
        SELECT 1 FROM collatz.analysis_results a CROSS JOIN LATERAL collatz.collatz_analyze(a.start_range, a.end_range) c
        WHERE (thorough OR a.end_range - a.start_range < 10000000)
          AND (a.numbers_analyzed, a.longest_sequence, a.longest_sequence_length, a.highest_peak, a.highest_peak_value)
              IS DISTINCT FROM (c.numbers_analyzed, c.longest_sequence, c.longest_sequence_length, c.highest_peak,
                                c.highest_peak_value))
    UNION ALL
    SELECT 'metrics_plausible', NOT EXISTS (
        SELECT 1 FROM collatz.performance_metrics m
        WHERE m.operation_type NOT IN ('batch_insert', 'batch_save', 'analyze_range', 'analyze_segment', 'import', 'cleanup')
           OR NOT EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = m.context ->> 'role')
           OR m.execution_time < 0 OR m.rows_processed < 0)
    UNION ALL
    SELECT 'runs_consistent', NOT EXISTS (
        SELECT 1 FROM collatz.pipeline_runs p
        WHERE NOT EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = p.started_by)
           OR (p.status = 'done' AND p.operation_type = 'analyze_range' AND NOT EXISTS (
                   SELECT 1 FROM collatz.analysis_results a
                   WHERE (a.start_range, a.end_range) = (p.start_range, p.end_range)
                     AND a.numbers_analyzed = p.rows_done))
           OR (p.status = 'done' AND p.rows_done > p.end_range - p.start_range + 1))
    UNION ALL
    SELECT 'no_run_running', NOT EXISTS (SELECT 1 FROM collatz.v_pipeline_progress WHERE state = 'running')
$$;

-- The SQLSTATE of a statement (or ok), for the attacks whose refusal is the point.
CREATE FUNCTION sec_log.sqlstate_of(query text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE query;
    RETURN 'ok';
EXCEPTION
    WHEN query_canceled THEN RETURN '57014';
    WHEN OTHERS THEN RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION sec_log.sqlstate_of(text) TO PUBLIC;

-- The same, but whatever the statement did is undone (so that an allowed DELETE or
-- TRUNCATE can be shown as allowed without deleting anything).
CREATE FUNCTION sec_log.try(query text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    BEGIN
        EXECUTE query;
        RAISE EXCEPTION 'undo' USING ERRCODE = 'SEC00';
    EXCEPTION
        WHEN query_canceled THEN RETURN '57014';
        WHEN OTHERS THEN RETURN CASE SQLSTATE WHEN 'SEC00' THEN 'ok' ELSE SQLSTATE END;
    END;
END $$;
GRANT EXECUTE ON FUNCTION sec_log.try(text) TO PUBLIC;

-- How a statement fails, for the bad-input checks: its SQLSTATE, "no hint" when the error
-- carries none, and "BACKTRACE" when its detail shows Rust internals (a panic message, a
-- source location, a backtrace). ok when it does not fail.
CREATE FUNCTION sec_log.error_of(query text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    state text;
    detail text;
    hint text;
    message text;
BEGIN
    EXECUTE query;
    RETURN 'ok';
EXCEPTION
    WHEN query_canceled THEN RETURN '57014';
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL,
                                hint = PG_EXCEPTION_HINT, message = MESSAGE_TEXT;
        RETURN state
            || CASE WHEN coalesce(hint, '') = '' THEN ' no hint' ELSE '' END
            || CASE WHEN concat(detail, ' ', message) ~* '(backtrace|panicked|\.rs:[0-9]|rust_begin_unwind|called `)'
                    THEN ' BACKTRACE' ELSE '' END;
END $$;
GRANT EXECUTE ON FUNCTION sec_log.error_of(text) TO PUBLIC;

-- A statement under the statement_timeout the caller set: whether it failed (its SQLSTATE)
-- and whether it ended within a second of the timeout (or at once when refused).
CREATE FUNCTION sec_log.timed(query text, OUT outcome text, OUT prompt boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    limit_ms numeric := extract(epoch FROM coalesce(nullif(current_setting('statement_timeout'), '0')::interval,
                                                    interval '1 hour')) * 1000;
BEGIN
    BEGIN
        EXECUTE query;
        outcome := 'ok';
    EXCEPTION
        WHEN query_canceled THEN outcome := '57014';
        WHEN OTHERS THEN outcome := SQLSTATE;
    END;
    prompt := extract(epoch FROM clock_timestamp() - started) * 1000 < limit_ms + 1000;
END $$;
GRANT EXECUTE ON FUNCTION sec_log.timed(text) TO PUBLIC;

-- The attackers' kit: CALL sec_log.plant(schema) creates, owned by the caller, in that
-- schema (public, a schema of its own, or pg_temp), objects that shadow what the
-- extension's code could resolve by name: operators (comparisons that lie: = <= >= always
-- true, <> < > always false; arithmetic passed through), aggregates (array_agg, count(*),
-- sum, min, max, string_agg: wrong results), functions (unnest, cardinality, to_json,
-- format, the extension's own names, ...), and outside pg_temp a type of its own with
-- IMPLICIT casts to bigint, numeric, integer and text. Each one, when it runs, adds a line to
-- sec_log.planted, raises a WARNING, and tries to make its planter CREATEROLE (which works
-- if it runs as a superuser or as the extension's owner).
CREATE PROCEDURE sec_log.plant(target text)
LANGUAGE plpgsql SET search_path = pg_catalog AS $plant$
DECLARE
    s text := quote_ident(target);
    o record;
    k int := 0;
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION %1$s.sec_payload(label text) RETURNS void
        LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
        BEGIN
            INSERT INTO sec_log.planted (label) VALUES (label);
            RAISE WARNING 'planted code ran: %% as %%', label, current_user;
            BEGIN
                EXECUTE format('ALTER ROLE %%I CREATEROLE', session_user);
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
        END $b$$f$, s);
    -- Operators: comparisons that lie, and arithmetic that tells the truth (but runs).
    FOR o IN
        SELECT op, l, r,
               CASE WHEN op IN ('=', '<=', '>=') THEN 'true' ELSE 'false' END AS result,
               'boolean' AS rettype
        FROM unnest(ARRAY['=', '<>', '<', '>', '<=', '>=']) AS op,
             (VALUES ('bigint', 'bigint'), ('numeric', 'numeric'), ('text', 'text'), ('integer', 'integer'),
                     ('bigint', 'integer'), ('integer', 'bigint'), ('numeric', 'integer'), ('numeric', 'bigint'),
                     ('bigint', 'numeric'), ('integer', 'numeric'), ('double precision', 'double precision'),
                     ('timestamp with time zone', 'timestamp with time zone'), ('name', 'name'), ('name', 'text'),
                     ('oid', 'oid'), ('"char"', '"char"'), ('jsonb', 'jsonb'), ('boolean', 'boolean')) AS t(l, r)
        UNION ALL
        SELECT op, l, r, format('$1 OPERATOR(pg_catalog.%s) $2', op), rettype
        FROM (VALUES ('+', 'bigint', 'bigint', 'bigint'), ('+', 'bigint', 'integer', 'bigint'),
                     ('-', 'bigint', 'bigint', 'bigint'), ('-', 'bigint', 'integer', 'bigint'),
                     ('+', 'numeric', 'numeric', 'numeric'), ('*', 'numeric', 'numeric', 'numeric'),
                     ('%', 'bigint', 'integer', 'bigint'), ('||', 'text', 'text', 'text'),
                     ('||', 'jsonb', 'jsonb', 'jsonb'), ('->>', 'jsonb', 'text', 'text'),
                     ('?', 'jsonb', 'text', 'boolean'), ('#>>', 'json', 'text[]', 'text')) AS a(op, l, r, rettype)
    LOOP
        k := k + 1;
        EXECUTE format($f$
            CREATE FUNCTION %1$s.sec_op_%2$s(%3$s, %4$s) RETURNS %5$s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                PERFORM %1$s.sec_payload(%6$L);
                RETURN %7$s;
            END $b$$f$, s, k, o.l, o.r, o.rettype, format('%s operator %s(%s, %s)', target, o.op, o.l, o.r), o.result);
        EXECUTE format('CREATE OPERATOR %1$s.%2$s (LEFTARG = %3$s, RIGHTARG = %4$s, FUNCTION = %1$s.sec_op_%5$s)',
                       s, o.op, o.l, o.r, k);
    END LOOP;
    -- Aggregates: (name, arguments, state type, state function result from $1 state, $2 value).
    FOR o IN
        SELECT * FROM (VALUES
            ('array_agg', 'text', 'text[]', 'pg_catalog.array_append($1, $2)'),
            ('array_agg', 'numeric', 'numeric[]', 'pg_catalog.array_append($1, $2 OPERATOR(pg_catalog.+) 1)'),
            ('array_agg', 'bigint', 'bigint[]', 'pg_catalog.array_append($1, $2)'),
            ('array_agg', 'integer', 'integer[]', 'pg_catalog.array_append($1, $2)'),
            ('sum', 'bigint', 'numeric', '1000'),
            ('sum', 'numeric', 'numeric', '1000'),
            ('max', 'bigint', 'bigint', '1'),
            ('min', 'bigint', 'bigint', '1'),
            ('max', 'numeric', 'numeric', '1'),
            ('max', 'integer', 'integer', '1'),
            ('string_agg', 'text, text', 'text', '''planted''')
        ) AS a(name, arg, stype, body)
    LOOP
        k := k + 1;
        EXECUTE format($f$
            CREATE FUNCTION %1$s.sec_agg_%2$s(%3$s, %4$s) RETURNS %3$s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                PERFORM %1$s.sec_payload(%5$L);
                RETURN %6$s;
            END $b$$f$, s, k, o.stype, o.arg, format('%s aggregate %s(%s)', target, o.name, o.arg), o.body);
        EXECUTE format('CREATE AGGREGATE %1$s.%2$s(%3$s) (SFUNC = %1$s.sec_agg_%4$s, STYPE = %5$s)',
                       s, o.name, o.arg, k, o.stype);
    END LOOP;
    EXECUTE format($f$
        CREATE FUNCTION %1$s.sec_count(bigint) RETURNS bigint
        LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
        BEGIN
            PERFORM %1$s.sec_payload(%2$L);
            RETURN 0;
        END $b$$f$, s, target || ' aggregate count(*)');
    EXECUTE format('CREATE AGGREGATE %1$s.count(*) (SFUNC = %1$s.sec_count, STYPE = bigint, INITCOND = 0)', s);
    -- Functions: (name, arguments, result, body). Those the resolution prefers to pg_catalog's
    -- polymorphic or variadic ones, the same signatures as pg_catalog's (they win in a path
    -- that names pg_catalog late), and the extension's own names.
    FOR o IN
        SELECT * FROM (VALUES
            ('unnest', 'bigint[]', 'SETOF bigint', 'RETURN QUERY SELECT pg_catalog.unnest($1)'),
            ('unnest', 'integer[]', 'SETOF integer', 'RETURN QUERY SELECT pg_catalog.unnest($1)'),
            ('unnest', 'text[]', 'SETOF text', 'RETURN QUERY SELECT pg_catalog.unnest($1)'),
            ('cardinality', 'bigint[]', 'integer', 'RETURN 0'),
            ('cardinality', 'integer[]', 'integer', 'RETURN 0'),
            ('cardinality', 'text[]', 'integer', 'RETURN 0'),
            ('to_json', 'timestamp with time zone', 'json', 'RETURN pg_catalog.to_json($1)'),
            ('array_to_string', 'text[], text, text', 'text', 'RETURN pg_catalog.array_to_string($1, $2, $3)'),
            ('array_to_string', 'text[], text', 'text', 'RETURN pg_catalog.array_to_string($1, $2)'),
            ('array_positions', 'text[], text', 'integer[]', 'RETURN pg_catalog.array_positions($1, $2)'),
            ('format', 'text, text', 'text', 'RETURN pg_catalog.format($1, $2)'),
            ('format', 'text, bigint', 'text', 'RETURN pg_catalog.format($1, $2)'),
            ('format', 'text, text, text', 'text', 'RETURN pg_catalog.format($1, $2, $3)'),
            ('jsonb_build_object', 'text, bigint', 'jsonb', 'RETURN pg_catalog.jsonb_build_object($1, $2)'),
            ('jsonb_build_object', 'text, text', 'jsonb', 'RETURN pg_catalog.jsonb_build_object($1, $2)'),
            ('jsonb_build_object', 'text, boolean', 'jsonb', 'RETURN pg_catalog.jsonb_build_object($1, $2)'),
            ('quote_ident', 'text', 'text', 'RETURN pg_catalog.quote_ident($1)'),
            ('quote_literal', 'text', 'text', 'RETURN pg_catalog.quote_literal($1)'),
            ('current_setting', 'text', 'text', 'RETURN pg_catalog.current_setting($1)'),
            ('to_regclass', 'text', 'regclass', 'RETURN pg_catalog.to_regclass($1)'),
            ('now', '', 'timestamp with time zone', 'RETURN pg_catalog.now()'),
            ('clock_timestamp', '', 'timestamp with time zone', 'RETURN pg_catalog.clock_timestamp()'),
            ('pg_backend_pid', '', 'integer', 'RETURN pg_catalog.pg_backend_pid()'),
            ('round', 'numeric, integer', 'numeric', 'RETURN pg_catalog.round($1, $2)'),
            ('mod', 'numeric, numeric', 'numeric', 'RETURN pg_catalog.mod($1, $2)'),
            ('div', 'numeric, numeric', 'numeric', 'RETURN pg_catalog.div($1, $2)'),
            ('jsonb_typeof', 'jsonb', 'text', 'RETURN pg_catalog.jsonb_typeof($1)'),
            ('pg_get_userbyid', 'oid', 'name', 'RETURN pg_catalog.pg_get_userbyid($1)'),
            ('has_table_privilege', 'oid, text, text', 'boolean', 'RETURN true'),
            ('has_function_privilege', 'text, text', 'boolean', 'RETURN true'),
            ('generate_series', 'bigint, bigint', 'SETOF bigint', 'RETURN QUERY SELECT pg_catalog.generate_series($1, $2)'),
            ('generate_series', 'integer, integer', 'SETOF integer', 'RETURN QUERY SELECT pg_catalog.generate_series($1, $2 OPERATOR(pg_catalog.+) 5)'),
            ('pg_my_temp_schema', '', 'oid', 'RETURN pg_catalog.pg_my_temp_schema()'),
            ('btrim', 'text', 'text', 'RETURN pg_catalog.btrim($1)'),
            ('make_interval', 'integer', 'interval', 'RETURN pg_catalog.make_interval(days => $1)'),
            ('collatz_steps', 'bigint', 'bigint', 'RETURN 0'),
            ('collatz_peak', 'bigint', 'numeric', 'RETURN 1'),
            ('collatz_length', 'bigint', 'bigint', 'RETURN 1'),
            ('collatz_check_range', 'bigint, bigint, bigint, text', 'boolean', 'RETURN true'),
            ('invoking_role', '', 'oid', 'RETURN 10'),
            ('invoking_role_name', '', 'name', 'RETURN ''postgres'''),
            ('invoker_is_admin', '', 'boolean', 'RETURN true')
        ) AS f(name, args, rettype, body)
    LOOP
        EXECUTE format($f$
            CREATE FUNCTION %1$s.%2$I(%3$s) RETURNS %4$s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                PERFORM %1$s.sec_payload(%5$L);
                %6$s;
            END $b$$f$, s, o.name, o.args, o.rettype, format('%s function %s(%s)', target, o.name, o.args), o.body);
    END LOOP;
    -- A type of the planter's own with IMPLICIT casts from it (only the owner of one of the
    -- two types may create a cast). Not in pg_temp: no other session sees those types.
    IF target <> 'pg_temp' THEN
        EXECUTE format('CREATE TYPE %s.sec_evil AS ENUM (''1'', ''27'')', s);
        FOR o IN SELECT * FROM (VALUES ('bigint'), ('numeric'), ('text'), ('integer')) AS c(t) LOOP
            k := k + 1;
            EXECUTE format($f$
                CREATE FUNCTION %1$s.sec_cast_%2$s(%1$s.sec_evil) RETURNS %3$s
                LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
                BEGIN
                    PERFORM %1$s.sec_payload(%4$L);
                    RETURN $1::text::%3$s;
                END $b$$f$, s, k, o.t, format('%s cast sec_evil AS %s', target, o.t));
            EXECUTE format('CREATE CAST (%1$s.sec_evil AS %2$s) WITH FUNCTION %1$s.sec_cast_%3$s(%1$s.sec_evil) AS IMPLICIT',
                           s, o.t, k);
        END LOOP;
    END IF;
END $plant$;
GRANT EXECUTE ON PROCEDURE sec_log.plant(text) TO PUBLIC;

-- Takes the caller's planted objects out of a schema again (so that the later files'
-- own statements do not run them).
CREATE PROCEDURE sec_log.unplant(target text)
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    f regprocedure;
BEGIN
    EXECUTE format('DROP TYPE IF EXISTS %I.sec_evil CASCADE', target);
    -- Aggregates and operators go with the functions they are made of.
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = target::regnamespace AND p.proowner = current_user::regrole AND p.prokind = 'f'
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', f);
    END LOOP;
END $$;
GRANT EXECUTE ON PROCEDURE sec_log.unplant(text) TO PUBLIC;

------------------------------------------------------------------------------------------
-- True data, stored through every write path by the superuser
------------------------------------------------------------------------------------------
SET search_path = collatz, public;
CALL sp_batch_insert_sequences(1, 2000, batch_size => 700);
CALL sp_batch_insert_sequences(1, 200, with_steps => true);
SELECT batch_save_sequences(ARRAY[2001, 2002, 2003], with_steps => true) AS saved;
SELECT number FROM save_sequence(2004, with_steps => true);
SELECT import_open();
INSERT INTO collatz_import_lines (line) VALUES
    ('number,sequence_length,steps_to_one,max_value,steps'),
    ('2005,,,,'), ('2006,,,,"{2006,1003,3010}"'), ('2007,,,,');
SELECT lines, loaded, rejected, steps_loaded FROM import_sequences('csv');
SELECT create_experiment('sec_setup', 'the experiment of the setup') AS experiment_id \gset
SELECT numbers_analyzed, longest_sequence, highest_peak FROM analyze_range(1, 100000, :experiment_id);
CALL sp_analyze_range(1, 60000, segment_size => 25000);
SELECT record_experiment_results(:experiment_id, '{"note": "setup"}') IS NOT NULL AS recorded;
RESET search_path;

INSERT INTO sec_audit.setup_ids
SELECT 'analysis_results', max(id) FROM collatz.analysis_results
UNION ALL SELECT 'pipeline_runs', max(id) FROM collatz.pipeline_runs
UNION ALL SELECT 'performance_metrics', max(id) FROM collatz.performance_metrics
UNION ALL SELECT 'experiments', max(id) FROM collatz.experiments;

CREATE TABLE sec_audit.fingerprint AS
SELECT item, digest FROM sec_audit.digests()
UNION ALL SELECT 'privileges', sec_audit.acl_digest();

-- What was stored, in numbers.
SELECT (SELECT count(*) FROM collatz.collatz_sequences) AS sequences,
       (SELECT count(*) FROM collatz.sequence_steps) AS steps,
       (SELECT count(*) FROM collatz.analysis_results) AS analyses,
       (SELECT count(*) FROM collatz.pipeline_runs) AS runs,
       (SELECT count(*) FROM collatz.performance_metrics) AS metrics,
       (SELECT count(*) FROM collatz.experiments) AS experiments;
SELECT total_sequences, mean_sequence_length, longest_sequence_number, highest_peak, stored_steps
FROM collatz.v_sequence_summary;
SELECT * FROM sec_audit.invariants();
SELECT rolname FROM pg_roles
WHERE rolname LIKE 'sec\_%' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication);
