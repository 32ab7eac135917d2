#!/usr/bin/env bash
# The whole test suite: engine tests (no PostgreSQL), #[pg_test]s, the pg_regress suites
# in tests/pg_regress, the upgrade path, dump/restore, point-in-time recovery and migration,
# against a local cluster. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


setup
cd "$REPO"
passed=0; failed=0
run_suite() {
    local name=$1; shift
    say "$name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}

run_suite "released SQL unchanged (sql/releases/SHA256SUMS)" bash .ci/check-releases.sh
run_suite "engine: unit, reference and property tests" \
    cargo test -p collatz_engine --release

PGRX_TEST_DATA=${TMPDIR:-/tmp}/collatz_ext-pgrx-test
if [ "$(id -u)" -eq 0 ]; then install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$PGRX_TEST_DATA"; else mkdir -p "$PGRX_TEST_DATA"; fi
run_suite "#[pg_test]s in a temporary cluster" \
    env -u RUST_BACKTRACE cargo pgrx test pg$PG_MAJOR --runas "$PG_OS_USER" --pgdata "$PGRX_TEST_DATA/data"

# cargo pgrx test installed a debug build; the SQL suites run the release build users get.
install_extension
start_cluster
# pg_regress or pg_isolation_regress against the local cluster, in a fresh database.
# --use-existing: neither starts a server nor creates the database.
pgxs_suite() {  # tool dir database tests...
    local tool=$1 dir=$2 db=$3; shift 3
    pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
    "$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/$tool" --use-existing \
        --host="$SOCKET_DIR" --port="$PORT" --user="$PG_OS_USER" --dbname="$db" \
        --inputdir="$dir" --outputdir="$dir" "$@" \
        || { cat "$dir/regression.diffs" >&2; return 1; }
}
# Every file of tests/pg_regress/sql in a database of its own, copied from a template that
# holds the extension and the reference (tests/pg_regress/fixture.sql): no file depends on
# what another left behind.
regress_files() {
    local template=collatz_regress_template status=0 t log=tests/pg_regress/regression.log
    pql postgres -q -c "DROP DATABASE IF EXISTS $template" -c "CREATE DATABASE $template" 2>/dev/null
    pql "$template" -q -f tests/pg_regress/fixture.sql
    for t in tests/pg_regress/sql/*.sql; do
        t=$(basename "$t" .sql)
        pql postgres -q -c "DROP DATABASE IF EXISTS collatz_regress_$t" \
            -c "CREATE DATABASE collatz_regress_$t TEMPLATE $template" \
            -c "ALTER DATABASE collatz_regress_$t SET search_path = collatz, public" 2>/dev/null
        if "$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress" --use-existing \
            --host="$SOCKET_DIR" --port="$PORT" --user="$PG_OS_USER" --dbname="collatz_regress_$t" \
            --inputdir=tests/pg_regress --outputdir=tests/pg_regress "$t" > "$log"; then
            grep -E "^(test|ok) " "$log"
        else
            grep -E "^(test|not ok) " "$log"; cat tests/pg_regress/regression.diffs >&2; status=1
        fi
        pql postgres -q -c "DROP DATABASE collatz_regress_$t"
    done
    pql postgres -q -c "DROP DATABASE $template"
    return $status
}
run_suite "pg_regress: every file of tests/pg_regress/sql, each in a fresh database" regress_files
run_suite "isolation: concurrent overlapping loads, the computed scan's snapshots" \
    pgxs_suite isolation/pg_isolation_regress tests/isolation collatz_isolation concurrent_load computed_snapshot
run_suite "cancel: pg_cancel_backend from another session" bash tests/cancel/test_cancel.sh
run_suite "security: hostile roles of every level attack the installed extension" bash tests/security/test_security.sh
run_suite "upgrade: every released version to this one" bash tests/upgrade/test_upgrade.sh
run_suite "backup: pg_dump / pg_restore round trip" bash tests/backup/test_dump_restore.sh
run_suite "backup: point-in-time recovery to before a mistaken DELETE" bash tests/backup/test_pitr.sh
run_suite "migration: sandbox to qa with validation; import progress" bash tests/backup/test_migrate.sh
run_suite "python client: pytest against the installed extension" bash src/clients/python/run_tests.sh -q
run_suite "pg_cron: nightly retention, an analysis resumed in windows" bash tests/cron/test_cron.sh
run_suite "pgbouncer: transaction pooling, SET LOCAL, one-transaction imports, psycopg" bash tests/pgbouncer/test_pgbouncer.sh
run_suite "PL/Proxy: analysis and storage over 3 node clusters, a node stopped and resumed" bash tests/cluster/test_cluster.sh
# Last: dpkg -r takes the extension's files away (the test installs the build again after).
run_suite "debian package: build, dpkg -i, create, update from the previous release, dpkg -r" \
    bash tests/package/test_package.sh

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
