#!/usr/bin/env bash
# collatz_ext through PgBouncer (Debian's 1.18) in transaction pooling, in front of a
# cluster of its own: what works per transaction, what needs one transaction or a session.
#   - psql: the import inside one BEGIN ... COMMIT; CALL sp_batch_insert_sequences and
#     sp_analyze_range (their COMMITs happen inside one client statement, which keeps its
#     server connection to the end); analyze_range; settings from ALTER ROLE reaching CALLs.
#   - pgb_sessions.py (psycopg 3, prepare_threshold=None): two clients showing SET leak to
#     and get lost from server connections while SET LOCAL does not; ALTER ROLE ... SET and
#     RECONNECT; the import split across transactions failing; prepared statements failing;
#     a pipeline_run_step loop moving between server connections; CALL and autocommit.
#   - pgb_stress.py: repository calls from 20 threads on a pool of 5, 0 errors, exact values.
# About 10 seconds (the first run also creates a venv with psycopg: a few seconds more). Needs the current release
# installed. No password anywhere: the cluster trusts its socket, pgbouncer trusts its users.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
APT_PACKAGES=(pgbouncer python3-venv)
ensure_apt_packages
HERE=$REPO/tests/pgbouncer

PG_PORT_PGB=${COLLATZ_PGB_PG_PORT:-28831}     # the cluster (socket only)
PGB_PORT=${COLLATZ_PGB_PORT:-28832}           # pgbouncer, on 127.0.0.1
base=${TMPDIR:-/tmp}/collatz_ext-pgbouncer
VENV=${TMPDIR:-/tmp}/collatz_ext-venv-pgb
DB=collatz_pgb

cleanup() {
    if [ -f "$base/pgbouncer.pid" ]; then
        kill "$(cat "$base/pgbouncer.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$(cat "$base/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$base/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$base"
}
trap cleanup EXIT
cleanup   # what an interrupted earlier run left
if [ "$(id -u)" -eq 0 ]; then install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$base"; else mkdir -p "$base"; fi

passed=0; failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
tally() {  # adds the ok:/FAIL: lines a Python script printed
    local o f
    o=$(grep -c '^ok:' "$1" || true); f=$(grep -c '^FAIL:' "$1" || true)
    passed=$((passed + o)); failed=$((failed + f))
}
direct() {  # psql straight to the cluster, as its owner
    as_pg env PGHOST="$base" PGPORT="$PG_PORT_PGB" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}
pgb() {  # pgb ROLE [psql args...]: psql through pgbouncer
    local role=$1; shift
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGB_PORT" -U "$role" -d "${PGBDB:-$DB}" "$@"
}

say "python venv with psycopg 3 ($VENV)"
if ! "$VENV/bin/python" -c "import psycopg" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'psycopg[binary]>=3.1'
fi
"$VENV/bin/python" -c "import psycopg; print('psycopg', psycopg.__version__)"

say "a cluster of its own (socket, port $PG_PORT_PGB) and pgbouncer on 127.0.0.1:$PGB_PORT, transaction pooling"
as_pg "$PG_BIN/initdb" -D "$base/data" -U "$PG_OS_USER" --auth-local=trust --auth-host=reject >/dev/null
as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$base/data" -l "$base/postgresql.log" -w -t 120 \
    -o "-p $PG_PORT_PGB -k $base -c listen_addresses=''" start >/dev/null
as_pg env PGHOST="$base" PGPORT="$PG_PORT_PGB" "$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB"
direct >/dev/null <<'SQL'
CREATE EXTENSION collatz_ext;
-- The application's role; the ETL role carries its settings itself (the pool-safe way);
-- a role of its own for the split import, so that it starts on a pool of fresh connections.
CREATE ROLE collatz_app LOGIN;    SELECT collatz.collatz_grant('collatz_app', 'write');
CREATE ROLE collatz_etl LOGIN;    SELECT collatz.collatz_grant('collatz_etl', 'write');
CREATE ROLE collatz_split LOGIN;  SELECT collatz.collatz_grant('collatz_split', 'write');
ALTER ROLE collatz_etl SET collatz.threads = 1;
ALTER ROLE collatz_etl SET collatz.batch_size = 5000;
SQL
# trust still needs each user in the auth file; the password field stays empty.
printf '"%s" ""\n' postgres collatz_app collatz_etl collatz_split > "$base/userlist.txt"
cat > "$base/pgbouncer.ini" <<EOF
[databases]
$DB = host=$base port=$PG_PORT_PGB dbname=$DB
; the same database on a pool of one server connection
${DB}_one = host=$base port=$PG_PORT_PGB dbname=$DB pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $base/userlist.txt
admin_users = $PG_OS_USER
pool_mode = transaction
default_pool_size = 5
max_client_conn = 200
server_round_robin = 0
logfile = $base/pgbouncer.log
pidfile = $base/pgbouncer.pid
EOF
if [ "$(id -u)" -eq 0 ]; then chown "$PG_OS_USER:" "$base/userlist.txt" "$base/pgbouncer.ini"; fi
as_pg pgbouncer -d -q "$base/pgbouncer.ini"   # refuses to run as root
for _ in $(seq 1 100); do
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PGB_PORT" -U "$PG_OS_USER" -d pgbouncer -c "SHOW VERSION" >/dev/null 2>&1 && break
    sleep 0.1
done
"$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PGB_PORT" -U "$PG_OS_USER" -d pgbouncer -c "SHOW VERSION" \
    || { echo "FAIL: pgbouncer did not start"; cat "$base/pgbouncer.log"; exit 1; }

say "import staging inside ONE transaction, through pgbouncer (psql \\copy)"
python3 - "$base/import.csv" <<'PY'
import sys
def walk(n):
    top, steps = n, 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1; top = max(top, n)
    return steps, top
with open(sys.argv[1], "w") as f:
    f.write("number,sequence_length,steps_to_one,max_value\n")
    for n in range(200001, 203001):
        s, top = walk(n)
        f.write(f"{n},{s + 1},{s},{top}\n")
PY
chmod 644 "$base/import.csv"
cat > "$base/import.sql" <<EOF
BEGIN;
SELECT collatz.import_open();
\\copy collatz_import_lines (line) FROM '$base/import.csv' WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')
SELECT lines, loaded, rejected FROM collatz.import_sequences('csv');
SELECT collatz.import_open();  -- empties the staging: the server connection outlives this transaction
COMMIT;
EOF
got=$(pgb collatz_app -AtF ' ' -f "$base/import.sql" | grep -E '^[0-9]+ [0-9]+ [0-9]+$')
check "BEGIN; import_open(); \\copy; import_sequences(); COMMIT through pgbouncer: lines loaded rejected" "$got" "3000 3000 0"
check "rows stored" "$(direct -Atc "SELECT count(*) FROM collatz.collatz_sequences WHERE number BETWEEN 200001 AND 203000")" 3000

say "CALL through transaction pooling: the procedures' COMMITs stay inside one client statement"
pgb collatz_app -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_batch_insert_sequences(100001, 140000, batch_size => 4000)" >/dev/null \
    && ok "CALL sp_batch_insert_sequences(100001, 140000, batch_size => 4000): 10 committed batches"
check "every row of [100001, 140000], exact (count, sum of steps against collatz_steps)" \
    "$(direct -Atc "SELECT count(*) || ' ' || sum(steps_to_one) FROM collatz.collatz_sequences WHERE number BETWEEN 100001 AND 140000")" \
    "$(direct -Atc "SELECT count(*) || ' ' || sum(collatz.collatz_steps(n)) FROM generate_series(100001, 140000) n")"
pgb collatz_app -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_analyze_range(1, 3000000, segment_size => 250000)" >/dev/null \
    && ok "CALL sp_analyze_range(1, 3000000, segment_size => 250000): 12 committed segments"
check "its analysis_results row = collatz_analyze(1, 3000000)" \
    "$(direct -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.analysis_results WHERE end_range = 3000000")" \
    "$(direct -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.collatz_analyze(1, 3000000)")"
check "the function form analyze_range(1, 10^6) = collatz_analyze(1, 10^6)" \
    "$(pgb collatz_app -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.analyze_range(1, 1000000)")" \
    "$(direct -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.collatz_analyze(1, 1000000)")"

# On a pool of ONE server connection: a CALL that commits ~50 times, and a second client
# that asks for the time meanwhile. If a COMMIT inside the CALL gave the server back, the
# second client would get it before the CALL ends.
t_call=$(date +%s%N)
PGBDB=${DB}_one pgb collatz_etl -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_analyze_range(1, 60000000, segment_size => 1048576)" > "$base/call.out" 2>&1 &
call_pid=$!
commits_seen=""; deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do   # wait until the CALL has committed a few segments
    commits_seen=$(direct -Atc "SELECT rows_done FROM collatz.pipeline_runs WHERE end_range = 60000000 AND status = 'running'")
    [ -n "$commits_seen" ] && [ "$commits_seen" -gt 0 ] && break; sleep 0.05
done
second=$(PGBDB=${DB}_one pgb collatz_etl -Atc "SELECT clock_timestamp()")
wait "$call_pid" && ok "CALL sp_analyze_range(1, 6*10^7, segment_size => 2^20) through a pool of one, as collatz_etl" \
    || { fail "the CALL through the pool of one failed"; cat "$base/call.out"; }
call_ms=$(( ($(date +%s%N) - t_call) / 1000000 ))
check "the second client got the only server connection after the CALL had finished (its commits did not give it back)" \
    "$(direct -Atc "SELECT '$second'::timestamptz >= finished_at FROM collatz.pipeline_runs WHERE end_range = 60000000")" t
echo "   (the CALL took $call_ms ms; $commits_seen numbers were committed when the second client asked)"
check "the CALL ran with the role's settings (ALTER ROLE collatz_etl SET collatz.threads = 1): metric threads" \
    "$(direct -Atc "SELECT context ->> 'threads' FROM collatz.performance_metrics WHERE operation_type = 'analyze_range' AND context ->> 'end_range' = '60000000'")" 1
check "its stored analysis = collatz_analyze(1, 6*10^7)" \
    "$(direct -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.analysis_results WHERE end_range = 60000000")" \
    "$(direct -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value FROM collatz.collatz_analyze(1, 60000000)")"
pgb collatz_etl -c "SET client_min_messages = warning" -c "CALL collatz.sp_batch_insert_sequences(150001, 160000)" >/dev/null
check "a CALL of sp_batch_insert_sequences as collatz_etl takes batch_size 5000 from ALTER ROLE" \
    "$(direct -Atc "SELECT options ->> 'batch_size' FROM collatz.pipeline_runs WHERE operation_type = 'batch_insert' AND start_range = 150001")" 5000

say "two clients and more, with psycopg 3 (prepare_threshold=None): pgb_sessions.py"
export PGB_DSN="host=127.0.0.1 port=$PGB_PORT dbname=$DB"
export PGB_ADMIN_DSN="host=127.0.0.1 port=$PGB_PORT dbname=pgbouncer user=$PG_OS_USER"
export DIRECT_DSN="host=$base port=$PG_PORT_PGB dbname=$DB user=$PG_OS_USER"
export PSQL="$PG_BIN/psql"
out=$(mktemp)
"$VENV/bin/python" "$HERE/pgb_sessions.py" | tee "$out" || true
tally "$out"
grep -q '^sessions: done' "$out" || fail "pgb_sessions.py stopped early"

say "repository calls from 20 threads through a pool of 5: pgb_stress.py"
"$VENV/bin/python" "$HERE/pgb_stress.py" | tee "$out" || true
tally "$out"
grep -q '^stress: done' "$out" || fail "pgb_stress.py stopped early"
rm -f "$out"

echo
echo "pgbouncer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
