#!/usr/bin/env bash
# Released SQL never changes: every upgrade script of a past release and every frozen install
# script must match the SHA-256 recorded in sql/releases/SHA256SUMS when it was released
# (tags may not travel with a clone, so the sums are committed). A released file that is
# missing from the manifest fails too, except the upgrade script to the version in
# development (Cargo.toml's), which the release step (README, "Releasing") records.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
manifest=sql/releases/SHA256SUMS
developing=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
status=0
sha256sum --quiet --check "$manifest" || { echo "a released SQL file changed (above); put the change into the next release's upgrade script" >&2; status=1; }
for f in sql/releases/collatz_ext--*.sql sql/collatz_ext--*--*.sql; do
    grep -q "  $f\$" "$manifest" && continue
    case "$f" in *"--$developing.sql") echo "$f: in development (not released yet)"; continue ;; esac
    echo "$f: released SQL without a recorded sum in $manifest" >&2; status=1
done
[ "$status" -eq 0 ] && echo "released SQL unchanged ($(grep -c . "$manifest") files)"
exit $status
