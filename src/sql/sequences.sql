-- Stored sequences: collatz_sequences and sequence_steps, with the constraints and triggers
-- that make a wrong row impossible, their indexes (each names the query it serves;
-- tests/pg_regress checks with EXPLAIN that those queries use them), the typed helpers that
-- compute and insert rows, the repository API, and the views over them.

CREATE TABLE collatz_sequences (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          bigint      NOT NULL,
    sequence_length bigint      NOT NULL,
    max_value       numeric     NOT NULL,
    steps_to_one    bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collatz_sequences_number_key UNIQUE (number),
    CONSTRAINT collatz_sequences_number_positive CHECK (number >= 1),
    CONSTRAINT collatz_sequences_length_is_steps_plus_one CHECK (sequence_length = steps_to_one + 1),
    CONSTRAINT collatz_sequences_peak_at_least_number CHECK (max_value >= number),
    -- The row must hold the true values of its number, not just plausible ones.
    CONSTRAINT collatz_sequences_values_are_exact
        CHECK (steps_to_one = collatz_steps(number) AND max_value = collatz_peak(number))
);

COMMENT ON TABLE collatz_sequences IS
    'One stored Collatz sequence per number, with its statistics; every row is checked against the computed values';
COMMENT ON COLUMN collatz_sequences.id IS 'Surrogate key, referenced by sequence_steps.sequence_id';
COMMENT ON COLUMN collatz_sequences.number IS 'The starting number n (>= 1, unique)';
COMMENT ON COLUMN collatz_sequences.sequence_length IS 'Terms from n to 1, both included (steps_to_one + 1)';
COMMENT ON COLUMN collatz_sequences.max_value IS 'Largest term, n included; numeric because peaks pass 2^63 from n = 8,528,817,511';
COMMENT ON COLUMN collatz_sequences.steps_to_one IS 'Applications of T (n/2 or 3n+1) until 1 is reached';
COMMENT ON COLUMN collatz_sequences.created_at IS 'When the row was stored';

-- Length ranges (WHERE sequence_length BETWEEN ...) and the longest first, smallest number
-- first on ties (ORDER BY sequence_length DESC, number).
CREATE INDEX collatz_sequences_sequence_length_idx ON collatz_sequences (sequence_length DESC, number);

-- The highest peaks first (ORDER BY max_value DESC, number).
CREATE INDEX collatz_sequences_max_value_idx ON collatz_sequences (max_value DESC, number);

-- Retention by age (WHERE created_at < ...).
CREATE INDEX collatz_sequences_created_at_idx ON collatz_sequences (created_at);

-- pg_dump carries an extension table's rows, and its identity's position, only when told to.
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences', '');
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences_id_seq', '');

CREATE TABLE sequence_steps (
    sequence_id    bigint  NOT NULL REFERENCES collatz_sequences (id) ON DELETE CASCADE,
    step_number    integer NOT NULL,
    value          numeric NOT NULL,
    operation_type text    NOT NULL,
    PRIMARY KEY (sequence_id, step_number),
    CONSTRAINT sequence_steps_step_number_nonnegative CHECK (step_number >= 0),
    CONSTRAINT sequence_steps_value_positive CHECK (value >= 1),
    CONSTRAINT sequence_steps_operation_type_known CHECK (operation_type IN ('start', 'odd', 'even')),
    CONSTRAINT sequence_steps_start_is_step_zero CHECK ((step_number = 0) = (operation_type = 'start'))
);
-- Values are checked against the true sequence, and step numbers for contiguity from 0,
-- by the statement triggers below: a CHECK sees one row at a time.

COMMENT ON TABLE sequence_steps IS
    'The terms of stored sequences, one row per step; each sequence holds steps 0..k with the true values';
COMMENT ON COLUMN sequence_steps.sequence_id IS 'The sequence (collatz_sequences.id); its steps go when it goes';
COMMENT ON COLUMN sequence_steps.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';

SELECT pg_catalog.pg_extension_config_dump('sequence_steps', '');

-- sequence_steps: every row written holds the true term of its sequence at its step, and
-- every sequence's steps stay contiguous from 0 (0..k). Statement triggers with transition
-- tables compute each touched sequence once, however many of its steps a statement writes.
-- Runs as the writer (a check needs no privilege beyond reading the table it checks), with
-- a pinned path: an operator or aggregate the writer planted cannot take part in its own
-- check. Not executable by PUBLIC, so no role can attach it to a table of its own; and it
-- refuses to run for any table or event but its own, where the transition tables exist.
CREATE FUNCTION collatz_internal.sequence_steps_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched bigint[];
    bad record;
BEGIN
    IF TG_RELID <> '@extschema@.sequence_steps'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER'
       OR TG_OP NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
        RAISE EXCEPTION 'sequence_steps_check: fired % % FOR EACH % on %; it checks only collatz.sequence_steps',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    -- Only the transition tables of this event exist, so each branch reads its own.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT sequence_id) INTO touched FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT sequence_id) INTO touched
        FROM (SELECT sequence_id FROM new_rows UNION SELECT sequence_id FROM old_rows) u;
    END IF;

    IF TG_OP <> 'DELETE' THEN
        -- Each touched sequence's new rows, in step order, against its true terms: one walk
        -- per sequence in collatz_first_wrong_step, whatever plan the statistics of the moment
        -- suggest (with a join of rows against terms, one CI run on freshly created tables
        -- took 32 s instead of 0.4 s for the steps of 2,000 sequences).
        SELECT s.number, s.steps_to_one, w.step AS wrong_step
        INTO bad
        FROM (SELECT n.sequence_id,
                     array_agg(n.step_number ORDER BY n.step_number) AS steps,
                     array_agg(n.value ORDER BY n.step_number) AS terms,
                     array_agg(n.operation_type ORDER BY n.step_number) AS operations
              FROM new_rows n GROUP BY n.sequence_id) g
        JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
        CROSS JOIN LATERAL (SELECT collatz_internal.collatz_first_wrong_step(s.number, g.steps, g.terms, g.operations)
                            AS step) w
        WHERE w.step IS NOT NULL
        ORDER BY s.number;
        IF FOUND AND bad.wrong_step > bad.steps_to_one THEN
            RAISE EXCEPTION 'sequence_steps: step % of % does not exist: its sequence ends at step %',
                    bad.wrong_step, bad.number, bad.steps_to_one
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'A sequence has steps 0 to steps_to_one.';
        ELSIF FOUND THEN
            SELECT bad.number AS number, bad.wrong_step AS wrong_step, n.value, n.operation_type,
                   q.value AS true_value, q.operation_type AS true_operation
            INTO bad
            FROM new_rows n
            JOIN @extschema@.collatz_sequences s ON s.id = n.sequence_id AND s.number = bad.number
            CROSS JOIN @extschema@.collatz_sequence(bad.number) q
            WHERE n.step_number = bad.wrong_step AND q.step_number = bad.wrong_step;
            RAISE EXCEPTION 'sequence_steps: step % of % is % (%), not % (%)',
                    bad.wrong_step, bad.number, bad.true_value, bad.true_operation, bad.value, bad.operation_type
                USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                      HINT = 'Store the terms collatz_sequence(number) returns.';
        END IF;
    END IF;

    -- Grouped by sequence_id from the touched ids, the number joined only for the message:
    -- grouping by number led the planner through the whole number index (EXPLAIN ANALYZE:
    -- 43 s for 2,000 sequences among 300,000 stored; the whole check now takes 0.4 s there).
    SELECT s.number, g.steps, g.last_step
    INTO bad
    FROM (SELECT st.sequence_id, count(*) AS steps, max(st.step_number) AS last_step
          FROM unnest(touched) AS t(id)
          JOIN @extschema@.sequence_steps st ON st.sequence_id = t.id
          GROUP BY st.sequence_id
          HAVING count(*) <> max(st.step_number) + 1) g
    JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
    ORDER BY s.number;
    IF FOUND THEN
        RAISE EXCEPTION 'sequence_steps: the steps of % are not contiguous from 0: % stored, the last is step %',
                bad.number, bad.steps, bad.last_step
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'Store steps 0..k without gaps; delete from the end, or the whole sequence.';
    END IF;
    RETURN NULL;
END $$;

COMMENT ON FUNCTION collatz_internal.sequence_steps_check() IS
    'Trigger: sequence_steps rows hold the true terms and stay contiguous from step 0';

-- A trigger sees only the transition tables its event has, so each event gets its own
-- trigger; the function reads only those that exist for TG_OP.
CREATE TRIGGER sequence_steps_check_insert AFTER INSERT ON sequence_steps
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();
CREATE TRIGGER sequence_steps_check_update AFTER UPDATE ON sequence_steps
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();
CREATE TRIGGER sequence_steps_check_delete AFTER DELETE ON sequence_steps
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_check();

-- collatz_sequences: a sequence whose steps are stored keeps its number (the steps would
-- silently belong to another sequence).
CREATE FUNCTION collatz_internal.collatz_sequences_keep_number() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> '@extschema@.collatz_sequences'::regclass OR TG_LEVEL <> 'ROW' OR TG_WHEN <> 'BEFORE'
       OR TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'collatz_sequences_keep_number: fired % % FOR EACH % on %; it guards only collatz.collatz_sequences',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF NEW.number <> OLD.number
       AND EXISTS (SELECT 1 FROM @extschema@.sequence_steps WHERE sequence_id = OLD.id) THEN
        RAISE EXCEPTION 'collatz_sequences: % has stored steps, so its number cannot change to %',
                OLD.number, NEW.number
            USING ERRCODE = 'check_violation', TABLE = 'collatz_sequences',
                  HINT = 'Delete the row (its steps go with it) and insert the new number.';
    END IF;
    RETURN NEW;
END $$;

COMMENT ON FUNCTION collatz_internal.collatz_sequences_keep_number() IS
    'Trigger: a sequence with stored steps keeps its number';

CREATE TRIGGER collatz_sequences_keep_number BEFORE UPDATE OF number ON collatz_sequences
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.collatz_sequences_keep_number();

CREATE FUNCTION collatz_internal.check_conflict_strategy(on_conflict text, caller text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF on_conflict IS NULL OR on_conflict NOT IN ('skip', 'upsert', 'error') THEN
        RAISE EXCEPTION '%: unknown conflict strategy %', caller, coalesce(quote_literal(on_conflict), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use skip (keep stored rows), upsert (rewrite them) or error (refuse).';
    END IF;
END $$;
COMMENT ON FUNCTION collatz_internal.check_conflict_strategy(text, text) IS 'Refuses anything but skip, upsert and error';

-- Inserts rows of the numbers in [first_number, last_number] into collatz_sequences in
-- ascending number order: sessions loading overlapping ranges then wait for each other in one
-- direction only and cannot deadlock. The rows come from `source`: 'range' computes every
-- number of the range, 'numbers' those of `numbers` in it, and 'import' takes the valid rows
-- the import checked into its staging (computed there by collatz_import_check; the staging
-- belongs to the owner, see import_staged_lines), so that no row is walked twice. Nothing a
-- caller says about a number is stored. Shared by the batch insert, the repository and the
-- import.
CREATE FUNCTION collatz_internal.insert_sequences(source text, first_number bigint, last_number bigint,
                                                  numbers bigint[], on_conflict text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    inserted bigint;
    -- Built from constants only.
    plain CONSTANT text := 'INSERT INTO @extschema@.collatz_sequences (number, sequence_length, steps_to_one, max_value) '
        || CASE source
           -- collatz_range yields ascending numbers and a plain function scan keeps that order.
           WHEN 'range' THEN 'SELECT number, sequence_length, steps_to_one, max_value FROM @extschema@.collatz_range($1, $2)'
           WHEN 'numbers' THEN 'SELECT u.n, st.sequence_length, st.steps_to_one, st.max_value
                FROM (SELECT DISTINCT n FROM unnest($3) AS n WHERE n BETWEEN $1 AND $2) u
                CROSS JOIN LATERAL @extschema@.collatz_stats(u.n) st ORDER BY u.n'
           WHEN 'import' THEN 'SELECT number, sequence_length, steps_to_one, max_value FROM pg_temp.collatz_import_rows
                WHERE rejection IS NULL AND number BETWEEN $1 AND $2 ORDER BY number'
           END || ' ';
    clause CONSTANT text := CASE on_conflict
        WHEN 'skip' THEN 'ON CONFLICT (number) DO NOTHING'
        WHEN 'upsert' THEN 'ON CONFLICT (number) DO UPDATE SET sequence_length = EXCLUDED.sequence_length,
                            steps_to_one = EXCLUDED.steps_to_one, max_value = EXCLUDED.max_value, created_at = now()'
        ELSE '' END;
BEGIN
    -- A batch with nothing stored in its range goes in as a plain INSERT: ON CONFLICT's
    -- speculative insertion costs 21% (10^6 rows: 7.5 s against 6.2 s); a range goes in by
    -- COPY (collatz_internal.copy_sequences, src/bulk.rs: batched heap inserts, 0.87x the
    -- time). If a concurrent session stores some of these numbers meanwhile, the batch is
    -- redone with the clause. 'error' keeps the INSERT, whose unique_violation it reports.
    IF on_conflict <> 'error' AND NOT EXISTS (SELECT 1 FROM @extschema@.collatz_sequences
                                              WHERE number BETWEEN first_number AND last_number) THEN
        BEGIN
            IF source = 'range' THEN
                RETURN collatz_internal.copy_sequences(first_number, last_number);
            END IF;
            EXECUTE plain USING first_number, last_number, numbers;
        EXCEPTION WHEN unique_violation THEN
            EXECUTE plain || clause USING first_number, last_number, numbers;
        END;
    ELSE
        EXECUTE plain || clause USING first_number, last_number, numbers;
    END IF;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END $$;
COMMENT ON FUNCTION collatz_internal.insert_sequences(text, bigint, bigint, bigint[], text) IS
    'Inserts the rows of [first_number, last_number] (computed for the range or the given numbers, or the import''s checked rows) into collatz_sequences with a conflict strategy; returns rows written';

-- Stores the computed steps of the stored sequences in [first_number, last_number] (all, or
-- only `numbers`, each with its first step_counts[i] terms when counts are given) that have
-- none yet; with merge, also the missing ones of sequences that have some (a stored prefix
-- grows; stored terms are true, so merging changes no value).
CREATE FUNCTION collatz_internal.store_steps(first_number bigint, last_number bigint, numbers bigint[] DEFAULT NULL,
                                             step_counts integer[] DEFAULT NULL, merge boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored bigint;
BEGIN
    INSERT INTO @extschema@.sequence_steps (sequence_id, step_number, value, operation_type)
    SELECT s.id, q.step_number, q.value, q.operation_type
    FROM @extschema@.collatz_sequences s
    LEFT JOIN unnest(numbers, step_counts) AS w(n, k) ON w.n = s.number
    CROSS JOIN LATERAL @extschema@.collatz_sequence(s.number) q
    WHERE s.number BETWEEN first_number AND last_number
      AND (numbers IS NULL OR w.n IS NOT NULL)
      AND (w.k IS NULL OR q.step_number < w.k)
      AND (merge OR NOT EXISTS (SELECT 1 FROM @extschema@.sequence_steps st WHERE st.sequence_id = s.id))
    ORDER BY s.id, q.step_number
    ON CONFLICT (sequence_id, step_number) DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END $$;
COMMENT ON FUNCTION collatz_internal.store_steps(bigint, bigint, bigint[], integer[], boolean) IS
    'Stores the computed terms of stored sequences of a number range (optionally only some numbers, and only their first terms) that have none yet, or merges them in';

-- The repository writes through SECURITY DEFINER functions that compute every value from
-- the numbers given, so that each write records its metric; the write level may call them.
CREATE FUNCTION save_sequence(n bigint, with_steps boolean DEFAULT false)
RETURNS collatz_sequences
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored @extschema@.collatz_sequences;
BEGIN
    PERFORM collatz_internal.collatz_check_range(n, n, 1, 'save_sequence');
    PERFORM collatz_internal.insert_sequences('numbers', n, n, ARRAY[n], 'skip');
    IF with_steps THEN
        PERFORM collatz_internal.store_steps(n, n);
    END IF;
    SELECT * INTO stored FROM @extschema@.collatz_sequences WHERE number = n;
    RETURN stored;
END $$;
COMMENT ON FUNCTION save_sequence(bigint, boolean) IS
    'Stores n (and its steps if asked) unless stored already; returns the stored row';

CREATE FUNCTION get_sequence(n bigint, cache boolean DEFAULT false)
RETURNS TABLE (number bigint, sequence_length bigint, steps_to_one bigint, max_value numeric,
               created_at timestamptz, stored boolean)
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF cache AND NOT has_function_privilege('@extschema@.save_sequence(bigint, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'get_sequence: cache => true stores the sequence, which needs the write level'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Call get_sequence(n) without cache, or ask for collatz_grant(role, ''write'').';
    END IF;
    RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                 FROM @extschema@.collatz_sequences s WHERE s.number = n;
    IF NOT FOUND THEN
        IF cache THEN
            RETURN QUERY SELECT s.number, s.sequence_length, s.steps_to_one, s.max_value, s.created_at, true
                         FROM @extschema@.save_sequence(n) s;
        ELSE
            PERFORM collatz_internal.collatz_check_range(n, n, 1, 'get_sequence');
            RETURN QUERY SELECT n, @extschema@.collatz_length(n), @extschema@.collatz_steps(n),
                                @extschema@.collatz_peak(n), NULL::timestamptz, false;
        END IF;
    END IF;
END $$;
COMMENT ON FUNCTION get_sequence(bigint, boolean) IS
    'The stored row of n, or (stored = false) its computed values; with cache => true a missing n is stored first';

CREATE FUNCTION batch_save_sequences(numbers bigint[], with_steps boolean DEFAULT false,
                                     on_conflict text DEFAULT 'skip')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written bigint;
    bad bigint;
    lo bigint;
    hi bigint;
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM collatz_internal.check_conflict_strategy(on_conflict, 'batch_save_sequences');
    IF numbers IS NULL OR with_steps IS NULL THEN
        RAISE EXCEPTION 'batch_save_sequences: numbers and with_steps must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass an array of numbers (it may be empty) and true or false.';
    END IF;
    SELECT n INTO bad FROM unnest(numbers) AS n WHERE n IS NULL OR n < 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'batch_save_sequences: every number must be a positive integer, got %', coalesce(bad::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Nothing was written.';
    END IF;
    IF on_conflict = 'error' THEN
        SELECT count(*) INTO bad FROM @extschema@.collatz_sequences WHERE number IN (SELECT unnest(numbers));
        IF bad > 0 THEN
            RAISE EXCEPTION 'batch_save_sequences: % of the numbers are already stored', bad
                USING ERRCODE = 'unique_violation',
                      HINT = 'Nothing was written. Use on_conflict => ''skip'' to keep them or ''upsert'' to rewrite them.';
        END IF;
    END IF;
    SELECT min(n), max(n) INTO lo, hi FROM unnest(numbers) AS n;
    written := 0;
    IF lo IS NOT NULL THEN
        written := collatz_internal.insert_sequences('numbers', lo, hi, numbers, on_conflict);
        IF with_steps THEN
            PERFORM collatz_internal.store_steps(lo, hi, numbers);
        END IF;
    END IF;
    PERFORM collatz_internal.record_metric('batch_save', collatz_internal.elapsed_ms(started), written,
        jsonb_build_object('numbers', cardinality(numbers), 'with_steps', with_steps, 'on_conflict', on_conflict));
    RETURN written;
END $$;
COMMENT ON FUNCTION batch_save_sequences(bigint[], boolean, text) IS
    'Stores the given numbers (and their steps if asked) in one statement with a conflict strategy; returns rows written';

-- Keyset pagination: pass the last number of a page as after_number to get the next one.
CREATE FUNCTION find_sequences_in_range(start_number bigint, end_number bigint,
                                        page_size integer DEFAULT 100, after_number bigint DEFAULT NULL,
                                        min_length bigint DEFAULT NULL, max_length bigint DEFAULT NULL)
RETURNS SETOF collatz_sequences
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, NULL, 'find_sequences_in_range');
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'find_sequences_in_range: page_size must be between 1 and 100000, got %',
                coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Fetch large ranges page by page with after_number.';
    END IF;
    RETURN QUERY
        SELECT * FROM @extschema@.collatz_sequences s
        WHERE s.number BETWEEN start_number AND end_number
          AND (after_number IS NULL OR s.number > after_number)
          AND (min_length IS NULL OR s.sequence_length >= min_length)
          AND (max_length IS NULL OR s.sequence_length <= max_length)
        ORDER BY s.number
        LIMIT page_size;
END $$;
COMMENT ON FUNCTION find_sequences_in_range(bigint, bigint, integer, bigint, bigint, bigint) IS
    'Stored sequences of a number range in number order, a page at a time (keyset: after_number = last number seen), optionally by length';

CREATE VIEW v_sequence_length_distribution AS
SELECT s.sequence_length,
       count(*)                                            AS sequences,
       round(100.0 * count(*) / sum(count(*)) OVER (), 4)  AS percent,
       min(s.number)                                       AS smallest_number,
       max(s.max_value)                                    AS highest_peak
FROM collatz_sequences s
GROUP BY s.sequence_length;

COMMENT ON VIEW v_sequence_length_distribution IS 'How many stored sequences have each length: a histogram';
COMMENT ON COLUMN v_sequence_length_distribution.sequence_length IS 'Sequence length (terms)';
COMMENT ON COLUMN v_sequence_length_distribution.sequences IS 'Stored sequences of this length';
COMMENT ON COLUMN v_sequence_length_distribution.percent IS 'Share of all stored sequences, in percent';
COMMENT ON COLUMN v_sequence_length_distribution.smallest_number IS 'Smallest number with this length';
COMMENT ON COLUMN v_sequence_length_distribution.highest_peak IS 'Highest peak among sequences of this length';

CREATE VIEW v_top_sequences AS
(SELECT 'longest'::text AS ranking,
        row_number() OVER (ORDER BY s.sequence_length DESC, s.number) AS rank,
        s.number, s.sequence_length, s.steps_to_one, s.max_value
 FROM collatz_sequences s ORDER BY s.sequence_length DESC, s.number LIMIT 100)
UNION ALL
(SELECT 'highest peak'::text,
        row_number() OVER (ORDER BY s.max_value DESC, s.number),
        s.number, s.sequence_length, s.steps_to_one, s.max_value
 FROM collatz_sequences s ORDER BY s.max_value DESC, s.number LIMIT 100);

COMMENT ON VIEW v_top_sequences IS 'The 100 longest stored sequences and the 100 highest peaks (ties to the smaller number)';
COMMENT ON COLUMN v_top_sequences.ranking IS 'longest or highest peak';
COMMENT ON COLUMN v_top_sequences.rank IS 'Place in that ranking, from 1';
COMMENT ON COLUMN v_top_sequences.number IS 'The starting number';
COMMENT ON COLUMN v_top_sequences.sequence_length IS 'Its sequence length (terms)';
COMMENT ON COLUMN v_top_sequences.steps_to_one IS 'Its steps to 1';
COMMENT ON COLUMN v_top_sequences.max_value IS 'Its peak';
