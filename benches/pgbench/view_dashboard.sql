SELECT * FROM collatz.v_performance_dashboard;
