-- After an attack, as the superuser: planted code never ran (and which did, if any), every
-- computed or maintained number still holds, no role gained an attribute or a privilege.
\c - postgres
SET client_min_messages = warning;
SET search_path = pg_catalog;
SELECT count(*) = 0 AS planted_code_never_ran FROM sec_log.planted;
SELECT label, ran_as, count(*) AS times FROM sec_log.planted GROUP BY label, ran_as ORDER BY min(id) LIMIT 20;
SELECT invariant AS broken_invariant FROM sec_audit.invariants() WHERE NOT holds;
SELECT rolname AS role_with_attributes FROM pg_roles
WHERE rolname LIKE 'sec\_%' AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication);
SELECT sec_audit.acl_digest() = (SELECT digest FROM sec_audit.fingerprint WHERE item = 'privileges') AS privileges_unchanged;
