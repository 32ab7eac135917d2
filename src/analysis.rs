//! Range analysis for the pipeline (src/sql/analysis.sql, src/sql/pipeline.sql): the
//! longest sequence and the highest peak of a range, computed in parallel without stored
//! rows. The SQL around it stores the answer, checkpoints long runs and records metrics.

use crate::arguments::{bigint, numeric, range};
use crate::ranges::{scan, worker_pool};
use collatz_engine::{analyze_scan, Summary};
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
    let limit = u64::try_from(max_numbers.unwrap_or(i64::MAX).max(1)).unwrap_or(u64::MAX);
    range(&start, &end, [first, last], limit, caller)?;
    Ok(true)
}

/// The records of [start, end] among the numbers that can hold the records of the whole run
/// [run_start, run_end] that contains it, and the bytes of the memo table it used. A number
/// that a number elsewhere in the run dominates (2n, (2n - 1) / 3, a first term below it:
/// see collatz_engine's `analyze_scan`) is not walked, so a run's segments together cost what the whole
/// range costs in one piece; a segment may then hold no candidate at all (None).
fn analyze(
    start: u64,
    end: u64,
    run_start: u64,
    run_end: u64,
    func: &'static str,
) -> Result<(Summary, u64), ErrorReport> {
    let pool = worker_pool(func)?;
    let mut scan = scan(start, end, &pool, func)?;
    let memory = scan.memo_bytes();
    let all = analyze_scan(
        &mut scan,
        &pool,
        run_start..=run_end,
        0,
        &mut crate::check_interrupts,
    );
    Ok((all, memory))
}

/// The bounds of a bigint range, checked, as u64.
fn bounds(start: i64, end: i64, func: &'static str) -> Result<(u64, u64), ErrorReport> {
    range(&start, &end, ["range start", "range end"], u64::MAX, func)?;
    // Positive bigints: both fit u64.
    Ok((start as u64, end as u64))
}

/// A number of a bigint range as bigint.
fn number(n: u64) -> i64 {
    i64::try_from(n).expect("numbers of a bigint range fit in bigint")
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
    let (start, end) = bounds(range_start, range_end, FUNC)?;
    let (all, memory) = analyze(start, end, start, end, FUNC)?;
    // Within its own bounds a range always has both: the smallest holder of each record is
    // dominated by no number of the range (collatz_engine's analyze_scan).
    let (longest, steps) = all.longest.expect("a whole range has a longest");
    let (highest, peak) = all.highest.expect("a whole range has a highest peak");
    Ok(TableIterator::once((
        bigint(all.count),
        number(longest),
        bigint(steps + 1),
        number(highest),
        numeric(&peak),
        bigint(memory),
    )))
}

/// One segment [range_start, range_end] of the analysis run [run_start, run_end]: the
/// records among the segment's numbers that can hold the run's records (NULL when none can),
/// for sp_analyze_range's steps. On [1, 10^9] in 2^27-number segments, judged against its
/// own bounds each segment walked every number whose double lies beyond it: the procedure
/// took 2.2 times the single call (29.8 s against 13.8 s); judged against the run it takes
/// the same (17.7 s against 18.1 s, benches/procedure_vs_function.sh).
#[pg_extern(stable, strict, parallel_safe, schema = "collatz_internal")]
fn collatz_analyze_segment(
    range_start: i64,
    range_end: i64,
    run_start: i64,
    run_end: i64,
) -> Result<
    TableIterator<
        'static,
        (
            name!(numbers_analyzed, i64),
            name!(longest_sequence, Option<i64>),
            name!(longest_sequence_length, Option<i64>),
            name!(highest_peak, Option<i64>),
            name!(highest_peak_value, Option<AnyNumeric>),
            name!(memory_bytes, i64),
        ),
    >,
    ErrorReport,
> {
    const FUNC: &str = "collatz_analyze_segment";
    let (start, end) = bounds(range_start, range_end, FUNC)?;
    let (run_start, run_end) = bounds(run_start, run_end, FUNC)?;
    if start < run_start || end > run_end {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{FUNC}: the segment [{start}, {end}] is not inside the run [{run_start}, {run_end}]"),
            FUNC,
        )
        .set_hint("Pass the bounds of the whole run as run_start and run_end."));
    }
    let (all, memory) = analyze(start, end, run_start, run_end, FUNC)?;
    Ok(TableIterator::once((
        bigint(all.count),
        all.longest.map(|(n, _)| number(n)),
        all.longest.map(|(_, steps)| bigint(steps + 1)),
        all.highest.as_ref().map(|(n, _)| number(*n)),
        all.highest.as_ref().map(|(_, peak)| numeric(peak)),
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
