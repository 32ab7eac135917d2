#!/usr/bin/env bash
# pg_dump / pg_restore round trip of a populated database: every table's rows (ids and
# timestamps included) come back identical, and every identity continues past the old rows.
# Needs the current release installed and the local cluster running (.ci/test.sh does both).
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
src=collatz_dump_source; dst=collatz_dump_restored

pql postgres -q -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" -c "CREATE DATABASE $src" 2>/dev/null
pql "$src" -q -c "CREATE EXTENSION collatz_ext"
pql "$src" -q -f tests/backup/fill.sql
pql "$src" -q -f tests/backup/contents.sql > "$work/source"

"$PG_BIN/pg_dump" -h "$SOCKET_DIR" -p "$PORT" -U "$PG_OS_USER" -Fc -f "$work/dump" "$src"
pql postgres -q -c "CREATE DATABASE $dst"
"$PG_BIN/pg_restore" -h "$SOCKET_DIR" -p "$PORT" -U "$PG_OS_USER" --exit-on-error -d "$dst" "$work/dump"
pql "$dst" -q -f tests/backup/contents.sql > "$work/restored"

status=0
if diff -u "$work/source" "$work/restored"; then
    echo "ok: restored contents identical"; sed 's/^/   /' "$work/source"
else
    echo "FAIL: restored contents differ"; status=1
fi
if grep -q "collatz_sequences 0 " "$work/source"; then echo "FAIL: nothing was dumped"; status=1; fi
pql "$dst" -q -f tests/backup/after_restore.sql | tee "$work/continues"
if grep -q ": false" "$work/continues"; then echo "FAIL: an identity restarted or the totals are off"; status=1; fi
pql postgres -q -c "DROP DATABASE $src" -c "DROP DATABASE $dst"
exit $status
