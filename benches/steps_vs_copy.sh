#!/usr/bin/env bash
# Issue 11, P6: CALL sp_batch_insert_sequences(a, a + N - 1, with_steps => true) for numbers
# near 10^6, against COPY FROM of the same sequences and steps, side by side, interleaved,
# median of ROUNDS. Two baselines, each two plain tables with the same keys and the same
# foreign key (ON DELETE CASCADE), no triggers and no checks:
#   row per step: the issue's baseline, 0.5.0's shape (sequence_id, step_number) -> value, rule
#   compact:      the shape 0.6.0 stores, one row per sequence with its terms as numeric[]
# The procedure computes every value and checks every term it stores; COPY checks nothing.
# Runs against the local cluster of .ci/lib.sh: bash benches/steps_vs_copy.sh [FIRST] [N]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
A=${1:-1000000}; N=${2:-20000}; ROUNDS=${ROUNDS:-3}
B=$((A + N - 1))
db=collatz_bench_steps
work=$(mktemp -d); chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
pql "$db" -q <<SQL
CREATE EXTENSION collatz_ext;
CREATE SCHEMA bench;
CREATE TABLE bench.sequences (id bigint PRIMARY KEY, number bigint NOT NULL UNIQUE, sequence_length bigint NOT NULL,
                              max_value numeric NOT NULL, steps_to_one bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench.steps (sequence_id bigint NOT NULL REFERENCES bench.sequences (id) ON DELETE CASCADE,
                          step_number integer NOT NULL, value numeric NOT NULL, operation_type text NOT NULL,
                          PRIMARY KEY (sequence_id, step_number));
CREATE TABLE bench.compact_sequences (LIKE bench.sequences INCLUDING ALL);
CREATE TABLE bench.terms (sequence_id bigint PRIMARY KEY REFERENCES bench.compact_sequences (id) ON DELETE CASCADE,
                          terms numeric[] NOT NULL);
SQL
# The files hold what the procedure stores: ids from 1 as a fresh table gives them.
pql "$db" -q -c "\\copy (SELECT number - $A + 1, number, sequence_length, max_value, steps_to_one FROM collatz.collatz_range($A, $B)) TO '$work/sequences.csv' CSV"
pql "$db" -q -c "\\copy (SELECT s.n - $A + 1, q.step_number, q.value, q.operation_type FROM generate_series($A::bigint, $B) s(n), collatz.collatz_sequence(s.n) q) TO '$work/steps.csv' CSV"
pql "$db" -q -c "\\copy (SELECT s.n - $A + 1, (SELECT array_agg(q.value ORDER BY q.step_number) FROM collatz.collatz_sequence(s.n) q) FROM generate_series($A::bigint, $B) s(n)) TO '$work/terms.csv' CSV"
terms=$(wc -l < "$work/steps.csv")

copy_rows() {
    pql "$db" -q -c "TRUNCATE bench.sequences CASCADE" >/dev/null 2>&1
    ms pql "$db" -q -c "\\copy bench.sequences (id, number, sequence_length, max_value, steps_to_one) FROM '$work/sequences.csv' CSV" \
                 -c "\\copy bench.steps FROM '$work/steps.csv' CSV"
}
copy_compact() {
    pql "$db" -q -c "TRUNCATE bench.compact_sequences CASCADE" >/dev/null 2>&1
    ms pql "$db" -q -c "\\copy bench.compact_sequences (id, number, sequence_length, max_value, steps_to_one) FROM '$work/sequences.csv' CSV" \
                 -c "\\copy bench.terms FROM '$work/terms.csv' CSV"
}
procedure() {
    pql "$db" -q -c "TRUNCATE collatz.collatz_sequences RESTART IDENTITY CASCADE" >/dev/null 2>&1
    ms pql "$db" -q -c "SET client_min_messages = warning" -c "CALL collatz.sp_batch_insert_sequences($A, $B, with_steps => true)"
}
say "steps: $N sequences from $A with their $terms terms, $ROUNDS interleaved rounds"
for _ in $(seq "$ROUNDS"); do
    copy_rows >> "$work/copy"; copy_compact >> "$work/compact"; procedure >> "$work/proc"
done
stored=$(pql "$db" -At -c "SELECT stored_steps FROM collatz.v_sequence_summary")
[ "$stored" = "$terms" ] || { echo "the procedure stored $stored steps, not $terms" >&2; exit 1; }

c=$(median < "$work/copy"); k=$(median < "$work/compact"); p=$(median < "$work/proc")
printf '%-52s %10s %12s\n' "workload ($N sequences, $terms steps)" "median ms" "terms/s"
printf '%-52s %10s %12s\n' "COPY FROM csv, row per step (issue 11's baseline)" "$c" "$(( terms * 1000 / c ))"
printf '%-52s %10s %12s\n' "COPY FROM csv, one array per sequence" "$k" "$(( terms * 1000 / k ))"
printf '%-52s %10s %12s\n' "sp_batch_insert_sequences(with_steps, checked)" "$p" "$(( terms * 1000 / p ))"
echo "procedure / COPY: row per step $(awk -v a="$p" -v b="$c" 'BEGIN {printf "%.2f", a / b}'), one array per sequence $(awk -v a="$p" -v b="$k" 'BEGIN {printf "%.2f", a / b}')"
pql postgres -q -c "DROP DATABASE $db"
