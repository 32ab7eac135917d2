#!/usr/bin/env bash
# How sql/collatz_ext--0.4.0--0.5.0.sql was made (run from the repository root, before the
# release was frozen). Kept for the record: the script itself is frozen, never regenerated.
set -euo pipefail
T=src/tools/releases
S=src/sql
{
    cat "$T/0.5.0-header.sql" "$T/0.5.0-prelude.sql"
    cargo pgrx schema pg15 --release 2>/dev/null | python3 src/tools/upgrade-script.py invoking_role collatz_analyze_segment start_analysis_run \
            start_batch_insert_run advance_run \
        --from $S/access.sql collatz_internal.invoking_role_name collatz_internal.is_admin \
            collatz_internal.grantee collatz_grant collatz_revoke \
        --from $S/sequences.sql collatz_internal.sequence_steps_check collatz_internal.collatz_sequences_keep_number \
            collatz_internal.check_conflict_strategy collatz_internal.insert_sequences collatz_internal.store_steps \
            save_sequence get_sequence batch_save_sequences find_sequences_in_range \
        --from $S/totals.sql collatz_internal.compact_totals collatz_internal.add_totals \
            collatz_internal.collatz_sequences_totals collatz_internal.sequence_steps_totals \
        --from $S/experiments.sql collatz_internal.check_experiment create_experiment record_experiment_results \
        --from $S/metrics.sql collatz_internal.record_metric collatz_internal.elapsed_ms \
        --from $S/analysis.sql collatz_internal.record_analysis analyze_range \
        --from $S/pipeline.sql collatz_internal.progress_due collatz_internal.progress_line collatz_internal.step_report \
            collatz_internal.open_batch_insert_run collatz_internal.open_analysis_run collatz_internal.run_step \
            batch_insert_run_start analysis_run_start pipeline_run_step sp_continue_run sp_batch_insert_sequences \
            sp_analyze_range \
        --from $S/retention.sql cleanup_old_data sp_cleanup_old_data \
        --from $S/health.sql collatz_health \
        --from $S/import.sql import_open collatz_internal.import_staged_lines collatz_internal.import_check_lines \
            collatz_internal.import_refuse_repeats collatz_internal.import_load import_sequences import_rejections \
        --from $S/export.sql collatz_internal.csv_expressions export_sequences_csv export_analysis_csv \
            export_sequences_jsonl \
        --sql $S/finalize.sql
} > sql/collatz_ext--0.4.0--0.5.0.sql
