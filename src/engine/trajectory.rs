//! One number's whole trajectory, exact at every size.
//!
//! The walk runs on `u64` while 3x+1 fits, then on `u128`, then on a big integer, and comes
//! back down a width as soon as the terms fit again: a trajectory that rises above 2^64 or
//! 2^128 spends only its top on the slower paths.

use crate::value::Value;
use crate::walk::{descend, Segment, Tally};
use num_bigint::BigUint;

/// Everything the statistics functions report about one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trajectory {
    /// Applications of T until 1 (`steps_to_one`).
    pub steps: u64,
    /// Applications of 3x+1 among them.
    pub odd_steps: u64,
    /// The largest term, the start included.
    pub peak: Value,
    /// Applications of T until the first term below the start; `None` for 1, which has none.
    pub stopping_time: Option<u64>,
}

impl Trajectory {
    /// Terms in the sequence, the start and the final 1 included.
    pub fn length(&self) -> u64 {
        self.steps + 1
    }

    pub fn even_steps(&self) -> u64 {
        self.steps - self.odd_steps
    }
}

/// How often the big-integer walk offers the caller a chance to stop it: a walk on
/// numbers of a few thousand bits does this many odd steps in well under a millisecond.
const POLL_EVERY: u64 = 1 << 12;

#[derive(Clone, Copy)]
enum Width {
    W64,
    W128,
    Big,
}

/// The trajectory of `n` (n >= 1). `poll` is called on the calling thread now and then while
/// the walk is on big integers (whose length has no practical bound), so that the caller can
/// abandon it; it may unwind. Word-sized inputs never call it: their walks are bounded.
pub fn trajectory(n: &Value, poll: &mut dyn FnMut()) -> Trajectory {
    let mut tally = Tally::default();
    let mut peak = n.clone();
    let mut x = n.clone();
    let mut width = match n {
        Value::Small(v) if *v <= u128::from(u64::MAX) => Width::W64,
        Value::Small(_) => Width::W128,
        Value::Big(_) => Width::Big,
    };
    loop {
        // While no term has gone below the start, every term is >= start, so the start
        // fits whatever width the current term has. Once it has, the start no longer matters.
        let start_fits = tally.stopping_time.is_none();
        match width {
            Width::W64 => {
                let Value::Small(v) = x else {
                    unreachable!("W64 holds a small value")
                };
                let start = if start_fits {
                    u64::try_from(small(n)).expect("start <= term < 2^64")
                } else {
                    1
                };
                let mut top = 0u64;
                let seg = descend(v as u64, start, 2, &mut tally, &mut top);
                raise(&mut peak, Value::Small(u128::from(top)));
                match seg {
                    Segment::Below(_) => break,
                    Segment::Overflow(odd) => {
                        x = Value::Small(u128::from(odd));
                        width = Width::W128;
                    }
                }
            }
            Width::W128 => {
                let Value::Small(v) = x else {
                    unreachable!("W128 holds a small value")
                };
                let start = if start_fits { small(n) } else { 1 };
                let mut top = 0u128;
                // Back to u64 once the term is below 2^62: u128 arithmetic is slower. Every
                // term that overflows u64 is above (2^64 - 1) / 3 > 2^62.4, so this segment
                // always takes a step before handing back.
                let seg = descend(v, start, 1 << 62, &mut tally, &mut top);
                raise(&mut peak, Value::Small(top));
                match seg {
                    Segment::Below(1) => break,
                    Segment::Below(below) => {
                        x = Value::Small(below);
                        width = Width::W64;
                    }
                    Segment::Overflow(odd) => {
                        x = Value::Big(BigUint::from(odd));
                        width = Width::Big;
                    }
                }
            }
            Width::Big => {
                let Value::Big(big) = x else {
                    unreachable!("Big holds a big value")
                };
                let start = if start_fits {
                    n.to_big()
                } else {
                    BigUint::from(1u8)
                };
                let (below, top) = descend_big(big, &start, &mut tally, poll);
                raise(&mut peak, top);
                x = Value::Small(below);
                width = Width::W128;
            }
        }
    }
    Trajectory {
        steps: tally.steps,
        odd_steps: tally.odd_steps,
        peak,
        stopping_time: tally.stopping_time,
    }
}

fn small(v: &Value) -> u128 {
    match v {
        Value::Small(s) => *s,
        Value::Big(_) => unreachable!("a start that fits the current width is small"),
    }
}

fn raise(peak: &mut Value, candidate: Value) {
    if candidate > *peak {
        *peak = candidate;
    }
}

/// The big-integer walk: runs until the term fits in 126 bits (so that the `u128` walk
/// can take at least one odd step), returning that term and the largest term seen.
fn descend_big(
    mut x: BigUint,
    start: &BigUint,
    tally: &mut Tally,
    poll: &mut dyn FnMut(),
) -> (u128, Value) {
    let mut top = x.clone();
    while x.bits() > 126 {
        if x.bit(0) {
            x *= 3u32;
            x += 1u32;
            if x > top {
                top.clone_from(&x);
            }
            tally.odd_steps += 1;
            tally.steps += 1;
            if tally.odd_steps.is_multiple_of(POLL_EVERY) {
                poll();
            }
        }
        let run = x.trailing_zeros().expect("a term is never zero");
        let before = tally.stopping_time.is_none().then(|| x.clone());
        x >>= run;
        if let Some(y) = before {
            if &x < start {
                let j = y.bits() - start.bits();
                let j = if (&y >> j) >= *start { j + 1 } else { j };
                tally.stopping_time = Some(tally.steps + j);
            }
        }
        tally.steps += run;
    }
    let below = u128::try_from(&x).expect("loop ends when the term fits in 126 bits");
    (below, Value::from_big(top))
}

/// T(n): n/2 for even n, 3n+1 for odd n.
pub fn next(n: &Value) -> Value {
    match n {
        Value::Small(v) if v & 1 == 0 => Value::Small(v >> 1),
        Value::Small(v) => match v.checked_mul(3).and_then(|t| t.checked_add(1)) {
            Some(t) => Value::Small(t),
            None => Value::Big(BigUint::from(*v) * 3u32 + 1u32),
        },
        Value::Big(b) if !b.bit(0) => Value::from_big(b >> 1u32),
        Value::Big(b) => Value::Big(b * 3u32 + 1u32),
    }
}

/// Which rule produced a term of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// The first term: the number itself.
    Start,
    /// 3x+1, applied to an odd term.
    Odd,
    /// x/2, applied to an even term.
    Even,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Start => "start",
            Operation::Odd => "odd",
            Operation::Even => "even",
        }
    }
}

/// Every term of a sequence, from n down to 1, with its step number and the rule that
/// produced it. Lazy: a caller streaming rows holds one term at a time.
pub struct Sequence {
    next: Option<(u64, Value, Operation)>,
}

pub fn sequence(n: Value) -> Sequence {
    Sequence {
        next: Some((0, n, Operation::Start)),
    }
}

impl Iterator for Sequence {
    type Item = (u64, Value, Operation);

    fn next(&mut self) -> Option<Self::Item> {
        let (step, term, op) = self.next.take()?;
        if !term.is_one() {
            let rule = match &term {
                Value::Small(v) if v & 1 == 0 => Operation::Even,
                Value::Big(b) if !b.bit(0) => Operation::Even,
                _ => Operation::Odd,
            };
            self.next = Some((step + 1, next(&term), rule));
        }
        Some((step, term, op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(n: u128) -> Trajectory {
        trajectory(&Value::Small(n), &mut || {})
    }

    #[test]
    fn one_has_no_steps_and_no_stopping_time() {
        let t = of(1);
        assert_eq!((t.steps, t.odd_steps, t.length()), (0, 0, 1));
        assert_eq!(t.peak, Value::Small(1));
        assert_eq!(t.stopping_time, None);
    }

    #[test]
    fn small_known_values() {
        // 3 -> 10 -> 5 -> 16 -> 8 -> 4 -> 2 -> 1
        let t = of(3);
        assert_eq!((t.steps, t.odd_steps, t.even_steps()), (7, 2, 5));
        assert_eq!(t.peak, Value::Small(16));
        assert_eq!(t.stopping_time, Some(6)); // 3,10,5,16,8,4,2: 2 is the first below 3
        let t = of(2);
        assert_eq!((t.steps, t.stopping_time), (1, Some(1)));
    }

    #[test]
    fn next_applies_t() {
        assert_eq!(next(&Value::Small(27)), Value::Small(82));
        assert_eq!(next(&Value::Small(82)), Value::Small(41));
        let top = Value::Small(u128::MAX);
        assert_eq!(
            next(&top).to_string(),
            (BigUint::from(u128::MAX) * 3u32 + 1u32).to_string()
        );
    }

    #[test]
    fn sequence_of_six() {
        let terms: Vec<_> = sequence(Value::Small(6))
            .map(|(i, v, op)| (i, v.to_string(), op.as_str()))
            .collect();
        let expected = [
            (0, "6", "start"),
            (1, "3", "even"),
            (2, "10", "odd"),
            (3, "5", "even"),
            (4, "16", "odd"),
            (5, "8", "even"),
            (6, "4", "even"),
            (7, "2", "even"),
            (8, "1", "even"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(i, v, o)| (*i, v.to_string(), *o))
            .collect();
        assert_eq!(terms, expected);
    }

    #[test]
    fn big_walk_polls() {
        let n = Value::Big(BigUint::from(3u8).pow(4000));
        let mut polls = 0;
        let t = trajectory(&n, &mut || polls += 1);
        assert!(polls > 0, "a 6340-bit start takes thousands of odd steps");
        assert!(t.steps > t.odd_steps);
    }
}
