#!/usr/bin/env bash
# tests/security: hostile login roles of every level attack the INSTALLED collatz_ext (it
# neither builds nor installs it). A pg_regress suite in a fresh database sec_regress; fails
# if any expected output differs, if the server log gained a line about a terminated server
# process while the suite ran (an aborted backend makes the postmaster restart every
# session; pg_postmaster_start_time() does not change then, so the log is the witness), or
# if the postmaster itself was restarted (its start time changed).
# Note: installing the library over a running cluster (cargo pgrx install) can kill the
# backends that have it mapped (signal 7): do not reinstall while the suite runs.
#   bash tests/security/test_security.sh            the whole suite
#   bash tests/security/test_security.sh setup x     some files (setup first, teardown last)
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"

TESTS=(setup privileges temp_shadowing schema_shadowing direct_writes triggers_helpers runs resources computed_steps
       huge_inputs bad_input teardown)
[ $# -gt 0 ] && TESTS=("$@")
DB=sec_regress
DIR=tests/security
LOG=$SOCKET_DIR/postgresql.log

start_time() { pql postgres -tA -c "SELECT pg_postmaster_start_time()"; }
library() { stat -c '%Y %s' "$("$PG_CONFIG" --pkglibdir)/collatz_ext.so" 2>/dev/null || echo none; }
before=$(start_time)
library_before=$(library)
log_lines=$( [ -f "$LOG" ] && wc -l < "$LOG" || echo 0 )

status=0
pql postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
say "tests/security: ${TESTS[*]}"
if ! "$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress" --use-existing \
        --host="$SOCKET_DIR" --port="$PORT" --user="$PG_OS_USER" --dbname="$DB" \
        --inputdir="$DIR" --outputdir="$DIR" "${TESTS[@]}"; then
    [ -f "$DIR/regression.diffs" ] && cat "$DIR/regression.diffs" >&2
    status=1
fi

# The server must be the one that was running before (after a crash it may still be in
# recovery for a moment: wait for it).
after="server unreachable"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    after=$(start_time 2>/dev/null) && break
    after="server unreachable"; sleep 1
done
if [ "$after" != "$before" ]; then
    echo "FAILED: the postmaster restarted during the suite (start time $before, now $after)" >&2
    status=1
fi
if [ -f "$LOG" ]; then
    crashes=$(tail -n +"$((log_lines + 1))" "$LOG" \
              | grep -E "terminated by signal|server process .* was terminated" || true)
    if [ -n "$crashes" ]; then
        echo "FAILED: the server log reports terminated backends during the suite:" >&2
        echo "$crashes" >&2
        status=1
    fi
fi
if [ "$(library)" != "$library_before" ]; then
    echo "NOTE: collatz_ext.so was replaced while the suite ran: backends that had it loaded may" >&2
    echo "have died of that (signal 7 or 11), and the results are not those of one build. Run again." >&2
    status=1
fi
[ "$status" -eq 0 ] && say "tests/security: passed"
exit "$status"
