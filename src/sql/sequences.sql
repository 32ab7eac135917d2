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

-- The highest peaks first (ORDER BY max_value DESC, number: v_top_sequences, the summary's
-- highest peak), ties put in number order by an incremental sort of the few rows that share
-- a peak. On max_value alone, because many numbers share their peak (at 10^6 rows, 3.3 per
-- distinct peak) and B-tree deduplication then stores each peak once: 29 bytes per row
-- instead of 41 with number in the key.
CREATE INDEX collatz_sequences_max_value_idx ON collatz_sequences (max_value DESC);

-- The summary's first and last stored rows (min and max of created_at); retention by age.
CREATE INDEX collatz_sequences_created_at_idx ON collatz_sequences (created_at);

-- pg_dump carries an extension table's rows, and its identity's position, only when told to.
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences', '');
SELECT pg_catalog.pg_extension_config_dump('collatz_sequences_id_seq', '');

-- Stored steps, one row per sequence: its terms from step 0 as one numeric[] (exact for
-- every bigint n, whose terms pass 2^63). Measured near 10^6 (139 terms a sequence): 9.3
-- bytes a term all told, against 84 for 0.5.0's row per term; bigint[] would save 5% but
-- needs a second form for the terms past 2^63, and TOAST's compression (pglz or lz4) saves
-- under 4% on these arrays (8.85 -> 8.51 bytes), so the default storage is kept. The
-- array holds steps 0..k, so steps are contiguous by construction; a GIN index on terms
-- answers "which sequences pass through v" (terms @> ARRAY[v]).
CREATE TABLE sequence_terms (
    sequence_id bigint    PRIMARY KEY REFERENCES collatz_sequences (id) ON DELETE CASCADE,
    terms       numeric[] NOT NULL,
    CONSTRAINT sequence_terms_not_empty CHECK (cardinality(terms) >= 1)
);
-- Every array written holds the true first terms of its sequence: the statement triggers
-- below compare it with the computed terms, whoever writes (the loader, the sequence_steps
-- view, or a role with INSERT on this table).

COMMENT ON TABLE sequence_terms IS
    'The stored steps: one row per sequence, its terms from step 0 (steps 0..k, the true values); sequence_steps shows them one row per step';
COMMENT ON COLUMN sequence_terms.sequence_id IS 'The sequence (collatz_sequences.id); its terms go when it goes';
COMMENT ON COLUMN sequence_terms.terms IS 'Terms from step 0 (the number itself), exact; terms[i] is step i - 1';

SELECT pg_catalog.pg_extension_config_dump('sequence_terms', '');

-- sequence_terms: each array written is the true prefix of its sequence (at most its whole
-- sequence). One computed array per row, compared whole: 20,000 rows of 139 terms in 0.8 to
-- 0.9 s, nearly all of it computing the arrays (collatz_terms). Runs as the writer with a pinned path, refuses to run anywhere but its own table
-- (where the transition table exists), and is not executable by PUBLIC.
CREATE FUNCTION collatz_internal.sequence_terms_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
    wrong record;
BEGIN
    IF TG_RELID <> '@extschema@.sequence_terms'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER'
       OR TG_OP NOT IN ('INSERT', 'UPDATE') THEN
        RAISE EXCEPTION 'sequence_terms_check: fired % % FOR EACH % on %; it checks only collatz.sequence_terms',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    -- The join first, on its own: with the comparison in the same query, the planner walked
    -- the number index for the ORDER BY and scanned new_rows once per sequence (275 s for
    -- 20,000 rows; 1.2 s this way).
    WITH written AS MATERIALIZED (
        SELECT s.number, s.steps_to_one, n.terms
        FROM new_rows n JOIN @extschema@.collatz_sequences s ON s.id = n.sequence_id
    )
    SELECT w.number, w.steps_to_one, w.terms, t.terms AS true_terms
    INTO bad
    FROM written w
    CROSS JOIN LATERAL (SELECT collatz_internal.collatz_terms(w.number, cardinality(w.terms)) AS terms) t
    WHERE w.terms IS DISTINCT FROM t.terms
    ORDER BY w.number
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF cardinality(bad.terms) > bad.steps_to_one + 1 THEN
        RAISE EXCEPTION 'sequence_terms: step % of % does not exist: its sequence ends at step %',
                bad.steps_to_one + 1, bad.number, bad.steps_to_one
            USING ERRCODE = 'check_violation', TABLE = 'sequence_terms',
                  HINT = 'A sequence has steps 0 to steps_to_one: store at most steps_to_one + 1 terms.';
    END IF;
    SELECT u.i - 1 AS step, u.given, u.truth INTO wrong
    FROM unnest(bad.terms, bad.true_terms) WITH ORDINALITY AS u(given, truth, i)
    WHERE u.given IS DISTINCT FROM u.truth
    ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'sequence_terms: step % of % is %, not %', wrong.step, bad.number, wrong.truth,
                coalesce(wrong.given::text, 'NULL')
            USING ERRCODE = 'check_violation', TABLE = 'sequence_terms',
                  HINT = 'Store the terms collatz_sequence(number) returns, from step 0.';
    END IF;
    -- The same elements, another shape (a lower bound other than 1, or more dimensions).
    RAISE EXCEPTION 'sequence_terms: the terms of % must be a one-dimensional array indexed from 1, got %',
            bad.number, pg_catalog.array_dims(bad.terms)
        USING ERRCODE = 'check_violation', TABLE = 'sequence_terms',
              HINT = 'Write ARRAY[...] or ''{...}'', which start at index 1.';
END $$;

COMMENT ON FUNCTION collatz_internal.sequence_terms_check() IS
    'Trigger: every sequence_terms array holds the true terms of its sequence from step 0';

CREATE TRIGGER sequence_terms_check_insert AFTER INSERT ON sequence_terms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();
CREATE TRIGGER sequence_terms_check_update AFTER UPDATE ON sequence_terms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();

-- sequence_steps: the steps one row per step, as 0.5.0 stored them and as the seed design
-- and export read them. Reading unnests each array: every column of 2.8 M steps in 0.71 s,
-- against 0.82 s computing them with collatz_sequence in the same session; a filter on
-- sequence_id goes to the primary key of sequence_terms. The rule of a step is that of the term before it (odd: 3n+1, even: n/2).
CREATE VIEW sequence_steps AS
SELECT t.sequence_id,
       (u.i - 1)::integer AS step_number,
       u.value,
       CASE WHEN u.i = 1 THEN 'start' WHEN u.previous % 2 = 1 THEN 'odd' ELSE 'even' END AS operation_type
FROM sequence_terms t
CROSS JOIN LATERAL unnest(t.terms, pg_catalog.array_prepend(NULL::numeric, t.terms)) WITH ORDINALITY AS u(value, previous, i)
WHERE u.value IS NOT NULL;

COMMENT ON VIEW sequence_steps IS
    'The terms of stored sequences, one row per step (from sequence_terms); each sequence holds steps 0..k with the true values. INSERT, UPDATE and DELETE of true rows work, wrong ones are refused';
COMMENT ON COLUMN sequence_steps.sequence_id IS 'The sequence (collatz_sequences.id); its steps go when it goes';
COMMENT ON COLUMN sequence_steps.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';

-- Writes through sequence_steps keep 0.5.0's rules, messages and SQLSTATEs: each row is
-- checked as the old table's constraints did, and each statement as its triggers did (the
-- true terms, contiguous from 0), then the touched sequences' arrays are rewritten. A view
-- has row triggers only for INSTEAD OF, so the rows of a statement are gathered in a temp
-- table of the writer's (pg_temp.collatz_steps_written) and applied after the statement.
-- All three run as the writer: what they write goes through sequence_terms' own check, so
-- a writer who tampers with the temp table can store nothing but true terms.
CREATE FUNCTION collatz_internal.sequence_steps_begin() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> '@extschema@.sequence_steps'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'BEFORE' THEN
        RAISE EXCEPTION 'sequence_steps_begin: fired % % FOR EACH % on %; it serves only collatz.sequence_steps',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF pg_catalog.to_regclass('pg_temp.collatz_steps_written') IS NULL THEN
        CREATE TEMP TABLE collatz_steps_written (
            old            boolean NOT NULL,
            sequence_id    bigint  NOT NULL,
            step_number    integer NOT NULL,
            value          numeric NOT NULL,
            operation_type text    NOT NULL
        ) ON COMMIT DELETE ROWS;
    END IF;
    IF pg_catalog.to_regclass('pg_temp.collatz_steps_result') IS NULL THEN
        CREATE TEMP TABLE collatz_steps_result (sequence_id bigint, step_number integer, value numeric)
            ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM pg_temp.collatz_steps_written;
    DELETE FROM pg_temp.collatz_steps_result;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION collatz_internal.sequence_steps_begin() IS
    'Trigger: before a write to sequence_steps, empty temp tables (pg_temp.collatz_steps_written, collatz_steps_result) for its rows';

CREATE FUNCTION collatz_internal.sequence_steps_stage() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    failed text;
BEGIN
    IF TG_RELID <> '@extschema@.sequence_steps'::regclass OR TG_LEVEL <> 'ROW' OR TG_WHEN <> 'INSTEAD OF' THEN
        RAISE EXCEPTION 'sequence_steps_stage: fired % % FOR EACH % on %; it serves only collatz.sequence_steps',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- 0.5.0's column and row constraints, in the order PostgreSQL checked them.
        failed := CASE WHEN NEW.sequence_id IS NULL THEN 'sequence_id' WHEN NEW.step_number IS NULL THEN 'step_number'
                       WHEN NEW.value IS NULL THEN 'value' WHEN NEW.operation_type IS NULL THEN 'operation_type' END;
        IF failed IS NOT NULL THEN
            RAISE EXCEPTION 'null value in column "%" of relation "sequence_steps" violates not-null constraint', failed
                USING ERRCODE = 'not_null_violation', COLUMN = failed, TABLE = 'sequence_steps',
                      DETAIL = format('Failing row contains (%s).', concat_ws(', ', coalesce(NEW.sequence_id::text, 'null'),
                          coalesce(NEW.step_number::text, 'null'), coalesce(NEW.value::text, 'null'),
                          coalesce(NEW.operation_type, 'null')));
        END IF;
        failed := CASE WHEN NOT NEW.operation_type IN ('start', 'odd', 'even') THEN 'sequence_steps_operation_type_known'
                       WHEN NOT (NEW.step_number = 0) = (NEW.operation_type = 'start') THEN 'sequence_steps_start_is_step_zero'
                       WHEN NEW.step_number < 0 THEN 'sequence_steps_step_number_nonnegative'
                       WHEN NEW.value < 1 THEN 'sequence_steps_value_positive' END;
        IF failed IS NOT NULL THEN
            RAISE EXCEPTION 'new row for relation "sequence_steps" violates check constraint "%"', failed
                USING ERRCODE = 'check_violation', CONSTRAINT = failed, TABLE = 'sequence_steps',
                      DETAIL = format('Failing row contains (%s, %s, %s, %s).',
                                      NEW.sequence_id, NEW.step_number, NEW.value, NEW.operation_type);
        END IF;
        INSERT INTO pg_temp.collatz_steps_written VALUES (false, NEW.sequence_id, NEW.step_number, NEW.value, NEW.operation_type);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO pg_temp.collatz_steps_written VALUES (true, OLD.sequence_id, OLD.step_number, OLD.value, OLD.operation_type);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION collatz_internal.sequence_steps_stage() IS
    'Trigger: each row written to sequence_steps, checked as 0.5.0''s constraints did and kept for the statement''s end';

CREATE FUNCTION collatz_internal.sequence_steps_apply() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    IF TG_RELID <> '@extschema@.sequence_steps'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'sequence_steps_apply: fired % % FOR EACH % on %; it serves only collatz.sequence_steps',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    -- The new rows' sequences exist (0.5.0's foreign key).
    SELECT w.sequence_id INTO bad FROM pg_temp.collatz_steps_written w
    WHERE NOT w.old AND NOT EXISTS (SELECT 1 FROM @extschema@.collatz_sequences s WHERE s.id = w.sequence_id)
    ORDER BY w.sequence_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "sequence_steps" violates foreign key constraint "sequence_steps_sequence_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'sequence_steps_sequence_id_fkey', TABLE = 'sequence_steps',
                  DETAIL = format('Key (sequence_id)=(%s) is not present in table "collatz_sequences".', bad.sequence_id);
    END IF;

    -- Each touched sequence's steps as the statement leaves them: the stored ones it did not
    -- remove, and the new ones.
    INSERT INTO pg_temp.collatz_steps_result
    SELECT st.sequence_id, st.step_number, st.value
    FROM @extschema@.sequence_steps st
    WHERE st.sequence_id IN (SELECT w.sequence_id FROM pg_temp.collatz_steps_written w)
      AND NOT EXISTS (SELECT 1 FROM pg_temp.collatz_steps_written w
                      WHERE w.old AND w.sequence_id = st.sequence_id AND w.step_number = st.step_number)
    UNION ALL
    SELECT w.sequence_id, w.step_number, w.value FROM pg_temp.collatz_steps_written w WHERE NOT w.old;

    -- One row per step (0.5.0's primary key).
    SELECT r.sequence_id, r.step_number INTO bad FROM pg_temp.collatz_steps_result r
    GROUP BY r.sequence_id, r.step_number HAVING count(*) > 1
    ORDER BY r.sequence_id, r.step_number LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "sequence_steps_pkey"'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'sequence_steps_pkey', TABLE = 'sequence_steps',
                  DETAIL = format('Key (sequence_id, step_number)=(%s, %s) already exists.', bad.sequence_id, bad.step_number);
    END IF;

    -- The new rows hold the true terms: one walk per sequence (as in 0.5.0's check).
    SELECT s.number, s.steps_to_one, w.step AS wrong_step
    INTO bad
    FROM (SELECT n.sequence_id,
                 array_agg(n.step_number ORDER BY n.step_number) AS steps,
                 array_agg(n.value ORDER BY n.step_number) AS terms,
                 array_agg(n.operation_type ORDER BY n.step_number) AS operations
          FROM pg_temp.collatz_steps_written n WHERE NOT n.old GROUP BY n.sequence_id) g
    JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
    CROSS JOIN LATERAL (SELECT collatz_internal.collatz_first_wrong_step(s.number, g.steps, g.terms, g.operations)
                        AS step) w
    WHERE w.step IS NOT NULL
    ORDER BY s.number
    LIMIT 1;
    IF FOUND AND bad.wrong_step > bad.steps_to_one THEN
        RAISE EXCEPTION 'sequence_steps: step % of % does not exist: its sequence ends at step %',
                bad.wrong_step, bad.number, bad.steps_to_one
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'A sequence has steps 0 to steps_to_one.';
    ELSIF FOUND THEN
        SELECT bad.number AS number, bad.wrong_step AS wrong_step, n.value, n.operation_type,
               q.value AS true_value, q.operation_type AS true_operation
        INTO bad
        FROM pg_temp.collatz_steps_written n
        JOIN @extschema@.collatz_sequences s ON s.id = n.sequence_id AND s.number = bad.number
        CROSS JOIN @extschema@.collatz_sequence(bad.number) q
        WHERE NOT n.old AND n.step_number = bad.wrong_step AND q.step_number = bad.wrong_step
        LIMIT 1;
        RAISE EXCEPTION 'sequence_steps: step % of % is % (%), not % (%)',
                bad.wrong_step, bad.number, bad.true_value, bad.true_operation, bad.value, bad.operation_type
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'Store the terms collatz_sequence(number) returns.';
    END IF;

    -- Contiguous from 0.
    SELECT s.number, g.steps, g.last_step
    INTO bad
    FROM (SELECT r.sequence_id, count(*) AS steps, max(r.step_number) AS last_step
          FROM pg_temp.collatz_steps_result r
          GROUP BY r.sequence_id
          HAVING count(*) <> max(r.step_number) + 1) g
    JOIN @extschema@.collatz_sequences s ON s.id = g.sequence_id
    ORDER BY s.number
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'sequence_steps: the steps of % are not contiguous from 0: % stored, the last is step %',
                bad.number, bad.steps, bad.last_step
            USING ERRCODE = 'check_violation', TABLE = 'sequence_steps',
                  HINT = 'Store steps 0..k without gaps; delete from the end, or the whole sequence.';
    END IF;

    -- Every row is true and every sequence contiguous: rewrite the touched sequences.
    -- Only a DELETE can leave a sequence with no steps, and only a role with DELETE (the
    -- admin) may run one: the writer's UPDATE must not need it.
    IF TG_OP = 'DELETE' THEN
        DELETE FROM @extschema@.sequence_terms t
        WHERE t.sequence_id IN (SELECT w.sequence_id FROM pg_temp.collatz_steps_written w)
          AND NOT EXISTS (SELECT 1 FROM pg_temp.collatz_steps_result r WHERE r.sequence_id = t.sequence_id);
    END IF;
    INSERT INTO @extschema@.sequence_terms AS t (sequence_id, terms)
    SELECT r.sequence_id, array_agg(r.value ORDER BY r.step_number)
    FROM pg_temp.collatz_steps_result r
    GROUP BY r.sequence_id
    ORDER BY r.sequence_id
    ON CONFLICT (sequence_id) DO UPDATE SET terms = EXCLUDED.terms WHERE t.terms IS DISTINCT FROM EXCLUDED.terms;
    DELETE FROM pg_temp.collatz_steps_written;
    DELETE FROM pg_temp.collatz_steps_result;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION collatz_internal.sequence_steps_apply() IS
    'Trigger: after a write to sequence_steps, its rows checked as 0.5.0''s triggers did (true terms, contiguous from 0) and written to sequence_terms';

CREATE TRIGGER sequence_steps_begin BEFORE INSERT OR UPDATE OR DELETE ON sequence_steps
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_begin();
CREATE TRIGGER sequence_steps_stage INSTEAD OF INSERT OR UPDATE OR DELETE ON sequence_steps
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.sequence_steps_stage();
CREATE TRIGGER sequence_steps_apply AFTER INSERT OR UPDATE OR DELETE ON sequence_steps
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_apply();

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
       AND EXISTS (SELECT 1 FROM @extschema@.sequence_terms WHERE sequence_id = OLD.id) THEN
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
    -- the loader (collatz_internal.copy_sequences, src/bulk.rs: COPY FROM's steps fed with
    -- computed values, the peak index filled in key order: 0.65x the time of the INSERT,
    -- benches/sql/insert_paths.sql). If a concurrent session stores some of these numbers
    -- meanwhile, the batch is redone with the clause. 'error' keeps the INSERT, whose unique_violation it reports.
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
-- none yet; with merge, also grows the stored prefixes that are shorter (stored terms are
-- true, so merging changes no value). One array per sequence straight from the engine;
-- sequence_terms' check computes it again to compare (the loader cannot vouch for itself:
-- any writer may INSERT there). Returns the terms added.
CREATE FUNCTION collatz_internal.store_steps(first_number bigint, last_number bigint, numbers bigint[] DEFAULT NULL,
                                             step_counts integer[] DEFAULT NULL, merge boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stored bigint;
BEGIN
    WITH wanted AS MATERIALIZED (
        SELECT s.id, s.number, k.k, coalesce(cardinality(t.terms), 0) AS had
        FROM @extschema@.collatz_sequences s
        -- A number given twice is stored once, with the most terms asked for.
        LEFT JOIN (SELECT u.n, max(u.k) AS k FROM unnest(numbers, step_counts) AS u(n, k) GROUP BY u.n) w
            ON w.n = s.number
        CROSS JOIN LATERAL (SELECT least(coalesce(w.k, s.sequence_length), s.sequence_length)::integer AS k) k
        LEFT JOIN @extschema@.sequence_terms t ON t.sequence_id = s.id
        WHERE s.number BETWEEN first_number AND last_number
          AND (numbers IS NULL OR w.n IS NOT NULL)
          AND k.k >= 1
          AND (t.sequence_id IS NULL OR (merge AND cardinality(t.terms) < k.k))
    ), written AS (
        INSERT INTO @extschema@.sequence_terms AS t (sequence_id, terms)
        SELECT id, collatz_internal.collatz_terms(number, k) FROM wanted ORDER BY id
        ON CONFLICT (sequence_id) DO UPDATE SET terms = EXCLUDED.terms
            WHERE merge AND cardinality(t.terms) < cardinality(EXCLUDED.terms)
        RETURNING t.sequence_id
    )
    SELECT coalesce(sum(w.k - w.had), 0) INTO stored FROM wanted w WHERE w.id IN (SELECT sequence_id FROM written);
    RETURN stored;
END $$;
COMMENT ON FUNCTION collatz_internal.store_steps(bigint, bigint, bigint[], integer[], boolean) IS
    'Stores the computed terms of stored sequences of a number range (optionally only some numbers, and only their first terms) that have none yet, or merges them in; returns the terms added';

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
