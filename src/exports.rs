//! JSON exports for API clients, built with serde_json: pages of stored sequences (keyset
//! pagination: a page carries the cursor of the next one), one stored sequence with its
//! steps, and pages of analysis results. Every number keeps every digit
//! (arbitrary_precision): a max_value past 2^64 arrives exact, not as a rounded float.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::SpiTupleTable;
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::{Map, Value as Json};

/// Largest page: 10,000 sequences near 10^6 with their steps make a 20 MB jsonb page
/// (1.1 s to build here).
const PAGE_MAX: i32 = 10_000;

/// The columns of a stored sequence in the JSON objects, and `steps` (every term from step
/// 0) when asked for. The terms come from sequence_steps_computed, whether or not they are
/// stored: stored terms are the true ones (sequence_steps' check), so they are the same rows,
/// and computing them reads nothing (src/sql/terms.sql). JSON Lines imports read the same
/// names back.
fn sequence_columns(with_steps: bool) -> String {
    let steps = if with_steps {
        "(SELECT array_agg(st.value::text ORDER BY st.step_number)
          FROM collatz.sequence_steps_computed st WHERE st.sequence_id = s.id)"
    } else {
        "NULL::text[]"
    };
    format!(
        "SELECT s.id, s.number, s.sequence_length, s.steps_to_one, s.max_value::text,
                to_json(s.created_at) #>> '{{}}', {steps}
         FROM collatz.collatz_sequences s"
    )
}

/// A decimal from PostgreSQL's text output as a JSON number, every digit kept.
fn number(text: String) -> Json {
    Json::Number(text.parse().expect("numeric_out writes a JSON number"))
}

fn spi_error(func: &'static str) -> impl Fn(pgrx::spi::SpiError) -> ErrorReport {
    move |e| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("{func}: {e}"),
            func,
        )
    }
}

/// The objects of a sequence query's rows, in order.
fn sequence_objects(rows: SpiTupleTable<'_>) -> Result<Vec<Json>, pgrx::spi::SpiError> {
    let mut objects = Vec::new();
    for row in rows {
        let mut o = Map::new();
        o.insert("id".into(), row.get::<i64>(1)?.into());
        o.insert("number".into(), row.get::<i64>(2)?.into());
        o.insert("sequence_length".into(), row.get::<i64>(3)?.into());
        o.insert("steps_to_one".into(), row.get::<i64>(4)?.into());
        o.insert("max_value".into(), row.get::<String>(5)?.map(number).into());
        o.insert("created_at".into(), row.get::<String>(6)?.into());
        if let Some(steps) = row.get::<Vec<String>>(7)? {
            o.insert(
                "steps".into(),
                Json::Array(steps.into_iter().map(number).collect()),
            );
        }
        objects.push(Json::Object(o));
    }
    Ok(objects)
}

/// The refusal of a NULL where a value is needed (22004): the functions with defaults are
/// not STRICT, so a NULL passed by name arrives here.
fn null_argument(arg: &str, func: &'static str) -> ErrorReport {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
        format!("{func}: {arg} must not be NULL"),
        func,
    )
    .set_hint("Leave the argument out to use its default.")
}

/// Checks the bounds of a number range as the range functions do: both given, positive,
/// in order.
fn number_range(
    start: Option<i64>,
    end: Option<i64>,
    func: &'static str,
) -> Result<(i64, i64), ErrorReport> {
    let start = start.ok_or_else(|| null_argument("start_number", func))?;
    let end = end.ok_or_else(|| null_argument("end_number", func))?;
    crate::arguments::range(&start, &end, ["start_number", "end_number"], u64::MAX, func)?;
    Ok((start, end))
}

/// Checks a page size and reads a cursor: the key after which the page starts.
fn page_start(
    page_size: i32,
    cursor: Option<&str>,
    func: &'static str,
) -> Result<Option<i64>, ErrorReport> {
    if !(1..=PAGE_MAX).contains(&page_size) {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: page_size must be between 1 and {PAGE_MAX}, got {page_size}"),
            func,
        )
        .set_hint("Fetch a large export page by page, passing next_cursor on."));
    }
    cursor
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ErrorReport::new(
                    PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!("{func}: \"{c}\" is not a cursor of this export"),
                    func,
                )
                .set_hint("Pass the next_cursor of the previous page as it is, or NULL for the first page.")
            })
        })
        .transpose()
}

/// A page: its items and the cursor of the next page (null on the last one). One row more
/// than the page is read to know whether another page follows.
fn page(mut items: Vec<Json>, page_size: i32, key: &str) -> JsonB {
    let more = items.len() > page_size as usize;
    items.truncate(page_size as usize);
    let next_cursor = match items.last() {
        Some(last) if more => Json::String(last[key].to_string()),
        _ => Json::Null,
    };
    JsonB(serde_json::json!({
        "items": items,
        "count": items.len(),
        "next_cursor": next_cursor,
    }))
}

/// A page of the sequences stored for numbers in [start_number, end_number], by number.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn export_sequences_json(
    start_number: Option<i64>,
    end_number: Option<i64>,
    page_size: default!(Option<i32>, 1000),
    cursor: default!(Option<&str>, "NULL"),
    with_steps: default!(Option<bool>, false),
) -> Result<JsonB, ErrorReport> {
    const FUNC: &str = "export_sequences_json";
    let (start_number, end_number) = number_range(start_number, end_number, FUNC)?;
    let with_steps = with_steps.ok_or_else(|| null_argument("with_steps", FUNC))?;
    let page_size = page_size.ok_or_else(|| null_argument("page_size", FUNC))?;
    let after = page_start(page_size, cursor, FUNC)?.unwrap_or(start_number - 1);
    let query = format!(
        "{} WHERE s.number > $1 AND s.number <= $2 ORDER BY s.number LIMIT $3",
        sequence_columns(with_steps)
    );
    let items = Spi::connect(|client| {
        let rows = client.select(
            query.as_str(),
            None,
            &[
                after.max(start_number - 1).into(),
                end_number.into(),
                (i64::from(page_size) + 1).into(),
            ],
        )?;
        sequence_objects(rows)
    })
    .map_err(spi_error(FUNC))?;
    Ok(page(items, page_size, "number"))
}

/// One stored sequence with all its steps (stored or not), or NULL when the number is not
/// stored.
#[pg_extern(stable, strict, parallel_safe)]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn export_sequence_json(number: i64) -> Result<Option<JsonB>, ErrorReport> {
    let query = format!("{} WHERE s.number = $1", sequence_columns(true));
    let mut items = Spi::connect(|client| {
        let rows = client.select(query.as_str(), None, &[number.into()])?;
        sequence_objects(rows)
    })
    .map_err(spi_error("export_sequence_json"))?;
    Ok(items.pop().map(JsonB))
}

/// A page of analysis results, by id (oldest first), optionally of one experiment.
#[pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn export_analysis_json(
    page_size: default!(Option<i32>, 1000),
    cursor: default!(Option<&str>, "NULL"),
    experiment_id: default!(Option<i64>, "NULL"),
) -> Result<JsonB, ErrorReport> {
    const FUNC: &str = "export_analysis_json";
    let page_size = page_size.ok_or_else(|| null_argument("page_size", FUNC))?;
    let after = page_start(page_size, cursor, FUNC)?.unwrap_or(0);
    let items = Spi::connect(|client| {
        let rows = client.select(
            "SELECT id, start_range, end_range, longest_sequence, longest_sequence_length,
                    highest_peak, highest_peak_value::text, numbers_analyzed, duration_ms,
                    to_json(analysis_date) #>> '{}', experiment_id
             FROM collatz.analysis_results
             WHERE id > $1 AND ($2::bigint IS NULL OR experiment_id = $2)
             ORDER BY id LIMIT $3",
            None,
            &[
                after.into(),
                experiment_id.into(),
                (i64::from(page_size) + 1).into(),
            ],
        )?;
        let mut items = Vec::new();
        for row in rows {
            items.push(serde_json::json!({
                "id": row.get::<i64>(1)?,
                "start_range": row.get::<i64>(2)?,
                "end_range": row.get::<i64>(3)?,
                "longest_sequence": row.get::<i64>(4)?,
                "longest_sequence_length": row.get::<i64>(5)?,
                "highest_peak": row.get::<i64>(6)?,
                "highest_peak_value": row.get::<String>(7)?.map(number),
                "numbers_analyzed": row.get::<i64>(8)?,
                "duration_ms": row.get::<f64>(9)?,
                "analysis_date": row.get::<String>(10)?,
                "experiment_id": row.get::<i64>(11)?,
            }));
        }
        Ok::<_, pgrx::spi::SpiError>(items)
    })
    .map_err(spi_error(FUNC))?;
    Ok(page(items, page_size, "id"))
}
