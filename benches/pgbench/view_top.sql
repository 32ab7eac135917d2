SELECT * FROM collatz.v_top_sequences;
