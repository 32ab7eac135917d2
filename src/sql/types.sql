-- Types of the core functions. Loaded first: the functions that return them come after.

CREATE TYPE collatz_stats AS (
    number          numeric,
    sequence_length bigint,
    steps_to_one    bigint,
    max_value       numeric,
    stopping_time   bigint,
    odd_steps       bigint,
    even_steps      bigint
);

COMMENT ON TYPE collatz_stats IS
    'Statistics of one Collatz sequence, as returned by collatz_stats(n)';
COMMENT ON COLUMN collatz_stats.number IS 'The starting number n (>= 1)';
COMMENT ON COLUMN collatz_stats.sequence_length IS 'Terms in the sequence, n and the final 1 included (steps_to_one + 1)';
COMMENT ON COLUMN collatz_stats.steps_to_one IS 'Applications of T (n/2 or 3n+1) until 1 is reached';
COMMENT ON COLUMN collatz_stats.max_value IS 'Largest term, n included; numeric because peaks pass 2^63 from n = 8,528,817,511';
COMMENT ON COLUMN collatz_stats.stopping_time IS 'Applications of T until the first term below n; NULL for n = 1, which has none';
COMMENT ON COLUMN collatz_stats.odd_steps IS 'Applications of 3n+1 (to odd terms)';
COMMENT ON COLUMN collatz_stats.even_steps IS 'Applications of n/2 (to even terms)';
