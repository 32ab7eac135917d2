
-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped

-- finalize.sql (run again at the end of this script) creates its helpers anew.
DROP FUNCTION collatz_internal.function_levels();
DROP FUNCTION collatz_internal.restrict_public_execute();
DROP FUNCTION collatz_internal.regrant_levels();
