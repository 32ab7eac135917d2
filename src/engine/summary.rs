//! The answer of a range analysis: the longest trajectory and the highest peak, ties to the
//! smaller number, and how many numbers were looked at.

use crate::memo::Memo;
use crate::range::trajectory_in;
use crate::sieve::{tables, Tables, K, UNBOUNDED};
use crate::value::Value;
use crate::walk::{descend, Segment, Tally};
use std::ops::RangeInclusive;

/// The analysis of a run of consecutive numbers. Parts merge in range order (`absorb`):
/// a later part replaces a record only by beating it, so ties stay with the smaller number.
/// `count` is every number of the run; the records consider only the numbers that can hold
/// them (see `chunk_analysis`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Numbers analysed.
    pub count: u64,
    /// (number, steps) of the longest trajectory.
    pub longest: Option<(u64, u64)>,
    /// (number, peak) of the highest peak.
    pub highest: Option<(u64, Value)>,
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
        if let Some((n, steps)) = later.longest {
            self.offer_steps(n, steps);
        }
        if let Some((n, peak)) = later.highest {
            self.offer_peak(n, peak);
        }
    }
}

/// Per-chunk worker for `RangeScan::next_batch` over [start, end]: the exact answer without
/// walking every number to 1 (`chunk_analysis_above` with nothing known yet).
pub fn chunk_analysis(memo: &Memo, chunk: RangeInclusive<u64>, start: u64, end: u64) -> Summary {
    chunk_analysis_above(memo, chunk, start, end, 0)
}

/// The same, given `known`: 0, or a peak that some number of [start, end] reaches (the best
/// peak the run's earlier parts reported: every reported peak is a term of its number's
/// trajectory). Measured on [1, 10^9] (2 threads): 21.6 s walking every number through the
/// memo, 10.5 s with the first three rules below, SEE README with all of them.
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
/// Each surviving number's steps come from K-bit jumps down to the memo (`steps_of`).
///
/// Highest peak, ties to the smaller number. For any term x of n's trajectory with
/// start <= x < n, peak(n) = max(P, peak(x)) with P the largest term before x. If peak(x) is
/// the larger, x is a smaller number of the range with n's peak, so n is not the answer;
/// otherwise peak(n) = P. So P may stand in for peak(n) (the smallest holder of the range's
/// highest peak H then scores exactly H and nothing scores more), and n may be skipped when
/// P < H is certain: when P is below `known` or below a peak already seen in this chunk,
/// both at most H. For odd n >= 2^K, sieve.rs gives such an x and a bound on P from n's low
/// bits alone, so most odd numbers are dismissed without a walk; the rest walk their glide
/// (until the first term below n). Even n >= 4 with n/2 >= start are skipped: peak(n) is
/// peak(n/2) (a tie the smaller wins) or n itself, which an odd number of [n/2, n] above 1
/// exceeds (its 3o + 1 > n).
pub fn chunk_analysis_above(
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
    let first_odd = lo.max(general_end + 1) | 1;
    let mut n = first_odd;
    // n wraps past u64::MAX to 1, below first_odd.
    while n <= hi && n >= first_odd {
        let a = n >> K;
        if a != limit_a {
            (limit, limit_a) = (clamp_u64(floor / u128::from(a + 1)), a);
        }
        let bounded = match sieve.coef_max(n) {
            UNBOUNDED => glide_bounded(sieve, n, start, floor),
            coef_max => coef_max < limit && (a >= start || sieve.below(n) >= start),
        };
        if !bounded {
            let peak = prefix_peak(memo, n, start);
            let p = peak.saturating_u128();
            if p > floor {
                floor = p;
                limit_a = u64::MAX;
            }
            summary.offer_peak(n, peak);
        }
        n = n.wrapping_add(2);
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
    let (start, end) = (u128::from(start), u128::from(end));
    let mut offer = |n: u64| {
        let merged = n >= 1 << K
            && sieve
                .merge_partner(n)
                .is_some_and(|m| u128::from(m) >= start);
        if !merged {
            s.offer_steps(n, steps_of(memo, sieve, n));
        }
    };
    // The numbers of [from, to] that are r (mod 3); none when the first would pass u64.
    let class = |r: u64| {
        let first = from.checked_add((r + 3 - from % 3) % 3);
        first.into_iter().flat_map(move |f| (f..=to).step_by(3))
    };
    class(0).for_each(&mut offer);
    let quarter = (3 * end + 1) / 4;
    let ninth = (9 * start + 5).div_ceil(8);
    class(1)
        .filter(|&n| {
            let w = u128::from(n);
            (n < 4 || w > quarter) && !(n % 9 == 4 && w >= ninth)
        })
        .for_each(&mut offer);
    let third = (3 * start + 1).div_ceil(2).max(5);
    class(2)
        .take_while(|&n| u128::from(n) < third)
        .for_each(&mut offer);
}

/// For odd n >= 2^K whose residue is not proven to drop: whether jumps (sieve.rs) reach a
/// term x with start <= x < n while every term before it stays below `floor`. Gives up
/// (false) after a few jumps, below 2^K, past u64 or when a stretch may reach `floor`.
fn glide_bounded(sieve: &Tables, n: u64, start: u64, floor: u128) -> bool {
    let mut x = n;
    for _ in 0..8 {
        if x < 1 << K || sieve.stretch_top(x) >= floor {
            return false;
        }
        match sieve.jump(x) {
            Some((y, _)) if y < n => return y >= start,
            Some((y, _)) => x = y,
            None => return false,
        }
    }
    false
}

/// Steps of n: K-bit jumps (sieve.rs) while the term is at least 2^K and the memo's length,
/// then the memo, after a plain walk for terms below 2^K that the memo does not hold.
#[inline(never)]
fn steps_of(memo: &Memo, sieve: &Tables, n: u64) -> u64 {
    let len = memo.len();
    let (mut x, mut steps) = (n, 0);
    while x >= len {
        if x < 1 << K {
            let mut tally = Tally::default();
            let e = memo
                .complete(x, len, &mut tally)
                .expect("below 2^K nothing outgrows u64");
            return steps + e.steps;
        }
        match sieve.jump(x) {
            Some((y, s)) => (x, steps) = (y, steps + s),
            // Past u64 on the way: the exact wide path, from the start.
            None => return trajectory_in(memo, n).steps,
        }
    }
    steps + memo.steps(x)
}

/// The largest term before the trajectory of n first goes below n, or n's whole peak when
/// that first term is below `start` (or the walk outgrows u64).
#[inline(never)]
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
