-- Steps that cost no storage: collatz.sequence_steps_computed has exactly the columns of
-- sequence_steps and holds every term of every stored sequence, computed when read.
--
-- It is a foreign table whose foreign data wrapper is the extension's own scan
-- (src/terms.rs): the scan reads collatz_sequences (by its primary key when the query pins
-- sequence_id, a sequential scan otherwise) with the query's snapshot and the caller's
-- rights, walks each sequence and puts its terms straight into the scan's tuple slot. A
-- filter on sequence_id (a constant, a parameter, or a join column: a nested loop gives the
-- scan the outer row's id) and bounds on step_number are applied by the scan itself, so no
-- term it would discard is built (EXPLAIN shows them as Sequence Cond and Step Cond). As a
-- view (generate_series of the step numbers LATERAL over collatz_sequences, two C
-- functions in the target list) a full scan took 1.03-1.14x the time of a warm sequential
-- scan of the same rows stored; 80% of it was PostgreSQL's join, function scan and
-- aggregate, which a scan node of its own does not have.
--
-- A foreign data wrapper rather than a planner hook: the planner loads the handler itself,
-- so every session plans the same without shared_preload_libraries. The wrapper and its
-- server take no options (the validator refuses every one) and grant USAGE to nobody, so
-- only the extension's owner could make another foreign table of them; the scan refuses a
-- foreign table that does not have these four columns. Neither function is STRICT, so that
-- a call with NULLs is refused for lack of EXECUTE like every owner-only function, instead of
-- being folded to NULL by the planner before the privilege check.

CREATE FUNCTION collatz_internal.sequence_steps_computed_handler() RETURNS fdw_handler
LANGUAGE c AS 'MODULE_PATHNAME', 'sequence_steps_computed_handler';
COMMENT ON FUNCTION collatz_internal.sequence_steps_computed_handler() IS
    'The foreign data wrapper collatz_ext_computed: the scan of sequence_steps_computed (src/terms.rs)';

CREATE FUNCTION collatz_internal.sequence_steps_computed_validator(options text[], catalog oid) RETURNS void
LANGUAGE c AS 'MODULE_PATHNAME', 'sequence_steps_computed_validator';
COMMENT ON FUNCTION collatz_internal.sequence_steps_computed_validator(text[], oid) IS
    'Refuses every option of the foreign data wrapper collatz_ext_computed, its server and its foreign tables (HV00D): nothing about the scan is configurable';

CREATE FOREIGN DATA WRAPPER collatz_ext_computed
    HANDLER collatz_internal.sequence_steps_computed_handler
    VALIDATOR collatz_internal.sequence_steps_computed_validator;
COMMENT ON FOREIGN DATA WRAPPER collatz_ext_computed IS
    'collatz_ext''s scan of computed terms (sequence_steps_computed); USAGE is granted to nobody';
CREATE SERVER collatz_ext_computed FOREIGN DATA WRAPPER collatz_ext_computed;
COMMENT ON SERVER collatz_ext_computed IS
    'The terms of the stored sequences, computed when read (sequence_steps_computed); USAGE is granted to nobody';

CREATE FOREIGN TABLE sequence_steps_computed (
    sequence_id    bigint,
    step_number    integer,
    value          numeric,
    operation_type text
) SERVER collatz_ext_computed;

COMMENT ON FOREIGN TABLE sequence_steps_computed IS
    'Every term of every stored sequence, computed when read (no storage): the columns and rows sequence_steps would hold with all steps stored. Reading it needs SELECT on collatz_sequences too';
COMMENT ON COLUMN sequence_steps_computed.sequence_id IS 'The sequence (collatz_sequences.id)';
COMMENT ON COLUMN sequence_steps_computed.step_number IS 'Position in the sequence: 0 is the number itself';
COMMENT ON COLUMN sequence_steps_computed.value IS 'The term at this step, exact';
COMMENT ON COLUMN sequence_steps_computed.operation_type IS 'Rule that produced the term: start (step 0), odd (3n+1 applied), even (n/2 applied)';
