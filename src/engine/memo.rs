//! Memoised results for every number below a bound, so a range walk can stop early.
//!
//! A number's walk only has to go until its term drops below the table's length; the
//! table supplies the rest. benches/engine.rs: every number of [1, 10^6] 6.3x faster than a
//! plain loop on one thread. Lookups land at scattered indices, so a table that stays in the
//! CPU's cache beats a bigger one (see collatz.memo_mb in the glue's settings). Range analysis
//! (summary.rs) walks only 6.54% of the numbers for their steps, by 16-halving jumps, and
//! barely feels the size: [1, 10^9] on 2 threads took 3.1 / 3.2 / 3.1 / 3.5 s of CPU with
//! 2 / 8 / 32 / 128 MB (one run each, 2026-12-01, 2 shared cores; tests/engine/analysis.rs,
//! `measure_walks_and_memo_sizes_on_1_to_10_pow_9`), so the 8 MB default stays.

use crate::walk::{descend, Segment, Tally};
use rayon::prelude::*;
use rayon::ThreadPool;
use std::collections::TryReserveError;
use std::fmt;

/// Bytes per entry: a packed `u32` of (steps, odd steps) and a `u64` peak.
pub const BYTES_PER_ENTRY: u64 = 12;

/// Largest table: below 2^32 every peak fits in a `u64` (the first peak above 2^63 belongs
/// to 8,528,817,511) and every step count fits in 16 bits (the longest below 2^32 has
/// fewer than 1,100 steps).
pub const MAX_ENTRIES: u64 = 1 << 32;

/// Entries filled by one parallel task while building; small enough to balance.
const BUILD_CHUNK: usize = 1 << 12;

/// The table could not be allocated: the allocator refused `bytes` bytes. Rust's default is
/// to abort the process on such a failure, and inside PostgreSQL an aborted backend makes
/// the postmaster restart every session, so the table asks with `try_reserve_exact` instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoAllocError {
    /// Entries asked for.
    pub entries: u64,
    /// Bytes the whole table needs.
    pub bytes: u64,
}

impl fmt::Display for MemoAllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot allocate a memo table of {} entries ({} bytes)",
            self.entries, self.bytes
        )
    }
}

impl std::error::Error for MemoAllocError {}

/// A zeroed table of `len` entries, or the allocator's refusal. Fills only after the whole
/// capacity is reserved, so a refusal leaves nothing behind.
fn zeroed<T: Copy + Default>(len: usize) -> Result<Vec<T>, TryReserveError> {
    let mut table = Vec::new();
    table.try_reserve_exact(len)?;
    table.resize(len, T::default());
    Ok(table)
}

pub struct Memo {
    /// steps << 16 | odd_steps, indexed by number; entry 0 is unused.
    counts: Vec<u32>,
    peaks: Vec<u64>,
}

/// What the table knows about one number below its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub steps: u64,
    pub odd_steps: u64,
    pub peak: u64,
}

impl Memo {
    /// Bytes a table of `len` entries takes (`len` as `build` clamps it).
    pub fn bytes_for(len: u64) -> u64 {
        len.clamp(2, MAX_ENTRIES) * BYTES_PER_ENTRY
    }

    /// Fills the table for [1, len) in doubling phases: the numbers in [2^k, 2^(k+1)) walk
    /// until below 2^k, which the earlier phases hold. Each phase runs in parallel on `pool`;
    /// `poll` runs on the calling thread between phases and may unwind. `len` is clamped to
    /// [2, MAX_ENTRIES]; the memory (`bytes_for(len)`, at most 48 GiB) is asked for before
    /// any work, and a refusal is an `Err`, never an abort.
    pub fn build(
        len: u64,
        pool: &ThreadPool,
        poll: &mut dyn FnMut(),
    ) -> Result<Memo, MemoAllocError> {
        let mut memo = Memo::allocate(len)?;
        memo.fill(pool, poll);
        Ok(memo)
    }

    /// The zeroed table of `len` entries (clamped as in `build`), or why it cannot be had.
    fn allocate(len: u64) -> Result<Memo, MemoAllocError> {
        let entries = len.clamp(2, MAX_ENTRIES);
        Memo::allocate_exactly(entries).map_err(|_| MemoAllocError {
            entries,
            bytes: entries * BYTES_PER_ENTRY,
        })
    }

    fn allocate_exactly(entries: u64) -> Result<Memo, TryReserveError> {
        // On a target whose usize is narrower than the length, ask for usize::MAX entries:
        // that is more than isize::MAX bytes, which try_reserve refuses without allocating.
        let len = usize::try_from(entries).unwrap_or(usize::MAX);
        Ok(Memo {
            counts: zeroed(len)?,
            peaks: zeroed(len)?,
        })
    }

    fn fill(&mut self, pool: &ThreadPool, poll: &mut dyn FnMut()) {
        let memo = self;
        let len = memo.counts.len();
        memo.peaks[1] = 1;
        let mut lo = 2usize;
        while lo < len {
            let hi = (lo * 2).min(len);
            let (done_counts, todo_counts) = memo.counts.split_at_mut(lo);
            let (done_peaks, todo_peaks) = memo.peaks.split_at_mut(lo);
            let done = MemoView {
                counts: done_counts,
                peaks: done_peaks,
            };
            let fill = |(i, (counts, peaks)): (usize, (&mut [u32], &mut [u64]))| {
                let first = lo + i * BUILD_CHUNK;
                for (k, (c, p)) in counts.iter_mut().zip(peaks.iter_mut()).enumerate() {
                    let e = done.walk((first + k) as u64, lo as u64);
                    *c = pack(e.steps, e.odd_steps);
                    *p = e.peak;
                }
            };
            let todo_counts = &mut todo_counts[..hi - lo];
            let todo_peaks = &mut todo_peaks[..hi - lo];
            if hi - lo <= BUILD_CHUNK {
                fill((0, (todo_counts, todo_peaks)));
            } else {
                pool.install(|| {
                    todo_counts
                        .par_chunks_mut(BUILD_CHUNK)
                        .zip(todo_peaks.par_chunks_mut(BUILD_CHUNK))
                        .enumerate()
                        .for_each(fill)
                });
                poll();
            }
            lo = hi;
        }
    }

    /// One past the largest number the table holds.
    pub fn len(&self) -> u64 {
        self.counts.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.counts.len() <= 1
    }

    pub fn get(&self, n: u64) -> Entry {
        self.view().get(n)
    }

    /// Steps of n < len(), without touching the peaks (a range's longest needs no peak).
    #[inline(always)]
    pub(crate) fn steps(&self, n: u64) -> u64 {
        u64::from(self.counts[n as usize] >> 16)
    }

    fn view(&self) -> MemoView<'_> {
        MemoView {
            counts: &self.counts,
            peaks: &self.peaks,
        }
    }

    /// The walk of `n` until below `floor` (< n, or n = 1), completed from the table.
    /// `tally.stopping_time` comes out set for every n > 1. Returns `None` if a term
    /// outgrew `u64`: the caller then takes the exact wide path.
    #[inline]
    pub(crate) fn complete(&self, n: u64, floor: u64, tally: &mut Tally) -> Option<Entry> {
        self.view().complete(n, floor, tally)
    }
}

#[derive(Clone, Copy)]
struct MemoView<'a> {
    counts: &'a [u32],
    peaks: &'a [u64],
}

impl MemoView<'_> {
    #[inline(always)]
    fn get(&self, n: u64) -> Entry {
        let c = self.counts[n as usize];
        Entry {
            steps: u64::from(c >> 16),
            odd_steps: u64::from(c & 0xffff),
            peak: self.peaks[n as usize],
        }
    }

    #[inline(always)]
    fn complete(&self, n: u64, floor: u64, tally: &mut Tally) -> Option<Entry> {
        let mut top = n;
        match descend(n, n, floor.max(2), tally, &mut top) {
            Segment::Below(x) => {
                let rest = self.get(x);
                Some(Entry {
                    steps: tally.steps + rest.steps,
                    odd_steps: tally.odd_steps + rest.odd_steps,
                    peak: top.max(rest.peak),
                })
            }
            Segment::Overflow(_) => None,
        }
    }

    fn walk(&self, n: u64, floor: u64) -> Entry {
        self.complete(n, floor, &mut Tally::default())
            .expect("below 2^32 no term outgrows u64")
    }
}

fn pack(steps: u64, odd_steps: u64) -> u32 {
    debug_assert!(steps < 1 << 16 && odd_steps < 1 << 16);
    (steps as u32) << 16 | odd_steps as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trajectory::trajectory;
    use crate::value::Value;

    #[test]
    fn table_matches_single_walks() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let memo = Memo::build(100_000, &pool, &mut || {}).unwrap();
        assert_eq!(memo.len(), 100_000);
        for n in (1..100_000u64).step_by(7) {
            let t = trajectory(&Value::from(n), &mut || {});
            let e = memo.get(n);
            assert_eq!((e.steps, e.odd_steps), (t.steps, t.odd_steps), "n = {n}");
            assert_eq!(Value::from(e.peak), t.peak, "n = {n}");
        }
        assert_eq!(memo.get(27).steps, 111);
        assert_eq!(memo.get(77_031).steps, 350);
    }

    #[test]
    fn polls_between_parallel_phases() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut polls = 0;
        Memo::build(1 << 16, &pool, &mut || polls += 1).unwrap();
        assert!(
            polls >= 2,
            "phases above {BUILD_CHUNK} entries poll: {polls}"
        );
    }

    #[test]
    fn a_table_the_allocator_refuses_is_an_error_not_an_abort() {
        // More than isize::MAX bytes: try_reserve_exact refuses at once, on any machine,
        // without touching memory (a merely huge request could be overcommitted and then
        // fail page by page, which is what the GUC caps are for).
        let too_many = (isize::MAX as usize) / std::mem::size_of::<u64>() + 1;
        assert!(zeroed::<u64>(too_many).is_err());
        assert!(zeroed::<u32>(usize::MAX).is_err());
        assert!(Memo::allocate_exactly(u64::MAX).is_err());
        // And a small one is all zeros, of the asked length.
        let t = zeroed::<u64>(1000).unwrap();
        assert_eq!((t.len(), t.iter().all(|&x| x == 0)), (1000, true));
    }

    #[test]
    fn sizes_are_clamped_and_reported_exactly() {
        assert_eq!(Memo::bytes_for(0), 2 * BYTES_PER_ENTRY);
        assert_eq!(Memo::bytes_for(1 << 20), 12 << 20);
        assert_eq!(Memo::bytes_for(u64::MAX), MAX_ENTRIES * BYTES_PER_ENTRY);
        assert_eq!(Memo::bytes_for(u64::MAX), 48 << 30);
        let e = MemoAllocError {
            entries: MAX_ENTRIES,
            bytes: Memo::bytes_for(MAX_ENTRIES),
        };
        assert_eq!(
            e.to_string(),
            "cannot allocate a memo table of 4294967296 entries (51539607552 bytes)"
        );
    }
}
