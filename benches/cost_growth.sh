#!/usr/bin/env bash
# Cost growth of range analysis: analyze_range(1, N) in one call and CALL sp_analyze_range(1, N)
# (segments committed one by one), N = 10^5 .. 10^10, wall time of each and the function's
# peak backend memory. Writes benches/results/cost_growth.csv and .png, and prints a markdown
# table. About 5 minutes on 2 cores (10^10 is most of it).
#   bash benches/cost_growth.sh [MAX_EXPONENT]      (default 10)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
APT_PACKAGES+=(gnuplot-nox)
ensure_apt_packages
MAX=${1:-10}
DB=collatz_bench_growth
OUT="$REPO/benches/results"
pql postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
pql "$DB" -q -c "CREATE EXTENSION collatz_ext"
echo "n,function_ms,procedure_ms,memory_bytes" > "$OUT/cost_growth.csv"
for e in $(seq 5 "$MAX"); do
    n=$(printf '1%0*d' "$e" 0)
    f=$(statement_ms "$DB" "SELECT FROM collatz.analyze_range(1, $n)")
    # The metric row is written by analyze_range, so it is read in a statement of its own.
    mem=$(pql "$DB" -At -c "SELECT m.memory_usage FROM collatz.analysis_results a
        JOIN collatz.performance_metrics m ON (m.context ->> 'analysis_id')::bigint = a.id
        WHERE a.start_range = 1 AND a.end_range = $n ORDER BY a.id DESC LIMIT 1")
    p=$(statement_ms "$DB" "CALL collatz.sp_analyze_range(1, $n)")
    echo "$n,$f,$p,$mem" >> "$OUT/cost_growth.csv"
done
agree=$(pql "$DB" -At -c "SELECT bool_and(c = 1) FROM (SELECT count(DISTINCT (longest_sequence, highest_peak, highest_peak_value)) AS c
                         FROM collatz.analysis_results GROUP BY end_range) x")
pql postgres -q -c "DROP DATABASE $DB"
echo "| N | analyze_range ms | ns per number | sp_analyze_range ms | procedure / function | peak backend memory (MiB) |"
echo "|---|---|---|---|---|---|"
tail -n +2 "$OUT/cost_growth.csv" | awk -F, '{printf "| %s | %s | %.1f | %s | %.2fx | %.0f |\n", $1, $2, $2 * 1e6 / $1, $3, $3 / $2, $4 / 1048576}'
echo
echo "Function and procedure agree on every range: $agree."
if command -v gnuplot >/dev/null; then
    gnuplot -e "csv='$OUT/cost_growth.csv'; png='$OUT/cost_growth.png'" "$REPO/benches/cost_growth.gp"
fi
