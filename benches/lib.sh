# Shared by the benchmark scripts: the local cluster of .ci/lib.sh, and the timing helpers
# each of them uses (wall times of interleaved rounds, and their median).
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

# The wall time of a command in ms, client round trip included; its output goes to $MS_OUT
# (default: nowhere).
ms() {
    local t0 t1
    t0=$(date +%s%N); "$@" > "${MS_OUT:-/dev/null}"; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}

# The wall time in ms of SQL statements in database DB, notices off: statement_ms DB SQL...
statement_ms() {
    local db=$1 args=() q; shift
    for q in "$@"; do args+=(-c "$q"); done
    ms pql "$db" -q -c "SET client_min_messages = warning" "${args[@]}"
}

# The median of the numbers given as arguments, or of those on stdin (one a line).
median() {
    { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi; } | sort -n |
        awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
