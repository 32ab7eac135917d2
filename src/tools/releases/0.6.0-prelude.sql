
-- ==== Structure (written by hand): tables, views and objects that are dropped or reshaped
