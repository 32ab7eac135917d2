#!/usr/bin/env bash
# Runs the Python package's tests against the real, installed collatz_ext on the local cluster
# (the one .ci/lib.sh starts). From the repository root:
#   bash src/clients/python/run_tests.sh [pytest args...]
# Settings, as in .ci/lib.sh:
#   COLLATZ_PGPORT    port of the cluster (default 28815)
#   COLLATZ_PGDATA    its data directory (default $TMPDIR/collatz_ext-pg/data); the socket is beside it
#   COLLATZ_TEST_DSN  a superuser connection string instead (then the two above are not used)
# The virtualenv is made once under ${TMPDIR:-/tmp}/collatz_ext-venv and reused; the package is
# reinstalled only when pyproject.toml or the checkout's location changes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${COLLATZ_VENV:-${TMPDIR:-/tmp}/collatz_ext-venv}
PGDATA_DIR=${COLLATZ_PGDATA:-${TMPDIR:-/tmp}/collatz_ext-pg/data}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        echo "python3 has no working venv module: install the Debian package python3-venv (apt-get install python3-venv)" >&2
        exit 1
    fi
    say "creating the virtualenv $VENV"
    python3 -m venv "$VENV"
fi

# Reinstall when the package's metadata or the checkout's location changed (an editable
# install points at one checkout).
stamp="$VENV/.collatz_ext-installed"
want=$( { echo "$HERE"; cat "$HERE/pyproject.toml"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing collatz_ext with its test extras into $VENV"
    (cd "$HERE" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]')
    echo "$want" > "$stamp"
fi

if [ -z "${COLLATZ_TEST_DSN:-}" ]; then
    export PGHOST=${PGHOST:-$(dirname "$PGDATA_DIR")}
    export PGPORT=${PGPORT:-${COLLATZ_PGPORT:-28815}}
    export PGUSER=${PGUSER:-postgres}
    pg_isready=/usr/lib/postgresql/15/bin/pg_isready
    if [ -x "$pg_isready" ] && ! "$pg_isready" -q -h "$PGHOST" -p "$PGPORT"; then
        echo "no PostgreSQL at $PGHOST:$PGPORT: start the cluster first (bash .ci/demo.sh)" >&2
        exit 1
    fi
fi

cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"
