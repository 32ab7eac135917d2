-- Functions of the data model: the checks a CHECK constraint cannot make, and the
-- privilege levels a DBA hands out.

-- sequence_steps: every row written holds the true term of its sequence at its step, and
-- every sequence's steps stay contiguous from 0 (0..k). Statement triggers with transition
-- tables compute each touched sequence once, however many of its steps a statement writes.
-- Runs as the writer (a check needs no privilege beyond reading the table it checks), with
-- a pinned path: an operator or aggregate the writer planted cannot take part in its own
-- check. Not executable by PUBLIC, so no role can attach it to a table of its own; and it
-- refuses to run for any table or event but its own, where the transition tables exist.
CREATE FUNCTION collatz_internal.sequence_steps_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched bigint[];
    bad record;
BEGIN
    IF TG_RELID <> '@extschema@.sequence_steps'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER'
       OR TG_OP NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
        RAISE EXCEPTION 'sequence_steps_check: fired % % FOR EACH % on %; it checks only collatz.sequence_steps',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    -- Only the transition tables of this event exist, so each branch reads its own.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT sequence_id) INTO touched
        FROM (SELECT sequence_id FROM new_rows UNION SELECT sequence_id FROM old_rows) u;
    END IF;

    IF TG_OP <> 'DELETE' THEN
        -- Each touched sequence's new rows, in step order, against its true terms: one walk
        -- per sequence in collatz_first_wrong_step, whatever plan the statistics of the moment
        -- suggest (with a join of rows against terms, one CI run on freshly created tables
        -- took 32 s instead of 0.4 s for the steps of 2,000 sequences).
        SELECT s.number, s.steps_to_one, w.step AS wrong_step
        INTO bad
        FROM (SELECT n.sequence_id,
                     array_agg(n.step_number ORDER BY n.step_number) AS steps,
                     array_agg(n.value ORDER BY n.step_number) AS terms,
                     array_agg(n.operation_type ORDER BY n.step_number) AS operations
              FROM new_rows n GROUP BY n.sequence_id) g
        JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
        CROSS JOIN LATERAL (SELECT collatz_internal.collatz_first_wrong_step(s.number, g.steps, g.terms, g.operations)
                            AS step) w
        WHERE w.step IS NOT NULL
        ORDER BY s.number;
        IF FOUND AND bad.wrong_step > bad.steps_to_one THEN
            RAISE EXCEPTION 'sequence_steps: step % of % does not exist: its sequence ends at step %',
                    bad.wrong_step, bad.number, bad.steps_to_one
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'A sequence has steps 0 to steps_to_one.';
        ELSIF FOUND THEN
            SELECT bad.number AS number, bad.wrong_step AS wrong_step, n.value, n.operation_type,
                   q.value AS true_value, q.operation_type AS true_operation
            INTO bad
            FROM new_rows n
            JOIN @extschema@.collatz_sequences s ON s.id = n.sequence_id AND s.number = bad.number
            CROSS JOIN @extschema@.collatz_sequence(bad.number) q
            WHERE n.step_number = bad.wrong_step AND q.step_number = bad.wrong_step;
            RAISE EXCEPTION 'sequence_steps: step % of % is % (%), not % (%)',
                    bad.wrong_step, bad.number, bad.true_value, bad.true_operation, bad.value, bad.operation_type
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'Store the terms collatz_sequence(number) returns.';
        END IF;
    END IF;

    -- Grouped by sequence_id from the touched ids, the number joined only for the message:
    -- grouping by number led the planner through the whole number index (EXPLAIN ANALYZE:
    -- 43 s for 2,000 sequences among 300,000 stored; the whole check now takes 0.4 s there).
    SELECT s.number, g.steps, g.last_step
    INTO bad
    FROM (SELECT st.sequence_id, count(*) AS steps, max(st.step_number) AS last_step
          FROM unnest(touched) AS t(id)
          JOIN @extschema@.sequence_steps st ON st.sequence_id = t.id
          GROUP BY st.sequence_id
          HAVING count(*) <> max(st.step_number) + 1) g
    JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
    ORDER BY s.number;
    IF FOUND THEN
        RAISE EXCEPTION 'sequence_steps: the steps of % are not contiguous from 0: % stored, the last is step %',
                bad.number, bad.steps, bad.last_step
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'Store steps 0..k without gaps; delete from the end, or the whole sequence.';
    END IF;
    RETURN NULL;
END $$;

COMMENT ON FUNCTION collatz_internal.sequence_steps_check() IS
    'Trigger: sequence_steps rows hold the true terms and stay contiguous from step 0';

-- A trigger sees only the transition tables its event has, so each event gets its own
-- trigger; the function reads only those that exist for TG_OP.
CREATE TRIGGER sequence_steps_check_insert AFTER INSERT ON sequence_steps
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();
CREATE TRIGGER sequence_steps_check_update AFTER UPDATE ON sequence_steps
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();
CREATE TRIGGER sequence_steps_check_delete AFTER DELETE ON sequence_steps
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();

-- collatz_sequences: a sequence whose steps are stored keeps its number (the steps would
-- silently belong to another sequence).
CREATE FUNCTION collatz_internal.collatz_sequences_keep_number() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> '@extschema@.collatz_sequences'::regclass OR TG_LEVEL <> 'ROW' OR TG_WHEN <> 'BEFORE'
       OR TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'collatz_sequences_keep_number: fired % % FOR EACH % on %; it guards only collatz.collatz_sequences',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF NEW.number <> OLD.number
       AND EXISTS (SELECT 1 FROM @extschema@.sequence_steps WHERE sequence_id = OLD.id) THEN
        RAISE EXCEPTION 'collatz_sequences: % has stored steps, so its number cannot change to %',
                OLD.number, NEW.number
            USING ERRCODE = 'check_violation', TABLE = 'collatz_sequences',
                  HINT = 'Delete the row (its steps go with it) and insert the new number.';
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION collatz_internal.collatz_sequences_keep_number() IS
    'Trigger: a sequence with stored steps keeps its number';

CREATE TRIGGER collatz_sequences_keep_number BEFORE UPDATE OF number ON collatz_sequences
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.collatz_sequences_keep_number();

-- Privilege levels, granted by collatz_grant; nothing is granted to PUBLIC but the pure
-- functions (no SQL, no side effects), and PUBLIC has no USAGE on the schema either.
--   read:  look at everything (tables, views), call the functions that compute or read
--   write: read, plus storing sequences, steps and experiments (INSERT and UPDATE of their
--          data columns; ids and timestamps are the extension's), loads, imports, analyses
--   admin: write, plus DELETE and TRUNCATE (retention and cleanup)
-- The tables of computed results (analysis_results, pipeline_runs, performance_metrics,
-- collatz_totals) take INSERT and UPDATE from no role: only the extension's SECURITY
-- DEFINER functions, which compute what they store, write them.
-- Which function belongs to which level is kept in collatz_internal.function_levels()
-- (sql/collatz_access.sql), which also revokes PUBLIC's EXECUTE at install.
CREATE FUNCTION collatz_grant(role_name regrole, access_level text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee text;
    f record;
    rank CONSTANT jsonb := '{"read": 1, "write": 2, "admin": 3}';
BEGIN
    IF role_name IS NULL THEN
        RAISE EXCEPTION 'collatz_grant: role_name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name an existing role.';
    END IF;
    IF access_level IS NULL OR NOT rank ? access_level THEN
        RAISE EXCEPTION 'collatz_grant: unknown access level %', coalesce(quote_literal(access_level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read, write or admin.';
    END IF;
    -- The level replaces whatever the role had: granting read to an admin takes its DELETE.
    PERFORM @extschema@.collatz_revoke(role_name);
    SELECT quote_ident(r.rolname) INTO grantee FROM pg_catalog.pg_roles r WHERE r.oid = role_name;
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@, collatz_internal TO %s', grantee);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %s', grantee);
    FOR f IN
        SELECT l.signature, p.prokind FROM collatz_internal.function_levels() l
        JOIN pg_catalog.pg_proc p ON p.oid = l.signature
        WHERE l.level IN ('read', 'write', 'admin') AND (rank ->> l.level)::int <= (rank ->> access_level)::int
    LOOP
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s',
                       CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature, grantee);
    END LOOP;
    IF access_level IN ('write', 'admin') THEN
        EXECUTE format('GRANT INSERT (number, sequence_length, steps_to_one, max_value),
                              UPDATE (number, sequence_length, steps_to_one, max_value)
                        ON @extschema@.collatz_sequences TO %s', grantee);
        EXECUTE format('GRANT INSERT, UPDATE ON @extschema@.sequence_steps TO %s', grantee);
        EXECUTE format('GRANT INSERT (name, description, parameters, results),
                              UPDATE (name, description, parameters, results)
                        ON @extschema@.experiments TO %s', grantee);
    END IF;
    IF access_level = 'admin' THEN
        EXECUTE format('GRANT DELETE, TRUNCATE ON @extschema@.collatz_sequences, @extschema@.sequence_steps,
                              @extschema@.experiments, @extschema@.analysis_results, @extschema@.performance_metrics,
                              @extschema@.pipeline_runs TO %s', grantee);
    END IF;
    RETURN format('%s can now %s collatz_ext data', role_name, access_level);
END $$;

COMMENT ON FUNCTION collatz_grant(regrole, text) IS
    'Gives a role exactly the read, write (read + storing sequences, loads, imports, analyses) or admin (write + DELETE/TRUNCATE, cleanup) level of collatz_ext, replacing what it had. Re-run after ALTER EXTENSION UPDATE to cover new objects.';

CREATE FUNCTION collatz_revoke(role_name regrole) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee text;
BEGIN
    IF role_name IS NULL THEN
        RAISE EXCEPTION 'collatz_revoke: role_name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name an existing role.';
    END IF;
    SELECT quote_ident(r.rolname) INTO grantee FROM pg_catalog.pg_roles r WHERE r.oid = role_name;
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON ALL PROCEDURES IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    RETURN format('%s has no collatz_ext access now', role_name);
END $$;

COMMENT ON FUNCTION collatz_revoke(regrole) IS 'Takes every collatz_ext privilege back from a role';
