#!/usr/bin/env bash
# The Debian package as a DBA uses it: build it (.ci/package.sh), install it with dpkg -i,
# create the extension from it, update a database from the previous release to it, and
# remove it cleanly. Needs the local cluster running (.ci/test.sh starts it); the extension
# is installed again from the build at the end, since dpkg -r takes its files away.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
EXT_DIR="$("$PG_CONFIG" --sharedir)/extension"
LIB_DIR="$("$PG_CONFIG" --pkglibdir)"
package=postgresql-$PG_MAJOR-collatz-ext
status=0
check() {  # what, actual, expected
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', expected '$3'"; status=1; fi
}
previous=$(ls sql/releases/collatz_ext--*.sql | sort -V | tail -1)
previous_version=$(basename "$previous" .sql); previous_version=${previous_version#collatz_ext--}
cleanup() {
    pql postgres -q -c "DROP DATABASE IF EXISTS collatz_package_fresh" -c "DROP DATABASE IF EXISTS collatz_package_update" 2>/dev/null
    "${SUDO[@]}" rm -f "$EXT_DIR/collatz_ext--$previous_version.sql"
    install_extension >/dev/null 2>&1 || echo "FAIL: reinstalling the build after the package test" >&2
}
trap cleanup EXIT

deb=$(bash .ci/package.sh 2>/dev/null | tail -1)
check "the package is built" "$(basename "$deb")" \
    "${package}_$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)_$(dpkg --print-architecture).deb"
check "it depends on the server" "$(dpkg-deb -f "$deb" Depends | grep -c "postgresql-$PG_MAJOR")" 1
check "it only suggests PL/Proxy (for collatz_ext_cluster)" \
    "$(dpkg-deb -f "$deb" Depends | grep -c plproxy) $(dpkg-deb -f "$deb" Suggests)" "0 postgresql-$PG_MAJOR-plproxy"
# Every upgrade script of the repository, the install script, the control file and the library.
expected_files=$( (cd sql && ls collatz_ext--*--*.sql); echo "collatz_ext--$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1).sql"; echo collatz_ext.control; echo collatz_ext.so; (cd src/cluster && ls collatz_ext_cluster*))
packaged_files=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -E '\.(sql|control|so)$' | xargs -n1 basename)
check "it holds the library, the control file, the install and every upgrade script, and the companion" \
    "$(echo "$packaged_files" | sort | paste -sd' ')" "$(echo "$expected_files" | sort | paste -sd' ')"

"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/dev/null
check "dpkg -i installs it" "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" "install ok installed"
check "dpkg owns the library" "$(dpkg -S "$LIB_DIR/collatz_ext.so" 2>/dev/null | cut -d: -f1)" "$package"

pql postgres -q -c "DROP DATABASE IF EXISTS collatz_package_fresh" -c "CREATE DATABASE collatz_package_fresh"
pql collatz_package_fresh -q -c "CREATE EXTENSION collatz_ext"
check "CREATE EXTENSION from the package" \
    "$(pql collatz_package_fresh -At -c "SELECT extversion, collatz.collatz_steps(27), collatz.collatz_library_version() FROM pg_extension WHERE extname = 'collatz_ext'")" \
    "$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)|111|$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"

# A database of the previous release (its install script, as that release's package had it),
# with data, updated with the package's upgrade script.
"${SUDO[@]}" install -m 644 "$previous" "$EXT_DIR/"
pql postgres -q -c "DROP DATABASE IF EXISTS collatz_package_update" -c "CREATE DATABASE collatz_package_update"
pql collatz_package_update -q -c "CREATE EXTENSION collatz_ext VERSION '$previous_version'" \
    -c "INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value)
        SELECT n, collatz.collatz_length(n), collatz.collatz_steps(n), collatz.collatz_peak(n) FROM generate_series(1, 1000) n"
before=$(pql collatz_package_update -At -c "SELECT md5(string_agg(format('%s:%s:%s', number, steps_to_one, max_value), ',' ORDER BY number)) FROM collatz.collatz_sequences")
pql collatz_package_update -q -c "ALTER EXTENSION collatz_ext UPDATE"
check "ALTER EXTENSION UPDATE from $previous_version" \
    "$(pql collatz_package_update -At -c "SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext'")" \
    "$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
check "the data survives the update" \
    "$(pql collatz_package_update -At -c "SELECT md5(string_agg(format('%s:%s:%s', number, steps_to_one, max_value), ',' ORDER BY number)) FROM collatz.collatz_sequences")" "$before"
pql postgres -q -c "DROP DATABASE collatz_package_fresh" -c "DROP DATABASE collatz_package_update"
"${SUDO[@]}" rm -f "$EXT_DIR/collatz_ext--$previous_version.sql"

"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive dpkg -r "$package" >/dev/null
check "dpkg -r removes it" "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || echo gone)" "gone"
# Every file the package held is gone (other tests leave past releases' install scripts).
left=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||' | grep -E '\.(sql|control|so)$' | while read -r f; do if [ -e "$f" ]; then echo "$f"; fi; done | wc -l)
check "no file of it is left" "$left" 0
exit $status
