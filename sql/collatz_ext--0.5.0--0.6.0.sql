-- collatz_ext 0.5.0 -> 0.6.0: performance and storage at scale (issues 11 and 15).
-- Made by src/tools/releases/0.6.0.sh: the structural changes written by hand
-- (src/tools/releases/0.6.0-prelude.sql), then every new or changed function as
-- src/tools/upgrade-script.py takes it from cargo pgrx schema and the src/sql sources of 0.6.0,
-- then src/sql/finalize.sql (comments, access levels, and the re-grant of every role's
-- level). tests/upgrade checks the result against a fresh install, object for object.
-- Frozen once released: later changes go into the next release's script.
\echo Use "ALTER EXTENSION collatz_ext UPDATE TO '0.6.0'" to load this file. \quit

-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped

-- The histogram behind v_sequence_length_distribution, kept the same way (the GROUP BY over
-- 10^7 rows that it replaces takes 0.81 s): each statement appends one delta per sequence
-- length it touched, with candidates: the smallest number it counted, and its highest peak
-- with that peak's smallest holder. Every stored row is counted by a delta whose candidates
-- are at least as small and as high as the row's own, so a length's best candidates are its
-- true smallest number and highest peak whenever both numbers are still stored, which the
-- view checks with one index probe per length. A delete folds the lengths whose candidates
-- it took (refold_length_totals), so a length reads its rows only after a race with a
-- concurrent delete.
CREATE TABLE @extschema@.collatz_length_totals (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sequence_length bigint  NOT NULL,
    sequences       bigint  NOT NULL,
    smallest_number bigint,
    highest_peak    numeric,
    peak_number     bigint
);

COMMENT ON TABLE @extschema@.collatz_length_totals IS
    'Running histogram behind v_sequence_length_distribution: deltas per statement and length, summed on read and compacted now and then';
COMMENT ON COLUMN @extschema@.collatz_length_totals.id IS 'Order of the deltas';
COMMENT ON COLUMN @extschema@.collatz_length_totals.sequence_length IS 'The sequence length (terms) the delta counts';
COMMENT ON COLUMN @extschema@.collatz_length_totals.sequences IS 'Change in the number of collatz_sequences rows of this length';
COMMENT ON COLUMN @extschema@.collatz_length_totals.smallest_number IS 'Smallest number the delta counts (NULL for removals)';
COMMENT ON COLUMN @extschema@.collatz_length_totals.highest_peak IS 'Highest peak the delta counts (NULL for removals)';
COMMENT ON COLUMN @extschema@.collatz_length_totals.peak_number IS 'Smallest number with that peak';

-- It starts from the rows already stored.
INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences, smallest_number, highest_peak, peak_number)
SELECT n.sequence_length, n.sequences, n.smallest_number, n.best[1], -n.best[2]
FROM (SELECT sequence_length, count(*) AS sequences, min(number) AS smallest_number, max(ARRAY[max_value, -number]) AS best
      FROM @extschema@.collatz_sequences GROUP BY sequence_length) n;

-- collatz_sequences_max_value_idx on max_value alone (deduplicated; ties in number order by
-- an incremental sort): 29 bytes per row instead of 41 at 10^6 rows.
DROP INDEX @extschema@.collatz_sequences_max_value_idx;
CREATE INDEX collatz_sequences_max_value_idx ON @extschema@.collatz_sequences (max_value DESC);

-- The JSON exports give every term, stored or not (their SQL signatures are unchanged).
COMMENT ON FUNCTION @extschema@.export_sequences_json(bigint, bigint, integer, text, boolean) IS
    'A page of stored sequences of a number range as jsonb {items, count, next_cursor}: pass next_cursor back for the next page (null on the last); with_steps adds each sequence''s terms, stored or not';
COMMENT ON FUNCTION @extschema@.export_sequence_json(bigint) IS
    'One stored sequence with all its terms (stored or not) as jsonb, or NULL when the number is not stored';
-- ==== Rust functions new in this release (as cargo pgrx schema writes them)
CREATE FUNCTION collatz_internal."collatz_terms"(
	"n" bigint, /* i64 */
	"k" INT /* i32 */
) RETURNS NUMERIC[] /* Result < Vec < AnyNumeric > , ErrorReport > */
IMMUTABLE STRICT PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'collatz_terms_wrapper';

CREATE FUNCTION collatz_internal."copy_sequences"(
	"first_number" bigint, /* Option < i64 > */
	"last_number" bigint /* Option < i64 > */
) RETURNS bigint /* Result < i64, ErrorReport > */
VOLATILE 
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'copy_sequences_wrapper';

CREATE FUNCTION collatz_internal."copied_length_deltas"(
	"depth" INT /* i32 */
) RETURNS TABLE (
	"sequence_length" bigint,  /* i64 */
	"sequences" bigint,  /* i64 */
	"smallest_number" bigint,  /* i64 */
	"highest_peak" NUMERIC,  /* AnyNumeric */
	"peak_number" bigint  /* i64 */
)
STRICT VOLATILE 
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'copied_length_deltas_wrapper';

-- ==== src/sql/access.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION collatz_grant(role_name text, access_level text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee CONSTANT text := collatz_internal.grantee(role_name, 'collatz_grant');
    f record;
    rank CONSTANT jsonb := '{"read": 1, "write": 2, "admin": 3}';
BEGIN
    IF access_level IS NULL OR NOT rank ? access_level THEN
        RAISE EXCEPTION 'collatz_grant: unknown access level %', coalesce(quote_literal(access_level), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use read, write or admin.';
    END IF;
    -- The level replaces whatever the role had: granting read to an admin takes its DELETE.
    PERFORM @extschema@.collatz_revoke(role_name);
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@, collatz_internal TO %s', grantee);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %s', grantee);
    FOR f IN
        SELECT l.signature, p.prokind FROM collatz_internal.function_levels() l
        JOIN pg_catalog.pg_proc p ON p.oid = l.signature
        WHERE l.level IN ('read', 'write', 'admin') AND (rank ->> l.level)::int <= (rank ->> access_level)::int
    LOOP
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s',
                       CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.signature, grantee);
    END LOOP;
    IF access_level IN ('write', 'admin') THEN
        EXECUTE format('GRANT INSERT (number, sequence_length, steps_to_one, max_value),
                              UPDATE (number, sequence_length, steps_to_one, max_value)
                        ON @extschema@.collatz_sequences TO %s', grantee);
        -- Column grants, like the other tables: a table-wide INSERT or UPDATE would also let
        -- the role LOCK the table in any mode and stall every loader.
        EXECUTE format('GRANT INSERT (sequence_id, step_number, value, operation_type),
                              UPDATE (sequence_id, step_number, value, operation_type)
                        ON @extschema@.sequence_steps TO %s', grantee);
        -- The view writes sequence_terms as the writer; what gets there is checked there.
        EXECUTE format('GRANT INSERT (sequence_id, terms), UPDATE (sequence_id, terms)
                        ON @extschema@.sequence_terms TO %s', grantee);
        EXECUTE format('GRANT INSERT (name, description, parameters, results),
                              UPDATE (name, description, parameters, results)
                        ON @extschema@.experiments TO %s', grantee);
    END IF;
    IF access_level = 'admin' THEN
        EXECUTE format('GRANT DELETE, TRUNCATE ON @extschema@.collatz_sequences, @extschema@.sequence_steps, @extschema@.sequence_terms,
                              @extschema@.experiments, @extschema@.analysis_results, @extschema@.performance_metrics,
                              @extschema@.pipeline_runs TO %s', grantee);
    END IF;
    RETURN format('%s can now %s collatz_ext data', grantee, access_level);
END $$;

COMMENT ON FUNCTION collatz_grant(text, text) IS
    'Gives a role exactly the read, write (read + storing sequences, loads, imports, analyses) or admin (write + DELETE/TRUNCATE, cleanup) level of collatz_ext, replacing what it had. Re-run after ALTER EXTENSION UPDATE to cover new objects.';

-- ==== src/sql/sequences.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION collatz_internal.sequence_terms_check() RETURNS trigger
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

CREATE OR REPLACE FUNCTION collatz_internal.sequence_steps_begin() RETURNS trigger
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

CREATE OR REPLACE FUNCTION collatz_internal.sequence_steps_stage() RETURNS trigger
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

CREATE OR REPLACE FUNCTION collatz_internal.sequence_steps_apply() RETURNS trigger
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

CREATE OR REPLACE FUNCTION collatz_internal.collatz_sequences_keep_number() RETURNS trigger
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

CREATE OR REPLACE FUNCTION collatz_internal.store_steps(first_number bigint, last_number bigint, numbers bigint[] DEFAULT NULL,
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

CREATE OR REPLACE FUNCTION collatz_internal.insert_sequences(source text, first_number bigint, last_number bigint,
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

-- ==== src/sql/totals.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION collatz_internal.compact_totals() RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (
        DELETE FROM @extschema@.collatz_totals
        WHERE id IN (SELECT id FROM @extschema@.collatz_totals FOR UPDATE SKIP LOCKED)
        RETURNING *
    )
    INSERT INTO @extschema@.collatz_totals (sequences, length_sum, steps, sequences_with_steps)
    SELECT sum(sequences), sum(length_sum), sum(steps), sum(sequences_with_steps) FROM gone
    HAVING count(*) > 0;
    WITH gone AS (
        DELETE FROM @extschema@.collatz_length_totals
        WHERE id IN (SELECT id FROM @extschema@.collatz_length_totals FOR UPDATE SKIP LOCKED)
        RETURNING *
    )
    INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences, smallest_number, highest_peak, peak_number)
    SELECT f.sequence_length, f.sequences, f.smallest_number, f.best[1], -f.best[2]
    FROM (SELECT sequence_length, sum(sequences) AS sequences, min(smallest_number) AS smallest_number,
                 -- The highest (peak, -number): a peak and its smallest holder in one pass.
                 max(ARRAY[highest_peak, -peak_number]) FILTER (WHERE highest_peak IS NOT NULL) AS best
          FROM gone GROUP BY sequence_length) f
    WHERE f.sequences <> 0;
$$;
COMMENT ON FUNCTION collatz_internal.compact_totals() IS
    'Folds the deltas of collatz_totals into one row and those of collatz_length_totals into one per length, skipping rows other sessions hold';

CREATE OR REPLACE FUNCTION collatz_internal.refold_length_totals(lengths bigint[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (
        DELETE FROM @extschema@.collatz_length_totals
        WHERE id IN (SELECT id FROM @extschema@.collatz_length_totals
                     WHERE sequence_length = ANY (lengths) FOR UPDATE SKIP LOCKED)
        RETURNING *
    ), folded AS (
        SELECT sequence_length, sum(sequences) AS sequences FROM gone GROUP BY sequence_length
    )
    INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences, smallest_number, highest_peak, peak_number)
    SELECT f.sequence_length, f.sequences,
           (SELECT min(s.number) FROM @extschema@.collatz_sequences s WHERE s.sequence_length = f.sequence_length),
           h.max_value, h.number
    FROM folded f
    LEFT JOIN LATERAL (SELECT s.max_value, s.number FROM @extschema@.collatz_sequences s
                       WHERE s.sequence_length = f.sequence_length
                       ORDER BY s.max_value DESC, s.number LIMIT 1) h ON true
    WHERE f.sequences <> 0;
$$;
COMMENT ON FUNCTION collatz_internal.refold_length_totals(bigint[]) IS
    'Folds the histogram deltas of some lengths into one row each, with their candidates read anew from the rows; called by the totals trigger after deletes';

CREATE OR REPLACE FUNCTION collatz_internal.collatz_sequences_totals() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    added bigint;
    length_added numeric;
BEGIN
    -- Runs as the owner: it must run only as the trigger it was made for, where the
    -- transition tables are the table's own rows (attached anywhere else, new_rows could be
    -- a temp view of the caller's). Not executable by PUBLIC, so no role can attach it.
    IF TG_RELID <> '@extschema@.collatz_sequences'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'collatz_sequences_totals: fired % % FOR EACH % on %; it counts only collatz.collatz_sequences',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- One pass over the rows, no sort, per length; the totals are the lengths' sums. The
        -- rows that collatz_internal.copy_sequences wrote come counted by it, as it computed
        -- them (src/bulk.rs), and new_rows is not read at all: the two passes this trigger
        -- made over them were 5.6% of loading 10^6 rows (perf), its work is now 0.3%.
        WITH copied AS (
            SELECT * FROM collatz_internal.copied_length_deltas(pg_trigger_depth())
        ), n AS (
            SELECT * FROM copied
            UNION ALL
            SELECT sequence_length, count(*), min(number), (max(ARRAY[max_value, -number]))[1],
                   -(max(ARRAY[max_value, -number]))[2]
            FROM new_rows WHERE NOT EXISTS (SELECT FROM copied) GROUP BY sequence_length
        ), histogram AS (
            INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences, smallest_number, highest_peak, peak_number)
            SELECT * FROM n
        )
        SELECT coalesce(sum(n.sequences), 0)::bigint, coalesce(sum(n.sequence_length * n.sequences), 0)
        INTO added, length_added FROM n;
        PERFORM collatz_internal.add_totals(added, length_added, 0, 0);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM collatz_internal.add_totals(-count(*), -coalesce(sum(sequence_length), 0), 0, 0) FROM old_rows;
        INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences)
        SELECT sequence_length, -count(*) FROM old_rows GROUP BY sequence_length;
        -- The lengths whose candidates went with these rows.
        PERFORM collatz_internal.refold_length_totals(array_agg(DISTINCT t.sequence_length))
        FROM @extschema@.collatz_length_totals t
        WHERE t.smallest_number IN (SELECT number FROM old_rows) OR t.peak_number IN (SELECT number FROM old_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        -- A row's length and peak follow from its number, which no update may change
        -- (collatz_sequences_keep_number, collatz_sequences_values_are_exact): the histogram
        -- stays as it is.
        PERFORM collatz_internal.add_totals(0, (SELECT coalesce(sum(sequence_length), 0) FROM new_rows)
                                          - (SELECT coalesce(sum(sequence_length), 0) FROM old_rows), 0, 0);
    ELSIF TG_OP = 'TRUNCATE' THEN
        PERFORM collatz_internal.add_totals(-coalesce(sum(t.sequences), 0)::bigint, -coalesce(sum(t.length_sum), 0), 0, 0)
        FROM @extschema@.collatz_totals t;
        INSERT INTO @extschema@.collatz_length_totals (sequence_length, sequences)
        SELECT t.sequence_length, -sum(t.sequences) FROM @extschema@.collatz_length_totals t GROUP BY t.sequence_length;
        PERFORM collatz_internal.refold_length_totals(array_agg(DISTINCT t.sequence_length))
        FROM @extschema@.collatz_length_totals t;
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION collatz_internal.collatz_sequences_totals() IS 'Trigger: keeps collatz_totals in step with collatz_sequences';

CREATE OR REPLACE FUNCTION collatz_internal.sequence_terms_totals() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Runs as the owner: it must run only as the trigger it was made for, where the
    -- transition tables are the table's own rows (attached anywhere else, new_rows could be
    -- a temp view of the caller's). Not executable by PUBLIC, so no role can attach it.
    IF TG_RELID <> '@extschema@.sequence_terms'::regclass OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'sequence_terms_totals: fired % % FOR EACH % on %; it counts only collatz.sequence_terms',
                TG_WHEN, TG_OP, TG_LEVEL, TG_RELID::regclass
            USING ERRCODE = 'triggered_action_exception', HINT = 'It is the extension''s own trigger function.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM collatz_internal.add_totals(0, 0, coalesce(sum(cardinality(terms)), 0)::bigint, count(*)) FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM collatz_internal.add_totals(0, 0, -coalesce(sum(cardinality(terms)), 0)::bigint, -count(*)) FROM old_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM collatz_internal.add_totals(0, 0,
            ((SELECT coalesce(sum(cardinality(terms)), 0) FROM new_rows) - (SELECT coalesce(sum(cardinality(terms)), 0) FROM old_rows))::bigint,
            0);
    ELSIF TG_OP = 'TRUNCATE' THEN
        PERFORM collatz_internal.add_totals(0, 0, -coalesce(sum(t.steps), 0)::bigint, -coalesce(sum(t.sequences_with_steps), 0)::bigint)
        FROM @extschema@.collatz_totals t;
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION collatz_internal.sequence_terms_totals() IS 'Trigger: keeps collatz_totals in step with sequence_terms (steps and sequences with steps)';

CREATE OR REPLACE VIEW v_sequence_length_distribution AS
WITH lengths AS (
    SELECT t.sequence_length, sum(t.sequences)::bigint AS sequences, min(t.smallest_number) AS smallest_number,
           max(ARRAY[t.highest_peak, -t.peak_number]) FILTER (WHERE t.highest_peak IS NOT NULL) AS best
    FROM collatz_length_totals t
    GROUP BY t.sequence_length
    HAVING sum(t.sequences) > 0
), probed AS (
    SELECT l.sequence_length, l.sequences, l.smallest_number, l.best[1] AS highest_peak,
           (SELECT count(*) FROM collatz_sequences s WHERE s.number IN (l.smallest_number, -l.best[2]::bigint))
               = CASE WHEN l.smallest_number = -l.best[2] THEN 1 ELSE 2 END AS candidates_stored
    FROM lengths l
)
SELECT p.sequence_length,
       p.sequences,
       round(100.0 * p.sequences / sum(p.sequences) OVER (), 4) AS percent,
       CASE WHEN p.candidates_stored THEN p.smallest_number
            ELSE (SELECT min(s.number) FROM collatz_sequences s WHERE s.sequence_length = p.sequence_length)
       END AS smallest_number,
       CASE WHEN p.candidates_stored THEN p.highest_peak
            ELSE (SELECT max(s.max_value) FROM collatz_sequences s WHERE s.sequence_length = p.sequence_length)
       END AS highest_peak
FROM probed p;

-- ==== src/sql/analysis.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION analyze_segment(start_number bigint, end_number bigint, run_start bigint, run_end bigint)
RETURNS TABLE (numbers_analyzed bigint, longest_sequence bigint, longest_sequence_length bigint,
               highest_peak bigint, highest_peak_value numeric, duration_ms double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    started timestamptz := clock_timestamp();
    s record;
BEGIN
    PERFORM collatz_internal.collatz_check_range(run_start, run_end, NULL, 'analyze_segment');
    PERFORM collatz_internal.collatz_check_range(start_number, end_number, 1000000000000, 'analyze_segment');
    IF start_number < run_start OR end_number > run_end THEN
        RAISE EXCEPTION 'analyze_segment: the segment [%, %] is not within the run [%, %]',
                        start_number, end_number, run_start, run_end
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A segment is a piece of the run it is judged against.';
    END IF;
    PERFORM collatz_internal.collatz_reset_peak_memory();
    SELECT * INTO s FROM collatz_internal.collatz_analyze_segment(start_number, end_number, run_start, run_end);
    numbers_analyzed := s.numbers_analyzed;
    longest_sequence := s.longest_sequence;
    longest_sequence_length := s.longest_sequence_length;
    highest_peak := s.highest_peak;
    highest_peak_value := s.highest_peak_value;
    duration_ms := collatz_internal.elapsed_ms(started);
    PERFORM collatz_internal.record_metric('analyze_segment', duration_ms, numbers_analyzed,
        jsonb_build_object('start_range', start_number, 'end_range', end_number, 'run_start', run_start,
                           'run_end', run_end, 'longest_sequence', longest_sequence,
                           'longest_sequence_length', longest_sequence_length, 'highest_peak', highest_peak,
                           'highest_peak_value', highest_peak_value, 'memo_bytes', s.memory_bytes));
    RETURN NEXT;
END $$;
COMMENT ON FUNCTION analyze_segment(bigint, bigint, bigint, bigint) IS
    'The records of [start_number, end_number] among the numbers that can hold those of the run [run_start, run_end] (NULL where none can), for analyses spread over several servers; recorded in performance_metrics';

-- ==== src/sql/retention.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION cleanup_old_data(older_than interval DEFAULT NULL, keep_last integer DEFAULT NULL,
                                 targets text[] DEFAULT ARRAY['performance_metrics', 'analysis_results', 'pipeline_runs'],
                                 dry_run boolean DEFAULT true)
RETURNS TABLE (table_name text, rows_matched bigint, steps_matched bigint, deleted boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cutoff timestamptz;
    target text;
    time_column text;
    ids bigint[];
    matched bigint;
    steps bigint;
    started timestamptz := clock_timestamp();
    total bigint := 0;
BEGIN
    PERFORM @extschema@.collatz_library_version();  -- loads the library, which defines the GUCs read below
    IF dry_run IS NULL OR targets IS NULL THEN
        RAISE EXCEPTION 'cleanup_old_data: dry_run and targets must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave them out to use the defaults.';
    END IF;
    IF keep_last < 0 THEN
        RAISE EXCEPTION 'cleanup_old_data: keep_last must not be negative, got %', keep_last
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than < interval '0' THEN
        RAISE EXCEPTION 'cleanup_old_data: older_than must not be negative, got %', older_than
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT t INTO target FROM unnest(targets) t
    WHERE t IS NULL OR t NOT IN ('performance_metrics', 'analysis_results', 'pipeline_runs', 'collatz_sequences', 'sequence_steps');
    IF FOUND THEN
        RAISE EXCEPTION 'cleanup_old_data: unknown target %', coalesce(quote_literal(target), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Targets: performance_metrics, analysis_results, pipeline_runs, collatz_sequences, sequence_steps.';
    END IF;
    -- Without keep_last, the age defaults to collatz.retention_days; with it, age applies only if given.
    IF older_than IS NOT NULL OR keep_last IS NULL THEN
        cutoff := now() - coalesce(older_than, make_interval(days => current_setting('collatz.retention_days')::int));
    END IF;

    FOREACH target IN ARRAY targets LOOP
        time_column := CASE target WHEN 'performance_metrics' THEN 'recorded_at' WHEN 'analysis_results' THEN 'analysis_date'
                                   WHEN 'pipeline_runs' THEN 'updated_at' ELSE 'created_at' END;
        -- The rows in question: old enough and beyond the newest keep_last. Unfinished
        -- pipeline runs are never touched; sequence_steps goes by its sequence's age.
        EXECUTE format($q$
            SELECT coalesce(array_agg(id), '{}') FROM (
                SELECT t.id, t.%2$I AS at, row_number() OVER (ORDER BY t.%2$I DESC, t.id DESC) AS newest
                FROM @extschema@.%1$I t %3$s
            ) ranked
            WHERE ($1 IS NULL OR at < $1) AND ($2 IS NULL OR newest > $2)$q$,
            CASE target WHEN 'sequence_steps' THEN 'collatz_sequences' ELSE target END,
            time_column,
            CASE target WHEN 'pipeline_runs' THEN $w$WHERE t.status = 'done'$w$ ELSE '' END)
        INTO ids
        USING cutoff, keep_last;
        matched := cardinality(ids);
        steps := 0;
        IF target IN ('collatz_sequences', 'sequence_steps') THEN
            SELECT coalesce(sum(cardinality(st.terms)), 0) INTO steps FROM @extschema@.sequence_terms st WHERE st.sequence_id = ANY (ids);
        END IF;
        IF NOT dry_run THEN
            IF target = 'sequence_steps' THEN
                DELETE FROM @extschema@.sequence_terms WHERE sequence_id = ANY (ids);
            ELSE
                EXECUTE format('DELETE FROM @extschema@.%I WHERE id = ANY ($1)', target) USING ids;
            END IF;
        END IF;
        total := total + matched;
        table_name := target;
        rows_matched := CASE WHEN target = 'sequence_steps' THEN steps ELSE matched END;
        steps_matched := CASE WHEN target IN ('collatz_sequences', 'sequence_steps') THEN steps ELSE 0 END;
        deleted := NOT dry_run;
        RETURN NEXT;
    END LOOP;
    IF NOT dry_run THEN
        PERFORM collatz_internal.record_metric('cleanup', collatz_internal.elapsed_ms(started), total,
            jsonb_build_object('older_than', older_than, 'keep_last', keep_last, 'targets', targets));
    END IF;
END $$;
COMMENT ON FUNCTION cleanup_old_data(interval, integer, text[], boolean) IS
    'Retention: rows older than older_than (default collatz.retention_days) and beyond the keep_last newest, per target table; dry_run (the default) only counts';

-- ==== src/sql/export.sql: functions and views new or changed in this release

CREATE OR REPLACE FUNCTION export_sequences_csv(start_number bigint, end_number bigint,
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

-- ==== src/tools/releases/0.6.0-steps.sql


-- ==== Structure, after the functions above (written by hand): sequence_steps becomes a
-- ==== view over sequence_terms, one row per sequence with its terms as numeric[]

CREATE TABLE @extschema@.sequence_terms (
    sequence_id bigint    PRIMARY KEY REFERENCES @extschema@.collatz_sequences (id) ON DELETE CASCADE,
    terms       numeric[] NOT NULL,
    CONSTRAINT sequence_terms_not_empty CHECK (cardinality(terms) >= 1)
);
COMMENT ON TABLE @extschema@.sequence_terms IS
    'The stored steps: one row per sequence, its terms from step 0 (steps 0..k, the true values); sequence_steps shows them one row per step';
COMMENT ON COLUMN @extschema@.sequence_terms.sequence_id IS 'The sequence (collatz_sequences.id); its terms go when it goes';
COMMENT ON COLUMN @extschema@.sequence_terms.terms IS 'Terms from step 0 (the number itself), exact; terms[i] is step i - 1';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sequence_terms', '');

-- 0.5.0's rows, one array per sequence. Its checks kept every value true and every
-- sequence's steps contiguous from 0, so the arrays are true prefixes. The triggers come
-- after the move: collatz_totals already counts these steps, and the steps were checked.
INSERT INTO @extschema@.sequence_terms (sequence_id, terms)
SELECT sequence_id, array_agg(value ORDER BY step_number)
FROM @extschema@.sequence_steps
GROUP BY sequence_id
ORDER BY sequence_id;

-- Out of the extension first, which also takes it out of pg_extension.extconfig (a DROP
-- alone leaves its OID there, and pg_dump would look for it).
ALTER EXTENSION collatz_ext DROP TABLE @extschema@.sequence_steps;
DROP TABLE @extschema@.sequence_steps;
DROP FUNCTION collatz_internal.sequence_steps_check();
DROP FUNCTION collatz_internal.sequence_steps_totals();

CREATE TRIGGER sequence_terms_check_insert AFTER INSERT ON @extschema@.sequence_terms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();
CREATE TRIGGER sequence_terms_check_update AFTER UPDATE ON @extschema@.sequence_terms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_check();
CREATE TRIGGER sequence_terms_totals_insert AFTER INSERT ON @extschema@.sequence_terms
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
CREATE TRIGGER sequence_terms_totals_update AFTER UPDATE ON @extschema@.sequence_terms
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
CREATE TRIGGER sequence_terms_totals_delete AFTER DELETE ON @extschema@.sequence_terms
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_totals();
CREATE TRIGGER sequence_terms_totals_truncate AFTER TRUNCATE ON @extschema@.sequence_terms
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_terms_totals();

CREATE VIEW @extschema@.sequence_steps AS
SELECT t.sequence_id,
       (u.i - 1)::integer AS step_number,
       u.value,
       CASE WHEN u.i = 1 THEN 'start' WHEN u.previous % 2 = 1 THEN 'odd' ELSE 'even' END AS operation_type
FROM @extschema@.sequence_terms t
CROSS JOIN LATERAL unnest(t.terms, pg_catalog.array_prepend(NULL::numeric, t.terms)) WITH ORDINALITY AS u(value, previous, i)
WHERE u.value IS NOT NULL;
COMMENT ON VIEW @extschema@.sequence_steps IS
    'The terms of stored sequences, one row per step (from sequence_terms); each sequence holds steps 0..k with the true values. INSERT, UPDATE and DELETE of true rows work, wrong ones are refused';
COMMENT ON COLUMN @extschema@.sequence_steps.sequence_id IS 'The sequence (collatz_sequences.id); its steps go when it goes';
COMMENT ON COLUMN @extschema@.sequence_steps.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN @extschema@.sequence_steps.value IS 'The term at this step, exact';
COMMENT ON COLUMN @extschema@.sequence_steps.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';
CREATE TRIGGER sequence_steps_begin BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.sequence_steps
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_begin();
CREATE TRIGGER sequence_steps_stage INSTEAD OF INSERT OR UPDATE OR DELETE ON @extschema@.sequence_steps
    FOR EACH ROW EXECUTE FUNCTION collatz_internal.sequence_steps_stage();
CREATE TRIGGER sequence_steps_apply AFTER INSERT OR UPDATE OR DELETE ON @extschema@.sequence_steps
    FOR EACH STATEMENT EXECUTE FUNCTION collatz_internal.sequence_steps_apply();


-- ==== src/sql/terms.sql

-- Steps that cost no storage: collatz.sequence_steps_computed has exactly the columns of
-- sequence_steps and holds every term of every stored sequence, computed when read.
--
-- It is a foreign table whose foreign data wrapper is the extension's own scan
-- (src/terms.rs): the scan reads collatz_sequences (by its primary key when the query pins
-- sequence_id, a sequential scan otherwise) with the query's snapshot and the caller's
-- rights, walks each sequence and puts its terms straight into the scan's tuple slot. A
-- filter on sequence_id (a constant, a parameter, or a join column: a nested loop gives the
-- scan the outer row's id) and bounds on step_number are applied by the scan itself, so no
-- term it would discard is built (EXPLAIN shows them as Sequence Cond and Step Cond). As a
-- view (generate_series of the step numbers LATERAL over collatz_sequences, two C
-- functions in the target list) a full scan took 1.03-1.14x the time of a warm sequential
-- scan of the same rows stored; 80% of it was PostgreSQL's join, function scan and
-- aggregate, which a scan node of its own does not have.
--
-- A foreign data wrapper rather than a planner hook: the planner loads the handler itself,
-- so every session plans the same without shared_preload_libraries. The wrapper and its
-- server take no options (the validator refuses every one) and grant USAGE to nobody, so
-- only the extension's owner could make another foreign table of them; the scan refuses a
-- foreign table that does not have these four columns. Neither function is STRICT, so that
-- a call with NULLs is refused for lack of EXECUTE like every owner-only function, instead of
-- being folded to NULL by the planner before the privilege check.

CREATE FUNCTION collatz_internal.sequence_steps_computed_handler() RETURNS fdw_handler
LANGUAGE c AS 'MODULE_PATHNAME', 'sequence_steps_computed_handler';
COMMENT ON FUNCTION collatz_internal.sequence_steps_computed_handler() IS
    'The foreign data wrapper collatz_ext_computed: the scan of sequence_steps_computed (src/terms.rs)';

CREATE FUNCTION collatz_internal.sequence_steps_computed_validator(options text[], catalog oid) RETURNS void
LANGUAGE c AS 'MODULE_PATHNAME', 'sequence_steps_computed_validator';
COMMENT ON FUNCTION collatz_internal.sequence_steps_computed_validator(text[], oid) IS
    'Refuses every option of the foreign data wrapper collatz_ext_computed, its server and its foreign tables (HV00D): nothing about the scan is configurable';

CREATE FOREIGN DATA WRAPPER collatz_ext_computed
    HANDLER collatz_internal.sequence_steps_computed_handler
    VALIDATOR collatz_internal.sequence_steps_computed_validator;
COMMENT ON FOREIGN DATA WRAPPER collatz_ext_computed IS
    'collatz_ext''s scan of computed terms (sequence_steps_computed); USAGE is granted to nobody';
CREATE SERVER collatz_ext_computed FOREIGN DATA WRAPPER collatz_ext_computed;
COMMENT ON SERVER collatz_ext_computed IS
    'The terms of the stored sequences, computed when read (sequence_steps_computed); USAGE is granted to nobody';

CREATE FOREIGN TABLE sequence_steps_computed (
    sequence_id    bigint,
    step_number    integer,
    value          numeric,
    operation_type text
) SERVER collatz_ext_computed;

COMMENT ON FOREIGN TABLE sequence_steps_computed IS
    'Every term of every stored sequence, computed when read (no storage): the columns and rows sequence_steps would hold with all steps stored. Reading it needs SELECT on collatz_sequences too';
COMMENT ON COLUMN sequence_steps_computed.sequence_id IS 'The sequence (collatz_sequences.id)';
COMMENT ON COLUMN sequence_steps_computed.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps_computed.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps_computed.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';

-- ==== src/sql/finalize.sql

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

