-- sequence_steps_computed: the terms of every stored sequence, computed when read. Checked
-- against a recursive CTE on numeric (one application of T per row, nothing shared with the
-- extension), against the stored rows of sequence_steps, and through EXPLAIN and call
-- counts that filters compute nothing they discard.
\d sequence_steps_computed

-- Stored: [1, 2000], a peak past 2^64 (12,327,829,503) and one past 2^63 (8,528,817,511),
-- the largest bigint; steps stored for [1, 300] and for 27 only a prefix of 40 terms.
SELECT batch_save_sequences(ARRAY(SELECT generate_series(1, 2000)::bigint)
                            || ARRAY[12327829503, 8528817511, 9223372036854775807]) AS stored;
SELECT collatz_internal.store_steps(1, 300);
DELETE FROM sequence_steps WHERE sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27) AND step_number >= 40;

CREATE TEMP TABLE reference AS
WITH RECURSIVE walk(sequence_id, step_number, value, operation_type) AS (
    SELECT id, 0, number::numeric, 'start' FROM collatz_sequences
    UNION ALL
    SELECT sequence_id, step_number + 1,
           CASE WHEN value % 2 = 0 THEN div(value, 2) ELSE 3 * value + 1 END,
           CASE WHEN value % 2 = 0 THEN 'even' ELSE 'odd' END
    FROM walk WHERE value <> 1
)
SELECT * FROM walk;

-- Every row, every column: the same rows as the reference, no more, no fewer.
SELECT (SELECT count(*) FROM sequence_steps_computed) AS computed,
       (SELECT count(*) FROM reference) AS reference,
       (SELECT count(*) FROM (SELECT * FROM sequence_steps_computed EXCEPT ALL SELECT * FROM reference) x) AS not_in_reference,
       (SELECT count(*) FROM (SELECT * FROM reference EXCEPT ALL SELECT * FROM sequence_steps_computed) x) AS missing;
-- The same numeric as PostgreSQL's own arithmetic makes: text, hash (hash joins, GROUP BY)
-- and size in memory agree.
SELECT count(*) AS terms,
       count(*) FILTER (WHERE c.value::text = r.value::text AND hash_numeric(c.value) = hash_numeric(r.value)
                          AND pg_column_size(c.value) = pg_column_size(r.value + 0)) AS identical
FROM sequence_steps_computed c JOIN reference r USING (sequence_id, step_number);
-- The terms past 2^64, and the largest bigint's sequence.
SELECT s.number, count(*) AS terms, max(c.value) AS peak, max(c.value) = s.max_value AS peak_agrees,
       count(*) = s.sequence_length AS length_agrees
FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id
WHERE s.number IN (12327829503, 8528817511, 9223372036854775807) GROUP BY s.number, s.max_value, s.sequence_length ORDER BY s.number;
-- Where steps are stored (all of [1, 300], a prefix of 27), they are the computed rows.
SELECT count(*) AS stored,
       count(*) FILTER (WHERE (c.value, c.operation_type) = (st.value, st.operation_type)) AS equal
FROM sequence_steps st JOIN sequence_steps_computed c USING (sequence_id, step_number);
SELECT * FROM sequence_steps_computed
WHERE sequence_id = (SELECT id FROM collatz_sequences WHERE number = 6) ORDER BY step_number;

-- One sequence, by id or by number through collatz_sequences: an index scan of that one
-- sequence. A step filter is applied to the generated step numbers, below the node that
-- computes value and operation_type (VERBOSE shows where each column is computed).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE sequence_id = 27;
EXPLAIN (COSTS OFF)
SELECT c.* FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id WHERE s.number = 27;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM sequence_steps_computed WHERE sequence_id = 27 AND step_number BETWEEN 10 AND 12;
RESET enable_seqscan;
-- Counted: the functions run once per returned row (track_functions counts C functions too).
SET track_functions = 'all';
BEGIN;
SELECT count(*) AS rows, sum(value) AS total FROM sequence_steps_computed
WHERE sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27) AND step_number BETWEEN 10 AND 19;
SELECT pg_stat_get_xact_function_calls('collatz_internal.collatz_term(bigint, integer)'::regprocedure) AS term_calls;
SELECT count(operation_type) AS rules FROM sequence_steps_computed
WHERE sequence_id IN (SELECT id FROM collatz_sequences WHERE number IN (27, 97)) AND step_number < 3;
SELECT pg_stat_get_xact_function_calls('collatz_internal.collatz_term_rule(bigint, integer)'::regprocedure) AS rule_calls;
-- count(*) reads no computed column, so nothing is computed.
SELECT count(*) AS all_rows FROM sequence_steps_computed;
SELECT pg_stat_get_xact_function_calls('collatz_internal.collatz_term(bigint, integer)'::regprocedure) AS term_calls_after_count;
COMMIT;
RESET track_functions;

-- The functions by themselves: NULL past either end, NULL in gives NULL out, n < 1 refused.
SELECT collatz_internal.collatz_term(27, 0) AS first, collatz_internal.collatz_term(27, 111) AS last,
       collatz_internal.collatz_term(27, 112) AS past_end, collatz_internal.collatz_term(27, -1) AS before_start,
       collatz_internal.collatz_term_rule(27, 0) AS rule0, collatz_internal.collatz_term_rule(27, 1) AS rule1,
       collatz_internal.collatz_term_rule(27, 2) AS rule2, collatz_internal.collatz_term_rule(27, 112) AS rule_past_end,
       collatz_internal.collatz_term(NULL, 1) AS null_n, collatz_internal.collatz_term_rule(27, NULL) AS null_step;
-- Alternating numbers give each its own terms (the kept walk follows the argument).
SELECT n, collatz_internal.collatz_term(n, 3) AS term3 FROM unnest(ARRAY[27, 6, 27, 12327829503, 6]::bigint[]) WITH ORDINALITY AS u(n, i) ORDER BY i;
SELECT collatz_internal.collatz_term(0, 1);
SELECT collatz_internal.collatz_term_rule(-9223372036854775808, 0);

-- The steps go and come with their sequence: nothing to delete, nothing stale.
DELETE FROM collatz_sequences WHERE number = 6;
SELECT count(*) AS steps_of_6 FROM sequence_steps_computed c
WHERE NOT EXISTS (SELECT 1 FROM collatz_sequences s WHERE s.id = c.sequence_id);
