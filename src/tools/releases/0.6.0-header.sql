-- collatz_ext 0.5.0 -> 0.6.0: performance and storage at scale (issues 11 and 15).
-- Made by src/tools/releases/0.6.0.sh: the structural changes written by hand
-- (src/tools/releases/0.6.0-prelude.sql), then every new or changed function as
-- src/tools/upgrade-script.py takes it from cargo pgrx schema and the src/sql sources of 0.6.0,
-- then src/sql/finalize.sql (comments, access levels, and the re-grant of every role's
-- level). tests/upgrade checks the result against a fresh install, object for object.
-- Frozen once released: later changes go into the next release's script.
\echo Use "ALTER EXTENSION collatz_ext UPDATE TO '0.6.0'" to load this file. \quit
