SELECT * FROM collatz.v_sequence_summary;
