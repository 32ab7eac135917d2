//! Memoised results for every number below a bound, so a range walk can stop early.
//!
//! A number's walk only has to go until its term drops below the table's length; the
//! table supplies the rest. benches/engine.rs: every number of [1, 10^6] 6.3x faster than a
//! plain loop on one thread. Lookups land at scattered indices, so a table that stays in the
//! CPU's cache beats a bigger one (see collatz.memo_mb in the glue's settings).

use crate::walk::{descend, Segment, Tally};
use rayon::prelude::*;
use rayon::ThreadPool;

/// Bytes per entry: a packed `u32` of (steps, odd steps) and a `u64` peak.
pub const BYTES_PER_ENTRY: u64 = 12;

/// Largest table: below 2^32 every peak fits in a `u64` (the first peak above 2^63 belongs
/// to 8,528,817,511) and every step count fits in 16 bits (the longest below 2^32 has
/// fewer than 1,100 steps).
pub const MAX_ENTRIES: u64 = 1 << 32;

/// Entries filled by one parallel task while building; small enough to balance.
const BUILD_CHUNK: usize = 1 << 12;

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
    /// Fills the table for [1, len) in doubling phases: the numbers in [2^k, 2^(k+1)) walk
    /// until below 2^k, which the earlier phases hold. Each phase runs in parallel on `pool`;
    /// `poll` runs on the calling thread between phases and may unwind.
    pub fn build(len: u64, pool: &ThreadPool, poll: &mut dyn FnMut()) -> Memo {
        let len = len.clamp(2, MAX_ENTRIES) as usize;
        let mut memo = Memo {
            counts: vec![0; len],
            peaks: vec![0; len],
        };
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
        memo
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
        let memo = Memo::build(100_000, &pool, &mut || {});
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
        Memo::build(1 << 16, &pool, &mut || polls += 1);
        assert!(
            polls >= 2,
            "phases above {BUILD_CHUNK} entries poll: {polls}"
        );
    }
}
