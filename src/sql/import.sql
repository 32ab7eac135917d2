-- Import: files back in, with every line checked against the computed values.
--
-- An import reads a file that the client has copied, line by line, into a session's own
-- staging table (import_open() makes it; psql's \copy fills it, a driver's COPY FROM STDIN
-- too). Each line is checked in Rust on the worker pool (collatz_import_check), repeats and
-- conflicts are found in SQL, and the valid rows go in sorted by number. on_error => 'stop'
-- loads nothing unless every line is valid; 'ignore' loads the valid ones and lists the
-- others in import_rejections(). Everything happens in the caller's transaction, so the
-- all-or-nothing choice also holds if the import is cancelled or the session dies.
--
-- The import runs as the extension's owner (SECURITY DEFINER), so that it records its own
-- metric, and it never touches an object of the caller's: the staging tables are the
-- owner's (import_open grants the caller only INSERT of lines), so no trigger, rule or view
-- of the caller's can run inside it. What it stores is what the check computed for each
-- valid line's number, never a value taken from the file.

-- Empties (creating on first use) the session's staging tables: collatz_import_lines takes
-- the file's lines, numbered from 1 in file order by its identity; collatz_import_rows the
-- outcome of each line. Temporary tables: each session imports on its own, nothing is
-- WAL-logged, and nothing is left behind when the session ends.
CREATE FUNCTION import_open() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Created once per session (IF NOT EXISTS would NOTICE on every later import).
    IF to_regclass('pg_temp.collatz_import_lines') IS NULL THEN
        CREATE TEMP TABLE collatz_import_lines (
            line_number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            line        text
        );
        -- No key: rows are looked up by number, and a key on line_number made the checking
        -- inserts slower (10^6 rows: 1.10 s against 0.73 s).
        CREATE TEMP TABLE collatz_import_rows (
            line_number     bigint NOT NULL,
            number          bigint,
            sequence_length bigint,
            steps_to_one    bigint,
            max_value       numeric,
            steps           numeric[],
            rejection       text
        );
    END IF;
    PERFORM collatz_internal.import_staged_lines('import_open');
    TRUNCATE pg_temp.collatz_import_lines, pg_temp.collatz_import_rows RESTART IDENTITY;
    -- The caller (whichever role it is now, after a SET ROLE too) may add lines, nothing else.
    EXECUTE format('GRANT SELECT, INSERT (line) ON pg_temp.collatz_import_lines TO %I',
                   collatz_internal.invoking_role_name());
END $$;
COMMENT ON FUNCTION import_open() IS
    'Starts an import: empties (or creates) this session''s staging table collatz_import_lines; fill it with \copy collatz_import_lines (line) FROM ''file'' WITH (FORMAT csv, DELIMITER E''\x1f'', QUOTE E''\x1e''), then call import_sequences';

COMMENT ON FUNCTION collatz_internal.collatz_import_check(text, text, bigint[], text[]) IS
    'Checks lines of a file (csv under the given header line, or json: one object per line) against the computed values; one row per non-blank line: the row to store, or the reason it is refused';

-- Refuses an import whose staging table is missing; returns its first and last line numbers.
CREATE FUNCTION collatz_internal.import_staged_lines(caller text, OUT first_line bigint, OUT last_line bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    foreign_table text;
BEGIN
    IF to_regclass('pg_temp.collatz_import_lines') IS NULL OR to_regclass('pg_temp.collatz_import_rows') IS NULL THEN
        RAISE EXCEPTION '%: nothing is staged in this session', caller
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call collatz.import_open(), then \copy collatz_import_lines (line) FROM ''file'' WITH (FORMAT csv, DELIMITER E''\x1f'', QUOTE E''\x1e'').';
    END IF;
    -- Only the tables import_open made: plain tables of the extension's owner in this
    -- session's temp schema. A relation of the same name that the caller made is refused.
    SELECT c.oid::regclass::text INTO foreign_table
    FROM pg_catalog.pg_class c
    WHERE c.oid IN (to_regclass('pg_temp.collatz_import_lines'), to_regclass('pg_temp.collatz_import_rows'))
      AND (c.relkind <> 'r' OR c.relowner <> (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
           OR c.relnamespace <> pg_my_temp_schema() OR c.relhasrules OR c.relhassubclass)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: % is not the staging table import_open makes', caller, foreign_table
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Drop your own table of that name (DROP TABLE pg_temp.collatz_import_lines), then call collatz.import_open().';
    END IF;
    SELECT min(l.line_number), max(l.line_number) INTO first_line, last_line FROM ONLY pg_temp.collatz_import_lines l;
END $$;
COMMENT ON FUNCTION collatz_internal.import_staged_lines(text) IS
    'The line numbers staged in this session''s collatz_import_lines; refuses when import_open() was not called';

-- Checks every staged line, a batch of collatz.batch_size lines at a time, into
-- collatz_import_rows; a CSV file's header is read first and refuses the whole file when it
-- names no known column. Returns the lines checked and refused.
CREATE FUNCTION collatz_internal.import_check_lines(format text, first_line bigint, last_line bigint,
                                                    started timestamptz, OUT lines bigint, OUT rejected bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    size CONSTANT bigint := current_setting('collatz.batch_size')::bigint;
    header text := '';
    last_notice timestamptz := clock_timestamp();
    lo bigint;
    hi bigint;
    numbers bigint[];
    texts text[];
BEGIN
    lines := 0; rejected := 0;
    IF format = 'csv' AND first_line IS NOT NULL THEN
        SELECT coalesce(l.line, '') INTO header FROM ONLY pg_temp.collatz_import_lines l WHERE l.line_number = first_line;
        -- Refuses a bad header before anything else, whatever on_error says: no line can be read.
        PERFORM collatz_internal.collatz_import_check(format, header, '{}', '{}');
        first_line := first_line + 1;
    END IF;
    lo := first_line;
    WHILE lo <= last_line LOOP
        hi := least(lo + size - 1, last_line);
        SELECT array_agg(l.line_number ORDER BY l.line_number), array_agg(l.line ORDER BY l.line_number)
        INTO numbers, texts
        FROM ONLY pg_temp.collatz_import_lines l WHERE l.line_number BETWEEN lo AND hi;
        WITH checked AS (
            INSERT INTO pg_temp.collatz_import_rows
            SELECT * FROM collatz_internal.collatz_import_check(format, header, coalesce(numbers, '{}'), coalesce(texts, '{}'))
            RETURNING rejection)
        SELECT lines + count(*), rejected + count(rejection) INTO lines, rejected FROM checked;
        IF hi < last_line AND collatz_internal.progress_due(last_notice) THEN
            RAISE NOTICE '%', collatz_internal.progress_line('import_sequences (checking)', 'lines', hi - first_line + 1,
                last_line - first_line + 1, rejected || ' rejected', collatz_internal.elapsed_ms(started));
            last_notice := clock_timestamp();
        END IF;
        lo := hi + 1;
    END LOOP;
    ANALYZE pg_temp.collatz_import_rows;
END $$;
COMMENT ON FUNCTION collatz_internal.import_check_lines(text, bigint, bigint, timestamptz) IS
    'import_sequences, step 1: checks every staged line into collatz_import_rows; returns the lines checked and refused';

-- Refuses what a line-by-line check cannot see: a number twice in one file (the later lines,
-- pointing at the first) and, under on_conflict => 'error', a number already stored.
CREATE FUNCTION collatz_internal.import_refuse_repeats(on_conflict text, OUT repeats bigint, OUT conflicts bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- (A hash aggregate over 10^6 rows: 0.61 s; a window over every row took 0.73 s.)
    UPDATE pg_temp.collatz_import_rows r
    SET rejection = format('number %s repeats line %s', r.number, d.first_line)
    FROM (SELECT x.number, min(x.line_number) AS first_line
          FROM pg_temp.collatz_import_rows x WHERE x.rejection IS NULL
          GROUP BY x.number HAVING count(*) > 1) d
    WHERE r.number = d.number AND r.rejection IS NULL AND r.line_number <> d.first_line;
    GET DIAGNOSTICS repeats = ROW_COUNT;
    conflicts := 0;
    IF on_conflict = 'error' THEN
        UPDATE pg_temp.collatz_import_rows r
        SET rejection = format('number %s is already stored', r.number)
        WHERE r.rejection IS NULL
          AND EXISTS (SELECT 1 FROM @extschema@.collatz_sequences s WHERE s.number = r.number);
        GET DIAGNOSTICS conflicts = ROW_COUNT;
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.import_refuse_repeats(text) IS
    'import_sequences, step 2: refuses numbers that repeat in the file, and (on_conflict error) numbers already stored';

-- Stores the valid rows in ascending number order, collatz.batch_size numbers at a time:
-- every session takes row locks in the same order, so overlapping imports wait rather than
-- deadlock (see insert_sequences). The rows are those the check computed; then the steps
-- of the rows that gave some (as many as given; under upsert merged into the stored ones).
CREATE FUNCTION collatz_internal.import_load(on_conflict text, valid bigint, started timestamptz,
                                             OUT loaded bigint, OUT steps_loaded bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    size CONSTANT bigint := current_setting('collatz.batch_size')::bigint;
    last_notice timestamptz := clock_timestamp();
    lo bigint := 0;
    hi bigint;
    done bigint := 0;
    batch_rows bigint;
    step_numbers bigint[];
    step_counts integer[];
BEGIN
    IF to_regclass('pg_temp.collatz_import_rows_number') IS NULL THEN
        CREATE INDEX collatz_import_rows_number ON pg_temp.collatz_import_rows (number) WHERE rejection IS NULL;
    END IF;
    loaded := 0;
    LOOP
        SELECT max(x.number), count(*) INTO hi, batch_rows
        FROM (SELECT r.number FROM pg_temp.collatz_import_rows r
              WHERE r.rejection IS NULL AND r.number > lo ORDER BY r.number LIMIT size) x;
        EXIT WHEN hi IS NULL;
        loaded := loaded + collatz_internal.insert_sequences('import', lo + 1, hi, NULL, on_conflict);
        done := done + batch_rows;
        IF done < valid AND collatz_internal.progress_due(last_notice) THEN
            RAISE NOTICE '%', collatz_internal.progress_line('import_sequences (loading)', 'rows', done, valid,
                                                             loaded || ' stored', collatz_internal.elapsed_ms(started));
            last_notice := clock_timestamp();
        END IF;
        lo := hi;
    END LOOP;
    SELECT array_agg(r.number ORDER BY r.number), array_agg(cardinality(r.steps) ORDER BY r.number)
    INTO step_numbers, step_counts
    FROM pg_temp.collatz_import_rows r WHERE r.rejection IS NULL AND r.steps IS NOT NULL;
    steps_loaded := 0;
    IF step_numbers IS NOT NULL THEN
        steps_loaded := collatz_internal.store_steps(step_numbers[1], step_numbers[cardinality(step_numbers)],
                                                     step_numbers, step_counts, on_conflict = 'upsert');
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.import_load(text, bigint, timestamptz) IS
    'import_sequences, step 3: stores the valid rows (computed from their numbers) and their steps; returns rows and steps written';

CREATE FUNCTION import_sequences(format text DEFAULT 'csv', on_error text DEFAULT 'stop',
                                 on_conflict text DEFAULT 'skip', dry_run boolean DEFAULT false,
                                 OUT lines bigint, OUT valid bigint, OUT loaded bigint,
                                 OUT already_stored bigint, OUT rejected bigint, OUT steps_loaded bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller CONSTANT text := 'import_sequences';
    started CONSTANT timestamptz := clock_timestamp();
    staged record;
    refused record;
    examples text;
BEGIN
    IF format IS NULL OR format NOT IN ('csv', 'json') THEN
        RAISE EXCEPTION '%: unknown format %', caller, coalesce(quote_literal(format), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use csv (a header line, then one row per line) or json (one object per line).';
    END IF;
    IF on_error IS NULL OR on_error NOT IN ('stop', 'ignore') THEN
        RAISE EXCEPTION '%: unknown on_error %', caller, coalesce(quote_literal(on_error), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use stop (load nothing unless every line is valid) or ignore (load the valid lines, list the others in import_rejections()).';
    END IF;
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, caller);
    IF dry_run IS NULL THEN
        RAISE EXCEPTION '%: dry_run must not be NULL', caller
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true to check without loading, false to load.';
    END IF;
    SELECT * INTO staged FROM collatz_internal.import_staged_lines(caller);
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs
    PERFORM collatz_internal.collatz_reset_peak_memory();
    TRUNCATE pg_temp.collatz_import_rows;

    SELECT c.lines, c.rejected INTO lines, rejected
    FROM collatz_internal.import_check_lines(format, staged.first_line, staged.last_line, started) c;
    SELECT * INTO refused FROM collatz_internal.import_refuse_repeats(on_conflict);
    rejected := rejected + refused.repeats + refused.conflicts;
    valid := lines - rejected;
    loaded := 0; already_stored := 0; steps_loaded := 0;

    IF rejected > 0 AND on_error = 'stop' THEN
        SELECT string_agg(format('line %s: %s', x.line_number, x.rejection), E'\n' ORDER BY x.line_number)
        INTO examples
        FROM (SELECT * FROM pg_temp.collatz_import_rows WHERE rejection IS NOT NULL ORDER BY line_number LIMIT 10) x;
        RAISE EXCEPTION '%: % of % lines rejected, nothing loaded', caller, rejected, lines
            USING ERRCODE = CASE WHEN refused.conflicts = rejected THEN 'unique_violation' ELSE 'bad_copy_file_format' END,
                  DETAIL = examples || CASE WHEN rejected > 10 THEN E'\n...' ELSE '' END,
                  HINT = 'Fix those lines, or import with on_error => ''ignore'' to load the valid lines and list the rejected ones in import_rejections() (dry_run => true lists them without loading).';
    END IF;
    IF rejected > 0 THEN
        RAISE NOTICE '%: % of % lines rejected; SELECT * FROM collatz.import_rejections() lists them',
            caller, rejected, lines;
    END IF;
    IF dry_run THEN
        RETURN;
    END IF;

    SELECT l.loaded, l.steps_loaded INTO loaded, steps_loaded FROM collatz_internal.import_load(on_conflict, valid, started) l;
    already_stored := valid - loaded;
    PERFORM collatz_internal.compact_totals();
    PERFORM collatz_internal.record_metric('import', collatz_internal.elapsed_ms(started), loaded,
        jsonb_build_object('format', format, 'on_error', on_error, 'on_conflict', on_conflict, 'lines', lines,
                           'rejected', rejected, 'already_stored', already_stored, 'steps_loaded', steps_loaded));
END $$;
COMMENT ON FUNCTION import_sequences(text, text, text, boolean) IS
    'Imports the file staged by import_open() into collatz_sequences (and sequence_steps): format csv or json; on_error stop (all or nothing) or ignore (load the valid lines, list the rest in import_rejections()); on_conflict skip, upsert or error; dry_run checks without loading';

CREATE FUNCTION import_rejections()
RETURNS TABLE (line_number bigint, reason text, line text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_internal.import_staged_lines('import_rejections');
    RETURN QUERY
    SELECT r.line_number, r.rejection, l.line
    FROM pg_temp.collatz_import_rows r
    JOIN ONLY pg_temp.collatz_import_lines l ON l.line_number = r.line_number
    WHERE r.rejection IS NOT NULL
    ORDER BY r.line_number;
END $$;
COMMENT ON FUNCTION import_rejections() IS
    'The lines the last import_sequences of this session refused: line number, reason, and the line itself';
