SELECT * FROM collatz.v_sequence_length_distribution;
