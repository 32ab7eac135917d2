//! Steps to 1 of a machine-word number, `K` halvings' worth of the trajectory at a time.
//!
//! With U(x) = x/2 for even x and (3x+1)/2 for odd x, the first `K` applications of U to
//! x = 2^K a + b take the same branches as they take on b, so U^K(x) = 3^c a + U^K(b), c being
//! the number of odd branches (Terras). A table indexed by b holds 3^c, U^K(b) and the K + c
//! steps of T they stand for; a walk then costs one lookup and one multiply per `K` halvings.
//! collatz_steps and collatz_length (and the exactness CHECK of every stored row) need only
//! the count, collatz_peak only the largest term (`PEAKS` gives it for each stretch): against
//! the full trajectory walk, side by side (benches/engine.rs, per_number/jump and jump_peak,
//! 2026-12-01 on a shared 2-core machine), the count is 4.4x the speed near 10^6 and 5.4x
//! near 10^9, the peak 2.4x and 4.1x.

use crate::trajectory::trajectory;
use crate::value::Value;

/// Halvings per table step: the jump table (2^10 entries of 12 bytes), the peak tables
/// (8 and 4 KB) and the 2 KB tail table stay in L1 and L2.
const K: u32 = 10;
const MASK: u64 = (1 << K) - 1;
/// At or below this the walk ends in `TAIL`. Above it none of the next K terms can be 1:
/// U at least halves, so K applications leave more than x / 2^K > 1.
const TAIL_LIMIT: u64 = 1 << K;
/// From here on (x >> K) * 3^K could overflow u64; the rest of such a walk is the full one.
const WIDE: u64 = 1 << 57;

#[derive(Clone, Copy)]
struct Jump {
    /// 3^c for the c odd branches among the K.
    factor: u32,
    /// U^K(b).
    offset: u32,
    /// Steps of T the K applications of U stand for: K + c.
    steps: u32,
}

const fn jumps() -> [Jump; 1 << K] {
    let mut table = [Jump {
        factor: 0,
        offset: 0,
        steps: 0,
    }; 1 << K];
    let mut b = 0;
    while b < (1 << K) {
        let (mut v, mut factor, mut steps, mut i) = (b as u64, 1u64, K, 0);
        while i < K {
            if v & 1 == 1 {
                v = (3 * v + 1) >> 1;
                factor *= 3;
                steps += 1;
            } else {
                v /= 2;
            }
            i += 1;
        }
        table[b] = Jump {
            factor: factor as u32,
            offset: v as u32,
            steps,
        };
        b += 1;
    }
    table
}

/// Steps to 1 of every x in [1, TAIL_LIMIT]: an even x has one more than x/2, and an odd x
/// goes below itself within a few steps, to a number whose count is known already.
const fn tail() -> [u16; TAIL_LIMIT as usize + 1] {
    let mut table = [0u16; TAIL_LIMIT as usize + 1];
    let mut x = 2;
    while x <= TAIL_LIMIT as usize {
        let (mut y, mut steps) = (x as u64, 0u16);
        while y >= x as u64 {
            y = if y & 1 == 0 { y / 2 } else { 3 * y + 1 };
            steps += 1;
        }
        table[x] = steps + table[y as usize];
        x += 1;
    }
    table
}

/// The largest term among the K applications of U from x = 2^K a + b, as `factor * a +
/// offset`. Only the 3y+1 terms can be it (a halving is below the term before it): after j
/// applications the term is 3^c_j 2^(K-j) a + U^j(b), and when that is odd the next term
/// is 3 times it plus 1. The candidate with the largest factor also has the largest offset,
/// for every b (checked as the table is built), so it is the largest for every a.
#[derive(Clone, Copy)]
struct Peak {
    factor: u32,
    offset: u32,
}

const fn peaks() -> [Peak; 1 << K] {
    let mut table = [Peak {
        factor: 0,
        offset: 0,
    }; 1 << K];
    let mut b = 0;
    while b < (1 << K) {
        let (mut v, mut power, mut i) = (b as u64, 1u64, 0);
        let (mut factor, mut offset, mut largest_offset) = (0u64, 0u64, 0u64);
        while i < K {
            if v & 1 == 1 {
                let f = (3 * power) << (K - i);
                if f > factor {
                    factor = f;
                    offset = 3 * v + 1;
                }
                if 3 * v + 1 > largest_offset {
                    largest_offset = 3 * v + 1;
                }
                v = (3 * v + 1) >> 1;
                power *= 3;
            } else {
                v /= 2;
            }
            i += 1;
        }
        assert!(
            offset == largest_offset,
            "the candidate with the largest factor is the largest term"
        );
        table[b] = Peak {
            factor: factor as u32,
            offset: offset as u32,
        };
        b += 1;
    }
    table
}

/// The largest term of every x in [1, TAIL_LIMIT], itself included: the largest of the
/// terms until the first one below x, and of that one's.
const fn tail_peaks() -> [u32; TAIL_LIMIT as usize + 1] {
    let mut table = [0u32; TAIL_LIMIT as usize + 1];
    table[1] = 1;
    let mut x = 2;
    while x <= TAIL_LIMIT as usize {
        let (mut y, mut top) = (x as u64, x as u64);
        while y >= x as u64 {
            y = if y & 1 == 0 { y / 2 } else { 3 * y + 1 };
            if y > top {
                top = y;
            }
        }
        let below = table[y as usize] as u64;
        table[x] = if below > top { below } else { top } as u32;
        x += 1;
    }
    table
}

static JUMPS: [Jump; 1 << K] = jumps();
static TAIL: [u16; TAIL_LIMIT as usize + 1] = tail();
static PEAKS: [Peak; 1 << K] = peaks();
static TAIL_PEAKS: [u32; TAIL_LIMIT as usize + 1] = tail_peaks();

/// Applications of T that take n (>= 1) to 1: `trajectory(n).steps`, without the peak,
/// the stopping time and the odd steps.
pub fn steps_to_one(n: u64) -> u64 {
    debug_assert!(n >= 1);
    let (mut x, mut steps) = (n, 0u64);
    while x > TAIL_LIMIT {
        if x >= WIDE {
            // Steps add up along a trajectory; a word-sized walk never polls.
            return steps + trajectory(&Value::from(x), &mut || {}).steps;
        }
        let j = JUMPS[(x & MASK) as usize];
        x = (x >> K) * u64::from(j.factor) + u64::from(j.offset);
        steps += u64::from(j.steps);
    }
    steps + u64::from(TAIL[x as usize])
}

/// The largest term of n's trajectory (n >= 1, itself included): `trajectory(n).peak`,
/// K halvings at a time like `steps_to_one`, each stretch's largest term from `PEAKS`.
pub fn peak(n: u64) -> Value {
    debug_assert!(n >= 1);
    let (mut x, mut top) = (n, n);
    while x > TAIL_LIMIT {
        if x >= WIDE {
            // The peak of the rest, which a word-sized walk computes without polling.
            let rest = trajectory(&Value::from(x), &mut || {}).peak;
            return rest.max(Value::from(top));
        }
        let (a, b) = (x >> K, (x & MASK) as usize);
        // Below WIDE, a < 2^47 and both factors are below 2^17: no overflow.
        let p = PEAKS[b];
        top = top.max(a * u64::from(p.factor) + u64::from(p.offset));
        let j = JUMPS[b];
        x = a * u64::from(j.factor) + u64::from(j.offset);
    }
    Value::from(top.max(u64::from(TAIL_PEAKS[x as usize])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(n: u64) -> u64 {
        trajectory(&Value::from(n), &mut || {}).steps
    }

    fn full_peak(n: u64) -> Value {
        trajectory(&Value::from(n), &mut || {}).peak
    }

    #[test]
    fn agrees_with_the_full_walk_on_a_dense_range() {
        for n in 1..=200_000u64 {
            assert_eq!(steps_to_one(n), full(n), "n = {n}");
            assert_eq!(peak(n), full_peak(n), "n = {n}");
        }
    }

    #[test]
    fn agrees_at_the_edges_of_the_tables_and_of_u64() {
        let edges = [
            TAIL_LIMIT - 1,
            TAIL_LIMIT,
            TAIL_LIMIT + 1,
            WIDE - 1,
            WIDE,
            WIDE + 1,
        ];
        // Peaks past 2^63 and 2^64 (SPEC), from below WIDE.
        let high_peaks = [8_528_817_511u64, 12_327_829_503];
        for n in edges.into_iter().chain(high_peaks).chain([
            u64::MAX,
            u64::MAX - 1,
            (1 << 63) - 1,
            1 << 63,
        ]) {
            assert_eq!(steps_to_one(n), full(n), "n = {n}");
            assert_eq!(peak(n), full_peak(n), "n = {n}");
        }
    }
}
