-- Mixed workload, writes: store numbers above the loaded range (clients collide on purpose:
-- save_sequence keeps the first and must not fail), and a metric row.
\set m random(:rows + 1, :rows + 50000)
SELECT collatz.save_sequence(:m);
INSERT INTO collatz.performance_metrics (operation_type, execution_time, rows_processed) VALUES ('pgbench_write', 1, 1);
