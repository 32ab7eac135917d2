-- Who may do what. The access levels of collatz_grant (read, write, admin) and the role a
-- call comes from. Which level may execute which function is the list in finalize.sql, run
-- last, when every function exists.

-- The role a run belongs to: the caller outside every SECURITY DEFINER function.
CREATE FUNCTION collatz_internal.invoking_role_name() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_get_userbyid(collatz_internal.invoking_role())
$$;
COMMENT ON FUNCTION collatz_internal.invoking_role_name() IS
    'Name of the role that called into the extension (outside every SECURITY DEFINER function)';

-- An admin of collatz_ext (collatz_grant(role, 'admin'), or a superuser) may resume any run.
CREATE FUNCTION collatz_internal.is_admin(role_id oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.has_table_privilege(role_id, '@extschema@.pipeline_runs', 'DELETE')
$$;
COMMENT ON FUNCTION collatz_internal.is_admin(oid) IS
    'Whether a role holds the admin level (DELETE on pipeline_runs), which may resume any role''s run';

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
-- (src/sql/finalize.sql), which also revokes PUBLIC's EXECUTE at install.
-- The role a grant names, as an identifier for GRANT and REVOKE: its name as stored
-- ('Alice Smith'), or as SQL would write it ('"Alice Smith"'). Taken as text, so that a name
-- that is no role gets an error of its own rather than the regrole parser's syntax error.
CREATE FUNCTION collatz_internal.grantee(role_name text, caller text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    named pg_catalog.pg_roles;
BEGIN
    IF role_name IS NULL THEN
        RAISE EXCEPTION '%: role_name must not be NULL', caller
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name an existing role.';
    END IF;
    SELECT * INTO named FROM pg_catalog.pg_roles r WHERE r.rolname = role_name;
    IF NOT FOUND THEN
        BEGIN
            SELECT * INTO named FROM pg_catalog.pg_roles r WHERE r.oid = to_regrole(role_name);
        EXCEPTION WHEN invalid_name THEN
            -- Neither a stored name nor one SQL could write ('Up A' unquoted, say).
        END;
    END IF;
    IF named.oid IS NULL THEN
        RAISE EXCEPTION '%: role % does not exist', caller, quote_literal(role_name)
            USING ERRCODE = 'undefined_object', HINT = 'Create it first (CREATE ROLE), or check the spelling: \du lists the roles.';
    END IF;
    IF named.oid = (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'collatz_ext') THEN
        RAISE EXCEPTION '%: % owns collatz_ext and has every privilege already', caller, quote_ident(named.rolname)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Grant levels to the roles that use the extension.';
    END IF;
    RETURN quote_ident(named.rolname);
END $$;
COMMENT ON FUNCTION collatz_internal.grantee(text, text) IS
    'The role a collatz_grant or collatz_revoke names, quoted for GRANT; refuses NULL, a role that does not exist and the extension''s owner';

CREATE FUNCTION collatz_grant(role_name text, access_level text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee CONSTANT text := collatz_internal.grantee(role_name, 'collatz_grant');
    f record;
    rank CONSTANT jsonb := '{"read": 1, "write": 2, "admin": 3}';
BEGIN
    IF access_level IS NULL OR NOT rank ? access_level THEN
        RAISE EXCEPTION 'collatz_grant: unknown access level %', coalesce(quote_literal(access_level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read, write or admin.';
    END IF;
    -- The level replaces whatever the role had: granting read to an admin takes its DELETE.
    PERFORM @extschema@.collatz_revoke(role_name);
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
        -- Column grants, like the other tables: a table-wide INSERT or UPDATE would also let
        -- the role LOCK the table in any mode and stall every loader.
        EXECUTE format('GRANT INSERT (sequence_id, step_number, value, operation_type),
                              UPDATE (sequence_id, step_number, value, operation_type)
                        ON @extschema@.sequence_steps TO %s', grantee);
        -- The view writes sequence_terms as the writer; what gets there is checked there.
        EXECUTE format('GRANT INSERT (sequence_id, terms), UPDATE (sequence_id, terms)
                        ON @extschema@.sequence_terms TO %s', grantee);
        EXECUTE format('GRANT INSERT (name, description, parameters, results),
                              UPDATE (name, description, parameters, results)
                        ON @extschema@.experiments TO %s', grantee);
    END IF;
    IF access_level = 'admin' THEN
        EXECUTE format('GRANT DELETE, TRUNCATE ON @extschema@.collatz_sequences, @extschema@.sequence_steps, @extschema@.sequence_terms,
                              @extschema@.experiments, @extschema@.analysis_results, @extschema@.performance_metrics,
                              @extschema@.pipeline_runs TO %s', grantee);
    END IF;
    RETURN format('%s can now %s collatz_ext data', grantee, access_level);
END $$;

COMMENT ON FUNCTION collatz_grant(text, text) IS
    'Gives a role exactly the read, write (read + storing sequences, loads, imports, analyses) or admin (write + DELETE/TRUNCATE, cleanup) level of collatz_ext, replacing what it had. Re-run after ALTER EXTENSION UPDATE to cover new objects.';

CREATE FUNCTION collatz_revoke(role_name text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee CONSTANT text := collatz_internal.grantee(role_name, 'collatz_revoke');
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON ALL PROCEDURES IN SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@, collatz_internal FROM %s', grantee);
    RETURN format('%s has no collatz_ext access now', grantee);
END $$;

COMMENT ON FUNCTION collatz_revoke(text) IS 'Takes every collatz_ext privilege back from a role';
