#!/usr/bin/env bash
# Copies stored sequences (and their steps) from one collatz_ext database to another, say
# from sandbox to qa, with the checks of an import: every row is recomputed on arrival and
# a wrong one is refused with its reason. The data streams from the source's JSON Lines
# export into the target's import, with no file in between.
#
#   collatz-migrate.sh --from SOURCE --to TARGET [--range FIRST LAST] [--with-steps]
#                      [--on-error stop|ignore] [--on-conflict skip|upsert|error] [--dry-run]
#
# SOURCE and TARGET are libpq connection strings or service names ("service=sandbox",
# "host=qa-db dbname=collatz"); passwords belong in ~/.pgpass or the service file, never on
# the command line. --on-error stop (the default) loads nothing unless every row is valid;
# ignore loads the valid rows and prints the rejected ones. --with-steps carries every term
# of each sequence (the source computes those it never stored) and the target stores them
# all; without it only the rows move, and the target computes the terms when read
# (collatz.sequence_steps_computed). A non-zero exit on any error.
set -euo pipefail

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
# The header comment above is the usage text.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

from='' to='' first=1 last=9223372036854775807 steps=false on_error=stop on_conflict=skip dry_run=false
while [ $# -gt 0 ]; do
    case "$1" in
        --from) from=$2; shift 2 ;;
        --to) to=$2; shift 2 ;;
        --range) first=$2; last=$3; shift 3 ;;
        --with-steps) steps=true; shift ;;
        --on-error) on_error=$2; shift 2 ;;
        --on-conflict) on_conflict=$2; shift 2 ;;
        --dry-run) dry_run=true; shift ;;
        *) usage ;;
    esac
done
[ -n "$from" ] && [ -n "$to" ] || usage
for n in "$first" "$last"; do [[ "$n" =~ ^[0-9]+$ ]] || { echo "--range takes two whole numbers" >&2; exit 2; }; done

psql_on() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }

psql_on "$from" -c "\\copy (SELECT * FROM collatz.export_sequences_jsonl($first, $last, with_steps => $steps)) TO STDOUT" |
psql_on "$to" -v on_error="$on_error" -v on_conflict="$on_conflict" -v dry_run="$dry_run" -f <(cat <<'SQL'
\o /dev/null
SELECT collatz.import_open();
\o
\copy collatz_import_lines (line) FROM pstdin WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
\pset footer off
SELECT * FROM collatz.import_sequences('json', on_error => :'on_error', on_conflict => :'on_conflict',
                                       dry_run => :'dry_run');
SELECT count(*) > 0 AS rejections FROM collatz.import_rejections() \gset
\if :rejections
SELECT line_number AS row, reason FROM collatz.import_rejections();
\endif
SQL
)
