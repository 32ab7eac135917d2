-- sequence_steps_computed (terms computed when read, by the extension's own foreign scan).
-- Checked against a recursive CTE on numeric (one application of T per row, nothing shared
-- with the extension), against the stored rows of sequence_steps, and through EXPLAIN: the
-- conditions the scan applies itself, and (EXPLAIN ANALYZE) how many sequences it read and
-- how many terms it built, so that a filter that computed what it discards would show.
\d sequence_steps_computed

-- Stored: [1, 2000], a peak past 2^64 (12,327,829,503) and one past 2^63 (8,528,817,511),
-- the largest bigint; steps stored for [1, 300] and for 27 only a prefix of 40 terms.
SELECT batch_save_sequences(ARRAY(SELECT generate_series(1, 2000)::bigint)
                            || ARRAY[12327829503, 8528817511, 9223372036854775807]) AS stored;
SELECT collatz_internal.store_steps(1, 300);
DELETE FROM sequence_steps WHERE sequence_id = (SELECT id FROM collatz_sequences WHERE number = 27) AND step_number >= 40;
ANALYZE collatz_sequences;

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
-- The same numeric as PostgreSQL's own numeric_in makes of its text: bytes (numeric_send),
-- hash (hash joins, GROUP BY) and size in memory agree. (Checked in the scan's filter, on the
-- scan's own Datums: a value copied into a tuple, as an aggregate's first row is, gets a
-- short varlena header.)
SELECT count(*) AS not_identical FROM sequence_steps_computed
WHERE NOT (numeric_send(value) = numeric_send(value::text::numeric)
           AND hash_numeric(value) = hash_numeric(value::text::numeric)
           AND pg_column_size(value) = pg_column_size(value::text::numeric));
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
-- A whole row and the columns one by one give the same.
SELECT c FROM sequence_steps_computed c WHERE sequence_id = 3 AND step_number > 5;

-- What the scan applies itself (Sequence Cond, Step Cond) and how it reads collatz_sequences
-- (Sequences: one primary key probe when sequence_id is pinned).
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE sequence_id = 27;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE 27 = sequence_id AND step_number BETWEEN 10 AND 12;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE step_number = 3;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE step_number < 3 AND step_number >= 1;
EXPLAIN (COSTS OFF) SELECT * FROM sequence_steps_computed WHERE step_number <= 3 AND 1 < step_number;
-- Any integer type, on either side; a stable expression; a filter on value stays a filter.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM sequence_steps_computed WHERE sequence_id = 27::integer AND step_number < 5::bigint
  AND step_number <> 2 AND value > 10 AND sequence_id = abs(-27::smallint);
-- Parameters (a generic plan shows them as $n).
SET plan_cache_mode = force_generic_plan;
PREPARE steps(bigint, integer, integer) AS
SELECT step_number, value FROM sequence_steps_computed WHERE sequence_id = $1 AND step_number BETWEEN $2 AND $3;
EXPLAIN (COSTS OFF) EXECUTE steps(27, 10, 12);
EXECUTE steps(27, 10, 12);
EXECUTE steps(27, 110, 2000000000);
EXECUTE steps(27, -5, 1);
EXECUTE steps(NULL, 0, 3);
EXECUTE steps(27, 3, NULL);
DEALLOCATE steps;
RESET plan_cache_mode;
-- An IN list (= ANY): one primary key probe per distinct id, in id order; NULLs match nothing.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), sum(value) FROM sequence_steps_computed WHERE sequence_id IN (97, 27, 97, 999999, -1);
SELECT sequence_id, count(*), sum(value) FROM sequence_steps_computed WHERE sequence_id IN (97, 27, 97, 999999, -1)
GROUP BY sequence_id ORDER BY 1;
SELECT count(*) AS in_and_equal FROM sequence_steps_computed WHERE sequence_id IN (27, 97) AND sequence_id = 97;
SELECT count(*) AS with_null FROM sequence_steps_computed WHERE sequence_id = ANY (ARRAY[27, NULL, 3]::integer[]);
PREPARE some_ids(bigint[]) AS SELECT count(*) FROM sequence_steps_computed WHERE sequence_id = ANY ($1);
EXECUTE some_ids(ARRAY[1, 2, 3]);
EXECUTE some_ids('{}');
EXECUTE some_ids(NULL);
DEALLOCATE some_ids;
-- A join on sequence_id: a nested loop whose foreign scan takes the outer row's id as a
-- parameter; IN (SELECT ...) and a correlated subquery (the exports' form) likewise.
EXPLAIN (COSTS OFF)
SELECT c.* FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id WHERE s.number = 27;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM sequence_steps_computed WHERE sequence_id IN (SELECT id FROM collatz_sequences WHERE number IN (27, 97));
EXPLAIN (COSTS OFF)
SELECT s.number, (SELECT array_agg(c.value ORDER BY c.step_number) FROM sequence_steps_computed c WHERE c.sequence_id = s.id)
FROM collatz_sequences s WHERE s.number < 4;
SELECT s.number, (SELECT array_agg(c.value ORDER BY c.step_number) FROM sequence_steps_computed c WHERE c.sequence_id = s.id)
FROM collatz_sequences s WHERE s.number < 4 ORDER BY 1;
-- A join clause on step_number parameterizes the scan too.
EXPLAIN (COSTS OFF)
SELECT count(*) FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id AND c.step_number > s.steps_to_one - 2
WHERE s.number BETWEEN 10 AND 12;
SELECT s.number, c.step_number, c.value FROM collatz_sequences s
JOIN sequence_steps_computed c ON c.sequence_id = s.id AND c.step_number > s.steps_to_one - 2
WHERE s.number BETWEEN 10 AND 12 ORDER BY 1, 2;

-- Counted: terms are built only inside the bounds, only when value is read.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sum(value) FROM sequence_steps_computed WHERE sequence_id = 27 AND step_number BETWEEN 10 AND 19;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(c.operation_type), sum(c.value) FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id
WHERE s.number IN (27, 97) AND c.step_number < 3;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM sequence_steps_computed WHERE sequence_id IN (SELECT id FROM collatz_sequences WHERE number IN (27, 97));
-- count(*) and operation_type alone build no numeric.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM sequence_steps_computed;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FILTER (WHERE operation_type = 'odd') FROM sequence_steps_computed;
-- Every sequence read, but only the terms at step 100 built (the sequences of 100 steps or more).
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT sum(value) FROM sequence_steps_computed WHERE step_number = 100;
SELECT count(*) AS sequences_with_step_100 FROM collatz_sequences WHERE steps_to_one >= 100;
-- A filter on value itself builds every value it looks at.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM sequence_steps_computed WHERE sequence_id = 27 AND value > 9000;
-- LIMIT stops the scan: 5 terms built.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT value FROM sequence_steps_computed LIMIT 5;
-- Rescans: a nested loop over 3 sequences, each its own parameter.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sum(c.value) FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id WHERE s.number IN (3, 6, 7);
SELECT sum(c.value) = (SELECT sum(r.value) FROM reference r JOIN collatz_sequences s ON s.id = r.sequence_id WHERE s.number IN (3, 6, 7))
       AS rescans_agree
FROM collatz_sequences s JOIN sequence_steps_computed c ON c.sequence_id = s.id WHERE s.number IN (3, 6, 7);

-- Row estimates: the stored sequences times their mean length (from ANALYZE), narrowed by
-- the bounds; one sequence is the mean length.
CREATE FUNCTION pg_temp.estimated(query text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END $$;
SELECT round(pg_temp.estimated('SELECT * FROM sequence_steps_computed') / (SELECT count(*) FROM reference), 2) AS all_rows,
       round(pg_temp.estimated('SELECT * FROM sequence_steps_computed WHERE sequence_id = 5')
             / (SELECT avg(sequence_length) FROM collatz_sequences), 2) AS one_sequence,
       round(pg_temp.estimated('SELECT * FROM sequence_steps_computed WHERE step_number < 10') / (SELECT count(*) FROM collatz_sequences), 2) AS per_sequence_below_10,
       pg_temp.estimated('SELECT * FROM sequence_steps_computed WHERE sequence_id = 5 AND step_number BETWEEN 3 AND 4') AS two_steps;

-- Cursors: forward fetches go on where they stopped; a cursor without SCROLL cannot go
-- backward (the scan does not support it), one with SCROLL can (PostgreSQL materializes it).
BEGIN;
DECLARE forward_only CURSOR FOR SELECT step_number, value FROM sequence_steps_computed WHERE sequence_id = 7;
FETCH 3 FROM forward_only;
FETCH 2 FROM forward_only;
FETCH BACKWARD 1 FROM forward_only;
ROLLBACK;
BEGIN;
DECLARE scrolling SCROLL CURSOR FOR SELECT step_number, value FROM sequence_steps_computed WHERE sequence_id = 7;
FETCH 3 FROM scrolling;
FETCH BACKWARD 2 FROM scrolling;
-- The query's snapshot: a cursor opened before a delete still reads the deleted sequence.
DECLARE before_delete CURSOR FOR SELECT count(*) FROM sequence_steps_computed WHERE sequence_id = 7;
DELETE FROM collatz_sequences WHERE id = 7;
FETCH ALL FROM before_delete;
SELECT count(*) AS after_delete FROM sequence_steps_computed WHERE sequence_id = 7;
ROLLBACK;

-- statement_timeout stops a long scan (many rescans of every sequence) with 57014.
SET statement_timeout = '200ms';
SELECT count(c.value) FROM generate_series(1, 100000) g
CROSS JOIN LATERAL (SELECT value FROM sequence_steps_computed WHERE step_number <= g) c;
RESET statement_timeout;

-- Nothing can be written through it, nothing configured.
INSERT INTO sequence_steps_computed VALUES (1, 5, 1, 'even');
DELETE FROM sequence_steps_computed;
ALTER FOREIGN TABLE sequence_steps_computed OPTIONS (ADD relation 'other');
ALTER SERVER collatz_ext_computed OPTIONS (ADD host 'elsewhere');
-- A foreign table of the wrapper without these columns is refused, not misread.
CREATE FOREIGN TABLE public.regress_misshaped (sequence_id bigint, step_number bigint) SERVER collatz_ext_computed;
SELECT * FROM public.regress_misshaped;
DROP FOREIGN TABLE public.regress_misshaped;

-- The steps go and come with their sequence: nothing to delete, nothing stale.
DELETE FROM collatz_sequences WHERE number = 6;
SELECT count(*) AS steps_of_6 FROM sequence_steps_computed c
WHERE NOT EXISTS (SELECT 1 FROM collatz_sequences s WHERE s.id = c.sequence_id);

-- A LATERAL subquery over the scan that reads outer columns: the scan is parameterized by
-- the outer relation, so sid and sn are the outer row's (not read from the scan's slot).
SELECT s.number, x.step_number, x.sequence_id = s.id AS own_sequence,
       x.sid = s.id AS sid_is_outer, x.sn = s.number AS sn_is_outer
FROM collatz.collatz_sequences s
LEFT JOIN LATERAL (SELECT c.step_number, c.sequence_id, s.id AS sid, s.number AS sn
                   FROM collatz.sequence_steps_computed c) x
       ON x.step_number = 0 AND x.sequence_id <= (SELECT max(id) FROM collatz.collatz_sequences WHERE number < 3)
WHERE s.number < 3 ORDER BY 1, 3;
