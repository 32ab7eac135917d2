#!/usr/bin/env bash
# The benchmark suite: every figure side by side with its baseline in the same run, written to
# benches/results/ (latest.md, *.csv, charts). Uses the local cluster of .ci/lib.sh, which it
# configures for 250 connections (restarting it). About 15 minutes on 2 cores.
#   bash benches/run.sh            (ROWS=10000000 stored rows for the query and load tests)
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"
ROWS=${ROWS:-10000000}
ROUNDS=${ROUNDS:-3}
DB=collatz_bench
OUT="$REPO/benches/results"
mkdir -p "$OUT"
work=$(mktemp -d); chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
APT_PACKAGES+=(gnuplot-nox)
setup
install_extension
start_cluster
if [ "$(pql postgres -At -c "SHOW max_connections")" -lt 250 ]; then
    say "configuring the cluster for 250 connections (restart)"
    pql postgres -q -c "ALTER SYSTEM SET max_connections = 250"
    stop_cluster; start_cluster
fi
pql postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
pql "$DB" -q -c "CREATE EXTENSION collatz_ext"
cd "$REPO"

md="$OUT/latest.md"
{
    echo "# collatz_ext benchmarks"
    echo
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown):"
    echo "$(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem/ {print $2}') GiB,"
    echo "$("$PG_BIN/postgres" --version). Every figure is a ratio against a baseline run side by side in"
    echo "the same run; absolute times on a shared machine are noise."
    echo
} > "$md"

say "engine (criterion, no PostgreSQL)"
cargo bench -p collatz_engine --bench engine -- --output-format bencher 2>/dev/null | grep '^test ' > "$work/engine.txt"
# "test group/variant/size ... bench: 1,234 ns/iter (+/- 5)": ratio of each to its group's naive.
awk '{gsub(",", "", $5); name=$2; split(name, p, "/"); group=p[1]; key=p[1] "/" (p[3] == "" ? "" : p[3]);
      variant=p[2]; ns[name]=$5; if (variant == "naive") base[group "|" p[3]]=$5; order[++k]=name }
     END { print "| benchmark | time per iteration | numbers/s per core | naive / this |"; print "|---|---|---|---|";
           # numbers per iteration of each group, and threads from a trailing /1 or /2
           size["per_number"] = 10000; size["range_1e6"] = 1e6; size["analysis_1e7"] = 1e7;
           for (i = 1; i <= k; i++) { n=order[i]; split(n, p, "/");
               b = base[p[1] "|" p[3]]; if (b == "") b = base[p[1] "|"];
               threads = (p[3] == "1" || p[3] == "2") ? p[3] : 1;
               printf "| %s | %.3f ms | %.1f M | %.2fx |\n", n, ns[n] / 1e6,
                      size[p[1]] / (ns[n] / 1e9) / threads / 1e6, b / ns[n] } }' "$work/engine.txt" > "$work/engine.md"
{ echo "## Engine (criterion)"; echo; cat "$work/engine.md"; echo; } >> "$md"

sql_bench() {  # file, variables...
    local file=$1; shift
    pql "$DB" -q "$@" -v ROUNDS="$ROUNDS" -f "benches/sql/$file" -P footer=off --csv
}
say "per-row SQL, analysis, exactness check"
{
    echo "## SQL side by side (median of $ROUNDS interleaved rounds)"
    echo
    echo "| bench | variant | median ms | time / baseline | answers agree |"
    echo "|---|---|---|---|---|"
    for spec in "per_row.sql -v N=100000" "calls.sql -v N=1000000" "analysis_vs_plpgsql.sql -v N=100000" \
                "check_constraint_cost.sql -v N=1000000" "insert_paths.sql -v N=500000" "steps_computed.sql -v N=30000"; do
        set -- $spec
        sql_bench "$@" | tail -n +2 | awk -F, '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, ($5 == 1 ? "yes" : "NO")}'
    done
    echo
} >> "$md"

say "bulk insert against COPY"
{ echo "## Bulk insert against COPY FROM (identical table, indexes, constraints)"; echo; echo '```';
  ROUNDS=$ROUNDS bash benches/batch_insert_vs_copy.sh 1000000 2>/dev/null | grep -v '^==>';
  echo '```'; echo; } >> "$md"

say "batch insert with steps against COPY (issue 11, P6)"
{ echo "## sp_batch_insert_sequences with steps against COPY FROM (20,000 sequences from 10^6)"; echo; echo '```';
  ROUNDS=$ROUNDS bash benches/steps_vs_copy.sh 1000000 20000 2>/dev/null | grep -v '^==>';
  echo '```'; echo; } >> "$md"

say "storage sizes"
{ echo "## Bytes on disk for 1..N (benches/storage_sizes.sh)"; echo; echo '```';
  bash benches/storage_sizes.sh 2>/dev/null | grep -v '^==>';
  echo '```'; echo; echo "![storage sizes](storage_sizes.png)"; echo; } >> "$md"

say "the resumable procedure against the one-call function"
{ echo "## sp_analyze_range against analyze_range on [1, 10^9] (interleaved rounds)"; echo;
  echo "| bench | times | ratio | |"; echo "|---|---|---|---|";
  bash benches/procedure_vs_function.sh 1000000000 2 2>/dev/null | grep '^|'; echo; } >> "$md"

say "range analysis against the plain-loop baseline of issue 11 (P2)"
{ echo "## analyze_range against a plain single-thread Rust loop on [1, 10^9] (interleaved rounds)"; echo;
  echo "| bench | times | ratio | |"; echo "|---|---|---|---|";
  bash benches/analysis_vs_baseline.sh 1000000000 "$ROUNDS" 2>/dev/null | grep '^|'; echo; } >> "$md"

say "import and export against COPY"
{ echo "## Checked import and export against COPY (same file, same table)"; echo; echo '```';
  ROUNDS=$ROUNDS bash benches/import_vs_copy.sh 1000000 2>/dev/null | grep -v '^==>';
  echo '```'; echo; } >> "$md"

say "cost growth: analyze_range and sp_analyze_range on [1, N], N = 10^5 .. 10^10"
{ echo "## Cost growth of range analysis"; echo; bash benches/cost_growth.sh 10 2>/dev/null | grep -v '^==>';
  echo; echo "![cost growth](cost_growth.png)"; echo; } >> "$md"

say "loading $ROWS rows for the query benchmarks"
pql "$DB" -q -c "SET client_min_messages = warning" -c "CALL collatz.sp_batch_insert_sequences(1, $ROWS, batch_size => 500000)"
pql "$DB" -q -c "CALL collatz.sp_analyze_range(1, 1000000)" -c "VACUUM ANALYZE" 2>/dev/null

pgbench_run() {  # label, clients, seconds, scripts...
    local label=$1 clients=$2 seconds=$3; shift 3
    local dir="$work/$label"; mkdir -p "$dir"; chmod 777 "$dir"
    (cd "$dir" && "$PG_BIN/pgbench" -h "$SOCKET_DIR" -p "$PORT" -U "$PG_OS_USER" -n -c "$clients" -j 2 -T "$seconds" \
        -D rows="$ROWS" --log --log-prefix=tx "$@" "$DB" > summary.txt 2>&1)
    local tps failed
    tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/summary.txt" | head -1)
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/summary.txt" | head -1)
    # per-transaction logs: column 3 is the latency in microseconds
    cat "$dir"/tx* | awk '{print $3 / 1000}' | sort -n > "$dir/lat"
    awk -v label="$label" -v tps="$tps" -v failed="${failed:-?}" '{a[NR]=$1} END {
        printf "| %s | %d | %.0f | %.3f | %.3f | %.3f | %s |\n", label, NR, tps,
            a[int(NR*0.50)+1], a[int(NR*0.95)+1], a[int(NR*0.99)+1], failed }' "$dir/lat"
}
say "query latency at $ROWS rows (pgbench, 1 client, 10 s each)"
{
    echo "## Queries at $ROWS stored rows (pgbench, 1 client)"
    echo
    echo "| query | transactions | tps | p50 ms | p95 ms | p99 ms | failed |"
    echo "|---|---|---|---|---|---|---|"
    for q in lookup length_range top_n view_summary view_length_distribution grouped_length_distribution view_top \
             view_range_analysis view_dashboard; do
        pgbench_run "$q" 1 10 -f "$REPO/benches/pgbench/$q.sql"
    done
    echo
} >> "$md"

say "concurrency: 100 and 200 clients, mixed reads and writes (pgbench)"
{
    echo "## Concurrency (pgbench, 80% reads / 20% writes, 30 s)"
    echo
    echo "| clients | transactions | tps | p50 ms | p95 ms | p99 ms | failed |"
    echo "|---|---|---|---|---|---|---|"
    for c in 100 200; do
        pgbench_run "$c" "$c" 30 -f "$REPO/benches/pgbench/mixed_read.sql@8" -f "$REPO/benches/pgbench/mixed_write.sql@2"
    done
    echo
} >> "$md"

say "results in $md"
pql postgres -q -c "DROP DATABASE $DB"
