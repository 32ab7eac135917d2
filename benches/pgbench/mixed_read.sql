-- Mixed workload, reads: a stored row, the cache path, a computed value, a page.
\set n random(1, :rows)
\set m random(1, 1000000000)
SELECT * FROM collatz.collatz_sequences WHERE number = :n;
SELECT * FROM collatz.get_sequence(:m);
SELECT collatz.collatz_stats(:m);
SELECT number FROM collatz.find_sequences_in_range(:n, :n + 10000, 20);
