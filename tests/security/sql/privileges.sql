-- The privilege matrix of the installed extension, generated from the catalog: every table,
-- view, sequence, function and procedure of collatz and collatz_internal against each access
-- level and PUBLIC. The expected output IS the kept table; a change to any grant shows here.
--
-- Codes, one column per role (effective privileges: membership and PUBLIC included):
--   tables and views  5 letters: s SELECT, i INSERT, u UPDATE, d DELETE, t TRUNCATE;
--                     UPPER CASE = on the whole table, lower case = on some columns only
--                     (has_any_column_privilege), - = none
--   sequences         3 letters: u USAGE (nextval), s SELECT (currval), w UPDATE (setval)
--   functions         X = EXECUTE, - = none
--   schemas           2 letters: U USAGE, C CREATE
-- level: the function's level in collatz_internal.function_levels(); definer: SECURITY DEFINER.
\set VERBOSITY terse
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.table_code(r text, t oid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(CASE WHEN has_table_privilege(r, t, p) THEN upper(l)
                           WHEN p IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(r, t, p) THEN l
                           ELSE '-' END, '' ORDER BY o)
    FROM (VALUES (1, 'SELECT', 's'), (2, 'INSERT', 'i'), (3, 'UPDATE', 'u'), (4, 'DELETE', 'd'), (5, 'TRUNCATE', 't'))
         AS x(o, p, l)
$$;
CREATE FUNCTION pg_temp.sequence_code(r text, s oid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(CASE WHEN has_sequence_privilege(r, s, p) THEN l ELSE '-' END, '' ORDER BY o)
    FROM (VALUES (1, 'USAGE', 'u'), (2, 'SELECT', 's'), (3, 'UPDATE', 'w')) AS x(o, p, l)
$$;
CREATE FUNCTION pg_temp.schema_code(r text, n oid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN has_schema_privilege(r, n, 'USAGE') THEN 'U' ELSE '-' END
        || CASE WHEN has_schema_privilege(r, n, 'CREATE') THEN 'C' ELSE '-' END
$$;

-- Schemas.
SELECT n.nspname AS schema,
       pg_temp.schema_code('sec_reader', n.oid) AS reader, pg_temp.schema_code('sec_writer', n.oid) AS writer,
       pg_temp.schema_code('sec_admin', n.oid) AS admin, pg_temp.schema_code('sec_nobody', n.oid) AS nobody,
       pg_temp.schema_code('public', n.oid) AS public
FROM pg_namespace n WHERE n.nspname IN ('collatz', 'collatz_internal')
ORDER BY 1;

-- Tables and views.
SELECT c.oid::regclass AS relation, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table' END AS kind,
       pg_temp.table_code('sec_reader', c.oid) AS reader, pg_temp.table_code('sec_writer', c.oid) AS writer,
       pg_temp.table_code('sec_admin', c.oid) AS admin, pg_temp.table_code('sec_nobody', c.oid) AS nobody,
       pg_temp.table_code('public', c.oid) AS public
FROM pg_class c
WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
ORDER BY c.oid::regclass::text;

-- The foreign data wrapper and server of sequence_steps_computed: USAGE (making foreign
-- tables, servers or user mappings of them) for nobody but the owner.
SELECT 'wrapper ' || w.fdwname AS object,
       has_foreign_data_wrapper_privilege('sec_reader', w.oid, 'USAGE') AS reader,
       has_foreign_data_wrapper_privilege('sec_writer', w.oid, 'USAGE') AS writer,
       has_foreign_data_wrapper_privilege('sec_admin', w.oid, 'USAGE') AS admin,
       has_foreign_data_wrapper_privilege('sec_nobody', w.oid, 'USAGE') AS nobody, w.fdwacl AS acl
FROM pg_foreign_data_wrapper w WHERE w.fdwname = 'collatz_ext_computed'
UNION ALL
SELECT 'server ' || s.srvname, has_server_privilege('sec_reader', s.oid, 'USAGE'), has_server_privilege('sec_writer', s.oid, 'USAGE'),
       has_server_privilege('sec_admin', s.oid, 'USAGE'), has_server_privilege('sec_nobody', s.oid, 'USAGE'), s.srvacl
FROM pg_foreign_server s WHERE s.srvname = 'collatz_ext_computed';

-- Which columns the write level may write (the lower-case codes above).
SELECT a.attrelid::regclass AS relation,
       string_agg(a.attname, ', ' ORDER BY a.attnum) FILTER (WHERE has_column_privilege('sec_writer', a.attrelid, a.attnum, 'INSERT'))
           AS writer_inserts,
       string_agg(a.attname, ', ' ORDER BY a.attnum) FILTER (WHERE has_column_privilege('sec_writer', a.attrelid, a.attnum, 'UPDATE'))
           AS writer_updates
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND c.relkind = 'r'
  AND a.attnum > 0 AND NOT a.attisdropped
GROUP BY a.attrelid
HAVING bool_or(has_column_privilege('sec_writer', a.attrelid, a.attnum, 'INSERT')
               OR has_column_privilege('sec_writer', a.attrelid, a.attnum, 'UPDATE'))
ORDER BY a.attrelid::regclass::text;

-- Sequences (the identity sequences: nextval would take ids, setval would move them).
SELECT c.oid::regclass AS sequence,
       pg_temp.sequence_code('sec_reader', c.oid) AS reader, pg_temp.sequence_code('sec_writer', c.oid) AS writer,
       pg_temp.sequence_code('sec_admin', c.oid) AS admin, pg_temp.sequence_code('sec_nobody', c.oid) AS nobody,
       pg_temp.sequence_code('public', c.oid) AS public
FROM pg_class c
WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND c.relkind = 'S'
ORDER BY c.oid::regclass::text;

-- Functions and procedures, overloads of a name with the same row folded into one line.
SELECT n.nspname || '.' || p.proname AS function, count(*) AS overloads,
       string_agg(DISTINCT CASE p.prokind WHEN 'p' THEN 'proc' WHEN 'f' THEN 'func' ELSE p.prokind::text END, ',') AS kind,
       string_agg(DISTINCT coalesce(l.level, '?'), ',') AS level,
       CASE WHEN bool_and(p.prosecdef) THEN 'definer' WHEN bool_or(p.prosecdef) THEN 'mixed' ELSE '' END AS definer,
       x.reader, x.writer, x.admin, x.nobody, x.public
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN collatz_internal.function_levels() l ON l.signature = p.oid
CROSS JOIN LATERAL (SELECT
       CASE WHEN has_function_privilege('sec_reader', p.oid, 'EXECUTE') THEN 'X' ELSE '-' END AS reader,
       CASE WHEN has_function_privilege('sec_writer', p.oid, 'EXECUTE') THEN 'X' ELSE '-' END AS writer,
       CASE WHEN has_function_privilege('sec_admin', p.oid, 'EXECUTE') THEN 'X' ELSE '-' END AS admin,
       CASE WHEN has_function_privilege('sec_nobody', p.oid, 'EXECUTE') THEN 'X' ELSE '-' END AS nobody,
       CASE WHEN has_function_privilege('public', p.oid, 'EXECUTE') THEN 'X' ELSE '-' END AS public) x
WHERE n.nspname IN ('collatz', 'collatz_internal')
GROUP BY n.nspname, p.proname, x.reader, x.writer, x.admin, x.nobody, x.public
ORDER BY 1, 2;

-- Every function not written in C (or internal: PostgreSQL's own C functions) pins its
-- search_path; the procedures that COMMIT cannot carry a SET clause and qualify every name
-- instead (the shadowing files attack them).
SELECT p.oid::regprocedure AS without_search_path, l.lanname, p.prokind
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
  AND l.lanname NOT IN ('c', 'internal')
  AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search\_path=%'), false)
ORDER BY 1::text;
-- The pinned paths, and any schema in them that a role below the owner may create in
-- (pg_temp aside: it comes last, and only relations and types are looked up there).
SELECT DISTINCT s AS pinned_path
FROM pg_proc p CROSS JOIN LATERAL unnest(p.proconfig) s
WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND s LIKE 'search\_path=%'
ORDER BY 1;
SELECT DISTINCT n.nspname AS writable_schema_in_a_pinned_path, r AS creator
FROM pg_proc p CROSS JOIN LATERAL unnest(p.proconfig) s
CROSS JOIN LATERAL unnest(string_to_array(substr(s, length('search_path=') + 1), ', ')) AS e(name)
JOIN pg_namespace n ON n.nspname = e.name
CROSS JOIN unnest(ARRAY['sec_reader', 'sec_writer', 'sec_writer2', 'sec_admin', 'sec_nobody', 'public']) AS r
WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND s LIKE 'search\_path=%'
  AND has_schema_privilege(r, n.oid, 'CREATE');

-- The C (Rust) functions without search_path: only the pure ones, which run no SQL. A Rust
-- function that runs SPI (the JSON exports) resolves names like any SQL and must pin it.
SELECT n.nspname || '.' || p.proname AS c_function_without_search_path, count(*) AS overloads
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname IN ('collatz', 'collatz_internal') AND l.lanname = 'c'
  AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search\_path=%'), false)
GROUP BY 1 ORDER BY 1;

-- SECURITY DEFINER functions: each must pin its path and be closed to PUBLIC.
SELECT p.oid::regprocedure AS definer_open_or_unpinned
FROM pg_proc p
WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace) AND p.prosecdef
  AND (has_function_privilege('public', p.oid, 'EXECUTE')
       OR NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s = 'search_path=pg_catalog, pg_temp'), false))
ORDER BY 1::text;

-- Trigger functions: none executable by PUBLIC or any level (CREATE TRIGGER needs EXECUTE).
SELECT p.oid::regprocedure AS trigger_function,
       has_function_privilege('public', p.oid, 'EXECUTE') OR has_function_privilege('sec_admin', p.oid, 'EXECUTE')
           AS attachable_by_a_level
FROM pg_proc p
WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
  AND p.prorettype = 'trigger'::regtype
ORDER BY 1::text;

-- No object of the extension belongs to a role below the owner, and no default privileges
-- hand new objects to anyone.
SELECT count(*) AS objects_not_owned_by_the_extension_owner
FROM (SELECT c.relowner AS owner FROM pg_class c WHERE c.relnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
      UNION ALL SELECT p.proowner FROM pg_proc p WHERE p.pronamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
      UNION ALL SELECT t.typowner FROM pg_type t WHERE t.typnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)
      UNION ALL SELECT o.oprowner FROM pg_operator o WHERE o.oprnamespace IN ('collatz'::regnamespace, 'collatz_internal'::regnamespace)) x
WHERE x.owner <> (SELECT extowner FROM pg_extension WHERE extname = 'collatz_ext');
SELECT count(*) AS default_privileges FROM pg_default_acl;
