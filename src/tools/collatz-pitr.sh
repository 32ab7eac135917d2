#!/usr/bin/env bash
# Point-in-time recovery for a PostgreSQL cluster holding collatz_ext data: turn on WAL
# archiving, take base backups, and build a data directory recovered to a moment (say, just
# before a mistaken DELETE). Nothing here is specific to one machine: paths are arguments,
# the connection comes from libpq's environment (PGHOST, PGPORT, PGUSER, or a service file).
# Run it as the OS user that owns the cluster. tests/backup/test_pitr.sh proves the recipe.
#
#   collatz-pitr.sh archive-on  PGDATA ARCHIVE_DIR
#       Sets archive_mode and archive_command (copy each finished WAL segment into
#       ARCHIVE_DIR, never overwriting). Restart the server afterwards.
#   collatz-pitr.sh base-backup BACKUP_DIR
#       pg_basebackup of the running server (with the WAL it needs), then pg_verifybackup.
#   collatz-pitr.sh restore     BACKUP_DIR ARCHIVE_DIR TARGET_TIME NEW_PGDATA
#       A new data directory from the base backup that replays the archive up to
#       TARGET_TIME (a timestamptz, e.g. '2026-11-21 10:42:00+00') and then opens for
#       writes. Start it with pg_ctl -D NEW_PGDATA start (on a free port if the old one runs).
set -euo pipefail

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}

# The header comment above is the usage text.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

# A value for postgresql.conf: single-quoted, with quotes doubled.
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

archive_on() {
    local pgdata=$1 archive; archive=$(realpath -m "$2")
    mkdir -p "$archive"
    cat >> "$pgdata/postgresql.auto.conf" <<CONF
# collatz-pitr.sh archive-on
archive_mode = on
archive_command = $(conf_quote "test ! -f '$archive/%f' && cp '%p' '$archive/%f'")
CONF
    echo "archiving to $archive once the server restarts"
}

base_backup() {
    local dir=$1
    "$PG_BIN/pg_basebackup" -D "$dir" --checkpoint=fast --wal-method=stream --no-password
    "$PG_BIN/pg_verifybackup" "$dir" >/dev/null
    echo "base backup in $dir, verified"
}

restore() {
    local backup=$1 archive target=$3 pgdata=$4; archive=$(realpath -m "$2")
    if [ -e "$pgdata" ] && [ -n "$(ls -A "$pgdata")" ]; then
        echo "$pgdata is not empty: restore into a new directory" >&2; exit 1
    fi
    mkdir -p "$pgdata"; chmod 700 "$pgdata"
    cp -a "$backup/." "$pgdata/"
    rm -f "$pgdata/backup_manifest" "$pgdata/postmaster.pid"
    cat >> "$pgdata/postgresql.auto.conf" <<CONF
# collatz-pitr.sh restore
restore_command = $(conf_quote "cp '$archive/%f' '%p'")
recovery_target_time = $(conf_quote "$target")
recovery_target_inclusive = off
recovery_target_action = 'promote'
archive_mode = off
CONF
    touch "$pgdata/recovery.signal"
    echo "$pgdata recovers to $target when started"
}

case "${1:-}" in
    archive-on)  [ $# -eq 3 ] || usage; archive_on "$2" "$3" ;;
    base-backup) [ $# -eq 2 ] || usage; base_backup "$2" ;;
    restore)     [ $# -eq 5 ] || usage; restore "$2" "$3" "$4" "$5" ;;
    *) usage ;;
esac
