//! One number in, one answer out: collatz_next, _steps, _length, _peak, _stopping_time and
//! _stats. Each has an integer, bigint, numeric and double precision overload: with only
//! bigint and numeric, `collatz_steps(27)` (an integer literal) is ambiguous to PostgreSQL,
//! and `10^11` (double precision) would match nothing.

use crate::arguments::{bigint, numeric};
use collatz_engine::{next, steps_to_one, trajectory, Trajectory, Value};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::AnyNumeric;

/// The trajectory of n, interruptible while it runs on big integers.
pub fn walk(n: &Value) -> Trajectory {
    trajectory(n, &mut crate::check_interrupts)
}

/// Emits the overloads of one SQL function, all `immutable strict parallel_safe`, each
/// converting its argument and calling the same body. `= body` takes an infallible body;
/// `= fallible body` one that returns `Result<_, ErrorReport>`. Given only a numeric and a
/// double precision name, it emits those two: the integer and bigint overloads of the
/// per-row functions are entry points of their own (src/fmgr.rs).
macro_rules! overloads {
    ($sql:literal -> [$($ret:tt)+] = fallible $body:expr; $int4:ident, $int8:ident, $numeric:ident, $float8:ident) => {
        #[pg_extern(name = $sql, immutable, strict, parallel_safe)]
        fn $int4(n: i32) -> Result<$($ret)+, ErrorReport> {
            ($body)($crate::arguments::positive(&n, "n", $sql)?)
        }
        #[pg_extern(name = $sql, immutable, strict, parallel_safe)]
        fn $int8(n: i64) -> Result<$($ret)+, ErrorReport> {
            ($body)($crate::arguments::positive(&n, "n", $sql)?)
        }
        $crate::scalar::overloads!($sql -> [$($ret)+] = fallible $body; $numeric, $float8);
    };
    ($sql:literal -> [$($ret:tt)+] = fallible $body:expr; $numeric:ident, $float8:ident) => {
        #[pg_extern(name = $sql, immutable, strict, parallel_safe)]
        fn $numeric(n: AnyNumeric) -> Result<$($ret)+, ErrorReport> {
            ($body)($crate::arguments::positive(&n, "n", $sql)?)
        }
        #[pg_extern(name = $sql, immutable, strict, parallel_safe)]
        fn $float8(n: f64) -> Result<$($ret)+, ErrorReport> {
            ($body)($crate::arguments::positive(&n, "n", $sql)?)
        }
    };
    ($sql:literal -> [$($ret:tt)+] = $body:path; $($idents:ident),+) => {
        $crate::scalar::overloads!($sql -> [$($ret)+] = fallible |n| Ok($body(n)); $($idents),+);
    };
}
pub(crate) use overloads;

fn next_term(n: Value) -> AnyNumeric {
    numeric(&next(&n))
}
/// The count alone: the table walk for word-sized n (src/engine/jump.rs), the full walk
/// (interruptible) past them.
fn count(n: &Value) -> u64 {
    n.as_u64().map_or_else(|| walk(n).steps, steps_to_one)
}
fn steps(n: Value) -> i64 {
    bigint(count(&n))
}
fn length(n: Value) -> i64 {
    bigint(count(&n) + 1)
}
fn peak(n: Value) -> AnyNumeric {
    numeric(
        &n.as_u64()
            .map_or_else(|| walk(&n).peak, collatz_engine::peak),
    )
}
fn stopping_time(n: Value) -> Option<i64> {
    walk(&n).stopping_time.map(bigint)
}

overloads!("collatz_next" -> [AnyNumeric] = next_term; collatz_next_numeric, collatz_next_float8);
overloads!("collatz_steps" -> [i64] = steps; collatz_steps_numeric, collatz_steps_float8);
overloads!("collatz_length" -> [i64] = length; collatz_length_numeric, collatz_length_float8);
overloads!("collatz_peak" -> [AnyNumeric] = peak; collatz_peak_numeric, collatz_peak_float8);
overloads!("collatz_stopping_time" -> [Option<i64>] = stopping_time;
    collatz_stopping_time_numeric, collatz_stopping_time_float8);

/// One `collatz_stats` row (the composite type of src/sql/types.sql).
fn stats(n: Value) -> pgrx::composite_type!('static, "collatz_stats") {
    let t = walk(&n);
    let mut row = PgHeapTuple::new_composite_type(crate::STATS_TYPE)
        .expect("the extension installs collatz_stats");
    let fields: [(&str, Option<AnyNumeric>, Option<i64>); 7] = [
        ("number", Some(numeric(&n)), None),
        ("sequence_length", None, Some(bigint(t.length()))),
        ("steps_to_one", None, Some(bigint(t.steps))),
        ("max_value", Some(numeric(&t.peak)), None),
        ("stopping_time", None, t.stopping_time.map(bigint)),
        ("odd_steps", None, Some(bigint(t.odd_steps))),
        ("even_steps", None, Some(bigint(t.even_steps()))),
    ];
    for (name, num, int) in fields {
        match (num, int) {
            (Some(v), _) => row.set_by_name(name, v),
            (None, v) => row.set_by_name(name, v),
        }
        .expect("collatz_stats has these columns and types");
    }
    row
}

overloads!("collatz_stats" -> [pgrx::composite_type!('static, "collatz_stats")] = stats;
    collatz_stats_int4, collatz_stats_int8, collatz_stats_numeric, collatz_stats_float8);
