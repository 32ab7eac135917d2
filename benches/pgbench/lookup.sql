-- Lookup of one stored number (the unique index).
\set n random(1, :rows)
SELECT * FROM collatz.collatz_sequences WHERE number = :n;
