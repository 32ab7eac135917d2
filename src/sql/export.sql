-- Export: CSV lines with a chosen field list, JSON pages (built in Rust, src/exports.rs) and
-- JSON Lines, of the stored sequences and the analyses.

-- The SQL expression of one CSV line of the chosen fields, in the chosen order: `known` maps
-- each field a caller may choose to its expression, and only those expressions come out.
-- NULL becomes an empty field, as COPY ... CSV writes it.
CREATE FUNCTION collatz_internal.csv_expressions(caller text, known jsonb, fields text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f text;
    expressions text[] := '{}';
    choices CONSTANT text := (SELECT string_agg(k, ', ') FROM jsonb_object_keys(known) k);
BEGIN
    IF fields IS NULL OR cardinality(fields) = 0 THEN
        RAISE EXCEPTION '%: no fields chosen', caller
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Choose from: %s.', choices);
    END IF;
    FOREACH f IN ARRAY fields LOOP
        IF f IS NULL OR NOT known ? f THEN
            RAISE EXCEPTION '%: unknown field %', caller, coalesce(quote_literal(f), 'NULL')
                USING ERRCODE = 'invalid_parameter_value', HINT = format('Choose from: %s.', choices);
        END IF;
        IF cardinality(array_positions(fields, f)) > 1 THEN
            RAISE EXCEPTION '%: field % chosen twice', caller, quote_literal(f)
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Name each field once.';
        END IF;
        expressions := expressions || (known ->> f);
    END LOOP;
    RETURN format($f$array_to_string(ARRAY[%s], ',', '')$f$, array_to_string(expressions, ', '));
END $$;
COMMENT ON FUNCTION collatz_internal.csv_expressions(text, jsonb, text[]) IS
    'The SQL expression of a CSV line of the chosen fields (each one of the known field expressions); used by the export_*_csv functions';

CREATE FUNCTION export_sequences_csv(start_number bigint, end_number bigint,
                                     fields text[] DEFAULT ARRAY['number', 'sequence_length', 'steps_to_one', 'max_value'],
                                     header boolean DEFAULT true)
RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    line CONSTANT text := collatz_internal.csv_expressions('export_sequences_csv', jsonb_build_object(
        'id', 's.id::text',
        'number', 's.number::text',
        'sequence_length', 's.sequence_length::text',
        'steps_to_one', 's.steps_to_one::text',
        'max_value', 's.max_value::text',
        'created_at', 's.created_at::text',
        -- Every term as an array literal, quoted because it holds commas. Computed
        -- (src/sql/terms.sql), whether or not the steps are stored: stored terms are the
        -- true ones, so the field is the same either way.
        'steps', '(SELECT ''"'' || array_agg(st.value ORDER BY st.step_number)::text || ''"''
                   FROM @extschema@.sequence_steps_computed st WHERE st.sequence_id = s.id)'), fields);
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, 'export_sequences_csv');
    IF header IS NOT FALSE THEN
        RETURN NEXT array_to_string(fields, ',');
    END IF;
    RETURN QUERY EXECUTE format('SELECT %s FROM @extschema@.collatz_sequences s
                                 WHERE s.number BETWEEN $1 AND $2 ORDER BY s.number', line)
        USING start_number, end_number;
END $$;
COMMENT ON FUNCTION export_sequences_csv(bigint, bigint, text[], boolean) IS
    'CSV lines (header first) of the stored sequences of a number range with the chosen fields (id, number, sequence_length, steps_to_one, max_value, created_at, steps); \copy (SELECT * FROM ...) TO ''file'' writes them as they are';

-- Every column of analysis_results may be chosen, and all of them (in table order) are the
-- default: the list is read from the catalog, so a column added later exports too.
CREATE FUNCTION export_analysis_csv(fields text[] DEFAULT NULL, header boolean DEFAULT true,
                                    experiment_id bigint DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    columns CONSTANT text[] := (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                                WHERE a.attrelid = '@extschema@.analysis_results'::regclass
                                  AND a.attnum > 0 AND NOT a.attisdropped);
    chosen CONSTANT text[] := coalesce(fields, columns);
    line CONSTANT text := collatz_internal.csv_expressions('export_analysis_csv',
        (SELECT jsonb_object_agg(c, 'a.' || quote_ident(c) || '::text') FROM unnest(columns) AS c), chosen);
BEGIN
    IF header IS NOT FALSE THEN
        RETURN NEXT array_to_string(chosen, ',');
    END IF;
    RETURN QUERY EXECUTE format('SELECT %s FROM @extschema@.analysis_results a
                                 WHERE $1 IS NULL OR a.experiment_id = $1 ORDER BY a.id', line)
        USING export_analysis_csv.experiment_id;
END $$;
COMMENT ON FUNCTION export_analysis_csv(text[], boolean, bigint) IS
    'CSV lines (header first) of analysis_results with the chosen fields (default: every column), optionally of one experiment';

COMMENT ON FUNCTION export_sequences_json(bigint, bigint, integer, text, boolean) IS
    'A page of stored sequences of a number range as jsonb {items, count, next_cursor}: pass next_cursor back for the next page (null on the last); with_steps adds each sequence''s terms, stored or not';
COMMENT ON FUNCTION export_sequence_json(bigint) IS
    'One stored sequence with all its terms (stored or not) as jsonb, or NULL when the number is not stored';
COMMENT ON FUNCTION export_analysis_json(integer, text, bigint) IS
    'A page of analysis_results as jsonb {items, count, next_cursor}, oldest first, optionally of one experiment';

-- JSON Lines for files: the objects of export_sequences_json, one per line, page by page.
CREATE FUNCTION export_sequences_jsonl(start_number bigint, end_number bigint, with_steps boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    page jsonb;
    next_cursor text;
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, 'export_sequences_jsonl');
    LOOP
        page := @extschema@.export_sequences_json(start_number, end_number, 10000, next_cursor, coalesce(with_steps, false));
        RETURN QUERY SELECT item::text FROM jsonb_array_elements(page -> 'items') AS item;
        next_cursor := page ->> 'next_cursor';
        EXIT WHEN next_cursor IS NULL;
    END LOOP;
END $$;
COMMENT ON FUNCTION export_sequences_jsonl(bigint, bigint, boolean) IS
    'The stored sequences of a number range as JSON Lines (one object per line, the shape import_sequences(''json'') reads); \copy (SELECT * FROM ...) TO ''file'' writes them';
