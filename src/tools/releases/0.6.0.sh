#!/usr/bin/env bash
# Makes sql/collatz_ext--0.5.0--0.6.0.sql (run from the repository root while 0.6.0 is in
# development; once 0.6.0 is released the script is frozen and this file is only the record).
# Every function that is new or changed in 0.6.0 is named below: Rust ones first, then the
# SQL ones by file.
set -euo pipefail
T=src/tools/releases
S=src/sql
{
    cat "$T/0.6.0-header.sql" "$T/0.6.0-prelude.sql"
    cargo pgrx schema pg15 --release 2>/dev/null | python3 src/tools/upgrade-script.py copy_sequences \
        --from $S/sequences.sql collatz_internal.insert_sequences \
        --sql $S/finalize.sql
} > sql/collatz_ext--0.5.0--0.6.0.sql
