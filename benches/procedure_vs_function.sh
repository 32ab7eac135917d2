#!/usr/bin/env bash
# sp_analyze_range (segments of 2^27 committed one by one) against analyze_range (one call)
# on [1, N], in interleaved rounds on the same database: the procedure's throughput as a
# share of the function's (issue 11 P1: >= 0.9x). Prints a markdown table row.
#   bash benches/procedure_vs_function.sh [N] [ROUNDS]     (defaults 10^9, 2)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000000}
ROUNDS=${2:-2}
DB=collatz_bench_p1
pql postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
pql "$DB" -q -c "CREATE EXTENSION collatz_ext"
proc=(); func=()
for _ in $(seq "$ROUNDS"); do
    func+=("$(statement_ms "$DB" "SELECT numbers_analyzed FROM collatz.analyze_range(1, $N)")")
    proc+=("$(statement_ms "$DB" "CALL collatz.sp_analyze_range(1, $N)")")
    # The next round's procedure must start a new run, not find this one done.
    pql "$DB" -q -c "DELETE FROM collatz.pipeline_runs"
done
f=$(median "${func[@]}"); p=$(median "${proc[@]}")
agree=$(pql "$DB" -At -c "SELECT count(DISTINCT (longest_sequence, highest_peak, highest_peak_value)) = 1 FROM collatz.analysis_results")
pql postgres -q -c "DROP DATABASE $DB"
printf '| P1 `CALL sp_analyze_range(1, %s)` vs `analyze_range` | %s ms vs %s ms | %.2fx the throughput | answers agree: %s |\n' \
    "$N" "$p" "$f" "$(echo "$f / $p" | bc -l)" "$agree"
