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
            ('collatz_peak_memory',
             'Peak resident memory of this backend, threads included, since the last collatz_reset_peak_memory(), in bytes.'),
            ('collatz_reset_peak_memory',
             'Starts a new peak-memory measurement for this backend.'),
            ('collatz_library_version',
             'Version of the loaded collatz_ext library (pg_extension.extversion is the SQL objects'' version).'),
            ('collatz_first_wrong_step',
             'The first of the given steps (ascending) whose term or rule is not the true one for n, or NULL; used by the sequence_steps check.'),
            ('collatz_records',
             'Delay records (more steps than every smaller number of the range) and path records (a higher peak) of [range_start, range_end], scanning upwards from range_start; from 1 these are the published record tables. Ties go to the smaller number.')
        ) AS c(name, description) ON c.name = p.proname
        WHERE p.pronamespace = '@extschema@'::regnamespace
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.signature, f.description);
    END LOOP;
END
$comments$;
