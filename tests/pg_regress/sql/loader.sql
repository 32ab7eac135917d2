-- The range loader (collatz_internal.copy_sequences, src/bulk.rs), which sp_batch_insert_sequences
-- uses for a range with nothing stored: COPY FROM's steps fed with computed values, the index
-- on max_value filled in key order a window at a time, and its own count of the rows for the
-- totals trigger. Checked here: the rows against the independent reference, every index
-- against the heap (amcheck), the indexes' answers against a plain sort, the totals and the
-- histogram against GROUP BY, and the triggers it refuses or must not confuse.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION amcheck;

-- [1, 5000] in batches of 1200: five loads, each a window of its own.
CALL sp_batch_insert_sequences(1, 5000, batch_size => 1200);
SELECT count(*) AS stored,
       count(*) FILTER (WHERE (steps_to_one, max_value) IS DISTINCT FROM
                              (SELECT (r.steps, r.peak) FROM regress_reference.walk(number) r)) AS wrong,
       count(*) FILTER (WHERE sequence_length <> steps_to_one + 1) AS bad_length,
       -- ids and heap order follow the numbers, as for an INSERT in number order
       count(*) FILTER (WHERE id - (SELECT min(id) FROM collatz_sequences) <> number - 1) AS ids_out_of_order
FROM collatz_sequences;

-- Every index holds exactly the heap's rows, in order (heapallindexed).
SELECT c.relname AS index, bt_index_check(c.oid, true) IS NOT NULL AS checked
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'collatz_sequences'::regclass ORDER BY 1;

-- The peak index answers as a sort of the heap does.
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT number FROM collatz_sequences ORDER BY max_value DESC LIMIT 20;
CREATE TEMP TABLE by_index AS SELECT max_value, count(*) AS numbers FROM collatz_sequences
WHERE max_value > 1000 GROUP BY max_value;
RESET enable_seqscan; RESET enable_bitmapscan;
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;
SELECT (SELECT count(*) FROM by_index) AS peaks,
       (SELECT count(*) FROM (SELECT max_value, count(*) FROM collatz_sequences WHERE max_value > 1000
                              GROUP BY max_value EXCEPT SELECT * FROM by_index) d) AS differ;
RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan;

-- The totals and the histogram the loads counted are those of the rows.
SELECT (SELECT sum(sequences) FROM collatz_totals) = count(*) AS sequences_match,
       (SELECT sum(length_sum) FROM collatz_totals) = sum(sequence_length) AS lengths_match
FROM collatz_sequences;
SELECT count(*) AS differ FROM (
    (SELECT * FROM v_sequence_length_distribution
     EXCEPT SELECT sequence_length, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 4), min(number), max(max_value)
            FROM collatz_sequences GROUP BY sequence_length)
    UNION ALL
    (SELECT sequence_length, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 4), min(number), max(max_value)
     FROM collatz_sequences GROUP BY sequence_length
     EXCEPT SELECT * FROM v_sequence_length_distribution)) d;

-- A statement nested in a load (an owner's AFTER trigger that inserts a row, firing before
-- the totals trigger by name) counts its own row: the load's count is for the load's
-- statement alone (pg_trigger_depth). Both counts land in the totals.
CREATE FUNCTION public.add_one_more() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM collatz.collatz_sequences WHERE number = 9999) THEN
        INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
        SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_stats(9999);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER a_one_more AFTER INSERT ON collatz_sequences FOR EACH STATEMENT EXECUTE FUNCTION public.add_one_more();
CALL sp_batch_insert_sequences(5001, 6000);
DROP TRIGGER a_one_more ON collatz_sequences;
SELECT count(*) AS stored, (SELECT sum(sequences) FROM collatz_totals) AS counted,
       (SELECT sum(sequences) FROM collatz_length_totals) AS in_histogram
FROM collatz_sequences;

-- A BEFORE INSERT row trigger (which could change or skip rows) is refused, with nothing
-- written; the run stays resumable.
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE INSERT ON collatz_sequences FOR EACH ROW EXECUTE FUNCTION public.touch();
CALL sp_batch_insert_sequences(6001, 7000);
DROP TRIGGER touch ON collatz_sequences;
SELECT count(*) FILTER (WHERE number > 6000 AND number <> 9999) AS written_past_6000 FROM collatz_sequences;

-- What an owner may add to the table, the load honours as COPY does: a CHECK on tableoid,
-- and a column whose default is volatile (COPY then inserts one row at a time, each with
-- its indexes before the next default is evaluated; so does the loader).
ALTER TABLE collatz_sequences ADD CONSTRAINT in_this_table CHECK (tableoid = 'collatz.collatz_sequences'::regclass);
CREATE SEQUENCE public.load_order;
ALTER TABLE collatz_sequences ADD COLUMN loaded_as bigint DEFAULT (random() * 0 + nextval('public.load_order'))::bigint;
CALL sp_batch_insert_sequences(7001, 7500);
SELECT count(*) AS stored, count(*) FILTER (WHERE loaded_as IS NOT NULL) AS with_default,
       count(DISTINCT loaded_as) AS distinct_defaults,
       bool_and(loaded_as - (SELECT min(loaded_as) FROM collatz_sequences WHERE number BETWEEN 7001 AND 7500) = number - 7001) AS in_number_order
FROM collatz_sequences WHERE number BETWEEN 7001 AND 7500;
SELECT c.relname AS index, bt_index_check(c.oid, true) IS NOT NULL AS checked
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'collatz_sequences'::regclass ORDER BY 1;
