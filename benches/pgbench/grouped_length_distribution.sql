-- The baseline of view_length_distribution: the GROUP BY over every row that the view was
-- before 0.6.0.
SELECT s.sequence_length, count(*) AS sequences, round(100.0 * count(*) / sum(count(*)) OVER (), 4) AS percent,
       min(s.number) AS smallest_number, max(s.max_value) AS highest_peak
FROM collatz.collatz_sequences s GROUP BY s.sequence_length;
