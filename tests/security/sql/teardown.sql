-- The last file: after every attack, the numbers the setup stored are as they were, every
-- computed or maintained number still holds (the analyses recomputed in full), no role
-- gained an attribute, a membership or a privilege; then everything goes.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\c - postgres
SET client_min_messages = warning;
SET search_path = pg_catalog;

-- The fingerprint of the setup, item by item.
SELECT f.item, d.digest IS NOT DISTINCT FROM f.digest AS unchanged
FROM sec_audit.fingerprint f
LEFT JOIN (SELECT item, digest FROM sec_audit.digests()
           UNION ALL SELECT 'privileges', sec_audit.acl_digest()) d USING (item)
ORDER BY f.item;
SELECT * FROM sec_audit.invariants(thorough => true);
SELECT count(*) = 0 AS planted_code_never_ran FROM sec_log.planted;
-- No role gained an attribute or a membership, or owns an object of the extension.
SELECT rolname FROM pg_roles
WHERE rolname LIKE 'sec\_%' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication);
SELECT m.member::regrole AS member, m.roleid::regrole AS of_role
FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname LIKE 'sec\_%';
SELECT count(*) AS extension_objects_owned_by_sec_roles
FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
WHERE d.refclassid = 'pg_extension'::regclass AND c.relowner::regrole::text LIKE 'sec\_%';
SELECT rolname, rolconfig FROM pg_roles WHERE rolname LIKE 'sec\_%' AND rolconfig IS NOT NULL;
SELECT count(*) AS database_settings FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
WHERE d.datname = current_database();

-- Everything goes: the extension, the schemas of the suite, its roles.
DROP EXTENSION collatz_ext CASCADE;
DROP SCHEMA sec_audit, sec_log, sec_writer_own, sec_writer2_own CASCADE;
DO $$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles
             WHERE rolname IN ('sec_reader', 'sec_writer', 'sec_writer2', 'sec_admin', 'sec_nobody')
    LOOP
        EXECUTE format('DROP OWNED BY %I CASCADE', r);
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
END $$;
SELECT count(*) AS sec_roles_left FROM pg_roles WHERE rolname LIKE 'sec\_%';
