-- v_sequence_length_distribution reads a maintained histogram (collatz_length_totals) and
-- index probes instead of grouping every row. After each kind of change it must equal the
-- GROUP BY over the rows that it replaced, here as an independent reference, row for row.
SET client_min_messages = warning;
CREATE TEMP VIEW counted AS
SELECT s.sequence_length, count(*) AS sequences, round(100.0 * count(*) / sum(count(*)) OVER (), 4) AS percent,
       min(s.number) AS smallest_number, max(s.max_value) AS highest_peak
FROM collatz.collatz_sequences s GROUP BY s.sequence_length;
CREATE TEMP VIEW differences AS
(SELECT 'view only' AS side, * FROM collatz.v_sequence_length_distribution EXCEPT SELECT 'view only', * FROM counted)
UNION ALL
(SELECT 'rows only', * FROM counted EXCEPT SELECT 'rows only', * FROM collatz.v_sequence_length_distribution);

-- Empty.
SELECT count(*) AS lengths FROM v_sequence_length_distribution;
-- A load, and ranges that overlap it (the skipped rows must not be counted).
CALL sp_batch_insert_sequences(1, 20000);
CALL sp_batch_insert_sequences(15001, 25000);
SELECT count(*) AS lengths, sum(sequences) AS sequences FROM v_sequence_length_distribution;
SELECT * FROM differences;
SELECT * FROM v_sequence_length_distribution ORDER BY sequence_length DESC LIMIT 3;
-- Deleting the holder of each length's highest peak: the next one takes over.
DELETE FROM collatz_sequences
WHERE number IN (SELECT DISTINCT ON (sequence_length) number FROM collatz_sequences
                 ORDER BY sequence_length, max_value DESC, number);
SELECT * FROM differences;
-- Every row of some lengths: those lengths disappear.
DELETE FROM collatz_sequences WHERE sequence_length BETWEEN 100 AND 120;
SELECT count(*) AS lengths_100_to_120 FROM v_sequence_length_distribution WHERE sequence_length BETWEEN 100 AND 120;
SELECT * FROM differences;
-- A delete that rolls back changes nothing; neither does an update.
BEGIN;
DELETE FROM collatz_sequences WHERE number < 5000;
ROLLBACK;
UPDATE collatz_sequences SET created_at = created_at - interval '1 day' WHERE number % 7 = 0;
SELECT * FROM differences;
-- Many one-row statements (every 256th delta of collatz_totals compacts both tables).
SELECT count(save_sequence(n)) FROM generate_series(30001, 30600) n;
DO $$ BEGIN FOR n IN 40001..40600 LOOP PERFORM collatz.save_sequence(n); END LOOP; END $$;
SELECT * FROM differences;
SELECT count(*) < 1000 AS compacted FROM collatz_length_totals;
-- A bound whose holder is gone (what a concurrent delete can leave): the view reads that
-- length's rows instead of trusting it.
INSERT INTO collatz_length_totals (sequence_length, sequences, highest_peak)
SELECT max(sequence_length), 0, 10^30 FROM collatz_sequences;
SELECT * FROM differences;
SELECT sequence_length, highest_peak FROM v_sequence_length_distribution
WHERE sequence_length = (SELECT max(sequence_length) FROM collatz_sequences);
-- Retention, then TRUNCATE, then a load from nothing.
SELECT table_name, rows_matched > 0 AS cleaned, deleted
FROM cleanup_old_data(older_than => interval '1 hour', targets => ARRAY['collatz_sequences'], dry_run => false);
SELECT * FROM differences;
TRUNCATE collatz_sequences CASCADE;
SELECT count(*) AS lengths FROM v_sequence_length_distribution;
SELECT batch_save_sequences(ARRAY[27, 97, 871, 6171, 77031]);
SELECT * FROM v_sequence_length_distribution ORDER BY sequence_length;
SELECT * FROM differences;
-- The percentages add up; the view probes an index per length instead of reading the rows.
CALL sp_batch_insert_sequences(1, 5000);
SELECT round(sum(percent)) AS percent FROM v_sequence_length_distribution;
-- Which indexes the plan reads collatz_sequences through (its shape otherwise depends on the
-- statistics): the number's, and the length and peak ones for a length whose candidates are
-- gone; never a scan of the rows.
CREATE FUNCTION pg_temp.reads_of(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        RETURN NEXT coalesce(substring(line FROM '(collatz_sequences_\w+_(idx|key))'),
                             substring(line FROM '(Seq Scan on collatz_sequences)'));
    END LOOP;
END $$;
SET enable_seqscan = off;
SELECT DISTINCT r AS reads FROM pg_temp.reads_of('SELECT * FROM v_sequence_length_distribution') r
WHERE r IS NOT NULL ORDER BY 1;
