-- Everything a release puts in the extension's schema, one line per object, with its full
-- definition, comment and privileges: equal fingerprints mean equal installations.
\pset tuples_only on
\pset format unaligned
-- Both schemas of the extension: its own and collatz_internal (0.5.0 on), where the helpers live.
WITH ext AS (SELECT oid, extnamespace AS ns, coalesce(to_regnamespace('collatz_internal')::oid, extnamespace) AS internal,
                    extconfig FROM pg_extension WHERE extname = 'collatz_ext'),
objects(kind, name, definition) AS (
    SELECT 'function', p.oid::regprocedure::text,
           concat_ws(' | ', pg_get_function_result(p.oid), p.prokind, p.provolatile, p.proisstrict,
                     p.proparallel, p.prosecdef, md5(p.prosrc), p.probin, p.proacl::text,
                     obj_description(p.oid, 'pg_proc'))
    FROM pg_proc p, ext WHERE p.pronamespace IN (ext.ns, ext.internal)
    UNION ALL
    SELECT 'relation', c.relnamespace::regnamespace || '.' || c.relname, concat_ws(' | ', c.relkind, c.relacl::text, obj_description(c.oid, 'pg_class'))
    FROM pg_class c, ext WHERE c.relnamespace IN (ext.ns, ext.internal)
    UNION ALL
    SELECT 'column', c.relname || '.' || a.attname,
           concat_ws(' | ', a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                     pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum))
    FROM pg_class c JOIN ext ON c.relnamespace IN (ext.ns, ext.internal)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    UNION ALL
    SELECT 'constraint', co.conrelid::regclass::text || '.' || co.conname, pg_get_constraintdef(co.oid)
    FROM pg_constraint co, ext WHERE co.connamespace IN (ext.ns, ext.internal)
    UNION ALL
    SELECT 'index', c.relname, pg_get_indexdef(c.oid)
    FROM pg_class c, ext WHERE c.relnamespace IN (ext.ns, ext.internal) AND c.relkind = 'i'
    UNION ALL
    SELECT 'view', c.relname, pg_get_viewdef(c.oid)
    FROM pg_class c, ext WHERE c.relnamespace IN (ext.ns, ext.internal) AND c.relkind = 'v'
    UNION ALL
    SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ext ON c.relnamespace IN (ext.ns, ext.internal)
    WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'type', t.typnamespace::regnamespace || '.' || t.typname, concat_ws(' | ', t.typtype, obj_description(t.oid, 'pg_type'))
    FROM pg_type t, ext WHERE t.typnamespace IN (ext.ns, ext.internal)
    UNION ALL
    SELECT 'foreign data wrapper', w.fdwname,
           concat_ws(' | ', w.fdwowner::regrole::text, w.fdwhandler::regprocedure::text, w.fdwvalidator::regprocedure::text,
                     w.fdwacl::text, w.fdwoptions::text, obj_description(w.oid, 'pg_foreign_data_wrapper'))
    FROM pg_foreign_data_wrapper w JOIN pg_depend d ON d.classid = 'pg_foreign_data_wrapper'::regclass AND d.objid = w.oid
    JOIN ext ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION ALL
    SELECT 'server', s.srvname,
           concat_ws(' | ', s.srvowner::regrole::text, w.fdwname, s.srvacl::text, s.srvoptions::text,
                     obj_description(s.oid, 'pg_foreign_server'))
    FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
    JOIN pg_depend d ON d.classid = 'pg_foreign_server'::regclass AND d.objid = s.oid
    JOIN ext ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION ALL
    SELECT 'foreign table', c.relname, concat_ws(' | ', s.srvname, f.ftoptions::text)
    FROM pg_foreign_table f JOIN pg_class c ON c.oid = f.ftrelid JOIN pg_foreign_server s ON s.oid = f.ftserver
    JOIN ext ON c.relnamespace IN (ext.ns, ext.internal)
    UNION ALL
    SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid), ''
    FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION ALL
    SELECT 'dumped', cfg::regclass::text, '' FROM ext, unnest(ext.extconfig) AS cfg
)
SELECT kind || ' ' || name || ': ' || coalesce(definition, '') FROM objects ORDER BY 1;
