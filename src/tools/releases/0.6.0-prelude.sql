
-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped
-- finalize.sql, appended whole at the end, creates its functions again (function_levels
-- lists the functions 0.6.0 adds): drop 0.5.0's first.
DROP FUNCTION collatz_internal.function_levels();
DROP FUNCTION collatz_internal.restrict_public_execute();
DROP FUNCTION collatz_internal.regrant_levels();
