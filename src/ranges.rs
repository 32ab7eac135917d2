//! Ranges: collatz_range (one stats row per number) and collatz_records (delay and path
//! records). Bounds within u64 run on the engine's parallel, memoised scan; the backend
//! thread checks for cancellation between batches of a few milliseconds, so
//! statement_timeout and pg_cancel_backend stop a scan promptly. Bounds past u64 run on
//! big integers on the backend thread, one number at a time.

// ErrorReport (pgrx's error with a SQLSTATE and a hint) is what these functions return to
// PostgreSQL, by value as pgrx takes it; it is large, but only errors carry it.
#![allow(clippy::result_large_err)]

use crate::arguments::{bigint, bigint_number, numeric, range};
use crate::scalar::walk;
use crate::settings;
use collatz_engine::ThreadPool;
use collatz_engine::{
    chunk_records, chunk_trajectories, memo_len_for, Memo, RangeScan, Record, Records, Trajectory,
    Value,
};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{AnyNumeric, PgSqlErrorCode};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Most numbers one call may cover: 10^12 is days of work even at memoised speed, so a
/// larger range is a typo (a bound off by a power of ten), not a request.
const RANGE_LIMIT: u64 = 1_000_000_000_000;

/// The worker pool sized by collatz.threads, refused (54000) above collatz.max_threads.
/// Reads the GUCs here, on the backend thread.
pub(crate) fn worker_pool(func: &'static str) -> Result<Arc<ThreadPool>, ErrorReport> {
    collatz_engine::pool(settings::threads(func)?).map_err(|e| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES,
            format!("{func}: cannot start worker threads: {e}"),
            func,
        )
        .set_hint("Lower collatz.threads.")
    })
}

/// A scan of [start, end] within u64 (1 <= start <= end, which every caller has checked),
/// with its memo built (interruptibly) from the GUCs: collatz.memo_mb above
/// collatz.max_memo_mb is refused (54000), and a table the allocator refuses is an ERROR
/// (53200), not an abort of the backend.
pub(crate) fn scan(
    start: u64,
    end: u64,
    pool: &ThreadPool,
    func: &'static str,
) -> Result<RangeScan, ErrorReport> {
    let budget = settings::memo_bytes(func)?;
    let memo = Memo::build(
        memo_len_for(start, end, budget),
        pool,
        &mut crate::check_interrupts,
    )
    .map_err(|e| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
            format!("{func}: {e}"),
            func,
        )
        .set_hint(format!(
            "Lower collatz.memo_mb (now {}MB); 0 turns the memo table off.",
            budget >> 20
        ))
    })?;
    // RangeScan::new asserts 1 <= start <= end: every caller has it from `positive` and
    // `arguments::range`, so the assertion is an invariant, not a check of SQL input.
    Ok(RangeScan::new(start, end, memo))
}

/// The numbers of a range with their trajectories, in order, computed a batch at a time.
pub(crate) enum Trajectories {
    Parallel {
        batches: Batches,
        next: u64,
        /// The current batch, read in place: flattening it into one Vec would hold it twice.
        batch: std::iter::Flatten<std::vec::IntoIter<Vec<Trajectory>>>,
    },
    Sequential {
        next: Value,
        end: Value,
    },
}

type Batch = Vec<Vec<Trajectory>>;

/// The batches after the first, which the backend computes itself: if more follow, a thread
/// of their own computes them on the pool one ahead of the backend, which meanwhile turns
/// the previous one into rows, so that the engine's time overlaps the backend's (loading
/// 10^6 rows, the engine's part was 1.3% of the samples, about 60 ms of CPU on 2 threads,
/// which the backend waited for batch by batch). At most two batches wait (64 bytes a number: 16 MiB with 2
/// threads); the thread stops at the next batch once nobody reads, and a drop waits for it
/// (a batch is a few milliseconds), so nothing outlives the call.
pub(crate) struct Batches {
    receiver: Option<Receiver<Batch>>,
    producer: Option<JoinHandle<()>>,
}

impl Batches {
    fn start(
        mut scan: RangeScan,
        pool: Arc<ThreadPool>,
        func: &'static str,
    ) -> Result<Batches, ErrorReport> {
        if scan.is_done() {
            return Ok(Batches {
                receiver: None,
                producer: None,
            });
        }
        let (sender, receiver) = sync_channel(1);
        let producer = std::thread::Builder::new()
            .name("collatz-batches".into())
            .spawn(move || {
                while let Some(batch) = scan.next_batch(&pool, chunk_trajectories) {
                    if sender.send(batch).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| {
                ErrorReport::new(
                    PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES,
                    format!("{func}: cannot start a thread: {e}"),
                    func,
                )
                .set_hint("Lower collatz.threads.")
            })?;
        Ok(Batches {
            receiver: Some(receiver),
            producer: Some(producer),
        })
    }

    fn next(&mut self) -> Option<Batch> {
        let batch = self.receiver.as_ref()?.recv().ok();
        if batch.is_none() {
            self.receiver = None;
            // The sender went: the range is done, or the thread panicked, which is an
            // engine bug to report (pgrx makes it an ERROR), never a short range.
            if let Some(Err(panic)) = self.producer.take().map(JoinHandle::join) {
                std::panic::resume_unwind(panic);
            }
        }
        batch
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        // The receiver first: a thread waiting to send then stops.
        self.receiver = None;
        if let Some(p) = self.producer.take() {
            let _ = p.join();
        }
    }
}

impl Trajectories {
    pub(crate) fn new(
        start: Value,
        end: Value,
        func: &'static str,
    ) -> Result<Trajectories, ErrorReport> {
        Ok(match (start.as_u64(), end.as_u64()) {
            (Some(a), Some(b)) => {
                let pool = worker_pool(func)?;
                let mut scan = scan(a, b, &pool, func)?;
                let first = scan
                    .next_batch(&pool, chunk_trajectories)
                    .unwrap_or_default();
                Trajectories::Parallel {
                    batches: Batches::start(scan, pool, func)?,
                    next: a,
                    batch: first.into_iter().flatten(),
                }
            }
            _ => Trajectories::Sequential { next: start, end },
        })
    }
}

impl Iterator for Trajectories {
    type Item = (Value, Trajectory);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Trajectories::Parallel {
                batches,
                next,
                batch,
            } => {
                let t = match batch.next() {
                    Some(t) => t,
                    None => {
                        crate::check_interrupts();
                        *batch = batches.next()?.into_iter().flatten();
                        batch.next()?
                    }
                };
                let n = Value::from(*next);
                *next = next.wrapping_add(1);
                Some((n, t))
            }
            Trajectories::Sequential { next, end } => {
                if *next > *end {
                    return None;
                }
                crate::check_interrupts();
                let n = std::mem::replace(next, next.successor());
                let t = walk(&n);
                Some((n, t))
            }
        }
    }
}

/// Every delay and path record of [start, end], scanning upwards from start.
fn records(start: Value, end: Value, func: &'static str) -> Result<Vec<Record>, ErrorReport> {
    let mut all = Records::default();
    match (start.as_u64(), end.as_u64()) {
        (Some(a), Some(b)) => {
            let pool = worker_pool(func)?;
            let mut scan = scan(a, b, &pool, func)?;
            while let Some(parts) = scan.next_batch(&pool, chunk_records) {
                parts.into_iter().for_each(|part| all.absorb(part));
                crate::check_interrupts();
            }
        }
        _ => {
            for (n, t) in (Trajectories::Sequential { next: start, end }) {
                all.offer(n, t.steps, &t.peak);
            }
        }
    }
    Ok(all.found)
}

type StatsRow<N> = (N, i64, i64, AnyNumeric, Option<i64>, i64, i64);

fn stats_rows<N>(
    start: Value,
    end: Value,
    func: &'static str,
    number: fn(&Value) -> N,
) -> Result<TableIterator<'static, StatsRow<N>>, ErrorReport>
where
    N: 'static,
{
    Ok(TableIterator::new(
        Trajectories::new(start, end, func)?.map(move |(n, t)| {
            (
                number(&n),
                bigint(t.length()),
                bigint(t.steps),
                numeric(&t.peak),
                t.stopping_time.map(bigint),
                bigint(t.odd_steps),
                bigint(t.even_steps()),
            )
        }),
    ))
}

type RecordRow<N> = (N, i64, i64, AnyNumeric, bool, bool);

fn record_rows<N>(
    start: Value,
    end: Value,
    func: &'static str,
    number: fn(&Value) -> N,
) -> Result<TableIterator<'static, RecordRow<N>>, ErrorReport>
where
    N: 'static,
{
    let found = records(start, end, func)?;
    Ok(TableIterator::new(found.into_iter().map(move |r| {
        (
            number(&r.number),
            bigint(r.steps + 1),
            bigint(r.steps),
            numeric(&r.peak),
            r.delay,
            r.path,
        )
    })))
}

/// Emits one range function's overload for one argument type.
macro_rules! range_overload {
    ($sql:literal, $ident:ident($t:ty) -> [$($ret:tt)+] = $rows:ident, $number:path) => {
        #[pg_extern(name = $sql, immutable, strict, parallel_safe)]
        fn $ident(range_start: $t, range_end: $t) -> Result<$($ret)+, ErrorReport> {
            let (a, b) = range(&range_start, &range_end, ["range start", "range end"], RANGE_LIMIT, $sql)?;
            $rows(a, b, $sql, $number)
        }
    };
}

range_overload!("collatz_range", collatz_range_int4(i32) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(stopping_time, Option<i64>), name!(odd_steps, i64), name!(even_steps, i64))>] = stats_rows, bigint_number);
range_overload!("collatz_range", collatz_range_int8(i64) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(stopping_time, Option<i64>), name!(odd_steps, i64), name!(even_steps, i64))>] = stats_rows, bigint_number);
range_overload!("collatz_range", collatz_range_float8(f64) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(stopping_time, Option<i64>), name!(odd_steps, i64), name!(even_steps, i64))>] = stats_rows, bigint_number);
range_overload!("collatz_range", collatz_range_numeric(AnyNumeric) -> [TableIterator<'static, (
    name!(number, AnyNumeric), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(stopping_time, Option<i64>), name!(odd_steps, i64), name!(even_steps, i64))>] = stats_rows, numeric);

range_overload!("collatz_records", collatz_records_int4(i32) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(delay_record, bool), name!(path_record, bool))>] = record_rows, bigint_number);
range_overload!("collatz_records", collatz_records_int8(i64) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(delay_record, bool), name!(path_record, bool))>] = record_rows, bigint_number);
range_overload!("collatz_records", collatz_records_float8(f64) -> [TableIterator<'static, (
    name!(number, i64), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(delay_record, bool), name!(path_record, bool))>] = record_rows, bigint_number);
range_overload!("collatz_records", collatz_records_numeric(AnyNumeric) -> [TableIterator<'static, (
    name!(number, AnyNumeric), name!(sequence_length, i64), name!(steps_to_one, i64), name!(max_value, AnyNumeric),
    name!(delay_record, bool), name!(path_record, bool))>] = record_rows, numeric);
