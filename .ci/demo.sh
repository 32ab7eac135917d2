#!/usr/bin/env bash
# The main job, from nothing: install what is missing, build and install collatz_ext,
# start a local PostgreSQL, create the extension and run a real analysis.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup
install_extension
start_cluster

DB=collatz_demo
pql postgres -qAt -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || pql postgres -q -c "CREATE DATABASE $DB"
# Never dropped: a database that has the extension keeps its data and is brought up to date.
pql "$DB" -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS collatz_ext" \
    -c "ALTER EXTENSION collatz_ext UPDATE"

say "analysing [1, 10^7]: the longest sequence and the highest peak, exact, in parallel (stored in collatz.analysis_results)"
pql "$DB" <<'SQL'
\timing on
SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed,
       round(duration_ms::numeric, 1) AS duration_ms
FROM collatz.analyze_range(1, 10000000);
SQL

say "connect with:"
connect_line "$DB"
echo "  then: SET search_path = collatz, public;  SELECT * FROM collatz_stats(27);"
