//! The answer of a range analysis: the longest trajectory and the highest peak, ties to the
//! smaller number, and how many numbers were looked at.

use crate::memo::Memo;
use crate::range::{trajectory_in, RangeScan};
use crate::sieve::{tables, Tables, K, UNBOUNDED};
use crate::stretch::{Packed, Stretches};
use crate::value::Value;
use crate::walk::{descend, Segment, Tally};
use rayon::ThreadPool;
use std::cell::RefCell;
use std::ops::RangeInclusive;

/// The analysis of a run of consecutive numbers. Parts merge in any order (`absorb`): a
/// record is replaced by a better one or, of equal ones, by the smaller number's. `count` is
/// every number of the run; the records consider only the numbers that can hold them (see
/// `chunk_analysis_above`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Numbers analysed.
    pub count: u64,
    /// (number, steps) of the longest trajectory.
    pub longest: Option<(u64, u64)>,
    /// (number, peak) of the highest peak.
    pub highest: Option<(u64, Value)>,
    /// What the dominance rules left to walk (tests/engine/analysis.rs reports it:
    /// `measure_walks_and_memo_sizes_on_1_to_10_pow_9`).
    pub walks: Walks,
}

/// Numbers of an analysis that walked, by kind of walk; the rest were dismissed by a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walks {
    /// Walked for their steps (by jumps, down to the memo).
    pub steps: u64,
    /// Odd numbers whose residue is not proven to drop, whose glide a few jumps then tried
    /// to bound.
    pub glide_bounds: u64,
    /// Walked until their first term below themselves (or to 1) for their peak.
    pub glides: u64,
}

impl Summary {
    /// Considers a candidate for the longest trajectory, in any order: more steps win, and
    /// of equal steps the smaller number.
    pub fn offer_steps(&mut self, number: u64, steps: u64) {
        if self
            .longest
            .is_none_or(|(n, best)| steps > best || (steps == best && number < n))
        {
            self.longest = Some((number, steps));
        }
    }

    /// Considers a candidate for the highest peak, in any order: a higher peak wins, and of
    /// equal peaks the smaller number.
    pub fn offer_peak(&mut self, number: u64, peak: Value) {
        if self
            .highest
            .as_ref()
            .is_none_or(|(n, best)| peak > *best || (peak == *best && number < *n))
        {
            self.highest = Some((number, peak));
        }
    }

    /// Continues with the summary of other numbers (any order: `offer_*` settle ties).
    pub fn absorb(&mut self, later: Summary) {
        self.count += later.count;
        self.walks.steps += later.walks.steps;
        self.walks.glide_bounds += later.walks.glide_bounds;
        self.walks.glides += later.walks.glides;
        if let Some((n, steps)) = later.longest {
            self.offer_steps(n, steps);
        }
        if let Some((n, peak)) = later.highest {
            self.offer_peak(n, peak);
        }
    }
}

/// The records of the scan's numbers among those that can hold the records of the run
/// [run_start, run_end] that contains them, batch by batch on `pool`: each batch starts from
/// the best peak of the batches before it (or `known`, if higher: 0, or a peak that some
/// number of the run reaches), so later batches skip every number whose glide is provably
/// lower (`chunk_analysis_above`). `poll` runs on the calling thread after each batch and
/// may unwind. src/analysis.rs runs every analysis this way, and benches/engine.rs measures it.
pub fn analyze_scan(
    scan: &mut RangeScan,
    pool: &ThreadPool,
    run: RangeInclusive<u64>,
    known: u128,
    poll: &mut dyn FnMut(),
) -> Summary {
    let (run_start, run_end) = (*run.start(), *run.end());
    let mut all = Summary::default();
    loop {
        let floor = all
            .highest
            .as_ref()
            .map_or(known, |(_, peak)| peak.saturating_u128().max(known));
        let Some(parts) = scan.next_batch(pool, |memo, chunk| {
            chunk_analysis_above(memo, chunk, run_start, run_end, floor)
        }) else {
            return all;
        };
        parts.into_iter().for_each(|part| all.absorb(part));
        poll();
    }
}

/// Per-chunk worker for `RangeScan::next_batch` over part of [start, end]: the exact answer
/// without walking every number to 1, given `known`: 0, or a peak that some number of
/// [start, end] reaches (the best peak the run's earlier parts reported: every reported peak
/// is a term of its number's trajectory). Of the 10^9 numbers of [1, 10^9], the rules below
/// leave 6.54% to walk for their steps, 3.23% to try jumps for their glide's bound and
/// 167,263 to walk their glide (`Summary::walks`; tests/engine/analysis.rs,
/// `measure_walks_and_memo_sizes_on_1_to_10_pow_9`, 2026-12-01). benches/analysis_vs_baseline.sh
/// measures the time against the plain loop of issue 11.
///
/// Longest trajectory, ties to the smaller number. A number is skipped when another number m
/// of the range has more steps, or as many and m < n; the answer is never skipped, as no
/// number has more steps and no smaller one as many. m is an ancestor of n (its trajectory
/// passes through n, so it has more steps) or a merge partner (the same steps):
/// - 2n <= end: 2n -> n;
/// - n = 2 (mod 3), n >= 5, m = (2n - 1) / 3 >= start: m is odd and m -> 3m + 1 = 2n -> n;
/// - n = 1 (mod 3), n >= 4, m = (4n - 1) / 3 <= end: m is odd and m -> 4n -> 2n -> n;
/// - n = 4 (mod 9), m = (8n - 5) / 9 >= start: with m' = (4n - 1) / 3 = 5 (mod 6),
///   m = (2m' - 1) / 3 is odd and m -> 2m' -> m' -> 4n -> 2n -> n (m' itself may lie past end);
/// - n >= 2^K and a smaller number of the same 2^K-block merges with it (sieve.rs), >= start.
///
/// Each surviving number's steps come from K-bit jumps down to the memo (`steps_jump`).
///
/// Highest peak, ties to the smaller number. For any term x of n's trajectory with
/// start <= x < n, peak(n) = max(P, peak(x)) with P the largest term before x. If peak(x) is
/// the larger, x is a smaller number of the range with n's peak, so n is not the answer;
/// otherwise peak(n) = P. So P may stand in for peak(n) (the smallest holder of the range's
/// highest peak H then scores exactly H and nothing scores more), and n may be skipped when
/// P < H is certain: when P is below `known` or below a peak already seen in this chunk,
/// both at most H. For odd n >= 2^K, sieve.rs gives such an x and a bound on P from n's low
/// bits alone, so most odd numbers are dismissed without a walk; for the 3.23% whose residue
/// is not proven to drop, a few jumps bound each stretch of the glide and find such an x
/// (`glide_bounded`); the rest walk their glide (until the first term below n). Even n >= 4
/// with n/2 >= start are skipped: peak(n) is peak(n/2) (a tie the smaller wins) or n itself,
/// which an odd number of [n/2, n] above 1 exceeds (its 3o + 1 > n).
fn chunk_analysis_above(
    memo: &Memo,
    chunk: RangeInclusive<u64>,
    start: u64,
    end: u64,
    known: u128,
) -> Summary {
    let sieve = tables();
    let (lo, hi) = (*chunk.start(), *chunk.end());
    let mut summary = Summary {
        count: hi - lo + 1,
        ..Summary::default()
    };
    longest(
        memo,
        sieve,
        lo.max(end / 2 + 1),
        hi,
        start,
        end,
        &mut summary,
    );
    // Below 2 * start, and below 2^K, even numbers and unsieved odd ones are looked at too.
    let general_end = hi.min(start.saturating_mul(2).max(1 << K) - 1);
    for n in lo..=general_end {
        if n % 2 == 0 && n >= 4 && n / 2 >= start {
            continue;
        }
        summary.offer_peak(n, prefix_peak(memo, n, start));
        summary.walks.glides += 1;
    }
    let mut floor = summary
        .highest
        .as_ref()
        .map_or(known, |(_, p)| p.saturating_u128().max(known));
    // Every other number is odd and at least 2^K: skipped when the bound on its glide,
    // (a + 1) * coef_max with a = n >> K, is below `floor`, tested as coef_max < limit with
    // limit = floor / (a + 1) (then (a + 1) * coef_max <= floor - (a + 1) < floor).
    if general_end >= hi {
        return summary;
    }
    let (mut limit, mut limit_a) = (0u64, u64::MAX);
    let mut unsieved = Vec::new();
    let first_odd = lo.max(general_end + 1) | 1;
    let mut n = first_odd;
    // n wraps past u64::MAX to 1, below first_odd.
    while n <= hi && n >= first_odd {
        let a = n >> K;
        if a != limit_a {
            (limit, limit_a) = (clamp_u64(floor / u128::from(a + 1)), a);
        }
        match sieve.coef_max(n) {
            UNBOUNDED => unsieved.push(n),
            coef_max if coef_max < limit && (a >= start || sieve.below(n) >= start) => {}
            _ => {
                summary.walks.glides += 1;
                let peak = prefix_peak(memo, n, start);
                let p = peak.saturating_u128();
                if p > floor {
                    floor = p;
                    limit_a = u64::MAX;
                }
                summary.offer_peak(n, peak);
            }
        }
        n = n.wrapping_add(2);
    }
    // The floor only rises: judging these against the floor of now is sound.
    let mut walk = Vec::new();
    let stretches = sieve.stretches();
    interleaved(
        &unsieved,
        8,
        |walk| glide_bounded(stretches, walk, start, floor),
        |n, bounded| {
            if !bounded {
                walk.push(n);
            }
        },
    );
    summary.walks.glide_bounds += unsieved.len() as u64;
    summary.walks.glides += walk.len() as u64;
    for n in walk {
        summary.offer_peak(n, prefix_peak(memo, n, start));
    }
    summary
}

fn clamp_u64(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// The candidates for the longest among [from, to] (from > end / 2), class by class of
/// n mod 3 (each class's rules are thresholds in n; `offer_steps` takes any order):
/// - 0 (mod 3): no ancestor but 2^j n, all past end; only merges dominate;
/// - 1 (mod 3): dominated by (4n - 1) / 3 for 4 <= n <= (3 end + 1) / 4, and by (8n - 5) / 9 for
///   n = 4 (mod 9), n >= (9 start + 5) / 8;
/// - 2 (mod 3): dominated by (2n - 1) / 3 for n >= 5, n >= (3 start + 1) / 2.
fn longest(memo: &Memo, sieve: &Tables, from: u64, to: u64, start: u64, end: u64, s: &mut Summary) {
    if from > to {
        return;
    }
    CANDIDATES.with_borrow_mut(|candidates| {
        let room = (to - from) as usize + 1;
        if candidates.len() < room {
            candidates.resize(room, 0);
        }
        longest_in(memo, sieve, from, to, start, end, candidates, s);
    });
}

thread_local! {
    /// Each worker's buffer for `longest_in`, kept between chunks (at most CHUNK numbers,
    /// 128 KiB): a fresh zeroed one per chunk is 4 GB of zeroing over [1, 10^9].
    static CANDIDATES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// `longest` with a buffer of at least to - from + 1 numbers.
#[allow(clippy::too_many_arguments)]
fn longest_in(
    memo: &Memo,
    sieve: &Tables,
    from: u64,
    to: u64,
    start: u64,
    end: u64,
    candidates: &mut [u64],
    s: &mut Summary,
) {
    // Candidates are written in place and kept by advancing the length, without a branch on
    // the merge test (70/30 and unpredictable): perf put 13% of the analysis's samples on a
    // push behind that branch, 4% on this. The test's parts are joined by `&`: with `&&` and
    // `Option::is_some_and` the partner test was that branch again whenever the run's start
    // is known only at run time (as src/analysis.rs passes it), and branchless only with a
    // literal start = 1, whose `m >= start` LTO folds away. [1, 10^8] on one thread, medians
    // of 11 interleaved rounds of CPU time (2026-12-01, 2 shared cores): 304 ms with `&`,
    // 348 ms with `&&`; the engine before stretch.rs took 336 ms with a run-time start and
    // 308 ms with start = 1.
    let mut kept = 0;
    let mut offer = |n: u64| {
        candidates[kept] = n;
        let m = sieve.merge_partner(n);
        let merged = (n >= 1 << K) & (m < n) & (m >= start);
        kept += usize::from(!merged);
    };
    let (wide_start, wide_end) = (u128::from(start), u128::from(end));
    each_third(from, to, 0, &mut offer);
    let quarter = (3 * wide_end + 1) / 4;
    let ninth = (9 * wide_start + 5).div_ceil(8);
    each_third(from, to, 1, |n| {
        let w = u128::from(n);
        if (n < 4 || w > quarter) && !(n % 9 == 4 && w >= ninth) {
            offer(n);
        }
    });
    let third = (3 * wide_start + 1).div_ceil(2).max(5);
    each_third(from, to, 2, |n| {
        if u128::from(n) < third {
            offer(n);
        }
    });
    s.walks.steps += kept as u64;
    let stretches = sieve.stretches();
    interleaved(
        &candidates[..kept],
        0,
        |walk| steps_jump(memo, stretches, walk),
        |n, steps| s.offer_steps(n, steps),
    );
}

/// Calls `f` on the numbers of [from, to] that are r (mod 3), in increasing order.
fn each_third(from: u64, to: u64, r: u64, mut f: impl FnMut(u64)) {
    let mut n = from.checked_add((r + 3 - from % 3) % 3);
    while let Some(m) = n.filter(|&m| m <= to) {
        f(m);
        n = m.checked_add(3);
    }
}

/// One jump of the glide of an odd n >= 2^K whose residue is not proven to drop, at the
/// term x with `count` jumps left: Some(true) once a term y with start <= y < n is reached
/// while every term before it stays below `floor`; Some(false) (give up: n walks its glide)
/// below 2^K, past u64, when a stretch may reach `floor`, or after the last jump; None to
/// go on. x itself is n (below its 3n + 1) or the landing of a stretch already bounded, so
/// the stretch's largest 3y + 1 term bounds all of its terms.
#[inline(always)]
fn glide_bounded(
    stretches: Stretches<'_, K, Packed>,
    walk: &mut Walk,
    start: u64,
    floor: u128,
) -> Option<bool> {
    let Walk { n, x, count: left } = *walk;
    if x < 1 << K || left == 0 || stretches.top(x) >= floor {
        return Some(false);
    }
    match stretches.jump(x) {
        Some((y, _)) if y < n => Some(y >= start),
        Some((y, _)) => {
            *walk = Walk {
                n,
                x: y,
                count: left - 1,
            };
            None
        }
        None => Some(false),
    }
}

/// One jump of the walk of n to its steps, at the term x with `count` steps so far: K-bit
/// jumps (sieve.rs) while the term is at least 2^K and the memo's length, then the memo,
/// after a plain walk for terms below 2^K that the memo does not hold.
#[inline(always)]
fn steps_jump(memo: &Memo, stretches: Stretches<'_, K, Packed>, walk: &mut Walk) -> Option<u64> {
    let Walk { n, x, count: steps } = *walk;
    let len = memo.len();
    if x < len {
        return Some(steps + memo.steps(x));
    }
    if x < 1 << K {
        let e = memo
            .complete(x, len, &mut Tally::default())
            .expect("below 2^K nothing outgrows u64");
        return Some(steps + e.steps);
    }
    match stretches.jump(x) {
        Some((y, s)) => {
            *walk = Walk {
                n,
                x: y,
                count: steps + s,
            };
            None
        }
        // Past u64 on the way: the exact wide path, from the start.
        None => Some(trajectory_in(memo, n).steps),
    }
}

/// A walk in progress: its number, the current term, and a count (steps so far, or jumps
/// left).
#[derive(Clone, Copy)]
struct Walk {
    n: u64,
    x: u64,
    count: u64,
}

/// Walks in flight at once in `interleaved`. Each walk is a chain of dependent loads and
/// multiplies; interleaving independent ones keeps the core busy while one waits (measured
/// once, at commit 6a960d1, on [1, 10^9] with 2 threads: 4.1 s of CPU one walk at a time,
/// 3.3 s with 8 in flight; LANES = 1 and the measurement named above repeat it).
const LANES: usize = 8;

/// Runs the walks of `numbers` (each from `Walk { n, x: n, count }`) LANES at a time, one
/// `step` each in turn until it returns a result, and calls `emit(n, result)`, in no
/// particular order.
fn interleaved<R>(
    numbers: &[u64],
    count: u64,
    mut step: impl FnMut(&mut Walk) -> Option<R>,
    mut emit: impl FnMut(u64, R),
) {
    let mut queue = numbers.iter().map(|&n| Walk { n, x: n, count });
    let mut lanes: [Option<Walk>; LANES] = [None; LANES];
    for lane in lanes.iter_mut() {
        *lane = queue.next();
    }
    let mut busy = lanes.iter().flatten().count();
    while busy > 0 {
        for lane in lanes.iter_mut() {
            let Some(walk) = lane else { continue };
            if let Some(r) = step(walk) {
                emit(walk.n, r);
                *lane = queue.next();
                busy -= usize::from(lane.is_none());
            }
        }
    }
}

fn prefix_peak(memo: &Memo, n: u64, start: u64) -> Value {
    match descend_prefix(n) {
        Some((below, top)) if below >= start => Value::from(top),
        _ => trajectory_in(memo, n).peak,
    }
}

/// Walks n until its first term below n: (that term, the largest term before it). None for
/// n = 1, which never goes below itself, and when a term outgrows u64.
fn descend_prefix(n: u64) -> Option<(u64, u64)> {
    if n == 1 {
        return None;
    }
    let mut top = n;
    match descend(n, n, n, &mut Tally::default(), &mut top) {
        Segment::Below(x) => Some((x, top)),
        Segment::Overflow(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_stay_with_the_smaller_number_across_parts() {
        // 7 and 9 both peak at 52; 9 has more steps.
        let mut first = Summary::default();
        first.offer_steps(7, 16);
        first.offer_peak(7, Value::Small(52));
        let mut second = Summary::default();
        second.offer_steps(9, 19);
        second.offer_peak(9, Value::Small(52));
        first.absorb(second);
        assert_eq!(first.longest, Some((9, 19)));
        assert_eq!(first.highest, Some((7, Value::Small(52))));
    }

    #[test]
    fn an_empty_part_changes_nothing() {
        let mut s = Summary::default();
        s.offer_steps(27, 111);
        s.offer_peak(27, Value::Small(9232));
        let before = s.clone();
        s.absorb(Summary::default());
        assert_eq!(s, before);
    }

    #[test]
    fn prefix_stops_at_the_first_term_below() {
        // 7 -> 22 -> 11 -> 34 -> 17 -> 52 -> 26 -> 13 -> 40 -> 20 -> 10 -> 5: first below 7 is 5.
        assert_eq!(descend_prefix(7), Some((5, 52)));
        assert_eq!(descend_prefix(6), Some((3, 6)));
        assert_eq!(descend_prefix(1), None);
    }
}
