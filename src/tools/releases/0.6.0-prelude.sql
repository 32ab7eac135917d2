
-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped

-- finalize.sql (included whole below) creates these anew: 0.5.0 has them already.
DROP FUNCTION collatz_internal.function_levels();
DROP FUNCTION collatz_internal.restrict_public_execute();
DROP FUNCTION collatz_internal.regrant_levels();
