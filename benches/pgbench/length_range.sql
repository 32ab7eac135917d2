-- A page of the numbers with lengths in a range (the length index).
\set l random(50, 350)
SELECT number, sequence_length FROM collatz.collatz_sequences WHERE sequence_length BETWEEN :l AND :l + 5 ORDER BY sequence_length DESC, number LIMIT 100;
