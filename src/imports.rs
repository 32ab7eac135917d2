//! Imports: the lines of a staged file checked on the worker pool, each returned as the row
//! to store or the reason it was refused. The SQL around it (src/sql/import.sql)
//! stages the file, numbers the lines, finds repeats and conflicts, and writes.

// ErrorReport (pgrx's error with a SQLSTATE and a hint) is what these functions return to
// PostgreSQL, by value as pgrx takes it; it is large, but only errors carry it. The
// result type is spelled out because pgrx reads the column names (name!) from it.
#![allow(clippy::result_large_err, clippy::type_complexity)]

use crate::arguments::{bigint, numeric};
use crate::ranges::worker_pool;
use collatz_engine::{check_lines, Field, Format};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{AnyNumeric, PgSqlErrorCode};

type CheckedRow = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<AnyNumeric>,
    Option<Vec<AnyNumeric>>,
    Option<String>,
);

/// The format of a file: `csv` under its header line, or `json` (one object per line).
fn file_format(format: &str, header: &str) -> Result<Format, ErrorReport> {
    const FUNC: &str = "collatz_import_check";
    match format {
        "csv" => Format::csv(header).map_err(|e| {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_BAD_COPY_FILE_FORMAT,
                format!("line 1 (the CSV header): {e}"),
                FUNC,
            )
            .set_hint(format!(
                "Name the columns on line 1 from: {}.",
                Field::NAMES
            ))
        }),
        "json" => Ok(Format::JsonLines),
        other => Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("unknown import format \"{other}\""),
            FUNC,
        )
        .set_hint("Use csv (with a header line) or json (one object per line).")),
    }
}

/// Checks lines of a file (their numbers beside them) against the computed values, on
/// `collatz.threads` workers. A line yields its row (rejection NULL) or its rejection
/// (the row NULL); a blank line, or a NULL one, yields nothing. A NULL line number is
/// refused (22004): the arrays' elements may be NULL whatever the function's strictness.
#[pg_extern(immutable, strict, parallel_safe, schema = "collatz_internal")]
fn collatz_import_check(
    format: &str,
    header: &str,
    line_numbers: Vec<Option<i64>>,
    lines: Vec<Option<String>>,
) -> Result<
    TableIterator<
        'static,
        (
            name!(line_number, i64),
            name!(number, Option<i64>),
            name!(sequence_length, Option<i64>),
            name!(steps_to_one, Option<i64>),
            name!(max_value, Option<AnyNumeric>),
            name!(steps, Option<Vec<AnyNumeric>>),
            name!(rejection, Option<String>),
        ),
    >,
    ErrorReport,
> {
    const FUNC: &str = "collatz_import_check";
    let format = file_format(format, header)?;
    if line_numbers.len() != lines.len() {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "{FUNC}: {} line numbers for {} lines",
                line_numbers.len(),
                lines.len()
            ),
            FUNC,
        )
        .set_hint("Give one line number for each line, in the same order."));
    }
    let line_numbers = line_numbers
        .iter()
        .enumerate()
        .map(|(k, n)| {
            n.ok_or_else(|| {
                ErrorReport::new(
                    PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                    format!(
                        "{FUNC}: line number {} of {} is NULL",
                        k + 1,
                        line_numbers.len()
                    ),
                    FUNC,
                )
                .set_hint("Number every line, for example with WITH ORDINALITY.")
            })
        })
        .collect::<Result<Vec<i64>, _>>()?;
    let pool = worker_pool(FUNC)?;
    let checked = check_lines(&pool, &format, &lines);
    let rows: Vec<CheckedRow> = line_numbers
        .into_iter()
        .zip(checked)
        .filter_map(|(line, outcome)| {
            Some(match outcome? {
                Ok(row) => (
                    line,
                    Some(bigint(row.number)),
                    Some(bigint(row.sequence_length())),
                    Some(bigint(row.steps_to_one)),
                    Some(numeric(&row.max_value)),
                    row.terms.map(|t| t.iter().map(numeric).collect()),
                    None,
                ),
                Err(reason) => (line, None, None, None, None, None, Some(reason.0)),
            })
        })
        .collect();
    Ok(TableIterator::new(rows))
}
