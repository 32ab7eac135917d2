//! collatz_ext: the PostgreSQL side of the Collatz engine.
//!
//! Everything here is glue named after what PostgreSQL sees: argument conversion and
//! SQLSTATEs (`arguments`), GUCs (`settings`), and the SQL functions by shape: one number
//! in (`scalar`), a whole sequence out (`sequences`), a range of numbers (`ranges`). The
//! mathematics and every thread live in the pgrx-free `collatz_engine` crate.

use pgrx::prelude::*;

mod analysis;
mod arguments;
mod exports;
mod imports;
mod ranges;
mod scalar;
mod sequences;
mod settings;

#[cfg(any(test, feature = "pg_test"))]
mod tests;

::pgrx::pg_module_magic!(name, version);

/// The composite type collatz_stats returns, qualified: the control file fixes the schema,
/// and a lookup must not depend on the caller's search_path.
pub const STATS_TYPE: &str = "collatz.collatz_stats";

/// The schema of the helpers (`#[pg_extern(schema = "collatz_internal")]`): what \df collatz.*
/// lists is the documented API. sql/collatz_types.sql says what may execute them.
#[pg_schema]
mod collatz_internal {}

extension_sql_file!(
    "../sql/collatz_types.sql",
    name = "collatz_types",
    bootstrap
);
// The data model, in dependency order. Its CHECK constraints call the core functions, and
// the sequence_steps trigger calls collatz_sequence, so those come first.
extension_sql_file!(
    "../sql/01_create_tables.sql",
    name = "create_tables",
    requires = [
        scalar::collatz_steps_int8,
        scalar::collatz_peak_int8,
        scalar::collatz_length_int8
    ]
);
extension_sql_file!(
    "../sql/02_create_indexes.sql",
    name = "create_indexes",
    requires = ["create_tables"]
);
extension_sql_file!(
    "../sql/03_create_views.sql",
    name = "create_views",
    requires = ["create_indexes"]
);
extension_sql_file!(
    "../sql/04_create_functions.sql",
    name = "create_functions",
    requires = [
        "create_views",
        sequences::collatz_sequence_int8,
        sequences::collatz_first_wrong_step
    ]
);
extension_sql_file!(
    "../sql/05_create_pipeline.sql",
    name = "create_pipeline",
    requires = [
        "create_functions",
        analysis::collatz_analyze,
        analysis::collatz_check_range,
        analysis::collatz_peak_memory,
        analysis::collatz_reset_peak_memory,
        analysis::collatz_library_version,
        analysis::invoking_role,
        ranges::collatz_range_int8,
        scalar::collatz_stats_int8
    ]
);
extension_sql_file!(
    "../sql/06_summary_totals.sql",
    name = "summary_totals",
    requires = ["create_pipeline"]
);
extension_sql_file!(
    "../sql/07_import_export.sql",
    name = "import_export",
    requires = [
        "summary_totals",
        imports::collatz_import_check,
        exports::export_sequences_json,
        exports::export_sequence_json,
        exports::export_analysis_json
    ]
);
// Last, when every function exists: comments shared by overloads, and access levels.
extension_sql_file!(
    "../sql/collatz_finalize.sql",
    name = "collatz_finalize",
    finalize
);

/// Raises the pending cancellation or statement_timeout, if any. The engine calls it between
/// batches on the backend thread (its `poll` argument); it unwinds out of the engine.
pub(crate) fn check_interrupts() {
    pgrx::check_for_interrupts!();
}

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
