//! What the low K bits of a number decide about its trajectory, tabulated once for all
//! 2^K residues. For n = a * 2^K + b with a >= 1, the parity of every term is fixed by b
//! until K halvings have been applied: each term is exactly `coef * a + off` with
//! `coef = 3^c * 2^r` (c odd steps so far, r of the K low bits still unused) and `off < coef`,
//! so while r >= 1 the term's parity is off's. Three uses (summary.rs applies them):
//!
//! - jumps: after those K halvings and c odd steps, n has become `3^c * a + d(b)`, K + c steps
//!   in, and the stretch's largest term is known exactly (stretch.rs, shared with jump.rs);
//! - merges: residues b' < b with the same (c, d) reach the same term after the same number of
//!   steps, so a * 2^K + b' has exactly the steps of a * 2^K + b and is smaller;
//! - glides: where a term `coef * a + off` is below a * 2^K + b for every a >= 1, every term
//!   before it is at most `a * coef_max + off_max`, a bound on the glide's height; and jumps,
//!   each with its stretch's largest term, bound longer glides.
//!
//! With K = 16, 70.6% of residues merge into a smaller one and 96.8% are proven to drop
//! below themselves within the K halvings (python over all 2^K residues; the tests here
//! recompute both).

use crate::stretch::{packed_vectors, Packed, Peak, Stretches};
use std::sync::OnceLock;

/// Residue bits. 16: the jump table is 256 KiB (in L2), the merge and glide tables are read
/// in order of n.
pub(crate) const K: u32 = 16;
const MASK: u64 = (1 << K) - 1;

/// The glide of an odd residue, when it is proven to drop: every term before the drop is at
/// most `a * coef_max + off_max` (< (a + 1) * coef_max, as off < coef in every term), and the
/// term of the drop is exactly `a * below_coef + below_off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Glide {
    coef_max: u64,
    off_max: u64,
    below_coef: u64,
    below_off: u64,
}

/// `coef_max` of a residue not proven to drop: no bound.
pub(crate) const UNBOUNDED: u64 = u64::MAX;

pub(crate) struct Tables {
    /// Per residue, its jump: a * 2^K + b -> 3^c * a + d in K + c steps (stretch.rs).
    jumps: Vec<Packed>,
    /// Per residue, its stretch's largest term (stretch.rs).
    peaks: Vec<Peak>,
    /// The smallest residue with the same (c, d) as b (b itself if none is smaller).
    partners: Vec<u16>,
    /// Per odd residue (index b >> 1): its glide's coef_max, UNBOUNDED when not proven to
    /// drop. Read for every odd number of a range, so kept apart from `below` (8 bytes each).
    coef_max: Vec<u64>,
    /// Per odd residue: (below_coef, below_off), (0, 0) when not proven to drop.
    below: Vec<(u64, u64)>,
}

/// The tables, computed on first use and shared by every thread. Each backend's first
/// analysis pays for them: 10-12 ms for the 1.6 MiB (`measure_the_build`, median of 11,
/// 2026-12-01 on 2 shared cores); built at compile time they would add as much to the
/// library every backend maps.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(Tables::compute)
}

impl Tables {
    fn compute() -> Tables {
        let size = 1usize << K;
        let (jumps, peaks) = packed_vectors(K);
        let mut t = Tables {
            jumps,
            peaks,
            partners: Vec::new(),
            coef_max: Vec::with_capacity(size / 2),
            below: Vec::with_capacity(size / 2),
        };
        for b in (1..size as u64).step_by(2) {
            let g = glide(b).unwrap_or(Glide {
                coef_max: UNBOUNDED,
                off_max: 0,
                below_coef: 0,
                below_off: 0,
            });
            debug_assert!(g.off_max < g.coef_max);
            t.coef_max.push(g.coef_max);
            t.below.push((g.below_coef, g.below_off));
        }
        // Residues sorted by (landing key, residue) come in runs of equal (c, d), each led by
        // its smallest residue.
        let stretches = t.stretches();
        let mut keyed: Vec<u64> = (0..size)
            .map(|b| u64::from(stretches.landing_key(b)) << K | b as u64)
            .collect();
        keyed.sort_unstable();
        t.partners = vec![0; size];
        let mut run = (u64::MAX, 0);
        for key in keyed {
            let (jump, b) = (key >> K, (key & MASK) as u16);
            if jump != run.0 {
                run = (jump, b);
            }
            t.partners[usize::from(b)] = run.1;
        }
        t
    }

    /// For n >= 2^K: the smallest number n - (b - b') of n's block with exactly n's steps,
    /// n itself if none is smaller.
    #[inline(always)]
    pub fn merge_partner(&self, n: u64) -> u64 {
        n & !MASK | u64::from(self.partners[(n & MASK) as usize])
    }

    /// For odd n >= 2^K: coef_max of n's residue. With a = n >> K, every term of n's
    /// trajectory before the term `below(n)` (< n) is below (a + 1) * coef_max.
    #[inline(always)]
    pub fn coef_max(&self, n: u64) -> u64 {
        self.coef_max[(n & MASK) as usize >> 1]
    }

    /// For odd n >= 2^K whose coef_max is bounded: the term x < n that bound reaches.
    #[inline(always)]
    pub fn below(&self, n: u64) -> u64 {
        let (coef, off) = self.below[(n & MASK) as usize >> 1];
        // coef < 2^K and the term is below n, so it fits in u64.
        (n >> K) * coef + off
    }

    /// The jumps and stretch peaks of K halvings (stretch.rs).
    #[inline(always)]
    pub fn stretches(&self) -> Stretches<'_, K, Packed> {
        Stretches::new(&self.jumps, &self.peaks)
    }
}

/// The glide of odd residue b within its K halvings, symbolically in a >= 1, if proven to
/// drop. Each turn consumes one bit: an odd term's 3x + 1 is even, so it is halved in the
/// same turn; K turns, the parity a select rather than an unpredictable branch.
fn glide(b: u64) -> Option<Glide> {
    let full = 1u64 << K;
    let (mut coef, mut off) = (full, b);
    let (mut coef_max, mut off_max) = (coef, off);
    for _ in 0..K {
        let odd = off & 1 == 1;
        // The largest term of the turn: 3x + 1 when x is odd, else x (already counted).
        let (up_coef, up_off) = if odd {
            (3 * coef, 3 * off + 1)
        } else {
            (coef, off)
        };
        (coef, off) = (up_coef / 2, up_off / 2);
        coef_max = coef_max.max(up_coef);
        off_max = off_max.max(up_off);
        // Below n = a * 2^K + b for every a >= 1: (coef - 2^K) * a + off - b < 0 at a = 1,
        // and more so for larger a once coef < 2^K. (3x + 1 is never the first such term:
        // x was not, and 3x + 1 > x.)
        if coef < full && coef + off < full + b {
            return Some(Glide {
                coef_max,
                off_max,
                below_coef: coef,
                below_off: off,
            });
        }
        coef_max = coef_max.max(coef);
        off_max = off_max.max(off);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trajectory::trajectory;
    use crate::value::Value;

    fn steps(n: u64) -> u64 {
        trajectory(&Value::from(n), &mut || {}).steps
    }

    /// The first `count` terms of n's trajectory (n included), by plain T.
    fn terms(n: u64, count: usize) -> Vec<u64> {
        std::iter::successors(Some(n), |&x| {
            Some(if x % 2 == 0 { x / 2 } else { 3 * x + 1 })
        })
        .take(count)
        .collect()
    }

    #[test]
    fn fractions_match_the_comment() {
        let t = tables();
        let merged = (0..1u64 << K)
            .filter(|&b| u64::from(t.partners[b as usize]) < b)
            .count();
        let drops = t.coef_max.iter().filter(|&&c| c != UNBOUNDED).count();
        assert_eq!(format!("{:.1}", 100.0 * merged as f64 / 65536.0), "70.6");
        // Even residues drop at once: 50% plus the odd ones proven here.
        let all_drops = 32768 + drops;
        assert_eq!(format!("{:.1}", 100.0 * all_drops as f64 / 65536.0), "96.8");
    }

    #[test]
    #[ignore = "a measurement: cargo test --release -- --ignored --nocapture measure_the_build"]
    fn measure_the_build() {
        let mut ms: Vec<f64> = (0..11)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(Tables::compute());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let t = tables();
        let bytes = t.jumps.len() * 4
            + t.peaks.len() * 8
            + t.partners.len() * 2
            + t.coef_max.len() * 8
            + t.below.len() * 16;
        println!(
            "sieve tables: {bytes} bytes, built in {:.1} ms (median of 11)",
            ms[5]
        );
    }

    #[test]
    fn partners_are_the_smallest_residue_with_the_same_jump() {
        let t = tables();
        let mut first = std::collections::HashMap::new();
        for (b, &jump) in t.jumps.iter().enumerate() {
            let smallest = *first.entry(jump).or_insert(b);
            assert_eq!(usize::from(t.partners[b]), smallest, "b = {b}");
        }
    }

    #[test]
    fn merge_partners_have_equal_steps() {
        let t = tables();
        let mut seen = 0;
        for n in (1u64 << K..1 << 22).step_by(13) {
            let m = t.merge_partner(n);
            assert!(m <= n && n - m < 1 << K);
            if m < n {
                assert_eq!(steps(m), steps(n), "n = {n}, partner {m}");
                seen += 1;
            }
        }
        assert!(seen > 100_000);
    }

    #[test]
    fn glides_bound_every_term_before_a_lower_one() {
        let t = tables();
        for n in (1u64 << K | 1..1 << 23)
            .step_by(2 * 7 + 2)
            .filter(|n| n % 2 == 1)
        {
            if t.coef_max(n) == UNBOUNDED {
                continue;
            }
            let (below, top) = (
                t.below(n),
                u128::from(t.coef_max(n)) * u128::from((n >> K) + 1),
            );
            assert!(below < n, "n = {n}");
            let path = terms(n, 200);
            let at = path.iter().position(|&x| x == below).expect("a term of n");
            assert!(path[..at].iter().all(|&x| u128::from(x) < top), "n = {n}");
        }
    }
}
