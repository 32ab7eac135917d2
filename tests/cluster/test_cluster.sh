#!/usr/bin/env bash
# collatz_ext_cluster for real: a coordinator and three node clusters of its own on loopback
# ports, each with the installed collatz_ext, the coordinator with the companion and a
# PL/Proxy cluster of 3 partitions (modular_mapping) over the nodes, reached as a node role
# of the write level. Checks, each against what one server says (the coordinator's own
# collatz_ext) and against values computed here in Python:
#   - a distributed analysis of [1, 3*10^8] (the function) equals analyze_range and the
#     published record holders; each node records its parts;
#   - a distributed load of [1, 10^6] holds, across the nodes, exactly the rows one server
#     holds, each on partition n % 3; get_sequence, keyset pages and the summary over the
#     union equal the single server's;
#   - a node stopped in the middle of sp_cluster_analyze (the procedure, on [1, 3*10^9]):
#     the error names it, the coordinator
#     stores nothing but the finished parts, and after a restart the resume computes only
#     that node's part; calls that need a stopped node name it, the others work;
#   - hostile roles on the coordinator: no level, read level, a write level with its own
#     "cluster", a planted search_path, huge inputs.
# About 2-3 minutes on 2 cores. Needs the build installed (install_extension).
#   COLLATZ_CLUSTER_PORT  the coordinator's port (default 28840); the nodes take the 3 after it
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
APT_PACKAGES=(postgresql-$PG_MAJOR-plproxy)
ensure_apt_packages

BASE_PORT=${COLLATZ_CLUSTER_PORT:-28840}
NODES=3
base=${TMPDIR:-/tmp}/collatz_ext-cluster
DB=collatz_cluster_test
END=300000000
# The run a node is stopped in: long enough that the stop lands inside its upper half's
# round (the parts of [1, 3*10^8] take a fraction of a second each with the sieve engine).
STOP_END=3000000000
LOAD=1000000

port_of() { echo $((BASE_PORT + $1)); }   # 0: coordinator, 1..3: nodes (partitions 0..2)
cleanup() {
    for i in 0 1 2 3; do
        [ -d "$base/c$i/data" ] && as_pg "$PG_BIN/pg_ctl" -D "$base/c$i/data" -m immediate stop >/dev/null 2>&1
    done
    rm -rf "$base"
}
trap cleanup EXIT
cleanup   # clusters left by an interrupted earlier run
if [ "$(id -u)" -eq 0 ]; then install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$base"; else mkdir -p "$base"; fi

start_pg() {  # start_pg I: start cluster I (creating it on first use)
    local dir=$base/c$1
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        if [ "$(id -u)" -eq 0 ]; then install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$dir"; else mkdir -p "$dir"; fi
        # trust on loopback and the socket: test clusters only (see README for production).
        as_pg "$PG_BIN/initdb" -D "$dir/data" -U "$PG_OS_USER" --auth-local=trust --auth-host=trust >/dev/null
        cat >> "$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
shared_buffers = 32MB
max_connections = 40
fsync = off
EOF
    fi
    # RUST_BACKTRACE would make every ERROR raised through Rust carry a backtrace in DETAIL.
    as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 120 \
        -o "-p $(port_of "$1") -k $dir" start >/dev/null
}
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$base/c$1/data" -m fast stop >/dev/null; }
on() {  # on I [psql args...]: psql against cluster I's test database
    local i=$1; shift
    as_pg env PGHOST="$base/c$i" PGPORT="$(port_of "$i")" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}
val() { local i=$1; shift; on "$i" -Atc "$@"; }
passed=0; failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
# The SQLSTATE and message of a statement that must fail, as "STATE: message".
error_of() {  # error_of I [-U role] SQL
    local i=$1; shift
    local out
    out=$(on "$i" -v VERBOSITY=verbose "$@" 2>&1 >/dev/null) && { echo "no error"; return; }
    echo "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)$/\1: \2/p' | head -1
}
finish() { echo; echo "cluster: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

say "a coordinator (port $(port_of 0)) and $NODES nodes (ports $(port_of 1)-$(port_of $NODES)), collatz_ext on each"
for i in 0 1 2 3; do
    start_pg "$i"
    as_pg env PGHOST="$base/c$i" PGPORT="$(port_of "$i")" "$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB"
    on "$i" -c "CREATE EXTENSION collatz_ext"
done
for i in 1 2 3; do
    # The node role the coordinator connects as: collatz_ext's write level, nothing more.
    on "$i" -c "CREATE ROLE collatz_node LOGIN" -c "SELECT collatz.collatz_grant('collatz_node', 'write')" >/dev/null
done
# The declaration a DBA writes (README, "Beyond one machine"): partitions, and the mapping
# of the extension's owner, through which the companion's functions reach the nodes.
options="modular_mapping '1'"
for p in 0 1 2; do
    options+=", p$p 'host=127.0.0.1 port=$(port_of $((p + 1))) dbname=$DB connect_timeout=5'"
done
on 0 >/dev/null <<SQL
CREATE EXTENSION collatz_ext_cluster CASCADE;
CREATE SERVER collatz_cluster FOREIGN DATA WRAPPER plproxy OPTIONS ($options);
CREATE USER MAPPING FOR CURRENT_USER SERVER collatz_cluster OPTIONS (user 'collatz_node');
SQL
check "every partition answers with the coordinator's collatz_ext" \
    "$(val 0 "SELECT string_agg(partition || ':' || reachable || ':' || (collatz_ext_version = (SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext')), ' ' ORDER BY partition) FROM collatz_cluster.cluster_status()")" \
    "0:true:true 1:true:true 2:true:true"

say "distributed analysis of [1, $END] against one server and the published records"
cols="longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now); single=$(val 0 "SELECT $cols FROM collatz.analyze_range(1, $END)")
t1=$(now); distributed=$(val 0 "SELECT $cols FROM collatz_cluster.collatz_cluster_analyze(1, $END)"); t2=$(now)
# For information only (all four servers share this machine's cores; no timed assertion).
echo "    one server $(secs "$t0" "$t1") s, the cluster $(secs "$t1" "$t2") s"
check "collatz_cluster_analyze(1, $END) = analyze_range(1, $END) on one server" "$distributed" "$single"
# Published (Roosendaal's delay and path records): below 3*10^8 the longest sequence starts
# at 268,549,803 (964 steps; the next delay record, 537,099,606, is above) and the highest
# peak, 6,404,797,161,121,264, at 210,964,383 (the next path record, 319,804,831, is above).
# The values are recomputed here by a plain loop, independently of collatz_ext.
reference=$(python3 - <<'PY'
def walk(n):
    steps, peak = 0, n
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps, peak = steps + 1, max(peak, n)
    return steps, peak
s, _ = walk(268549803)
_, p = walk(210964383)
print(f"268549803|{s + 1}|210964383|{p}|300000000")
PY
)
check "the records are the published holders, with independently computed values" "$distributed" "$reference"
check "each node recorded its 2 parts in its own performance_metrics" \
    "$(for i in 1 2 3; do val "$i" "SELECT count(*) FROM collatz.performance_metrics WHERE operation_type = 'analyze_segment' AND context->>'run_end' = '$END'"; done | paste -sd' ')" \
    "2 2 2"
check "the function form stored nothing on the coordinator" \
    "$(val 0 "SELECT count(*) FROM collatz.analysis_results WHERE end_range = $END")" "1"
# The cost of the split: the parts of a run are judged against the run (analyze_segment).
echo "    node rate: $(val 1 "SELECT round(sum(rows_processed) / (sum(execution_time) / 1000.0)) FROM collatz.performance_metrics WHERE operation_type = 'analyze_segment' AND context->>'run_end' = '$END'") numbers/s on partition 0 (3 nodes sharing 2 cores)"

say "a node stopped in the middle of sp_cluster_analyze(1, $STOP_END), then the resume"
stop_single=$(val 0 "SELECT $cols FROM collatz.analyze_range(1, $STOP_END)")
metrics_of() { val "$1" "SELECT count(*) FROM collatz.performance_metrics WHERE operation_type = 'analyze_segment' AND context->>'run_end' = '$STOP_END'"; }
before="$(metrics_of 1) $(metrics_of 2) $(metrics_of 3)"
stored_before=$(val 0 "SELECT count(*) FROM collatz.analysis_results")
on 0 -v VERBOSITY=verbose -c "CALL collatz_cluster.sp_cluster_analyze(1, $STOP_END)" > "$base/call.out" 2>&1 &
call=$!
# Round 0 (the lower halves, short) checkpointed, round 1 (the upper halves) under way on
# partition 1's node: stop that node then.
for _ in $(seq 1 600); do
    [ "$(val 0 "SELECT count(*) FROM collatz_cluster.analysis_parts WHERE done_at IS NOT NULL")" -ge 3 ] && break
    sleep 0.1
done
for _ in $(seq 1 200); do
    [ "$(val 2 "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%analyze_segment%' AND pid <> pg_backend_pid()")" -ge 1 ] && break
    sleep 0.05
done
sleep 0.2
stop_pg 2
wait "$call" && fail "the CALL succeeded with a node stopped" || true
error=$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)$/\1: \2/p' "$base/call.out" | head -1)
case "$error" in
    "08006: sp_cluster_analyze: partition 1 of cluster collatz_cluster (host=127.0.0.1 port=$(port_of 2) "*"is down"*)
        ok "the error names the stopped node: ${error:0:110}...";;
    *) fail "the error does not name the node: $error"; cat "$base/call.out";;
esac
check "nothing stored in the coordinator's analysis_results" "$(val 0 "SELECT count(*) FROM collatz.analysis_results")" "$stored_before"
check "the run keeps the parts that finished (5 of 6: the others' upper halves waited for)" \
    "$(val 0 "SELECT count(*) FILTER (WHERE done_at IS NOT NULL) || ' of ' || count(*) || ', missing on partition ' || string_agg(partition::text, ',') FILTER (WHERE done_at IS NULL) FROM collatz_cluster.analysis_parts")" \
    "5 of 6, missing on partition 1"
check "the run is running, one failure recorded" "$(val 0 "SELECT status || ' ' || failures FROM collatz_cluster.analysis_runs")" "running 1"
start_pg 2
mid="$(metrics_of 1) $(metrics_of 2) $(metrics_of 3)"
resumed=$(val 0 "CALL collatz_cluster.sp_cluster_analyze(1, $STOP_END)" 2>/dev/null)
check "the resume stores the whole analysis" \
    "$(val 0 "SELECT $cols FROM collatz.analysis_results WHERE id = $resumed")" "$stop_single"
after="$(metrics_of 1) $(metrics_of 2) $(metrics_of 3)"
check "the resume computed only the stopped node's part (segments per node: before, after the stop, after the resume)" \
    "$before / $mid / $after" "0 0 0 / 2 1 2 / 2 2 2"
check "the run is done" "$(val 0 "SELECT status || ' ' || (analysis_id = $resumed) FROM collatz_cluster.analysis_runs")" "done true"

say "distributed load of [1, $LOAD] against the same load on one server"
t0=$(now)
val 0 "SELECT partition || ':' || written FROM collatz_cluster.batch_insert_sequences(1, $LOAD)" | paste -sd' ' | sed 's/^/    rows written per partition: /'
t1=$(now); on 0 -c "CALL collatz.sp_batch_insert_sequences(1, $LOAD)" >/dev/null 2>&1; t2=$(now)
echo "    the cluster $(secs "$t0" "$t1") s, one server $(secs "$t1" "$t2") s"
rows="SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_sequences"
for i in 1 2 3; do on "$i" -c "COPY ($rows) TO STDOUT"; done | sort -n > "$base/nodes.txt"
on 0 -c "COPY ($rows ORDER BY number) TO STDOUT" > "$base/single.txt"
check "the nodes hold exactly the single server's rows (number, length, steps, peak)" \
    "$(wc -l < "$base/nodes.txt") rows, $(md5sum < "$base/nodes.txt" | cut -c1-12)" \
    "$(wc -l < "$base/single.txt") rows, $(md5sum < "$base/single.txt" | cut -c1-12)"
check "each number is on partition n % 3" \
    "$(for p in 0 1 2; do val $((p + 1)) "SELECT count(*) FILTER (WHERE number % 3 <> $p) FROM collatz.collatz_sequences"; done | paste -sd' ')" "0 0 0"
check "a second load writes nothing (skip)" \
    "$(val 0 "SELECT sum(written) FROM collatz_cluster.batch_insert_sequences(1, $LOAD)")" "0"
check "batch_save_sequences routes given numbers" \
    "$(val 0 "SELECT string_agg(partition || ':' || written, ' ' ORDER BY partition) FROM collatz_cluster.batch_save_sequences(ARRAY[1000003, 1000004, 1000005, 1000006, 27])")" \
    "0:1 1:2 2:1"
on 0 -c "SELECT count(*) FROM collatz.batch_save_sequences(ARRAY[1000003, 1000004, 1000005, 1000006, 27])" >/dev/null
summary="total_sequences, smallest_number, largest_number, mean_sequence_length, longest_sequence_length, longest_sequence_number, highest_peak, highest_peak_number, sequences_with_steps, stored_steps"
check "sequence_summary() over the nodes = v_sequence_summary on one server" \
    "$(val 0 "SELECT $summary FROM collatz_cluster.sequence_summary()")" \
    "$(val 0 "SELECT $summary FROM collatz.v_sequence_summary")"
seq_cols="number, sequence_length, steps_to_one, max_value, stored"
for n in 27 837799 1000000 1000006 5000001; do
    check "get_sequence($n) from partition $((n % 3)) = one server's" \
        "$(val 0 "SELECT $seq_cols, partition FROM collatz_cluster.get_sequence($n)")" \
        "$(val 0 "SELECT $seq_cols, $((n % 3)) FROM collatz.get_sequence($n)")"
done
# Every page of a length range, walked with after_number, against the same walk on one server.
on 0 >/dev/null <<'SQL'
CREATE FUNCTION public.walk_pages(distributed boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    last_seen bigint;
    got bigint;
    page text;
    pages int := 0;
    digest text := '';
BEGIN
    LOOP
        IF distributed THEN
            SELECT max(f.number), count(*), string_agg(f.number || ',' || f.sequence_length || ',' || f.max_value, ';' ORDER BY f.number)
            INTO last_seen, got, page
            FROM collatz_cluster.find_sequences_in_range(1, 1000006, 997, last_seen, 300, NULL) f;
        ELSE
            SELECT max(f.number), count(*), string_agg(f.number || ',' || f.sequence_length || ',' || f.max_value, ';' ORDER BY f.number)
            INTO last_seen, got, page
            FROM collatz.find_sequences_in_range(1, 1000006, 997, last_seen, 300, NULL) f;
        END IF;
        EXIT WHEN got = 0;
        pages := pages + 1;
        digest := md5(digest || page);
    END LOOP;
    RETURN pages || ' pages, ' || left(digest, 12);
END $$;
SQL
check "keyset pages merged over the nodes = one server's pages" \
    "$(val 0 "SELECT public.walk_pages(true)")" "$(val 0 "SELECT public.walk_pages(false)")"

check "a load at the end of bigint" \
    "$(val 0 "SELECT string_agg(partition || ':' || written, ' ' ORDER BY partition) FROM collatz_cluster.batch_insert_sequences(9223372036854775800, 9223372036854775807)")" \
    "0:3 1:3 2:2"
check "get_sequence of the largest bigint, stored on partition 1" \
    "$(val 0 "SELECT $seq_cols, partition FROM collatz_cluster.get_sequence(9223372036854775807)")" \
    "$(val 0 "SELECT $seq_cols, 1 FROM collatz.get_sequence(9223372036854775807)" | sed 's/|f|1$/|t|1/')"

say "a node down: the calls that need it name it, the others work"
stop_pg 3
for call in "SELECT * FROM collatz_cluster.collatz_cluster_analyze(1, 1000)" \
            "SELECT * FROM collatz_cluster.get_sequence(5)" \
            "SELECT * FROM collatz_cluster.batch_insert_sequences(2000001, 2000010)" \
            "SELECT * FROM collatz_cluster.sequence_summary()"; do
    error=$(error_of 0 -c "$call")
    case "$error" in
        "08006: "*"partition 2 of cluster collatz_cluster (host=127.0.0.1 port=$(port_of 3) "*"is down"*) ok "${call:7:50}: 08006 naming partition 2";;
        *) fail "$call: $error";;
    esac
done
check "get_sequence of a number on a live node still works" \
    "$(val 0 "SELECT number, stored, partition FROM collatz_cluster.get_sequence(27)")" "27|t|0"
check "cluster_status shows the stopped node" \
    "$(val 0 "SELECT string_agg(partition || ':' || reachable, ' ' ORDER BY partition) FROM collatz_cluster.cluster_status()")" \
    "0:true 1:true 2:false"
check "nothing of the failed batch insert reached the coordinator's sequences" \
    "$(val 0 "SELECT count(*) FROM collatz.collatz_sequences WHERE number > 2000000")" "0"
start_pg 3

say "hostile roles on the coordinator"
on 0 >/dev/null <<'SQL'
CREATE ROLE sec_none LOGIN;
CREATE ROLE sec_read LOGIN;
CREATE ROLE sec_write LOGIN;
SELECT collatz_cluster.cluster_grant('sec_read', 'read');
SELECT collatz_cluster.cluster_grant('sec_write', 'write');
-- A DBA lets sec_write declare foreign servers of its own (USAGE on the wrapper).
GRANT USAGE ON FOREIGN DATA WRAPPER plproxy TO sec_write;
GRANT CREATE ON DATABASE collatz_cluster_test TO sec_write;
SQL
check "PUBLIC executes nothing of the companion" \
    "$(val 0 "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('collatz_cluster', 'collatz_cluster_internal') AND has_function_privilege('sec_none', p.oid, 'EXECUTE')")" "0"
check "no level may write the checkpoints" \
    "$(val 0 "SELECT count(*) FROM (VALUES ('sec_none'), ('sec_read'), ('sec_write')) r(role), unnest(ARRAY['collatz_cluster.analysis_runs', 'collatz_cluster.analysis_parts']) t, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) w WHERE has_table_privilege(r.role, t, w)")" "0"
check "no level: get_sequence refused" "$(error_of 0 -U sec_none -c "SELECT * FROM collatz_cluster.get_sequence(27)")" \
    "42501: permission denied for schema collatz_cluster"
check "read level: get_sequence" "$(val 0 "SET ROLE sec_read; SELECT number, partition FROM collatz_cluster.get_sequence(27)")" "27|0"
check "read level: the analysis refused" \
    "$(error_of 0 -U sec_read -c "SELECT * FROM collatz_cluster.collatz_cluster_analyze(1, 1000)")" \
    "42501: permission denied for function collatz_cluster_analyze"
check "read level: the batch insert refused" \
    "$(error_of 0 -U sec_read -c "SELECT * FROM collatz_cluster.batch_insert_sequences(1, 10)")" \
    "42501: permission denied for function batch_insert_sequences"
check "read level: a forged checkpoint refused" \
    "$(error_of 0 -U sec_read -c "UPDATE collatz_cluster.analysis_parts SET longest_sequence = 1")" \
    "42501: permission denied for table analysis_parts"
check "write level: the node-side helpers are out of reach" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster_internal.node_analyze('collatz_cluster', '{0}', '{1}', '{10}', 1, 10)")" \
    "42501: permission denied for schema collatz_cluster_internal"
check "write level: a user mapping of its own on the DBA's cluster refused" \
    "$(error_of 0 -U sec_write -c "CREATE USER MAPPING FOR sec_write SERVER collatz_cluster OPTIONS (user 'postgres')")" \
    "42501: permission denied for foreign server collatz_cluster"
# A "cluster" of its own, whose nodes would answer anything: refused before any call.
on 0 -U sec_write -c "CREATE SERVER sec_cluster FOREIGN DATA WRAPPER plproxy OPTIONS (p0 'host=127.0.0.1 port=$(port_of 0) dbname=$DB')" \
    -c "CREATE USER MAPPING FOR postgres SERVER sec_cluster OPTIONS (user 'sec_write')" >/dev/null
for call in "CALL collatz_cluster.sp_cluster_analyze(1, 1000, 'sec_cluster')" \
            "SELECT * FROM collatz_cluster.collatz_cluster_analyze(1, 1000, 'sec_cluster')" \
            "SELECT * FROM collatz_cluster.get_sequence(27, 'sec_cluster')"; do
    fn=$(echo "$call" | sed 's/.*collatz_cluster\.\([a-z_]*\)(.*/\1/')
    check "write level: its own cluster refused ($fn)" \
        "$(error_of 0 -U sec_write -c "$call" | sed 's/, who.*//')" "42501: $fn: cluster sec_cluster belongs to sec_write"
done
check "write level: no run was opened for it" "$(val 0 "SELECT count(*) FROM collatz_cluster.analysis_runs WHERE cluster_name = 'sec_cluster'")" "0"
# A planted search_path: an unnest and a format of its own that would forge the answer.
honest=$(val 0 "SELECT $cols FROM collatz_cluster.collatz_cluster_analyze(1, 100000)")
check "write level: a planted search_path changes nothing" "$(on 0 -U sec_write -Atc "
    CREATE SCHEMA sec_write AUTHORIZATION sec_write;
    CREATE FUNCTION sec_write.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS 'SELECT \$1[1] WHERE false';
    CREATE FUNCTION sec_write.format(text, bigint, bigint, bigint, bigint) RETURNS text LANGUAGE sql AS 'SELECT ''forged''';
    CREATE FUNCTION sec_write.cardinality(anyarray) RETURNS int LANGUAGE sql AS 'SELECT 1';
    SET search_path = sec_write, pg_catalog, collatz_cluster;
    SELECT $cols FROM collatz_cluster.collatz_cluster_analyze(1, 100000)" | tail -1)" "$honest"
check "huge input: the whole bigint range" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster.collatz_cluster_analyze(1, 9223372036854775807)" | cut -c1-5)" "54000"
check "huge input: a 10^9 batch insert" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster.batch_insert_sequences(1, 1000000000)" | cut -c1-5)" "54000"
check "huge input: 2*10^6 numbers" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster.batch_save_sequences(ARRAY(SELECT generate_series(1, 2000000)::bigint))" | cut -c1-5)" "54000"
check "bad input: an inverted range" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster.collatz_cluster_analyze(10, 1)" | cut -c1-5)" "22023"
check "bad input: a page of 10^6" \
    "$(error_of 0 -U sec_read -c "SELECT * FROM collatz_cluster.find_sequences_in_range(1, 10, 1000000)" | cut -c1-5)" "22023"
check "bad input: no such cluster" \
    "$(error_of 0 -U sec_read -c "SELECT * FROM collatz_cluster.get_sequence(1, 'nowhere')" | cut -c1-5)" "42704"
check "bad input: no such run" \
    "$(error_of 0 -U sec_write -c "SELECT * FROM collatz_cluster.analysis_run_round(424242)" | cut -c1-5)" "P0002"
check "the nodes' rows are unchanged by the attacks" \
    "$(for i in 1 2 3; do on "$i" -c "COPY ($rows WHERE number <= $LOAD) TO STDOUT"; done | sort -n | md5sum | cut -c1-12)" \
    "$(md5sum < "$base/single.txt" | cut -c1-12)"
finish
