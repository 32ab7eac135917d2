//! Ranges of numbers: parallel, memoised, in batches that hand control back to the caller.
//!
//! A caller inside PostgreSQL must check for query cancellation on its own thread, so a
//! scan never runs to the end in one call: `next_batch` computes a few chunks on the pool
//! and returns. With `CHUNK` numbers per chunk and `CHUNKS_PER_THREAD` chunks per thread a
//! batch takes a few milliseconds: tests/cancel measures pg_cancel_backend landing within
//! about 20 ms, client round trips included.

use crate::memo::{Memo, BYTES_PER_ENTRY, MAX_ENTRIES};
use crate::records::Records;
use crate::trajectory::{trajectory, Trajectory};
use crate::value::Value;
use crate::walk::Tally;
use rayon::prelude::*;
use rayon::ThreadPool;
use std::ops::RangeInclusive;

/// Numbers per parallel task: at 20-100 ns a number, about 0.3-1.6 ms of work.
pub const CHUNK: u64 = 1 << 14;
/// Chunks per pool thread in one batch.
const CHUNKS_PER_THREAD: u64 = 4;
/// Most chunks in one batch, whatever the pool's size: a batch's results are held at once,
/// and for `chunk_trajectories` they take 64 bytes a number (`Trajectory`), so a batch is
/// bounded by construction at 2^8 * 2^14 numbers = 256 MiB of results. The bound binds only
/// above 64 threads (collatz.max_threads, which only a superuser raises).
const MAX_BATCH_CHUNKS: u64 = 1 << 8;

/// How many memo entries a scan of [start, end] should build, within `budget_bytes`.
/// The table never goes past the range's end (it would be work nobody asked for) and stays
/// within a few times the range's size, so that a short range far out does not pay for a
/// table it barely uses.
pub fn memo_len_for(start: u64, end: u64, budget_bytes: u64) -> u64 {
    let count = end.saturating_sub(start).saturating_add(1);
    (budget_bytes / BYTES_PER_ENTRY)
        .min(MAX_ENTRIES)
        .min(end.saturating_add(1))
        .min(count.saturating_mul(4).max(1 << 12))
        .max(2)
}

/// A scan of [start, end] (1 <= start <= end < 2^64), consumed batch by batch.
pub struct RangeScan {
    memo: Memo,
    /// Next number to hand out; u128 so that end = 2^64 - 1 needs no special case.
    cursor: u128,
    end: u128,
}

impl RangeScan {
    pub fn new(start: u64, end: u64, memo: Memo) -> RangeScan {
        assert!(1 <= start && start <= end, "caller validates the range");
        RangeScan {
            memo,
            cursor: u128::from(start),
            end: u128::from(end),
        }
    }

    pub fn is_done(&self) -> bool {
        self.cursor > self.end
    }

    /// Bytes the scan's memo table holds.
    pub fn memo_bytes(&self) -> u64 {
        self.memo.len() * BYTES_PER_ENTRY
    }

    /// Numbers not yet handed out.
    pub fn remaining(&self) -> u128 {
        (self.end + 1).saturating_sub(self.cursor)
    }

    /// Applies `per_chunk` to the next batch of chunks in parallel on `pool`, returning
    /// the results in range order; `None` once the range is exhausted.
    pub fn next_batch<R, F>(&mut self, pool: &ThreadPool, per_chunk: F) -> Option<Vec<R>>
    where
        R: Send,
        F: Fn(&Memo, RangeInclusive<u64>) -> R + Sync,
    {
        if self.is_done() {
            return None;
        }
        let chunk = u128::from(CHUNK);
        let threads = pool.current_num_threads() as u64;
        let chunks = CHUNKS_PER_THREAD
            .saturating_mul(threads)
            .clamp(1, MAX_BATCH_CHUNKS);
        let budget = chunk * u128::from(chunks);
        let last = (self.cursor + budget - 1).min(self.end);
        let chunks: Vec<RangeInclusive<u64>> = (self.cursor..=last)
            .step_by(CHUNK as usize)
            .map(|lo| lo as u64..=(lo + chunk - 1).min(last) as u64)
            .collect();
        self.cursor = last + 1;
        let memo = &self.memo;
        Some(pool.install(|| chunks.into_par_iter().map(|r| per_chunk(memo, r)).collect()))
    }
}

/// The trajectory of one number of a scan, from the memo where the walk stays in `u64`.
#[inline]
pub fn trajectory_in(memo: &Memo, n: u64) -> Trajectory {
    let mut tally = Tally::default();
    match memo.complete(n, n.min(memo.len()), &mut tally) {
        Some(e) => Trajectory {
            steps: e.steps,
            odd_steps: e.odd_steps,
            peak: Value::from(e.peak),
            stopping_time: tally.stopping_time,
        },
        // Above u64 somewhere on the way (first at n = 12,327,829,503): exact wide path.
        None => trajectory(&Value::from(n), &mut || {}),
    }
}

/// Per-chunk worker: every number's trajectory, in order.
pub fn chunk_trajectories(memo: &Memo, chunk: RangeInclusive<u64>) -> Vec<Trajectory> {
    chunk.map(|n| trajectory_in(memo, n)).collect()
}

/// Per-chunk worker: the chunk's own running records. Every record of the whole range is
/// a record of its chunk, so merging chunk records in order (`Records::absorb`) is exact.
pub fn chunk_records(memo: &Memo, chunk: RangeInclusive<u64>) -> Records {
    let mut records = Records::default();
    for n in chunk {
        let t = trajectory_in(memo, n);
        records.offer(Value::from(n), t.steps, &t.peak);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    #[test]
    fn batches_cover_the_range_once_in_order() {
        let pool = pool(2);
        let (start, end) = (5, 3 * CHUNK + 17);
        let memo = Memo::build(memo_len_for(start, end, 1 << 20), &pool, &mut || {}).unwrap();
        let mut scan = RangeScan::new(start, end, memo);
        let mut seen = Vec::new();
        while let Some(batch) = scan.next_batch(&pool, |_, r| r) {
            seen.extend(batch.into_iter().flatten());
        }
        assert_eq!(seen, (start..=end).collect::<Vec<_>>());
        assert!(scan.is_done());
    }

    #[test]
    fn scan_reaches_the_top_of_u64() {
        let pool = pool(1);
        let end = u64::MAX;
        let memo = Memo::build(memo_len_for(end - 2, end, 1 << 20), &pool, &mut || {}).unwrap();
        let mut scan = RangeScan::new(end - 2, end, memo);
        let batch = scan.next_batch(&pool, chunk_trajectories).unwrap();
        let rows: Vec<_> = batch.into_iter().flatten().collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], trajectory(&Value::from(end), &mut || {}));
        assert!(scan.next_batch(&pool, chunk_trajectories).is_none());
    }

    #[test]
    fn memo_len_respects_budget_range_and_end() {
        assert_eq!(memo_len_for(1, 10, 1 << 30), 11);
        assert_eq!(memo_len_for(1, 1 << 40, 12 << 20), 1 << 20);
        assert_eq!(memo_len_for(1 << 40, (1 << 40) + 9, 1 << 30), 1 << 12);
        assert_eq!(memo_len_for(1, u64::MAX, u64::MAX), MAX_ENTRIES);
        // No overflow at the edges, whatever the caller passes.
        assert_eq!(memo_len_for(0, u64::MAX, u64::MAX), MAX_ENTRIES);
        assert_eq!(memo_len_for(10, 1, u64::MAX), 2);
    }

    #[test]
    fn a_batch_holds_at_most_max_batch_chunks() {
        let pool = pool((MAX_BATCH_CHUNKS / CHUNKS_PER_THREAD) as usize + 1);
        let memo = Memo::build(1 << 12, &pool, &mut || {}).unwrap();
        let mut scan = RangeScan::new(1, u64::MAX, memo);
        let batch = scan.next_batch(&pool, |_, r| r).unwrap();
        assert_eq!(batch.len() as u64, MAX_BATCH_CHUNKS);
        assert_eq!(
            scan.remaining(),
            u128::from(u64::MAX - MAX_BATCH_CHUNKS * CHUNK)
        );
    }
}
