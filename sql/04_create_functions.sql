-- Functions of the data model: the checks a CHECK constraint cannot make, and the
-- privilege levels a DBA hands out.

-- sequence_steps: every row written holds the true term of its sequence at its step, and
-- every sequence's steps stay contiguous from 0 (0..k). Statement triggers with transition
-- tables compute each touched sequence once, however many of its steps a statement writes.
CREATE FUNCTION sequence_steps_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
    bad record;
BEGIN
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
        CROSS JOIN LATERAL (SELECT @extschema@.collatz_first_wrong_step(s.number, g.steps, g.terms, g.operations)
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

COMMENT ON FUNCTION sequence_steps_check() IS
    'Trigger: sequence_steps rows hold the true terms and stay contiguous from step 0';

-- A trigger sees only the transition tables its event has, so each event gets its own
-- trigger; the function reads only those that exist for TG_OP.
CREATE TRIGGER sequence_steps_check_insert AFTER INSERT ON sequence_steps
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();
CREATE TRIGGER sequence_steps_check_update AFTER UPDATE ON sequence_steps
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();
CREATE TRIGGER sequence_steps_check_delete AFTER DELETE ON sequence_steps
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sequence_steps_check();

-- collatz_sequences: a sequence whose steps are stored keeps its number (the steps would
-- silently belong to another sequence).
CREATE FUNCTION collatz_sequences_keep_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number <> OLD.number
       AND EXISTS (SELECT 1 FROM @extschema@.sequence_steps WHERE sequence_id = OLD.id) THEN
        RAISE EXCEPTION 'collatz_sequences: % has stored steps, so its number cannot change to %',
                OLD.number, NEW.number
            USING ERRCODE = 'check_violation', TABLE = 'collatz_sequences',
                  HINT = 'Delete the row (its steps go with it) and insert the new number.';
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION collatz_sequences_keep_number() IS
    'Trigger: a sequence with stored steps keeps its number';

CREATE TRIGGER collatz_sequences_keep_number BEFORE UPDATE OF number ON collatz_sequences
    FOR EACH ROW EXECUTE FUNCTION collatz_sequences_keep_number();

-- Privilege levels. Nothing is granted to PUBLIC: the schema itself is closed to it.
--   read:  look at everything (tables, views) and call the functions
--   write: read, plus INSERT and UPDATE on the tables (no DELETE, no TRUNCATE)
--   admin: write, plus DELETE and TRUNCATE (retention and cleanup)
CREATE FUNCTION collatz_grant(role_name regrole, access_level text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure;
    tables text;
BEGIN
    IF access_level IS NULL OR access_level NOT IN ('read', 'write', 'admin') THEN
        RAISE EXCEPTION 'collatz_grant: unknown access level %', coalesce(quote_literal(access_level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read, write or admin.';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role_name);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %s', role_name);
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace
          AND p.proname NOT IN ('collatz_grant', 'collatz_revoke', 'add_totals')
          AND p.prorettype <> 'trigger'::regtype
    LOOP
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s',
                       CASE WHEN (SELECT prokind FROM pg_catalog.pg_proc WHERE oid = f) = 'p'
                            THEN 'PROCEDURE' ELSE 'FUNCTION' END, f, role_name);
    END LOOP;
    -- Every table but collatz_totals, which only its triggers write.
    SELECT string_agg(c.oid::regclass::text, ', ') INTO tables
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r' AND c.relname <> 'collatz_totals';
    IF access_level IN ('write', 'admin') THEN
        EXECUTE format('GRANT INSERT, UPDATE ON %s TO %s', tables, role_name);
    END IF;
    IF access_level = 'admin' THEN
        EXECUTE format('GRANT DELETE, TRUNCATE ON %s TO %s', tables, role_name);
    END IF;
    RETURN format('%s can now %s collatz_ext data', role_name, access_level);
END $$;

COMMENT ON FUNCTION collatz_grant(regrole, text) IS
    'Gives a role read, write (read + INSERT/UPDATE) or admin (write + DELETE/TRUNCATE) access to collatz_ext. Re-run after ALTER EXTENSION UPDATE to cover new objects.';

CREATE FUNCTION collatz_revoke(role_name regrole) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON ALL PROCEDURES IN SCHEMA @extschema@ FROM %s', role_name);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@ FROM %s', role_name);
    RETURN format('%s has no collatz_ext access now', role_name);
END $$;

COMMENT ON FUNCTION collatz_revoke(regrole) IS 'Takes every collatz_ext privilege back from a role';

REVOKE ALL ON FUNCTION collatz_grant(regrole, text), collatz_revoke(regrole) FROM PUBLIC;
