# Shared by demo.sh, test.sh and run: everything needed to build collatz_ext and run it on
# a local PostgreSQL 15, installed on first use and skipped when already there.
# Works as root (PostgreSQL itself then runs as the OS user `postgres`) and as a normal
# user with sudo (PostgreSQL runs as that user). Settings come from the environment:
#   COLLATZ_PGPORT  port of the local cluster (default 28815, loopback only)
#   COLLATZ_PGDATA  its data directory (default $TMPDIR/collatz_ext-pg/data)
#   COLLATZ_PG_ROOT a directory holding a copy of the PostgreSQL tree (usr/lib/postgresql/15,
#                   usr/share/postgresql/15, usr/include/postgresql; PostgreSQL finds its files
#                   relative to its binaries), so that parallel work installs its own build
#                   instead of replacing the library that other clusters have mapped. With
#                   it, set PGRX_HOME too (cargo pgrx init then points there). Default: the
#                   system's PostgreSQL.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BIN=${COLLATZ_PG_ROOT:-}/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
PGRX_VERSION=0.18.1
PORT=${COLLATZ_PGPORT:-28815}
PGDATA_DIR=${COLLATZ_PGDATA:-${TMPDIR:-/tmp}/collatz_ext-pg/data}
SOCKET_DIR=$(dirname "$PGDATA_DIR")
# build-essential, libssl-dev and pkg-config are for building cargo-pgrx (it links OpenSSL).
# postgresql-15-cron and pgbouncer are for the scheduling and pooling tests, plproxy for
# the companion collatz_ext_cluster and its test (collatz_ext itself never needs it).
APT_PACKAGES=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libclang-dev clang sudo python3 python3-venv build-essential libssl-dev pkg-config
              postgresql-$PG_MAJOR-cron pgbouncer postgresql-$PG_MAJOR-plproxy)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
    PG_OS_USER=postgres
else
    SUDO=(sudo)
    PG_OS_USER=$(id -un)
fi
export PATH="$HOME/.cargo/bin:$PATH"

# Runs a command as the OS user that owns the cluster.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

ensure_apt_packages() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
        echo "need root or sudo to install: ${missing[*]}" >&2; exit 1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_cargo_pgrx() {
    if cargo pgrx --version 2>/dev/null | grep -q " $PGRX_VERSION\$"; then return; fi
    say "installing cargo-pgrx $PGRX_VERSION (about 10 minutes on 2 cores, once)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
}

ensure_pgrx_init() {
    local config="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
    if [ -f "$config" ] && grep -q "^pg$PG_MAJOR = \"$PG_CONFIG\"" "$config"; then return; fi
    say "pointing pgrx at the system PostgreSQL $PG_MAJOR"
    cargo pgrx init --pg$PG_MAJOR "$PG_CONFIG" >/dev/null
}

setup() {
    ensure_apt_packages
    ensure_cargo_pgrx
    ensure_pgrx_init
}

# Builds the release library and installs it into the system PostgreSQL. The files are
# staged by `cargo pgrx package` and put in place with install(1), which replaces each file
# by a new one: cargo pgrx install rewrites the library in place, and every backend that has
# the old one mapped then dies of SIGBUS or SIGSEGV, which restarts the whole cluster (seen
# here twice). A backend keeps its copy; new sessions load the new one.
install_extension() {
    say "building and installing collatz_ext (release)"
    local staged="$REPO/target/release/collatz_ext-pg$PG_MAJOR" f
    # cargo pgrx package adds to the staging tree and removes nothing: a file of an earlier
    # version (collatz_ext--0.5.0.sql, staged while 0.5.0 was current) would be installed
    # and packaged with this one.
    rm -rf "$staged"
    (cd "$REPO" && cargo pgrx package --pg-config "$PG_CONFIG" 2>&1 | grep -E "Finished|error|warning" >&2)
    "${SUDO[@]}" install -m 755 "$staged$("$PG_CONFIG" --pkglibdir)/collatz_ext.so" "$("$PG_CONFIG" --pkglibdir)/"
    # With them, the optional companion collatz_ext_cluster (SQL and PL/Proxy only, src/cluster).
    for f in "$staged$("$PG_CONFIG" --sharedir)"/extension/collatz_ext* "$REPO"/src/cluster/collatz_ext_cluster*; do
        "${SUDO[@]}" install -m 644 "$f" "$("$PG_CONFIG" --sharedir)/extension/"
    done
}

# Starts the local cluster (creating it on first use); a running one is reused.
start_cluster() {
    if [ "$(id -u)" -eq 0 ]; then
        install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$SOCKET_DIR"
    else
        mkdir -p "$SOCKET_DIR"
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        say "creating a PostgreSQL $PG_MAJOR cluster in $PGDATA_DIR"
        as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_OS_USER" --auth-local=trust --auth-host=trust >/dev/null
    fi
    if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then return; fi
    say "starting PostgreSQL on 127.0.0.1:$PORT"
    # RUST_BACKTRACE would make every ERROR raised through Rust carry a backtrace in DETAIL.
    as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$SOCKET_DIR/postgresql.log" -w \
        -o "-p $PORT -k $SOCKET_DIR -c listen_addresses=127.0.0.1" start >/dev/null
}

stop_cluster() {
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
}

# psql against the local cluster: pql DB [psql args...]
pql() {
    local db=$1; shift
    "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U "$PG_OS_USER" -d "$db" "$@"
}

# The line a user pastes to connect.
connect_line() {
    echo "psql -h $SOCKET_DIR -p $PORT -U $PG_OS_USER -d $1"
}
