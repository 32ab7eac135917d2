//! Arguments in, values out: the one place where SQL types meet the engine's `Value`, and
//! where every bad argument gets its SQLSTATE, message and hint.

// ErrorReport (pgrx's error with a SQLSTATE and a hint) is what these functions return to
// PostgreSQL, by value as pgrx takes it; it is large, but only errors carry it.
#![allow(clippy::result_large_err)]

use collatz_engine::{InputError, Value};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{AnyNumeric, PgLogLevel, PgSqlErrorCode};

/// A SQL argument type that can name a positive integer: integer, bigint, numeric and
/// double precision (the last only below 2^53, where each float is exactly one integer).
pub trait SqlInteger {
    fn to_value(&self) -> Result<Value, InputError>;
    /// The argument as the user would see it in psql, for messages.
    fn shown(&self) -> String;
}

impl SqlInteger for i32 {
    fn to_value(&self) -> Result<Value, InputError> {
        Value::from_i64(i64::from(*self))
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SqlInteger for i64 {
    fn to_value(&self) -> Result<Value, InputError> {
        Value::from_i64(*self)
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SqlInteger for f64 {
    fn to_value(&self) -> Result<Value, InputError> {
        Value::from_f64(*self)
    }
    /// As float8out writes it: `Infinity`, and exponent notation from 1e15 on.
    fn shown(&self) -> String {
        match self {
            x if x.is_infinite() => if *x > 0.0 { "Infinity" } else { "-Infinity" }.to_string(),
            x if x.is_nan() => "NaN".to_string(),
            x if x.abs() >= 1e15 => format!("{x:e}").replacen("e", "e+", 1).replace("e+-", "e-"),
            x => x.to_string(),
        }
    }
}

impl SqlInteger for AnyNumeric {
    fn to_value(&self) -> Result<Value, InputError> {
        // numeric_out's text is exact at every size; parsing it is cheaper than a chain of
        // numeric operations, each of which would call back into PostgreSQL.
        Value::parse_positive(&self.to_string())
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

/// The argument `arg` of `func` as a positive integer, or the error a user should see.
pub fn positive<T: SqlInteger>(n: &T, arg: &str, func: &str) -> Result<Value, ErrorReport> {
    n.to_value()
        .map_err(|e| input_error(e, &n.shown(), arg, func))
}

fn input_error(e: InputError, shown: &str, arg: &str, func: &str) -> ErrorReport {
    use PgSqlErrorCode::*;
    let (code, message, hint) = match e {
        InputError::NotPositive => (
            ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: {arg} must be a positive integer, got {shown}"),
            "Collatz sequences are defined for integers n >= 1.",
        ),
        InputError::Fractional => (
            ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: {arg} must be an integer, got {shown}"),
            "Round or truncate the value first, for example with trunc().",
        ),
        InputError::NotANumber => (
            ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: {arg} must be a positive integer, got NaN"),
            "NaN has no Collatz sequence; filter it out, for example WHERE n <> 'NaN'.",
        ),
        InputError::Infinite => (
            ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: {arg} must be finite, got {shown}"),
            "Infinity has no Collatz sequence.",
        ),
        InputError::InexactFloat => (
            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            format!("{func}: double precision {arg} = {shown} is not below 2^53, where a float no longer stands for one integer (2^53 + 1 rounds to 2^53)"),
            "Pass numeric instead: 2::numeric^100 + 1 is exact, while 2^100 + 1 in double precision has already lost the + 1.",
        ),
        InputError::Malformed => (
            ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!("{func}: {arg} is not a decimal integer: {shown}"),
            "Write the number in plain decimal digits.",
        ),
    };
    ErrorReport::new(code, message, "positive").set_hint(hint)
}

/// The bounds of a range argument pair (named `names` in messages) as positive integers, in
/// order, the range holding at most `limit` numbers: the one check of every range function.
pub fn range<T: SqlInteger>(
    start: &T,
    end: &T,
    names: [&str; 2],
    limit: u64,
    func: &str,
) -> Result<(Value, Value), ErrorReport> {
    let (a, b) = (
        positive(start, names[0], func)?,
        positive(end, names[1], func)?,
    );
    range_bounds(&a, &b, limit, func)?;
    Ok((a, b))
}

/// Checks that [start, end] is a range of at most `limit` numbers.
fn range_bounds(start: &Value, end: &Value, limit: u64, func: &str) -> Result<(), ErrorReport> {
    if start > end {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{func}: the range is inverted: start {start} is above end {end}"),
            "range_bounds",
        )
        .set_hint("Give the smaller bound first."));
    }
    let count = end.distance(start).map(|d| d + 1);
    if count.is_none_or(|c| c > u128::from(limit)) {
        let count = count.map_or_else(|| "more than 2^128".to_string(), |c| c.to_string());
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("{func}: the range [{start}, {end}] holds {count} numbers, above the limit of {limit}"),
            "range_bounds",
        )
        .set_hint("Split the range into parts and query them one after another."));
    }
    Ok(())
}

/// Refuses a start whose full sequence would be too large to return as rows or JSON.
pub fn sequence_size(n: &Value, max_bits: u64, func: &str) -> Result<(), ErrorReport> {
    if n.bits() <= max_bits {
        return Ok(());
    }
    Err(ErrorReport::new(
        PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        format!("{func}: n has {} bits; full sequences are returned for n of up to {max_bits} bits", n.bits()),
        "sequence_size",
    )
    .set_hint("collatz_stats, collatz_steps and collatz_peak take n of any size; they do not list the terms."))
}

/// Most digits numeric holds before the decimal point.
const NUMERIC_MAX_DIGITS: usize = 131_072;

/// An engine value as SQL numeric, exact at every size numeric holds. A larger one is an
/// ERROR (22003), raised here on the backend thread: an input of 131,072 nines is a valid
/// numeric, but its next term and its peak have 131,073 digits.
pub fn numeric(v: &Value) -> AnyNumeric {
    let digits = match v {
        Value::Small(s) => return AnyNumeric::from(*s),
        Value::Big(_) => v.to_string(),
    };
    if digits.len() <= NUMERIC_MAX_DIGITS {
        if let Ok(n) = AnyNumeric::try_from(digits.as_str()) {
            return n;
        }
    }
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        format!(
            "a result has {} digits, more than numeric holds ({NUMERIC_MAX_DIGITS} before the decimal point)",
            digits.len()
        ),
        "numeric",
    )
    .set_hint("collatz_steps, collatz_length and collatz_stopping_time answer for such n; its terms and peak do not fit in numeric.")
    .report(PgLogLevel::ERROR);
    unreachable!("a report at level ERROR does not return")
}

/// A count (steps, terms) as SQL bigint. Counts are below 2^63 for every input PostgreSQL
/// can hold: numeric has at most 131,072 digits, so a trajectory has a few million steps
/// (and a walk of 2^63 steps would take centuries), so the `expect` is an invariant.
pub fn bigint(count: u64) -> i64 {
    i64::try_from(count).expect("step counts fit in bigint")
}

/// A number of a bigint-typed range (whose bounds came from bigint, integer or
/// double precision arguments) as SQL bigint. Invariant: `positive` took each bound from
/// an i32, an i64 or a float below 2^53, and the range checks kept start <= end, so every
/// number of the range is at most the end, which fits in bigint.
pub fn bigint_number(v: &Value) -> i64 {
    v.as_u64()
        .and_then(|n| i64::try_from(n).ok())
        .expect("numbers of a bigint range fit in bigint")
}
