-- statement_timeout stops the long-running functions promptly (57014), and the session
-- goes on working. (How promptly is a benchmark matter; tests assert no timings.)
SET statement_timeout = '1s';
SELECT count(*) FROM collatz_range(1, 10^11);
SELECT count(*) FROM collatz_records(1, 10^11);
SELECT collatz_steps(3::numeric^200000 + 0 * random()::int);
SET collatz.threads = 1;
SELECT count(*) FROM collatz_records(1, 10^11);
RESET collatz.threads;
RESET statement_timeout;

-- The same backend is healthy afterwards: pool, memo and SPI all still work.
SELECT collatz_steps(27) AS steps, pg_backend_pid() = pg_backend_pid() AS same_session;
SELECT count(*), max(steps_to_one) FROM collatz_range(1, 100000);
SELECT number FROM collatz_records(1, 100000) WHERE delay_record ORDER BY number DESC LIMIT 1;
