//! Steps to 1 and peak of a machine-word number, `K` halvings' worth of the trajectory at a
//! time (stretch.rs: one lookup and one multiply per stretch of K halvings).
//! collatz_steps and collatz_length (and the exactness CHECK of every stored row) need only
//! the count, collatz_peak only the largest term: against the full trajectory walk, side by
//! side (benches/engine.rs, per_number/jump and jump_peak, 2026-12-01 on a shared 2-core
//! machine), the count is 4.4x the speed near 10^6 and 5.4x near 10^9, the peak 2.4x and 4.1x.

use crate::stretch::{wide_arrays, Peak, Stretches, Wide};
use crate::trajectory::trajectory;
use crate::value::Value;

/// Halvings per table step: the jump and peak tables (2^10 entries of 12 and 8 bytes) and
/// the 2 and 4 KB tail tables stay in L1 and L2. They are built at compile time, so a
/// per-row call never checks whether they exist.
const K: u32 = 10;
/// At or below this the walk ends in `TAIL`. Above it none of the next K terms can be 1:
/// U at least halves, so K applications leave more than x / 2^K > 1.
const TAIL_LIMIT: u64 = 1 << K;
/// From here on the rest of a walk is the full one: below it, a = x >> K < 2^47 and every
/// factor (3^c, and the peak's, below 2^17) keeps a jump and a stretch's peak in u64.
const WIDE: u64 = 1 << 57;

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

static TABLES: ([Wide; 1 << K], [Peak; 1 << K]) = wide_arrays();
const STRETCHES: Stretches<'static, K, Wide> = Stretches::new(&TABLES.0, &TABLES.1);
static TAIL: [u16; TAIL_LIMIT as usize + 1] = tail();
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
        let (y, s) = STRETCHES.jump_word(x);
        (x, steps) = (y, steps + s);
    }
    steps + u64::from(TAIL[x as usize])
}

/// The largest term of n's trajectory (n >= 1, itself included): `trajectory(n).peak`,
/// K halvings at a time like `steps_to_one`, each stretch's largest term from its table.
pub fn peak(n: u64) -> Value {
    debug_assert!(n >= 1);
    let (mut x, mut top) = (n, n);
    while x > TAIL_LIMIT {
        if x >= WIDE {
            // The peak of the rest, which a word-sized walk computes without polling.
            let rest = trajectory(&Value::from(x), &mut || {}).peak;
            return rest.max(Value::from(top));
        }
        // Below WIDE the stretch's peak fits in u64.
        top = top.max(STRETCHES.top(x) as u64);
        x = STRETCHES.jump_word(x).0;
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
