#!/usr/bin/env bash
# A checked import against plain COPY of the same CSV file into the same table
# (collatz_sequences, with its exactness check), side by side, interleaved, median of
# ROUNDS. The import's time includes staging the file (\copy of its lines) and every line's
# recomputation. Also a JSON Lines import and a CSV export of the same rows.
# Runs against the local cluster of .ci/lib.sh: bash benches/import_vs_copy.sh [N]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000}; ROUNDS=${ROUNDS:-3}
db=collatz_bench_import
work=$(mktemp -d); chmod 755 "$work"; trap 'rm -rf "$work"' EXIT
pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
pql "$db" -q -c "CREATE EXTENSION collatz_ext"
pql "$db" -q -c "\\copy (SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_range(1, $N)) TO '$work/rows.csv' CSV HEADER"
STAGE="\\copy collatz_import_lines (line) FROM '$work/FILE' WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')"

empty() { pql "$db" -q -c "TRUNCATE collatz.collatz_sequences CASCADE" >/dev/null 2>&1; }
copy_rows() {
    empty; ms pql "$db" -q -c "\\copy collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value) FROM '$work/rows.csv' CSV HEADER"
}
import_file() {  # import_file FILE FORMAT
    empty; ms pql "$db" -q -c "SET client_min_messages = warning" -c "SELECT collatz.import_open()" \
        -c "${STAGE/FILE/$1}" -c "SELECT * FROM collatz.import_sequences('$2')"
}
export_csv() {
    ms pql "$db" -q -c "\\copy (SELECT * FROM collatz.export_sequences_csv(1, $N)) TO '$work/export.csv'"
}
copy_out() {
    ms pql "$db" -q -c "\\copy (SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_sequences WHERE number BETWEEN 1 AND $N ORDER BY number) TO '$work/out.csv' CSV HEADER"
}
say "import: $N rows, $ROUNDS rounds"
for _ in $(seq "$ROUNDS"); do
    copy_rows >> "$work/copy"; import_file rows.csv csv >> "$work/import_csv"
done
copy_rows >/dev/null
pql "$db" -q -c "\\copy (SELECT * FROM collatz.export_sequences_jsonl(1, $N)) TO '$work/rows.jsonl'"
for _ in $(seq "$ROUNDS"); do
    import_file rows.jsonl json >> "$work/import_json"
done
copy_rows >/dev/null
for _ in $(seq "$ROUNDS"); do copy_out >> "$work/copy_out"; export_csv >> "$work/export"; done

c=$(median < "$work/copy"); i=$(median < "$work/import_csv"); j=$(median < "$work/import_json")
o=$(median < "$work/copy_out"); e=$(median < "$work/export")
printf '%-42s %10s %12s\n' "workload" "median ms" "rows/s"
printf '%-42s %10s %12s\n' "COPY FROM csv into collatz_sequences" "$c" "$(( N * 1000 / c ))"
printf '%-42s %10s %12s\n' "import_sequences('csv'), staging included" "$i" "$(( N * 1000 / i ))"
printf '%-42s %10s %12s\n' "import_sequences('json'), staging included" "$j" "$(( N * 1000 / j ))"
printf '%-42s %10s %12s\n' "COPY (SELECT ...) TO csv" "$o" "$(( N * 1000 / o ))"
printf '%-42s %10s %12s\n' "export_sequences_csv to a file" "$e" "$(( N * 1000 / e ))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "import / COPY: csv $(ratio "$i" "$c"), json $(ratio "$j" "$c"); export_sequences_csv / COPY TO: $(ratio "$e" "$o")"
pql postgres -q -c "DROP DATABASE $db"
