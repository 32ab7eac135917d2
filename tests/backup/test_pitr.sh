#!/usr/bin/env bash
# Point-in-time recovery, end to end, with src/tools/collatz-pitr.sh on a cluster of its
# own (archiving needs a restart): populate, base backup, more work after the backup, note
# the time, a mistaken DELETE, then recover a new cluster to the noted time. It must hold
# exactly what was there at that moment: the rows written after the base backup (replayed
# from the archive) and none of the DELETE. Needs the current release installed.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
PITR=$REPO/src/tools/collatz-pitr.sh
PRIMARY_PORT=${COLLATZ_PITR_PORT:-28816}
RESTORED_PORT=$((PRIMARY_PORT + 1))
work=$(as_pg mktemp -d "${TMPDIR:-/tmp}/collatz-pitr.XXXXXX")
out=$(mktemp -d)
cleanup() {
    as_pg "$PG_BIN/pg_ctl" -D "$work/restored" -m immediate stop >/dev/null 2>&1 || true
    as_pg "$PG_BIN/pg_ctl" -D "$work/primary" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work" "$out"
}
trap cleanup EXIT
on() {  # on PORT [psql args...]: psql as the cluster owner against one of this test's clusters
    local port=$1; shift
    as_pg env PGHOST="$work" PGPORT="$port" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}
start() {  # start PGDATA PORT
    as_pg env -u RUST_BACKTRACE "$PG_BIN/pg_ctl" -D "$1" -l "$1.log" -w -t 120 \
        -o "-p $2 -k $work -c listen_addresses=''" start >/dev/null
}

as_pg "$PG_BIN/initdb" -D "$work/primary" -U "$PG_OS_USER" --auth-local=trust --auth-host=reject >/dev/null 2>&1
as_pg "$PITR" archive-on "$work/primary" "$work/archive"
start "$work/primary" "$PRIMARY_PORT"

on "$PRIMARY_PORT" -c "CREATE EXTENSION collatz_ext"
on "$PRIMARY_PORT" -f tests/backup/fill.sql
as_pg env PGHOST="$work" PGPORT="$PRIMARY_PORT" PGUSER="$PG_OS_USER" "$PITR" base-backup "$work/base"
on "$PRIMARY_PORT" -f tests/backup/contents.sql > "$out/at_backup"

# Work after the base backup: only the WAL archive carries it to the restored cluster.
on "$PRIMARY_PORT" -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_batch_insert_sequences(40001, 42000, with_steps => true, batch_size => 500)" \
    -c "SELECT count(*) FROM collatz.analyze_range(1, 100000)" >/dev/null
on "$PRIMARY_PORT" -f tests/backup/contents.sql > "$out/at_target"
target=$(on "$PRIMARY_PORT" -Atc "SELECT clock_timestamp()")
sleep 1
# The mistake, and a little honest work after it.
on "$PRIMARY_PORT" -c "DELETE FROM collatz.collatz_sequences WHERE number > 100" \
    -c "DELETE FROM collatz.analysis_results" \
    -c "SELECT count(*) FROM collatz.batch_save_sequences(ARRAY[50000, 50001])" >/dev/null
on "$PRIMARY_PORT" -f tests/backup/contents.sql > "$out/after_mistake"
# Close the current WAL segment and wait until the archiver has it.
segment=$(on "$PRIMARY_PORT" -Atc "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 60); do
    [ -f "$work/archive/$segment" ] && break; sleep 1
done
[ -f "$work/archive/$segment" ] || { echo "FAIL: $segment was never archived"; exit 1; }

as_pg "$PITR" restore "$work/base" "$work/archive" "$target" "$work/restored"
start "$work/restored" "$RESTORED_PORT"
for _ in $(seq 1 120); do
    [ "$(on "$RESTORED_PORT" -Atc "SELECT pg_is_in_recovery()")" = f ] && break; sleep 1
done
on "$RESTORED_PORT" -f tests/backup/contents.sql > "$out/restored"

status=0
# Rows must be identical. Identity positions may be ahead: PostgreSQL WAL-logs a sequence 32
# values in advance, so recovery resumes past any value handed out (never behind one).
if diff -u <(grep -v '^identity' "$out/at_target") <(grep -v '^identity' "$out/restored"); then
    echo "ok: recovered to $target, every table identical to that moment"; sed 's/^/   /' "$out/restored"
else
    echo "FAIL: the recovered cluster differs from the moment before the DELETE"; status=1
fi
while read -r _ name value; do
    restored=$(awk -v n="$name" '$1 == "identity" && $2 == n {print $3}' "$out/restored")
    if [ "${restored:-0}" -lt "$value" ]; then echo "FAIL: $name went back from $value to $restored"; status=1; fi
done < <(grep '^identity' "$out/at_target")
if diff -q "$out/at_target" "$out/after_mistake" >/dev/null; then
    echo "FAIL: the DELETE changed nothing, so the test proves nothing"; status=1
fi
if diff -q "$out/at_backup" "$out/at_target" >/dev/null; then
    echo "FAIL: nothing was written after the base backup, so the archive replayed nothing"; status=1
fi
on "$RESTORED_PORT" -f tests/backup/after_restore.sql | tee "$out/continues"
if grep -q ": false" "$out/continues"; then echo "FAIL: an identity restarted or the totals are off"; status=1; fi
exit $status
