//! Whole sequences: collatz_sequence (one row per term) and collatz_sequence_json (jsonb).

use crate::arguments::{bigint, numeric, sequence_size};
use crate::scalar::{overloads, walk};
use collatz_engine::{sequence, Value};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{AnyNumeric, JsonB, PgSqlErrorCode};

/// Largest start, in bits, whose terms are listed. 2^8191 + 1 has 59,359 terms averaging 616
/// bytes as numeric: 35 MB of rows, well inside jsonb's 256 MB.
const SEQUENCE_MAX_BITS: u64 = 8192;

type SequenceRow = (i64, AnyNumeric, &'static str);

fn rows(start: Value) -> Result<TableIterator<'static, SequenceRow>, ErrorReport> {
    sequence_size(&start, SEQUENCE_MAX_BITS, "collatz_sequence")?;
    Ok(TableIterator::new(sequence(start).map(
        |(step, term, op)| {
            crate::check_interrupts();
            (bigint(step), numeric(&term), op.as_str())
        },
    )))
}

overloads!("collatz_sequence" -> [TableIterator<'static, (
        name!(step_number, i64), name!(value, AnyNumeric), name!(operation_type, &'static str))>]
    = fallible rows;
    collatz_sequence_int4, collatz_sequence_int8, collatz_sequence_numeric, collatz_sequence_float8);

/// A JSON number with every digit (serde_json's arbitrary_precision).
fn json_number(v: &Value) -> serde_json::Value {
    serde_json::Value::Number(
        v.to_string()
            .parse()
            .expect("decimal digits are a JSON number"),
    )
}

fn document(n: Value) -> Result<JsonB, ErrorReport> {
    sequence_size(&n, SEQUENCE_MAX_BITS, "collatz_sequence_json")?;
    let t = walk(&n);
    let terms: Vec<serde_json::Value> = sequence(n.clone())
        .map(|(_, term, _)| {
            crate::check_interrupts();
            json_number(&term)
        })
        .collect();
    Ok(JsonB(serde_json::json!({
        "number": json_number(&n),
        "sequence_length": t.length(),
        "steps_to_one": t.steps,
        "max_value": json_number(&t.peak),
        "stopping_time": t.stopping_time,
        "odd_steps": t.odd_steps,
        "even_steps": t.even_steps(),
        "sequence": terms,
    })))
}

overloads!("collatz_sequence_json" -> [JsonB] = fallible document;
    collatz_sequence_json_int4, collatz_sequence_json_int8, collatz_sequence_json_numeric,
    collatz_sequence_json_float8);

/// The first of `steps` (ascending, as the sequence_steps trigger passes them) whose stored
/// term or rule differs from the true one for n, including a step past the end; NULL when
/// every row is right. The trigger calls it once per touched sequence: a walk of n against a
/// merge of the rows, however PostgreSQL plans the statement around it. A join of the rows
/// against collatz_sequence's terms left that to the statistics of the moment: in one CI run,
/// on freshly created tables, the batch that stores the steps of 2,000 sequences took 32 s
/// instead of 0.4 s.
#[pg_extern(immutable, strict, parallel_safe, schema = "collatz_internal")]
fn collatz_first_wrong_step(
    n: i64,
    steps: Vec<Option<i32>>,
    terms: Vec<Option<AnyNumeric>>,
    operations: Vec<Option<String>>,
) -> Result<Option<i32>, ErrorReport> {
    const FUNC: &str = "collatz_first_wrong_step";
    let start = crate::arguments::positive(&n, "n", FUNC)?;
    // sequence_steps columns are NOT NULL, so the trigger never passes a NULL element; a
    // direct caller that does gets 22004 instead of a wrong answer.
    let null = |what: &str| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{FUNC}: the {what} must not contain NULL"),
            FUNC,
        )
        .set_hint("Pass the step numbers, terms and rules of stored rows, which are never NULL.")
    };
    let steps: Vec<i32> = steps
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| null("step numbers"))?;
    let terms: Vec<AnyNumeric> = terms
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| null("terms"))?;
    let operations: Vec<String> = operations
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(|| null("rules"))?;
    if steps.len() != terms.len() || steps.len() != operations.len() {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "{FUNC}: {} step numbers, {} terms and {} rules: the arrays must have one element per row",
                steps.len(),
                terms.len(),
                operations.len()
            ),
            FUNC,
        ));
    }
    let mut stored = steps
        .iter()
        .zip(terms.iter().zip(operations.iter()))
        .peekable();
    for (step, term, op) in sequence(start) {
        while let Some(&(&k, (value, rule))) = stored.peek() {
            if i64::from(k) > i64::try_from(step).unwrap_or(i64::MAX) {
                break;
            }
            let right = i64::from(k) == step as i64
                && Value::parse_positive(&value.to_string()).is_ok_and(|v| v == term)
                && rule == op.as_str();
            if !right {
                return Ok(Some(k));
            }
            stored.next();
        }
        if stored.peek().is_none() {
            return Ok(None);
        }
    }
    Ok(stored.peek().map(|&(&k, _)| k))
}

/// The first `k` terms of n (all of them when k passes the end) as the numeric[] that
/// sequence_terms stores: what the loader writes and what the table's check compares a
/// written array with (array equality, about 20 ns a term, against 150 ns for parsing each
/// stored term back in Rust). A bigint n has at most a few thousand terms, so the array is
/// small at any k.
#[pg_extern(immutable, strict, parallel_safe, schema = "collatz_internal")]
fn collatz_terms(n: i64, k: i32) -> Result<Vec<AnyNumeric>, ErrorReport> {
    const FUNC: &str = "collatz_terms";
    let start = crate::arguments::positive(&n, "n", FUNC)?;
    let k = usize::try_from(k).map_err(|_| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{FUNC}: k must not be negative, got {k}"),
            FUNC,
        )
        .set_hint("k is the number of terms wanted, from step 0.")
    })?;
    Ok(sequence(start)
        .take(k)
        .map(|(_, term, _)| numeric(&term))
        .collect())
}
