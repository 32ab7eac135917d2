-- Installs the extension for the suites that follow and checks what a DBA sees.
CREATE EXTENSION collatz_ext;

-- The independent reference the later suites compare against: a PL/pgSQL walk from the
-- definition, one application of T per loop turn on numeric, nothing shared with the
-- extension's code. In its own schema, outside the extension.
CREATE SCHEMA regress_reference;
CREATE FUNCTION regress_reference.walk(n numeric,
    OUT steps bigint, OUT odd_steps bigint, OUT peak numeric, OUT stopping_time bigint)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    x numeric := n;
BEGIN
    steps := 0; odd_steps := 0; peak := n;
    WHILE x <> 1 LOOP
        IF mod(x, 2) = 1 THEN x := 3 * x + 1; odd_steps := odd_steps + 1;
        ELSE x := div(x, 2);
        END IF;
        steps := steps + 1;
        IF x > peak THEN peak := x; END IF;
        IF stopping_time IS NULL AND x < n THEN stopping_time := steps; END IF;
    END LOOP;
END $$;
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = collatz, public', current_database());
END $$;

SELECT e.extversion, e.extrelocatable, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'collatz_ext';

-- Every core function: its overloads, all immutable, strict, parallel safe and commented.
SELECT p.proname,
       string_agg(pg_get_function_identity_arguments(p.oid), ' | ' ORDER BY pg_get_function_identity_arguments(p.oid)) AS overloads,
       bool_and(p.provolatile = 'i') AS immutable,
       bool_and(p.proisstrict) AS strict,
       bool_and(p.proparallel = 's') AS parallel_safe,
       bool_and(obj_description(p.oid, 'pg_proc') IS NOT NULL) AS commented
FROM pg_proc p
WHERE p.pronamespace = 'collatz'::regnamespace
GROUP BY p.proname
ORDER BY p.proname;

-- The settings, with their defaults.
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'collatz.%' ORDER BY name;
