#!/usr/bin/env bash
# analyze_range(1, N) on the default settings against the baseline of issue 11 (P2): a plain
# single-thread Rust loop outside the database with a dense u16 table of steps for every
# number up to N (2 GB at 10^9), walking each n only until it drops below n
# (benches/baseline_analysis.rs). Interleaved rounds, medians, and both answers compared
# (longest, its length, highest, its peak). Prints a markdown table row. Needs the cluster
# of .ci/lib.sh running (benches/run.sh starts it) and N + 1 spare pairs of bytes of memory.
#   bash benches/analysis_vs_baseline.sh [N] [ROUNDS]     (defaults 10^9, 3)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000000}
ROUNDS=${2:-3}
DB=collatz_bench_p2
cd "$REPO"
cargo build --release -q -p collatz_engine --example baseline_analysis
baseline="$REPO/target/release/examples/baseline_analysis"
pql postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
pql "$DB" -q -c "CREATE EXTENSION collatz_ext"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
base=(); ext=(); agree=yes
for _ in $(seq "$ROUNDS"); do
    base+=("$(MS_OUT=$work/out ms "$baseline" "$N")")
    # longest, steps, highest, peak (the baseline's first four fields)
    read -r bl bs bh bp _ < "$work/out"
    ext+=("$(MS_OUT=$work/out ms pql "$DB" -At -F ' ' -c "SELECT longest_sequence, longest_sequence_length - 1,
        highest_peak, highest_peak_value FROM collatz.analyze_range(1, $N)")")
    read -r el es eh ep < "$work/out"
    [ "$bl $bs $bh $bp" = "$el $es $eh $ep" ] || agree="NO (baseline $bl $bs $bh $bp, analyze_range $el $es $eh $ep)"
done
b=$(median "${base[@]}"); e=$(median "${ext[@]}")
pql postgres -q -c "DROP DATABASE $DB"
say "baseline ${base[*]} ms; analyze_range ${ext[*]} ms (in round order); longest $bl ($bs steps), highest $bh (peak $bp)"
printf '| P2 `analyze_range(1, %s)` vs a plain single-thread Rust loop (dense u16 steps table) | %s ms vs %s ms | %.2fx faster | answers agree: %s |\n' \
    "$N" "$e" "$b" "$(echo "$b / $e" | bc -l)" "$agree"
