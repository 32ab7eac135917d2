//! Range analysis for the pipeline (src/sql/analysis.sql, src/sql/pipeline.sql): the
//! longest sequence and the highest peak of a range, computed in parallel without stored
//! rows. The SQL around it stores the answer, checkpoints long runs and records metrics.

use crate::arguments::{bigint, numeric, positive, range_bounds};
use crate::ranges::{scan, worker_pool};
use collatz_engine::{chunk_analysis, Summary};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{AnyNumeric, PgSqlErrorCode};

/// Checks the range arguments of a pipeline procedure, with the messages and SQLSTATEs of
/// the functions: NULL (22004), zero or negative (22023), inverted (22023), more than
/// `max_numbers` numbers (54000). Loading it also loads the library, which defines the GUCs
/// the procedures read next.
#[pg_extern(stable, parallel_safe, schema = "collatz_internal")]
fn collatz_check_range(
    range_start: Option<i64>,
    range_end: Option<i64>,
    max_numbers: Option<i64>,
    caller: Option<&str>,
) -> Result<bool, ErrorReport> {
    let caller = caller.unwrap_or("collatz_check_range");
    let (Some(start), Some(end)) = (range_start, range_end) else {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{caller}: the range bounds must not be NULL"),
            "collatz_check_range",
        )
        .set_hint("Give both the first and the last number."));
    };
    // One-number routines check n as the range [n, n]; their users know it as n.
    let (first, last) = if max_numbers == Some(1) {
        ("n", "n")
    } else {
        ("range start", "range end")
    };
    let a = positive(&start, first, caller)?;
    let b = positive(&end, last, caller)?;
    let limit = u64::try_from(max_numbers.unwrap_or(i64::MAX).max(1)).unwrap_or(u64::MAX);
    range_bounds(&a, &b, limit, caller)?;
    Ok(true)
}

/// The longest sequence and highest peak of [range_start, range_end], ties to the smaller
/// number; memory_bytes is what the engine's memo table took.
#[pg_extern(stable, strict, parallel_safe)]
fn collatz_analyze(
    range_start: i64,
    range_end: i64,
) -> Result<
    TableIterator<
        'static,
        (
            name!(numbers_analyzed, i64),
            name!(longest_sequence, i64),
            name!(longest_sequence_length, i64),
            name!(highest_peak, i64),
            name!(highest_peak_value, AnyNumeric),
            name!(memory_bytes, i64),
        ),
    >,
    ErrorReport,
> {
    const FUNC: &str = "collatz_analyze";
    let a = positive(&range_start, "range start", FUNC)?;
    let b = positive(&range_end, "range end", FUNC)?;
    range_bounds(&a, &b, u64::MAX, FUNC)?;
    let (Some(start), Some(end)) = (a.as_u64(), b.as_u64()) else {
        unreachable!("bigint bounds fit u64")
    };
    let pool = worker_pool(FUNC)?;
    let mut scan = scan(start, end, &pool, FUNC)?;
    let memory = scan.memo_bytes();
    let mut all = Summary::default();
    while let Some(parts) =
        scan.next_batch(&pool, |memo, chunk| chunk_analysis(memo, chunk, start, end))
    {
        parts.into_iter().for_each(|part| all.absorb(part));
        crate::check_interrupts();
    }
    let (longest, steps) = all.longest.expect("non-empty range");
    let (highest, peak) = all.highest.expect("non-empty range");
    let number = |n: u64| i64::try_from(n).expect("numbers of a bigint range fit in bigint");
    Ok(TableIterator::once((
        bigint(all.count),
        number(longest),
        bigint(steps + 1),
        number(highest),
        numeric(&peak),
        bigint(memory),
    )))
}

/// Peak resident memory of this backend process (threads included) since the last reset,
/// in bytes, from /proc/self/status; NULL where the kernel does not report it.
#[pg_extern(volatile, parallel_safe, schema = "collatz_internal")]
fn collatz_peak_memory() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts a new peak-memory measurement: the peak drops to the current resident size
/// (Linux: writing 5 to /proc/self/clear_refs). Returns false where that is not possible.
#[pg_extern(volatile, parallel_safe, schema = "collatz_internal")]
fn collatz_reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The version of the loaded library, which can differ from the SQL objects' version
/// (pg_extension.extversion) until ALTER EXTENSION ... UPDATE has run.
#[pg_extern(immutable, parallel_safe)]
fn collatz_library_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The role that called into the extension: the current user outside every SECURITY
/// DEFINER function (SET ROLE changes it, a SECURITY DEFINER call does not). SQL has no
/// name for it: inside a SECURITY DEFINER function current_user is the owner, and
/// session_user ignores SET ROLE. Pipeline runs belong to this role.
#[pg_extern(stable, parallel_safe, schema = "collatz_internal")]
fn invoking_role() -> pg_sys::Oid {
    // SAFETY: reads a backend-global set at login and by SET ROLE; always valid in a backend.
    unsafe { pg_sys::GetOuterUserId() }
}
