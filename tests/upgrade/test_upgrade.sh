#!/usr/bin/env bash
# The migration path: for every released version in sql/releases, install it, build on it
# (fill.sql), ALTER EXTENSION collatz_ext UPDATE, and check that the user's data and
# objects are unchanged and that the result is, object for object, a fresh install.
# Needs the current release installed and the local cluster running (.ci/test.sh does both).
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
EXT_DIR="$("$PG_CONFIG" --sharedir)/extension"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

fresh=collatz_upgrade_fresh
pql postgres -q -c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh"
pql "$fresh" -q -c "CREATE EXTENSION collatz_ext"
pql "$fresh" -q -f tests/upgrade/fingerprint.sql > "$work/fresh"
current=$(pql "$fresh" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext'")

status=0
for script in sql/releases/collatz_ext--*.sql; do
    old=$(basename "$script" .sql); old=${old#collatz_ext--}
    db=collatz_upgrade_from_${old//./_}
    say "upgrade $old -> $current"
    "${SUDO[@]}" install -m 644 "$script" "$EXT_DIR/"
    pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    pql "$db" -q -c "CREATE EXTENSION collatz_ext VERSION '$old'"
    pql "$db" -q -f tests/upgrade/fill.sql
    had_tables=$(pql "$db" -At -c "SELECT to_regclass('collatz.collatz_sequences') IS NOT NULL")
    if [ "$had_tables" = t ]; then pql "$db" -q -f tests/upgrade/fill_tables.sql; fi
    pql "$db" -q -v had_tables="$had_tables" -f tests/upgrade/user_data.sql > "$work/before"
    pql "$db" -q -c "ALTER EXTENSION collatz_ext UPDATE"
    pql "$db" -q -v had_tables="$had_tables" -f tests/upgrade/user_data.sql > "$work/after"
    pql "$db" -q -f tests/upgrade/fingerprint.sql > "$work/upgraded"

    version=$(pql "$db" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext'")
    if [ "$version" != "$current" ]; then echo "FAIL: $old updated to $version, not $current"; status=1; fi
    if diff -u "$work/before" "$work/after"; then echo "ok: data unchanged ($(grep -c . "$work/before") digests)"
    else echo "FAIL: the update changed user data"; status=1; fi
    if diff -u "$work/fresh" "$work/upgraded"; then echo "ok: same $(wc -l < "$work/fresh") objects as a fresh $current install"
    else echo "FAIL: $old updated differs from a fresh $current install"; status=1; fi
    pql "$db" -q -f tests/upgrade/after_update.sql | tee "$work/after_update"
    if ! grep -q "| t$" "$work/after_update"; then echo "FAIL: new surface unusable or totals off after update"; status=1; fi
    pql postgres -q -c "DROP DATABASE $db"
done
pql postgres -q -c "DROP DATABASE $fresh"
exit $status
