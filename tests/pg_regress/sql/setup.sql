-- Installs the extension for the suites that follow and checks what a DBA sees.
CREATE EXTENSION collatz_ext;
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
