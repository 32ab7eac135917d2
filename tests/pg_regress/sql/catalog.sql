-- What a DBA sees after CREATE EXTENSION: the version, the schema, a description and the
-- right attributes on every function, and the settings.
SELECT e.extversion, e.extrelocatable, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'collatz_ext';

-- Every function of the API is described (\df+ and BI catalogs show it); each pure one
-- (the level 'public' of collatz_internal.function_levels()) is parallel safe, not
-- volatile, and strict unless it takes no argument. Empty when all is well: a new function
-- shows up here only if it lacks a COMMENT or is mis-attributed.
SELECT l.signature, l.level,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented,
       p.provolatile, p.proisstrict, p.proparallel
FROM collatz_internal.function_levels() l JOIN pg_proc p ON p.oid = l.signature
WHERE obj_description(p.oid, 'pg_proc') IS NULL
   OR (l.level = 'public' AND (p.proparallel <> 's' OR p.provolatile = 'v' OR (p.pronargs > 0 AND NOT p.proisstrict)))
ORDER BY 1;

-- The library loaded is the one the SQL objects belong to (loading it defines the settings).
SELECT collatz_library_version() = (SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext') AS library_matches;

-- The settings, with their defaults.
SELECT name, setting, unit, context FROM pg_settings WHERE name LIKE 'collatz.%' ORDER BY name;
