-- Steps that cost no storage: collatz.sequence_steps_computed has exactly the columns of
-- sequence_steps and holds every term of every stored sequence, computed when read.
--
-- The rows come from the step numbers of each sequence (generate_series); the value and the
-- rule are calls in the view's target list (src/terms.rs), which PostgreSQL evaluates only
-- for the rows that pass the query's quals. So a filter on sequence_id (or on number, through
-- collatz_sequences) is an index scan of that one sequence, and a filter on step_number
-- computes nothing for the steps it discards. The functions keep the last sequence's walk,
-- so a scan walks each sequence once. A view runs no function found by name at query time:
-- every name below was bound when the extension created it, so a caller's search_path,
-- operators or functions cannot change what it computes.

CREATE FUNCTION collatz_internal.collatz_term(n bigint, step integer) RETURNS numeric
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'collatz_term';
COMMENT ON FUNCTION collatz_internal.collatz_term(bigint, integer) IS
    'The term of n''s sequence at step (0 is n itself), NULL past the end; used by sequence_steps_computed';

CREATE FUNCTION collatz_internal.collatz_term_rule(n bigint, step integer) RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'collatz_term_rule';
COMMENT ON FUNCTION collatz_internal.collatz_term_rule(bigint, integer) IS
    'The rule that produced the term of n''s sequence at step (start, odd or even), NULL past the end; used by sequence_steps_computed';

-- generate_series(integer, integer) itself, under a name whose row estimate is a sequence's
-- typical length (150 terms: the mean below 10^7 is 156): generate_series estimates 1000
-- rows when its bounds are not constants, so a scan of 30,000 sequences was planned as 30
-- million rows instead of 2.9 million (and compiled by JIT for it). Same C function, so the
-- same cost per row; like the other C functions it needs no SET clause (it runs no SQL, and
-- a SET clause on a set-returning function is paid for every row).
CREATE FUNCTION collatz_internal.collatz_step_numbers(first_step integer, last_step integer) RETURNS SETOF integer
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE ROWS 150 AS 'generate_series_int4';
COMMENT ON FUNCTION collatz_internal.collatz_step_numbers(integer, integer) IS
    'first_step .. last_step (generate_series), estimated as 150 rows; the step numbers of sequence_steps_computed';

CREATE VIEW sequence_steps_computed AS
SELECT s.id AS sequence_id,
       g.step_number,
       collatz_internal.collatz_term(s.number, g.step_number) AS value,
       collatz_internal.collatz_term_rule(s.number, g.step_number) AS operation_type
FROM collatz_sequences s
CROSS JOIN LATERAL collatz_internal.collatz_step_numbers(0, s.steps_to_one::integer) AS g(step_number);

COMMENT ON VIEW sequence_steps_computed IS
    'Every term of every stored sequence, computed when read (no storage): the columns and rows sequence_steps would hold with all steps stored';
COMMENT ON COLUMN sequence_steps_computed.sequence_id IS 'The sequence (collatz_sequences.id)';
COMMENT ON COLUMN sequence_steps_computed.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps_computed.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps_computed.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';
