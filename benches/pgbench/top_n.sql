-- The ten longest sequences (the length index, read in its order).
SELECT number, sequence_length FROM collatz.collatz_sequences ORDER BY sequence_length DESC, number LIMIT 10;
