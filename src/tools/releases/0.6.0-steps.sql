
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

