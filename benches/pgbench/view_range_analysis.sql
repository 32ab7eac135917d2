SELECT * FROM collatz.v_range_analysis ORDER BY analysis_date DESC LIMIT 20;
