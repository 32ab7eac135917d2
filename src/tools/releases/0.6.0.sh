#!/usr/bin/env bash
# Makes sql/collatz_ext--0.5.0--0.6.0.sql (run from the repository root while 0.6.0 is in
# development; once 0.6.0 is released the script is frozen and this file is only the record).
# Every function that is new or changed in 0.6.0 is named below: Rust ones first, then the
# SQL ones (and views) by file.
set -euo pipefail
T=src/tools/releases
S=src/sql
{
    cat "$T/0.6.0-header.sql" "$T/0.6.0-prelude.sql"
    cargo pgrx schema pg15 --release 2>/dev/null | python3 src/tools/upgrade-script.py collatz_terms copy_sequences copied_length_deltas \
        --from $S/access.sql collatz_grant \
        --from $S/sequences.sql collatz_internal.sequence_terms_check collatz_internal.sequence_steps_begin \
            collatz_internal.sequence_steps_stage collatz_internal.sequence_steps_apply \
            collatz_internal.collatz_sequences_keep_number collatz_internal.store_steps \
            collatz_internal.insert_sequences \
        --from $S/totals.sql collatz_internal.compact_totals collatz_internal.refold_length_totals \
            collatz_internal.collatz_sequences_totals collatz_internal.sequence_terms_totals \
            v_sequence_length_distribution \
        --from $S/analysis.sql analyze_segment \
        --from $S/retention.sql cleanup_old_data \
        --from $S/export.sql export_sequences_csv \
        --sql $T/0.6.0-steps.sql $S/terms.sql $S/finalize.sql
} > sql/collatz_ext--0.5.0--0.6.0.sql
