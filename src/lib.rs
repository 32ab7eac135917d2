//! collatz_ext: the PostgreSQL side of the Collatz engine.
//!
//! Everything here is glue named after what PostgreSQL sees: argument conversion and
//! SQLSTATEs (`arguments`), GUCs (`settings`), and the SQL functions by shape: one number
//! in (`scalar`), a whole sequence out (`sequences`), a range of numbers (`ranges`). The
//! mathematics and every thread live in the pgrx-free `collatz_engine` crate.

use pgrx::prelude::*;

mod analysis;
mod arguments;
mod bulk;
mod definer;
mod exports;
mod fmgr;
mod imports;
mod numeric;
mod ranges;
mod scalar;
mod sequences;
mod settings;
mod terms;

#[cfg(any(test, feature = "pg_test"))]
mod tests;

::pgrx::pg_module_magic!(name, version);

/// The composite type collatz_stats returns, qualified: the control file fixes the schema,
/// and a lookup must not depend on the caller's search_path.
pub const STATS_TYPE: &str = "collatz.collatz_stats";

/// The schema of the helpers (`#[pg_extern(schema = "collatz_internal")]`): what \df collatz.*
/// lists is the documented API. src/sql/finalize.sql says what may execute them.
#[pg_schema]
mod collatz_internal {}

// The live SQL, one file per feature, each object created once (src/sql/); sql/ holds only
// what is released: the upgrade scripts, and past install scripts in sql/releases/.
// Generated SQL has no stable order, so each file names what it needs.
extension_sql_file!("sql/types.sql", name = "types", bootstrap);
extension_sql_file!(
    "sql/access.sql",
    name = "access",
    requires = [collatz_internal, analysis::invoking_role]
);
// The CHECK constraints call the core functions, so those come first.
extension_sql_file!(
    "sql/sequences.sql",
    name = "sequences",
    requires = ["access", "scalar_entry_points", bulk::copy_sequences]
);
extension_sql_file!("sql/terms.sql", name = "terms", requires = ["sequences"]);
extension_sql_file!("sql/totals.sql", name = "totals", requires = ["terms"]);
extension_sql_file!(
    "sql/experiments.sql",
    name = "experiments",
    requires = ["totals"]
);
extension_sql_file!(
    "sql/metrics.sql",
    name = "metrics",
    requires = ["experiments", analysis::collatz_peak_memory]
);
extension_sql_file!(
    "sql/analysis.sql",
    name = "analysis",
    requires = ["metrics"]
);
extension_sql_file!(
    "sql/pipeline.sql",
    name = "pipeline",
    requires = [
        "analysis",
        analysis::collatz_analyze_segment,
        definer::start_analysis_run,
        definer::start_batch_insert_run,
        definer::advance_run
    ]
);
extension_sql_file!(
    "sql/retention.sql",
    name = "retention",
    requires = ["pipeline"]
);
extension_sql_file!("sql/health.sql", name = "health", requires = ["retention"]);
extension_sql_file!(
    "sql/import.sql",
    name = "import",
    requires = ["health", imports::collatz_import_check]
);
extension_sql_file!(
    "sql/export.sql",
    name = "export",
    requires = [
        "import",
        exports::export_sequences_json,
        exports::export_sequence_json,
        exports::export_analysis_json
    ]
);
// Last, when every function exists: comments shared by overloads, and access levels.
extension_sql_file!("sql/finalize.sql", name = "finalize", finalize);

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
