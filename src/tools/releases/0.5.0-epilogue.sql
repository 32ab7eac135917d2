
-- ==== Roles keep their level, with its 0.5.0 meaning: collatz_grant now sets exactly the
-- level (0.4.0 gave writers INSERT on the tables of computed results, and readers EXECUTE on
-- every helper). A role's level is read from what 0.4.0's collatz_grant gave it.
DO $levels$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT pg_get_userbyid(a.grantee)::text AS role_name,
               CASE WHEN has_table_privilege(a.grantee, '@extschema@.collatz_sequences', 'DELETE') THEN 'admin'
                    WHEN has_table_privilege(a.grantee, '@extschema@.collatz_sequences', 'INSERT') THEN 'write'
                    ELSE 'read' END AS level
        FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a
        WHERE n.nspname = '@extschema@' AND a.privilege_type = 'USAGE' AND a.grantee <> 0
          AND a.grantee <> n.nspowner
    LOOP
        PERFORM @extschema@.collatz_grant(r.role_name, r.level);
    END LOOP;
END
$levels$;
