
-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped

-- finalize.sql (run again at the end of this script) creates its helpers anew.
DROP FUNCTION collatz_internal.function_levels();
DROP FUNCTION collatz_internal.restrict_public_execute();
DROP FUNCTION collatz_internal.regrant_levels();

-- collatz_sequences_max_value_idx on max_value alone (deduplicated; ties in number order by
-- an incremental sort): 29 bytes per row instead of 41 at 10^6 rows.
DROP INDEX @extschema@.collatz_sequences_max_value_idx;
CREATE INDEX collatz_sequences_max_value_idx ON @extschema@.collatz_sequences (max_value DESC);

-- The JSON exports give every term, stored or not (their SQL signatures are unchanged).
COMMENT ON FUNCTION @extschema@.export_sequences_json(bigint, bigint, integer, text, boolean) IS
    'A page of stored sequences of a number range as jsonb {items, count, next_cursor}: pass next_cursor back for the next page (null on the last); with_steps adds each sequence''s terms, stored or not';
COMMENT ON FUNCTION @extschema@.export_sequence_json(bigint) IS
    'One stored sequence with all its terms (stored or not) as jsonb, or NULL when the number is not stored';
