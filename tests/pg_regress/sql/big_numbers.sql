-- Numeric inputs past 2^64 and 2^128 against the PL/pgSQL reference (setup.sql).

SELECT label, s.steps_to_one, s.max_value = r.peak AS peak_ok,
       (s.steps_to_one, s.odd_steps, s.stopping_time) = (r.steps, r.odd_steps, r.stopping_time) AS counts_ok,
       s.sequence_length = s.steps_to_one + 1 AND s.even_steps = s.steps_to_one - s.odd_steps AS consistent
FROM (VALUES
    ('2^63 - 1', 2::numeric^63 - 1),
    ('2^64 - 1', 2::numeric^64 - 1),
    ('2^64 + 1', 2::numeric^64 + 1),
    ('2^100 + 1', 2::numeric^100 + 1),
    ('2^128 - 1', 2::numeric^128 - 1),
    ('2^128 + 1', 2::numeric^128 + 1),
    ('3^100', 3::numeric^100),
    ('2^200 + 7', 2::numeric^200 + 7),
    ('10^60 + 1', 10::numeric^60 + 1)) AS v(label, n),
    LATERAL collatz_stats(v.n) AS s,
    LATERAL regress_reference.walk(v.n) AS r;

-- The scalar functions agree with the composite one at 2^100 + 1.
SELECT collatz_steps(2::numeric^100 + 1) AS steps, collatz_length(2::numeric^100 + 1) AS length,
       collatz_peak(2::numeric^100 + 1) = (collatz_stats(2::numeric^100 + 1)).max_value AS peak_agrees,
       collatz_next(2::numeric^100 + 1) = 3 * (2::numeric^100 + 1) + 1 AS next_ok,
       collatz_next(2::numeric^130) = 2::numeric^129 AS halves;
-- A 600-digit start: exact, no limit on the scalar functions.
SELECT collatz_steps(7::numeric^700) = (regress_reference.walk(7::numeric^700)).steps AS ok;
