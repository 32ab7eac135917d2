//! Hand-written fmgr entry points for the integer and bigint overloads of collatz_next,
//! _steps, _length, _peak and _stopping_time: the per-row functions of queries over
//! millions of rows, and (steps and peak) the exactness CHECK of every stored row.
//!
//! pgrx's generated wrapper switches memory contexts, unboxes through the generic argument
//! path and carries a `Result<_, ErrorReport>` back; each entry point here reads its one
//! by-value argument from the fcinfo and returns a Datum. `#[pg_guard]` still catches every
//! panic and every ERROR raised inside, so a bad argument is the same ERROR (SQLSTATE,
//! message, hint) as from pgrx's wrapper. The symbols and the SQL below are those pgrx
//! generated for these overloads up to 0.5.0, so the catalog is unchanged. With the table
//! walks and src/numeric.rs, over [1, 10^6] (benches/sql/calls.sql, 2026-12-01):
//! sum(collatz_steps(n)) went from 1.92x to 1.23x the time of sum(abs(n)), and
//! sum(collatz_peak(n)) from 2.20x to 1.28x that of sum(n::numeric).

use crate::arguments::{positive, SqlInteger};
use crate::scalar::walk;
use collatz_engine::{next, peak as peak_of, steps_to_one, Value};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgLogLevel;

/// The argument of a one-argument STRICT function: never NULL.
///
/// # Safety
/// `fcinfo` is the call's, with one argument of the type `T` stands for.
unsafe fn argument<T: FromArgument>(fcinfo: pg_sys::FunctionCallInfo) -> T {
    // SAFETY: the caller's contract; the function is STRICT, so the argument is not NULL.
    unsafe { T::from_datum((*fcinfo).args.as_slice(1)[0].value) }
}

trait FromArgument: SqlInteger + Copy + Into<i64> {
    fn from_datum(d: pg_sys::Datum) -> Self;
    /// The argument as a positive number, when it is one (the fast path of what
    /// `arguments::positive` accepts).
    fn word(self) -> Option<u64> {
        u64::try_from(self.into()).ok().filter(|&n| n >= 1)
    }
}

impl FromArgument for i32 {
    fn from_datum(d: pg_sys::Datum) -> i32 {
        // DatumGetInt32: the low 32 bits.
        d.value() as i32
    }
}

impl FromArgument for i64 {
    fn from_datum(d: pg_sys::Datum) -> i64 {
        d.value() as i64
    }
}

/// The argument as a positive number, or the ERROR that `arguments::positive` words for it.
#[inline(always)]
fn checked<T: FromArgument>(n: T, func: &str) -> u64 {
    match n.word() {
        Some(w) => w,
        None => refuse(n, func),
    }
}

#[cold]
#[inline(never)]
fn refuse<T: SqlInteger>(n: T, func: &str) -> ! {
    if let Err(report) = positive(&n, "n", func) {
        report.report(PgLogLevel::ERROR);
    }
    unreachable!("positive() refuses what word() refuses, and an ERROR does not return")
}

fn bigint_datum(v: u64) -> pg_sys::Datum {
    pg_sys::Datum::from(crate::arguments::bigint(v))
}

/// Emits one entry point and its pg_finfo record; `$body` maps the checked argument and the
/// fcinfo (for a NULL result) to the result Datum.
macro_rules! entry_point {
    ($symbol:ident, $finfo:ident, $func:literal, $arg:ty, $body:expr) => {
        #[no_mangle]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static pg_sys::Pg_finfo_record {
            const V1_API: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
            &V1_API
        }

        #[pg_guard]
        #[no_mangle]
        #[doc(hidden)]
        pub unsafe extern "C-unwind" fn $symbol(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
            // SAFETY: PostgreSQL calls this symbol only through the CREATE FUNCTION below,
            // which declares one STRICT argument of this type.
            let n = checked(unsafe { argument::<$arg>(fcinfo) }, $func);
            ($body)(n, fcinfo)
        }
    };
}

fn next_term(n: u64, _: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    crate::numeric::datum(&next(&Value::from(n)))
}
fn steps(n: u64, _: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    bigint_datum(steps_to_one(n))
}
fn length(n: u64, _: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    bigint_datum(steps_to_one(n) + 1)
}
fn peak(n: u64, _: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    crate::numeric::datum(&peak_of(n))
}
fn stopping_time(n: u64, fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    match walk(&Value::from(n)).stopping_time {
        Some(t) => bigint_datum(t),
        None => {
            // SAFETY: the call's own fcinfo; 1 has no stopping time, which is SQL NULL.
            unsafe { (*fcinfo).isnull = true };
            pg_sys::Datum::from(0)
        }
    }
}

entry_point!(
    collatz_next_int4_wrapper,
    pg_finfo_collatz_next_int4_wrapper,
    "collatz_next",
    i32,
    next_term
);
entry_point!(
    collatz_next_int8_wrapper,
    pg_finfo_collatz_next_int8_wrapper,
    "collatz_next",
    i64,
    next_term
);
entry_point!(
    collatz_steps_int4_wrapper,
    pg_finfo_collatz_steps_int4_wrapper,
    "collatz_steps",
    i32,
    steps
);
entry_point!(
    collatz_steps_int8_wrapper,
    pg_finfo_collatz_steps_int8_wrapper,
    "collatz_steps",
    i64,
    steps
);
entry_point!(
    collatz_length_int4_wrapper,
    pg_finfo_collatz_length_int4_wrapper,
    "collatz_length",
    i32,
    length
);
entry_point!(
    collatz_length_int8_wrapper,
    pg_finfo_collatz_length_int8_wrapper,
    "collatz_length",
    i64,
    length
);
entry_point!(
    collatz_peak_int4_wrapper,
    pg_finfo_collatz_peak_int4_wrapper,
    "collatz_peak",
    i32,
    peak
);
entry_point!(
    collatz_peak_int8_wrapper,
    pg_finfo_collatz_peak_int8_wrapper,
    "collatz_peak",
    i64,
    peak
);
entry_point!(
    collatz_stopping_time_int4_wrapper,
    pg_finfo_collatz_stopping_time_int4_wrapper,
    "collatz_stopping_time",
    i32,
    stopping_time
);
entry_point!(
    collatz_stopping_time_int8_wrapper,
    pg_finfo_collatz_stopping_time_int8_wrapper,
    "collatz_stopping_time",
    i64,
    stopping_time
);

// As pgrx wrote them for the #[pg_extern]s these replace (src/scalar.rs makes the numeric
// and double precision overloads).
extension_sql!(
    r#"
CREATE FUNCTION "collatz_next"("n" INT) RETURNS NUMERIC IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_next_int4_wrapper';
CREATE FUNCTION "collatz_next"("n" bigint) RETURNS NUMERIC IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_next_int8_wrapper';
CREATE FUNCTION "collatz_steps"("n" INT) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_steps_int4_wrapper';
CREATE FUNCTION "collatz_steps"("n" bigint) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_steps_int8_wrapper';
CREATE FUNCTION "collatz_length"("n" INT) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_length_int4_wrapper';
CREATE FUNCTION "collatz_length"("n" bigint) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_length_int8_wrapper';
CREATE FUNCTION "collatz_peak"("n" INT) RETURNS NUMERIC IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_peak_int4_wrapper';
CREATE FUNCTION "collatz_peak"("n" bigint) RETURNS NUMERIC IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_peak_int8_wrapper';
CREATE FUNCTION "collatz_stopping_time"("n" INT) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_stopping_time_int4_wrapper';
CREATE FUNCTION "collatz_stopping_time"("n" bigint) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c AS 'MODULE_PATHNAME', 'collatz_stopping_time_int8_wrapper';
"#,
    name = "scalar_entry_points",
);
