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

say "analysing [1, 10^7]: the longest sequence and the highest peak, exact, in parallel"
pql "$DB" <<'SQL'
\timing on
WITH records AS MATERIALIZED (SELECT * FROM collatz.collatz_records(1, 10000000))
(SELECT 'longest sequence' AS record, number, steps_to_one, max_value
 FROM records WHERE delay_record ORDER BY number DESC LIMIT 1)
UNION ALL
(SELECT 'highest peak', number, steps_to_one, max_value
 FROM records WHERE path_record ORDER BY number DESC LIMIT 1);
SQL

say "connect with:"
connect_line "$DB"
echo "  then: SET search_path = collatz, public;  SELECT * FROM collatz_stats(27);"
