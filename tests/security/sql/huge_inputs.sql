-- Huge inputs: work on them stays interruptible, or is refused at once, and the backend
-- survives each. sec_log.timed runs a statement under the statement_timeout set here and
-- says how it ended (ok, or its SQLSTATE) and whether it ended within a second of the
-- timeout. 0.4.0 parsed a 1.6-million-digit max_value of an import line in quadratic time
-- and ended 1.5 s past a 500 ms timeout; a stored number is below 2^63 and its peak below
-- 2^128, so a longer value is wrong without being parsed.
\set VERBOSITY sqlstate
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

------------------------------------------------------------------------------------------
-- Import lines, by a writer, under a 500 ms timeout
------------------------------------------------------------------------------------------
\c - sec_writer
SET client_min_messages = warning;
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES
    ('number,max_value,steps'),
    ('600000027,' || repeat('9', 1600000) || ','),
    (repeat('9', 1600000) || ',,'),
    ('600000027,,"{600000027,' || repeat('9', 1600000) || '}"'),
    ('600000028,,"{' || repeat('600000028,', 1000000) || '600000028}"'),
    ('600000029,,');
SET statement_timeout = '500ms';
SELECT * FROM sec_log.timed($$SELECT * FROM collatz.import_sequences('csv', on_error => 'ignore')$$);
RESET statement_timeout;
-- Refused line by line, the reasons short (they do not quote the field); the valid line loaded.
SELECT line_number, octet_length(reason) < 200 AS short_reason FROM collatz.import_rejections();
SELECT number FROM collatz.collatz_sequences WHERE number BETWEEN 600000027 AND 600000030 ORDER BY number;
SELECT collatz.import_open();
INSERT INTO pg_temp.collatz_import_lines (line) VALUES
    ('{"number": 600000027, "max_value": ' || repeat('9', 1600000) || '}'),
    ('{"number": ' || repeat('9', 1600000) || '}'),
    ('{"number": 600000027, "steps": [600000027, ' || repeat('9', 1600000) || ']}'),
    ('{"number": 600000027, "steps": ' || repeat('[', 100000) || repeat(']', 100000) || '}'),
    ('{"number": 600000028, "created_at": ' || repeat('{"a": ', 100000) || '1' || repeat('}', 100000) || '}'),
    (repeat('[', 1000000) || repeat(']', 1000000)),
    ('{"number": 600000030}');
SET statement_timeout = '500ms';
SELECT * FROM sec_log.timed($$SELECT * FROM collatz.import_sequences('json', on_error => 'ignore')$$);
RESET statement_timeout;
SELECT line_number, octet_length(reason) < 200 AS short_reason FROM collatz.import_rejections();
SELECT number FROM collatz.collatz_sequences WHERE number BETWEEN 600000027 AND 600000030 ORDER BY number;
SELECT 1 AS backend_alive;

------------------------------------------------------------------------------------------
-- The scalar functions on numeric inputs of 131,072 digits (the most numeric holds), and
-- the range functions at their limits, by a reader under a 1 s timeout
------------------------------------------------------------------------------------------
\c - sec_reader
SET client_min_messages = warning;
-- One statement each: a statement_timeout covers one top-level statement.
CREATE TEMP TABLE huge (k serial, call text, outcome text, prompt boolean);
SET statement_timeout = '1s';
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_steps(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_steps(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_length(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_length(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_stopping_time(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_stopping_time(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_peak(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_peak(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_stats(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_stats(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_next(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_next(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_next(131072 eights)', * FROM sec_log.timed($$SELECT collatz.collatz_next(repeat('8', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_sequence(131072 nines)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_sequence(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_sequence_json(131072 nines)', * FROM sec_log.timed($$SELECT collatz.collatz_sequence_json(repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_range(131072 nines, same)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_range(repeat('9', 131072)::numeric, repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_records(131072 nines, same)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_records(repeat('9', 131072)::numeric, repeat('9', 131072)::numeric)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_sequence(2^9000)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_sequence(2::numeric ^ 9000)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_sequence_json(2^9000)', * FROM sec_log.timed($$SELECT collatz.collatz_sequence_json(2::numeric ^ 9000)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_range(1, 10^12)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_range(1, 1000000000000)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_range(1, 10^12 + 1)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_range(1, 1000000000001)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_records(1, 10^12)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_records(1, 1000000000000)$$);
INSERT INTO huge (call, outcome, prompt) SELECT 'collatz_analyze(1, 2^63 - 1)', * FROM sec_log.timed($$SELECT count(*) FROM collatz.collatz_analyze(1, 9223372036854775807)$$);
RESET statement_timeout;
SELECT call, outcome, prompt FROM huge ORDER BY k;
-- The largest full sequence there is (8192 bits) is returned.
SELECT count(*) AS terms FROM collatz.collatz_sequence(2::numeric ^ 8192 - 1);
SELECT 1 AS backend_alive;

\i :abs_srcdir/include/check.sql
