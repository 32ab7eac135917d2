#!/usr/bin/env bash
# sp_batch_insert_sequences against COPY FROM of the identical rows into an identical table
# (LIKE collatz_sequences INCLUDING ALL: same identity, indexes and constraints, the
# exactness check included), side by side, interleaved, median of ROUNDS; with and without
# steps (0.5.0's row per step as the COPY target; 0.6.0 stores one array per sequence, see
# benches/steps_vs_copy.sh for that comparison); every round's time is printed with the
# medians, the machine being shared. Runs against the local cluster of .ci/lib.sh:
#   bash benches/batch_insert_vs_copy.sh [N]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000}; STEPS_N=${STEPS_N:-20000}; ROUNDS=${ROUNDS:-3}
db=collatz_bench_insert
work=$(mktemp -d); chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
pql "$db" -q -c "CREATE EXTENSION collatz_ext" -c "CREATE SCHEMA bench" \
    -c "CREATE TABLE bench.target (LIKE collatz.collatz_sequences INCLUDING ALL)" \
    -c "CREATE TABLE bench.steps (sequence_id bigint NOT NULL, step_number integer NOT NULL, value numeric NOT NULL,
                                  operation_type text NOT NULL, PRIMARY KEY (sequence_id, step_number))"
pql "$db" -q -c "\\copy (SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, $N)) TO '$work/rows.csv' CSV"
pql "$db" -q -c "\\copy (SELECT s.number, q.step_number, q.value, q.operation_type FROM generate_series(1, $STEPS_N) s(number), collatz.collatz_sequence(s.number) q) TO '$work/steps.csv' CSV"

copy_rows() {
    pql "$db" -q -c "TRUNCATE bench.target" >/dev/null
    ms pql "$db" -q -c "\\copy bench.target (number, sequence_length, steps_to_one, max_value) FROM '$work/rows.csv' CSV"
}
procedure_rows() {
    pql "$db" -q -c "TRUNCATE collatz.collatz_sequences CASCADE" >/dev/null 2>&1
    ms pql "$db" -q -c "SET client_min_messages = warning" -c "CALL collatz.sp_batch_insert_sequences(1, $N)"
}
# Steps: the parents are in place first, in both cases; then only the steps are timed.
copy_steps() {
    pql "$db" -q -c "TRUNCATE bench.steps" >/dev/null
    ms pql "$db" -q -c "\\copy bench.steps (sequence_id, step_number, value, operation_type) FROM '$work/steps.csv' CSV"
}
procedure_steps() {
    pql "$db" -q -c "TRUNCATE collatz.sequence_terms" >/dev/null
    ms pql "$db" -q -c "SET client_min_messages = warning" -c "SELECT collatz_internal.store_steps(1, $STEPS_N)"
}
say "rows: $N numbers, $ROUNDS rounds"
for _ in $(seq "$ROUNDS"); do copy_rows >> "$work/copy"; procedure_rows >> "$work/proc"; done
pql "$db" -q -c "TRUNCATE collatz.collatz_sequences CASCADE" -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_batch_insert_sequences(1, $STEPS_N)" 2>/dev/null
say "steps: the terms of 1..$STEPS_N ($(wc -l < "$work/steps.csv") rows), $ROUNDS rounds"
for _ in $(seq "$ROUNDS"); do copy_steps >> "$work/copy_steps"; procedure_steps >> "$work/proc_steps"; done

echo "rounds (ms): COPY $(paste -sd' ' "$work/copy"); procedure $(paste -sd' ' "$work/proc")"
c=$(median < "$work/copy"); p=$(median < "$work/proc")
cs=$(median < "$work/copy_steps"); ps=$(median < "$work/proc_steps")
steps_rows=$(wc -l < "$work/steps.csv")
printf '%-34s %10s %12s\n' "workload" "median ms" "rows/s"
printf '%-34s %10s %12s\n' "COPY FROM csv, sequences" "$c" "$(( N * 1000 / c ))"
printf '%-34s %10s %12s\n' "sp_batch_insert_sequences" "$p" "$(( N * 1000 / p ))"
printf '%-34s %10s %12s\n' "COPY FROM csv, steps" "$cs" "$(( steps_rows * 1000 / cs ))"
printf '%-34s %10s %12s\n' "store_steps (with checks)" "$ps" "$(( steps_rows * 1000 / ps ))"
echo "procedure / COPY: sequences $(awk -v a="$p" -v b="$c" 'BEGIN {printf "%.2f", a / b}'), steps $(awk -v a="$ps" -v b="$cs" 'BEGIN {printf "%.2f", a / b}') (time)"
echo "procedure speed / COPY speed: sequences $(awk -v a="$p" -v b="$c" 'BEGIN {printf "%.2f", b / a}')"
pql postgres -q -c "DROP DATABASE $db"
