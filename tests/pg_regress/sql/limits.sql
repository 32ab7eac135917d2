-- Limits a SQL user meets (0.5.0, issue 10 items 5-7): superuser-only caps on the resource
-- settings, fallible work on huge inputs, and a SQLSTATE with a hint for every bad argument.
-- Nothing here may end in XX000, a Rust backtrace, or a restarted cluster.
\set VERBOSITY default
\set SHOW_CONTEXT never

------------------------------------------------------------------------------------------
-- collatz.threads and collatz.memo_mb are any role's to set; collatz.max_threads and
-- collatz.max_memo_mb (superuser-only) cap them. Above a cap a function refuses (54000),
-- it never clamps silently.
------------------------------------------------------------------------------------------
-- The defaults pass: threads one per core, at most one per core.
SELECT count(*) AS records FROM collatz.collatz_records(1, 1000);
-- (pg_settings lists the caps once the library is loaded.)
SELECT name, setting, unit, context FROM pg_settings
WHERE name IN ('collatz.max_threads', 'collatz.max_memo_mb') ORDER BY name;

-- A fixed cap, so that the messages do not depend on the machine's cores.
SET collatz.max_threads = 4;
SET collatz.threads = 300;
SELECT count(*) FROM collatz.collatz_records(1, 1000);
SELECT count(*) FROM collatz.collatz_range(1, 10);
SELECT * FROM collatz_internal.collatz_import_check('csv', 'number', ARRAY[1]::bigint[], ARRAY['27']);
-- At the cap is allowed.
SET collatz.threads = 4;
SELECT count(*) AS records FROM collatz.collatz_records(1, 1000);
RESET collatz.threads;
RESET collatz.max_threads;
-- With the default cap (one per core) the message names the cores; only its shape is shown.
SET collatz.threads = 1024;
DO $$
BEGIN
    PERFORM count(*) FROM collatz.collatz_records(1, 1000);
    RAISE NOTICE 'not refused';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %, names both settings: %', SQLSTATE,
        SQLERRM LIKE '%collatz.threads = 1024 is above collatz.max_threads = 0 (one per CPU core: %)';
END $$;
RESET collatz.threads;

-- The statement that restarted the whole cluster in 0.4.0 (a 32 GiB allocation aborted
-- the backend) is refused before anything is allocated.
SET collatz.memo_mb = 49152;
SELECT * FROM collatz.collatz_records(4294967296, 5368709120);
SELECT count(*) FROM collatz.collatz_range(1, 10);
-- At the cap (256MB by default) is allowed; no memo is allowed under any cap.
SET collatz.memo_mb = 256;
SELECT count(*) AS records FROM collatz.collatz_records(1, 1000);
SET collatz.max_memo_mb = 0;
SET collatz.memo_mb = 1;
SELECT count(*) FROM collatz.collatz_records(1, 1000);
SET collatz.memo_mb = 0;
SELECT count(*) AS records FROM collatz.collatz_records(1, 1000);
RESET collatz.memo_mb;
RESET collatz.max_memo_mb;

-- Only a superuser may raise (or lower) a cap: a role below gets 42501.
CREATE ROLE regress_limits_user;
SET ROLE regress_limits_user;
SET collatz.max_threads = 64;
SET collatz.max_memo_mb = 49152;
SHOW collatz.max_threads;
SHOW collatz.max_memo_mb;
-- The user-settable ones it may set; the caps still hold for the functions it calls.
SET collatz.threads = 300;
SET collatz.memo_mb = 49152;
RESET collatz.threads;
RESET collatz.memo_mb;
RESET ROLE;
DROP ROLE regress_limits_user;

------------------------------------------------------------------------------------------
-- Double precision arguments only below 2^53: 2^53 itself is also what 2^53 + 1 rounds to.
------------------------------------------------------------------------------------------
-- 2^53 - 1 is exact in double precision (a cast to numeric would round it to 15 digits).
SELECT collatz.collatz_steps(2^53 - 1) AS steps, collatz.collatz_steps(9007199254740991::numeric) AS numeric_steps;
SELECT 2^53 + 1 = 2^53 AS rounds_to_2_53;
SELECT collatz.collatz_steps(2^53);
SELECT collatz.collatz_steps(2^53 + 1);
SELECT collatz.collatz_peak(2^60);
SELECT number FROM collatz.collatz_range(2^53 - 2, 2^53 - 1);
SELECT count(*) FROM collatz.collatz_range(2^53 - 2, 2^53);
-- numeric is exact at 2^53 and beyond.
SELECT collatz.collatz_steps(2::numeric^53) AS steps_of_2_53, collatz.collatz_steps(2::numeric^53 + 1) AS steps_of_2_53_plus_1;

------------------------------------------------------------------------------------------
-- Import lines: NULL elements, huge fields, repeated keys, U+0000
------------------------------------------------------------------------------------------
-- A NULL line number is 22004 (0.4.0: XX000 with a backtrace); a NULL line is no line.
SELECT * FROM collatz_internal.collatz_import_check('csv', 'number', ARRAY[1, NULL]::bigint[], ARRAY['27', '28']);
SELECT line_number, number, rejection
FROM collatz_internal.collatz_import_check('csv', 'number', ARRAY[1, 2]::bigint[], ARRAY['27', NULL]);
SELECT * FROM collatz_internal.collatz_import_check('csv', 'number', ARRAY[1, 2]::bigint[], ARRAY['27']);

-- A 1.6-million-digit field is refused by its length, well inside a 500 ms timeout
-- (0.4.0 parsed it for 2 s); the reason does not quote it.
SET statement_timeout = '500ms';
SELECT line_number, rejection
FROM collatz_internal.collatz_import_check('csv', 'number,max_value', ARRAY[1]::bigint[],
                                           ARRAY['27,' || repeat('9', 1600000)]);
SELECT line_number, rejection
FROM collatz_internal.collatz_import_check('json', '', ARRAY[1, 2, 3]::bigint[],
    ARRAY['{"number": 27, "max_value": ' || repeat('9', 1600000) || '}',
          '{"number": ' || repeat('9', 1600000) || '}',
          '{"number": 27, "steps": [27, ' || repeat('9', 1600000) || ']}']);
-- A steps field stops at 10,000 terms; a million cost no more.
SELECT line_number, rejection
FROM collatz_internal.collatz_import_check('json', '', ARRAY[1]::bigint[],
    ARRAY['{"number": 1, "steps": [' || repeat('1, ', 1000000) || '1]}']);
RESET statement_timeout;
-- 39 digits are read and compared (2^128 - 1 is no peak of 27); a true 38-digit peak loads.
SELECT line_number, number, max_value, rejection
FROM collatz_internal.collatz_import_check('csv', 'number,steps_to_one,max_value', ARRAY[1, 2, 3]::bigint[],
    ARRAY['27,,340282366920938463463374607431768211455',
          '27,,3402823669209384634633746074317682114550',
          '1980976057694848447,1475,64024667322193133530165877294264738020']);

-- JSON Lines: a key may appear once, and no key or string may hold U+0000 (text cannot).
SELECT line_number, number, rejection, rejection LIKE '%' || chr(1) || '%' AS raw_control_char
FROM collatz_internal.collatz_import_check('json', '', ARRAY[1, 2, 3, 4, 5, 6, 7]::bigint[],
    ARRAY['{"number": 27, "max_value": 9232, "number": 28}',
          '{"id": 1, "number": 27, "id": 2}',
          '{"\u0000": 1, "number": 27}',
          '{"number": 27, "created_at": "2026-01-01\u0000"}',
          '{"number": 27, "steps": [27, "\u0000"]}',
          '{"number": 27, "col\u0001our": 1}',
          '{"number": 27, "created_at": "\\u0000", "max_value": 9232}']);
