-- Run last, when every function exists: the COMMENT of each core function, then the access
-- level of every function. Every upgrade script ends with this file too, so its functions
-- are CREATE OR REPLACE.

-- One COMMENT per core function, shared by its overloads (integer, bigint, numeric and
-- double precision), so that \df+ and a BI tool's catalog browser explain each of them.

DO $comments$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS signature, c.description
        FROM pg_catalog.pg_proc p
        JOIN (VALUES
            ('collatz_next',
             'T(n): n/2 for even n, 3n+1 for odd n. Exact at every size (numeric result).'),
            ('collatz_steps',
             'Applications of T until 1 is reached (steps_to_one): collatz_steps(27) = 111.'),
            ('collatz_length',
             'Terms in the sequence from n to 1, both included (steps + 1): collatz_length(27) = 112.'),
            ('collatz_peak',
             'Largest term of the sequence, n included, exact (numeric): collatz_peak(27) = 9232.'),
            ('collatz_stopping_time',
             'Applications of T until the first term below n; NULL for n = 1.'),
            ('collatz_stats',
             'All statistics of one sequence as one collatz_stats row.'),
            ('collatz_sequence',
             'Every term from n to 1: step_number (0 = n), value, operation_type (start, odd = 3n+1 applied, even = n/2 applied). n up to 8192 bits.'),
            ('collatz_sequence_json',
             'The statistics and every term of one sequence as a jsonb document, numbers exact. n up to 8192 bits.'),
            ('collatz_range',
             'One statistics row per number of [range_start, range_end], computed in parallel (collatz.threads) with a memo table (collatz.memo_mb). At most 10^12 numbers.'),
            ('collatz_analyze',
             'The longest sequence and the highest peak of a bigint range (ties to the smaller number), computed in parallel; stores nothing (see analyze_range).'),
            ('collatz_check_range',
             'Checks range arguments as the range functions do (NULL 22004, not positive 22023, inverted 22023, more than max_numbers 54000); used by the pipeline.'),
            ('copy_sequences',
             'Stores the computed rows of [first_number, last_number] in collatz_sequences as COPY FROM would, the peak index in key order (owner only: insert_sequences calls it for a range with nothing stored); returns rows written.'),
            ('copied_length_deltas',
             'The rows copy_sequences wrote, counted by length as it computed them, for its statement''s totals trigger (given its pg_trigger_depth()), once; empty for any other caller.'),
            ('collatz_analyze_segment',
             'The records of one segment of an analysis run among the numbers that can hold the records of the whole run (NULL when none can); used by pipeline_run_step.'),
            ('start_analysis_run',
             'Opens or resumes an analysis run for the calling role (noted before acting as the owner); used by analysis_run_start.'),
            ('start_batch_insert_run',
             'Opens a batch insert run for the calling role (noted before acting as the owner); used by batch_insert_run_start.'),
            ('advance_run',
             'Advances a run of the calling role (an admin: any run) by one step, acting as the owner; used by pipeline_run_step.'),
            ('invoking_role',
             'The role that called into the extension: the current user outside every SECURITY DEFINER function (follows SET ROLE).'),
            ('collatz_peak_memory',
             'Peak resident memory of this backend, threads included, since the last collatz_reset_peak_memory(), in bytes.'),
            ('collatz_reset_peak_memory',
             'Starts a new peak-memory measurement for this backend.'),
            ('collatz_library_version',
             'Version of the loaded collatz_ext library (pg_extension.extversion is the SQL objects'' version).'),
            ('collatz_first_wrong_step',
             'The first of the given steps (ascending) whose term or rule is not the true one for n, or NULL; used by the sequence_steps check.'),
            ('collatz_terms',
             'The first k terms of n (all when k passes the end) as numeric[], the form of sequence_terms.terms; used by the loader and by the sequence_terms check.'),
            ('collatz_records',
             'Delay records (more steps than every smaller number of the range) and path records (a higher peak) of [range_start, range_end], scanning upwards from range_start; from 1 these are the published record tables. Ties go to the smaller number.')
        ) AS c(name, description) ON c.name = p.proname
        WHERE p.pronamespace IN ('@extschema@'::regnamespace, 'collatz_internal'::regnamespace)
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.signature, f.description);
    END LOOP;
END
$comments$;

-- Helpers of the extension live apart from its API, in collatz_internal (created by the
-- #[pg_schema] module in src/lib.rs): \df collatz.* lists what the README
-- documents, and the access levels of collatz_grant may execute only the pure helpers here
-- (no SQL, no side effects) that the invoker API calls. Everything that reads or writes in
-- this schema is executable by the extension's owner alone.
COMMENT ON SCHEMA collatz_internal IS
    'collatz_ext helpers: not part of the API; executable only by the extension''s own functions';

-- Access levels: which function each level of collatz_grant may execute. One list, read by
-- collatz_grant and by the install (and every upgrade), which takes PUBLIC's EXECUTE from
-- everything but the pure functions. A function missing from the list fails the install:
-- every new function must be given a level here, and tests/security checks the result
-- against its privilege matrix.
--   public: pure computations (no SQL, no side effects); PUBLIC keeps EXECUTE, though
--           PUBLIC has no USAGE on the schema
--   read, write, admin: the levels of collatz_grant
--   owner: the extension's owner only (helpers that read or write, grants)
CREATE OR REPLACE FUNCTION collatz_internal.function_levels()
RETURNS TABLE (signature regprocedure, level text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p.oid::regprocedure, coalesce(l.level, CASE WHEN n.nspname = 'collatz_internal' THEN 'owner' END)
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN (VALUES
        ('@extschema@', 'collatz_next', 'public'), ('@extschema@', 'collatz_steps', 'public'),
        ('@extschema@', 'collatz_length', 'public'), ('@extschema@', 'collatz_peak', 'public'),
        ('@extschema@', 'collatz_stopping_time', 'public'), ('@extschema@', 'collatz_stats', 'public'),
        ('@extschema@', 'collatz_sequence', 'public'), ('@extschema@', 'collatz_sequence_json', 'public'),
        ('@extschema@', 'collatz_range', 'public'), ('@extschema@', 'collatz_records', 'public'),
        ('@extschema@', 'collatz_analyze', 'public'), ('@extschema@', 'collatz_library_version', 'public'),
        ('@extschema@', 'get_sequence', 'read'), ('@extschema@', 'find_sequences_in_range', 'read'),
        ('@extschema@', 'export_sequences_csv', 'read'), ('@extschema@', 'export_analysis_csv', 'read'),
        ('@extschema@', 'export_sequences_json', 'read'), ('@extschema@', 'export_sequence_json', 'read'),
        ('@extschema@', 'export_analysis_json', 'read'), ('@extschema@', 'export_sequences_jsonl', 'read'),
        ('@extschema@', 'collatz_health', 'read'),
        -- Pure helpers that the invoker functions above (and the sequence_steps and
        -- sequence_terms checks, which run as the writer) call.
        ('collatz_internal', 'collatz_check_range', 'read'), ('collatz_internal', 'csv_expressions', 'read'),
        ('collatz_internal', 'collatz_first_wrong_step', 'read'), ('collatz_internal', 'collatz_terms', 'read'),
        -- The foreign data wrapper of sequence_steps_computed: the planner calls the
        -- handler without a privilege check, CREATE/ALTER of the owner's foreign objects
        -- the validator.
        ('collatz_internal', 'sequence_steps_computed_handler', 'owner'),
        ('collatz_internal', 'sequence_steps_computed_validator', 'owner'),
        ('collatz_internal', 'step_report', 'read'), ('collatz_internal', 'progress_due', 'read'),
        ('collatz_internal', 'progress_line', 'read'), ('collatz_internal', 'elapsed_ms', 'read'),
        -- The runs' entry points: they note the calling role, then act as the owner.
        ('collatz_internal', 'start_analysis_run', 'write'), ('collatz_internal', 'start_batch_insert_run', 'write'),
        ('collatz_internal', 'advance_run', 'write'),
        ('@extschema@', 'save_sequence', 'write'), ('@extschema@', 'batch_save_sequences', 'write'),
        ('@extschema@', 'create_experiment', 'write'), ('@extschema@', 'record_experiment_results', 'write'),
        ('@extschema@', 'analyze_range', 'write'), ('@extschema@', 'sp_analyze_range', 'write'),
        ('@extschema@', 'analyze_segment', 'write'),
        ('@extschema@', 'analysis_run_start', 'write'), ('@extschema@', 'batch_insert_run_start', 'write'),
        ('@extschema@', 'sp_batch_insert_sequences', 'write'), ('@extschema@', 'pipeline_run_step', 'write'),
        ('@extschema@', 'sp_continue_run', 'write'),
        ('@extschema@', 'import_open', 'write'), ('@extschema@', 'import_sequences', 'write'),
        ('@extschema@', 'import_rejections', 'write'),
        ('@extschema@', 'cleanup_old_data', 'admin'), ('@extschema@', 'sp_cleanup_old_data', 'admin'),
        ('@extschema@', 'collatz_grant', 'owner'), ('@extschema@', 'collatz_revoke', 'owner')
    ) AS l(schema_name, function_name, level) ON l.schema_name = n.nspname AND l.function_name = p.proname
    WHERE n.nspname IN ('@extschema@', 'collatz_internal')
$$;
COMMENT ON FUNCTION collatz_internal.function_levels() IS
    'The access level of every function of collatz_ext: public, read, write, admin or owner';

-- Takes PUBLIC's EXECUTE from every function but the pure ones; refuses a function with no
-- level. Run by the install and at the end of every upgrade script.
CREATE OR REPLACE FUNCTION collatz_internal.restrict_public_execute() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f record;
BEGIN
    SELECT l.signature INTO f FROM collatz_internal.function_levels() l WHERE l.level IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'collatz_ext: function % has no access level', f.signature
            USING ERRCODE = 'invalid_object_definition',
                  HINT = 'Give it one in collatz_internal.function_levels() (src/sql/finalize.sql).';
    END IF;
    FOR f IN
        SELECT l.signature, p.prokind FROM collatz_internal.function_levels() l
        JOIN pg_catalog.pg_proc p ON p.oid = l.signature
        WHERE l.level <> 'public'
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC',
                       CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature);
    END LOOP;
END $$;
COMMENT ON FUNCTION collatz_internal.restrict_public_execute() IS
    'Takes PUBLIC''s EXECUTE from every collatz_ext function that is not pure; run at install and by every upgrade';

-- Grants every role that has a level the level again, so that it covers what a release
-- added, with the release's meaning of the level (0.4.0's collatz_grant gave writers INSERT
-- on the tables of computed results and readers EXECUTE on every helper). A role's level is
-- read from its grants, old or new: DELETE on collatz_sequences is admin, INSERT on any of its
-- columns write, USAGE on the schema read. Nothing to do on a fresh install.
CREATE OR REPLACE FUNCTION collatz_internal.regrant_levels() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT pg_get_userbyid(a.grantee)::text AS role_name,
               CASE WHEN has_table_privilege(a.grantee, '@extschema@.collatz_sequences', 'DELETE') THEN 'admin'
                    WHEN has_any_column_privilege(a.grantee, '@extschema@.collatz_sequences', 'INSERT') THEN 'write'
                    ELSE 'read' END AS level
        FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a
        WHERE n.nspname = '@extschema@' AND a.privilege_type = 'USAGE' AND a.grantee <> 0
          AND a.grantee <> n.nspowner
    LOOP
        PERFORM @extschema@.collatz_grant(r.role_name, r.level);
    END LOOP;
END $$;
COMMENT ON FUNCTION collatz_internal.regrant_levels() IS
    'Grants every role that has a collatz_ext level that level again, as this release defines it; run at install and by every upgrade';

SELECT collatz_internal.restrict_public_execute();
SELECT collatz_internal.regrant_levels();
