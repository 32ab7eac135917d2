#!/usr/bin/env bash
# Bytes on disk of stored sequences and their steps, for the numbers 1..N, N = 10^5, 10^6,
# 10^7 (pg_total_relation_size: heap, TOAST and indexes; pg_relation_size and
# pg_indexes_size apart), after VACUUM. Three forms:
#   sequences       collatz_sequences alone (no steps)
#   compact steps   sequence_terms: one numeric[] row per sequence (0.6.0)
#   row steps       0.5.0's row per step, as a plain table with its primary key and foreign key
# Steps are measured up to STEPS_MAX (compact) and ROWS_MAX (row per step) numbers; beyond,
# the bytes per term of the largest measured size times the exact number of terms
# (sum(sequence_length)), marked "extrapolated". Writes benches/results/storage_sizes.csv and
# .png (gnuplot). Runs against the local cluster of .ci/lib.sh: bash benches/storage_sizes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"
SIZES=${SIZES:-"100000 1000000 10000000"}
STEPS_MAX=${STEPS_MAX:-1000000}; ROWS_MAX=${ROWS_MAX:-100000}
OUT="$REPO/benches/results"; CSV="$OUT/storage_sizes.csv"
db=collatz_bench_sizes
pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
pql "$db" -q -c "CREATE EXTENSION collatz_ext" -c "CREATE SCHEMA bench"
q() { pql "$db" -At -c "$1"; }
# total,heap,indexes of a relation; heap includes TOAST's heap (total - indexes - main heap is TOAST)
sizes() { q "SELECT pg_total_relation_size('$1') || ',' || pg_relation_size('$1') || ',' || pg_indexes_size('$1')"; }
echo "sequences,form,how,total_bytes,heap_bytes,index_bytes,terms,bytes_per_sequence,bytes_per_term" > "$CSV"
row() {  # n form how total heap idx terms
    awk -v n="$1" -v f="$2" -v h="$3" -v t="$4" -v hp="$5" -v ix="$6" -v terms="$7" \
        'BEGIN {printf "%s,%s,%s,%s,%s,%s,%s,%.1f,%.2f\n", n, f, h, t, hp, ix, terms, t / n, t / terms}' >> "$CSV"
}
compact_per_term=""; rows_per_term=""
for n in $SIZES; do
    say "1..$n"
    pql "$db" -q -c "TRUNCATE collatz.collatz_sequences RESTART IDENTITY CASCADE" 2>/dev/null
    pql "$db" -q -c "SET client_min_messages = warning" -c "CALL collatz.sp_batch_insert_sequences(1, $n)"
    pql "$db" -q -c "VACUUM ANALYZE collatz.collatz_sequences"
    terms=$(q "SELECT sum(sequence_length) FROM collatz.collatz_sequences")
    IFS=, read -r t h i <<< "$(sizes collatz.collatz_sequences)"
    row "$n" sequences measured "$t" "$h" "$i" "$terms"
    if [ "$n" -le "$STEPS_MAX" ]; then
        for ((a = 1; a <= n; a += 100000)); do
            pql "$db" -q -c "SELECT collatz_internal.store_steps($a, $((a + 99999 < n ? a + 99999 : n)))" >/dev/null
        done
        pql "$db" -q -c "VACUUM ANALYZE collatz.sequence_terms"
        IFS=, read -r t h i <<< "$(sizes collatz.sequence_terms)"
        row "$n" "compact steps" measured "$t" "$h" "$i" "$terms"
        compact_per_term=$(awk -v t="$t" -v terms="$terms" 'BEGIN {print t / terms}')
    else
        row "$n" "compact steps" extrapolated "$(awk -v p="$compact_per_term" -v terms="$terms" 'BEGIN {printf "%.0f", p * terms}')" "" "" "$terms"
    fi
    if [ "$n" -le "$ROWS_MAX" ]; then
        pql "$db" -q <<SQL
DROP TABLE IF EXISTS bench.row_steps;
CREATE TABLE bench.row_steps (
    sequence_id bigint NOT NULL REFERENCES collatz.collatz_sequences (id) ON DELETE CASCADE,
    step_number integer NOT NULL, value numeric NOT NULL, operation_type text NOT NULL,
    PRIMARY KEY (sequence_id, step_number));
INSERT INTO bench.row_steps SELECT t.sequence_id, t.step_number, t.value, t.operation_type FROM collatz.sequence_steps t;
VACUUM ANALYZE bench.row_steps;
SQL
        IFS=, read -r t h i <<< "$(sizes bench.row_steps)"
        row "$n" "row steps" measured "$t" "$h" "$i" "$terms"
        rows_per_term=$(awk -v t="$t" -v terms="$terms" 'BEGIN {print t / terms}')
        pql "$db" -q -c "DROP TABLE bench.row_steps"
    else
        row "$n" "row steps" extrapolated "$(awk -v p="$rows_per_term" -v terms="$terms" 'BEGIN {printf "%.0f", p * terms}')" "" "" "$terms"
    fi
done
pql postgres -q -c "DROP DATABASE $db"
column -s, -t < "$CSV"
if command -v gnuplot >/dev/null; then
    gnuplot -e "csv='$CSV'; png='$OUT/storage_sizes.png'" "$REPO/benches/storage_sizes.gp"
fi
