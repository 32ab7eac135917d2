//! The stretch of K halvings of every residue mod 2^K: where it lands and its largest term.
//! One builder (`stretch`, a `const fn` so that a table can also be built at compile time)
//! and one walk (`Stretches`) for both K the engine uses: 10 in jump.rs (the per-row
//! functions) and 16 in sieve.rs (the range analysis).
//!
//! With U(x) = x/2 for even x and (3x+1)/2 for odd x, the first K applications of U to
//! x = 2^K a + b take the same branches as they take on b, so U^K(x) = 3^c a + U^K(b), c being
//! the number of odd branches (Terras): K + c applications of T for one lookup and one
//! multiply. Inside the stretch of x >= 2^K the term after j applications is
//! 3^c_j 2^(K-j) a + U^j(b) >= 2 before the last one, so no trajectory reaches 1 inside a
//! stretch: the counts are those of T as the rest of the engine counts.

/// A residue's jump: 3^c, and U^K(b) << 6 | (K + c), the applications of T it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Jump {
    factor: u32,
    packed: u32,
}

/// The largest term of the stretch of x = 2^K a + b, as `factor * a + offset`. Only 3y+1
/// terms can be it (a halving is below the term before it, an odd first term below its
/// 3y+1): after j applications the term is 3^c_j 2^(K-j) a + U^j(b), and when that is odd
/// the next term is 3 times it plus 1. The candidate with the largest factor also has the
/// largest offset, for every b (`stretch` asserts it), so it is the largest for every a.
/// b = 0 has no odd branch and no such term: (0, 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Peak {
    factor: u32,
    offset: u32,
}

/// Residue b's stretch of k halvings (b < 2^k, 1 <= k <= 16): its jump and its peak.
pub(crate) const fn stretch(b: u64, k: u32) -> (Jump, Peak) {
    assert!(1 <= k && k <= 16 && b < 1 << k);
    let (mut v, mut power, mut c, mut i) = (b, 1u64, 0u32, 0);
    let (mut factor, mut offset, mut largest_offset) = (0u64, 0u64, 0u64);
    while i < k {
        if v & 1 == 1 {
            let f = (3 * power) << (k - i);
            if f > factor {
                factor = f;
                offset = 3 * v + 1;
            }
            if 3 * v + 1 > largest_offset {
                largest_offset = 3 * v + 1;
            }
            v = (3 * v + 1) >> 1;
            power *= 3;
            c += 1;
        } else {
            v >>= 1;
        }
        i += 1;
    }
    assert!(
        offset == largest_offset,
        "the candidate with the largest factor is the largest term"
    );
    // U^k(b) < 3^c <= 3^16 < 2^26 leaves 6 bits for k + c <= 32; 2^k * 3^16 / 2 < 2^32.
    assert!(v < 1 << 26 && factor < 1 << 32);
    (
        Jump {
            factor: power as u32,
            packed: (v as u32) << 6 | (k + c),
        },
        Peak {
            factor: factor as u32,
            offset: offset as u32,
        },
    )
}

/// Every residue's jump and peak for K = N.trailing_zeros(), in arrays (for a `static`).
pub(crate) const fn arrays<const N: usize>() -> ([Jump; N], [Peak; N]) {
    assert!(N.is_power_of_two());
    let none = (
        Jump {
            factor: 0,
            packed: 0,
        },
        Peak {
            factor: 0,
            offset: 0,
        },
    );
    let (mut jumps, mut peaks) = ([none.0; N], [none.1; N]);
    let mut b = 0;
    while b < N {
        (jumps[b], peaks[b]) = stretch(b as u64, N.trailing_zeros());
        b += 1;
    }
    (jumps, peaks)
}

/// Every residue's jump and peak for k, on the heap (for a table built on first use).
pub(crate) fn vectors(k: u32) -> (Vec<Jump>, Vec<Peak>) {
    (0..1u64 << k).map(|b| stretch(b, k)).unzip()
}

/// The walk: one stretch of K halvings at a time, over tables from `arrays` or `vectors`.
#[derive(Clone, Copy)]
pub(crate) struct Stretches<'a, const K: u32> {
    jumps: &'a [Jump],
    peaks: &'a [Peak],
}

impl<'a, const K: u32> Stretches<'a, K> {
    const MASK: u64 = (1 << K) - 1;

    pub(crate) const fn new(jumps: &'a [Jump], peaks: &'a [Peak]) -> Self {
        assert!(jumps.len() == 1 << K && peaks.len() == 1 << K);
        Stretches { jumps, peaks }
    }

    /// For x >= 2^K: the term K halvings on and the applications of T to it, or None when
    /// that term does not fit in u64 (exact: the multiply is done in u128).
    #[inline(always)]
    pub(crate) fn jump(&self, x: u64) -> Option<(u64, u64)> {
        let j = self.jumps[(x & Self::MASK) as usize];
        let t = u128::from(x >> K) * u128::from(j.factor) + u128::from(j.packed >> 6);
        u64::try_from(t).ok().map(|t| (t, u64::from(j.packed & 63)))
    }

    /// `jump` for 2^K <= x < 2^64 / 3^K, where the term always fits: in u64, without the
    /// test (jump.rs's per-row walks, 15% faster near 10^6 than through `jump`).
    #[inline(always)]
    pub(crate) fn jump_word(&self, x: u64) -> (u64, u64) {
        debug_assert!(u128::from(x) * u128::from(3u64.pow(K)) >> K < 1 << 64);
        let j = self.jumps[(x & Self::MASK) as usize];
        ((x >> K) * u64::from(j.factor) + u64::from(j.packed >> 6), u64::from(j.packed & 63))
    }

    /// For x >= 2^K: the largest 3y+1 term from x to `jump(x)`'s term, 0 if none. Every
    /// term of the stretch is at most the larger of x and this.
    #[inline(always)]
    pub(crate) fn top(&self, x: u64) -> u128 {
        let p = self.peaks[(x & Self::MASK) as usize];
        u128::from(x >> K) * u128::from(p.factor) + u128::from(p.offset)
    }

    /// Residues with equal keys land on the same term after the same number of steps, for
    /// every a: the key is (c, U^K(b)).
    #[inline(always)]
    pub(crate) fn landing_key(&self, b: usize) -> u32 {
        self.jumps[b].packed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// x's stretch of K halvings by plain T on u128: (landing, applications of T, largest
    /// 3y+1 term or 0, largest term of all, x and the landing included).
    fn naive<const K: u32>(x: u64) -> (u128, u64, u128, u128) {
        let (mut y, mut steps, mut halvings) = (u128::from(x), 0, 0);
        let (mut up, mut all) = (0, y);
        while halvings < K {
            if y % 2 == 0 {
                y /= 2;
                halvings += 1;
            } else {
                y = 3 * y + 1;
                up = up.max(y);
            }
            steps += 1;
            all = all.max(y);
        }
        (y, steps, up, all)
    }

    fn check<const K: u32>(s: Stretches<'_, K>, x: u64) {
        let (landing, steps, up, all) = naive::<K>(x);
        let expected = u64::try_from(landing).ok().map(|y| (y, steps));
        assert_eq!(s.jump(x), expected, "K = {K}, x = {x}");
        assert_eq!(s.top(x), up, "K = {K}, x = {x}");
        assert_eq!(s.top(x).max(u128::from(x)), all, "K = {K}, x = {x}");
    }

    static TEN: ([Jump; 1 << 10], [Peak; 1 << 10]) = arrays();

    fn ten() -> Stretches<'static, 10> {
        Stretches::new(&TEN.0, &TEN.1)
    }

    fn sixteen() -> Stretches<'static, 16> {
        static T: std::sync::OnceLock<(Vec<Jump>, Vec<Peak>)> = std::sync::OnceLock::new();
        let (j, p) = T.get_or_init(|| vectors(16));
        Stretches::new(j, p)
    }

    /// x near 2^64 and powers of two, and for a few residues the last x whose landing fits
    /// u64 and its neighbours.
    fn edges(k: u32) -> Vec<u64> {
        let mut v = vec![
            1 << k,
            (1 << k) + 1,
            (1 << (k + 1)) - 1,
            u64::MAX,
            u64::MAX - 1,
        ];
        for shift in [54, 55, 57, 58, 62, 63] {
            v.extend([(1u64 << shift) - 1, 1 << shift, (1 << shift) + 1]);
        }
        for b in [1u64, 3, 7, 27, 255, (1 << k) - 1] {
            let (j, _) = stretch(b, k);
            let last = (u64::MAX - u64::from(j.packed >> 6)) / u64::from(j.factor);
            for a in [last - 1, last, last + 1] {
                v.extend(a.checked_mul(1 << k).map(|x| x | b));
            }
        }
        v
    }

    #[test]
    fn every_residue_of_both_tables_against_the_naive_walk() {
        for b in 0..1u64 << 10 {
            for a in [1, 2, 1000, (1 << 47) - 1] {
                check(ten(), a << 10 | b);
            }
        }
        for b in 0..1u64 << 16 {
            for a in [1, 12_345, (1 << 38) - 1] {
                check(sixteen(), a << 16 | b);
            }
        }
    }

    #[test]
    fn near_2_pow_64_the_jump_fails_exactly_where_the_term_passes_u64() {
        for x in edges(10) {
            check(ten(), x);
        }
        for x in edges(16) {
            check(sixteen(), x);
        }
        assert_eq!(sixteen().jump(u64::MAX), None, "3^16 * 2^48 does not fit");
        assert_eq!(ten().jump(u64::MAX), None, "3^10 * 2^54 does not fit");
    }

    #[test]
    fn the_compile_time_and_first_use_builds_agree() {
        let (j, p) = vectors(10);
        assert_eq!((&j[..], &p[..]), (&TEN.0[..], &TEN.1[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn any_word_k10(x in (1u64 << 10)..=u64::MAX) {
            check(ten(), x);
        }

        #[test]
        fn any_word_k16(x in (1u64 << 16)..=u64::MAX) {
            check(sixteen(), x);
        }

        #[test]
        fn any_word_near_2_pow_64(below in 0u64..(1 << 40)) {
            check(ten(), u64::MAX - below);
            check(sixteen(), u64::MAX - below);
        }
    }
}
