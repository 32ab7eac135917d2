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
//!
//! The two users want different entries for the same jump (2026-12-01, 2 shared cores, AMD
//! EPYC with 1 MiB of L2 a core; medians of 3-4 interleaved rounds): the per-row walk is one
//! dependent chain of lookups, and an entry holding 3^c, U^K(b) and K + c as they are used
//! (`Wide`, 12 bytes) takes 15.9 ns a number near 10^9, against 23.5 ns with the three packed
//! in 8 bytes (a shift on the chain) and 25.7 ns with 4 bytes and 3^c from a second table
//! (`Packed`). The analysis reads its 2^16 entries among 1.3 MB of other residue tables:
//! [1, 10^8] on one thread took 342 ms of CPU with `Wide` (768 KiB) and 356 ms with the
//! 8-byte packing, against 305-314 ms with `Packed` (256 KiB, the old sieve's layout). The
//! 12% by which these seemed slower than the sieve's own tables before this module was no
//! table's: that measurement passed the run's start as a literal 1, which spared the merge
//! test a branch (summary.rs, `longest_in`, which now avoids it for any start).

/// How a table holds a residue's jump: its c and d = U^K(b) (d < 3^c <= 3^16 < 2^26).
pub(crate) trait Jump: Copy {
    /// (3^c, d, K + c).
    fn parts(self, k: u32) -> (u64, u64, u64);
}

/// 3^c, d and K + c, one u32 each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wide {
    factor: u32,
    offset: u32,
    steps: u32,
}

impl Jump for Wide {
    #[inline(always)]
    fn parts(self, _: u32) -> (u64, u64, u64) {
        (self.factor.into(), self.offset.into(), self.steps.into())
    }
}

/// d << 5 | c.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Packed(u32);

/// 3^c for c <= 16.
const POW3: [u64; 17] = {
    let mut p = [1u64; 17];
    let mut i = 1;
    while i < 17 {
        p[i] = p[i - 1] * 3;
        i += 1;
    }
    p
};

impl Jump for Packed {
    #[inline(always)]
    fn parts(self, k: u32) -> (u64, u64, u64) {
        let c = self.0 & 31;
        (POW3[c as usize], u64::from(self.0 >> 5), u64::from(k + c))
    }
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

/// Residue b's stretch of k halvings (b < 2^k, 1 <= k <= 16): c, U^k(b) and its peak.
pub(crate) const fn stretch(b: u64, k: u32) -> (u32, u32, Peak) {
    assert!(1 <= k && k <= 16 && b < 1 << k);
    let (mut v, mut c, mut i) = (b, 0u32, 0);
    let (mut factor, mut offset, mut largest_offset) = (0u64, 0u64, 0u64);
    while i < k {
        if v & 1 == 1 {
            let f = (3 * POW3[c as usize]) << (k - i);
            if f > factor {
                factor = f;
                offset = 3 * v + 1;
            }
            if 3 * v + 1 > largest_offset {
                largest_offset = 3 * v + 1;
            }
            v = (3 * v + 1) >> 1;
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
    // U^k(b) < 3^c <= 3^16 < 2^26 leaves 5 bits for c; 2^k * 3^16 / 2 < 2^32.
    assert!(v < 1 << 26 && factor < 1 << 32);
    let peak = Peak {
        factor: factor as u32,
        offset: offset as u32,
    };
    (c, v as u32, peak)
}

/// Every residue's jump (`Wide`) and peak for K = N.trailing_zeros(), in arrays for a
/// `static`: built at compile time, a per-row call never checks that they exist.
pub(crate) const fn wide_arrays<const N: usize>() -> ([Wide; N], [Peak; N]) {
    assert!(N.is_power_of_two());
    let k = N.trailing_zeros();
    let none = Peak {
        factor: 0,
        offset: 0,
    };
    let wide = Wide {
        factor: 0,
        offset: 0,
        steps: 0,
    };
    let (mut jumps, mut peaks) = ([wide; N], [none; N]);
    let mut b = 0;
    while b < N {
        let (c, d, peak) = stretch(b as u64, k);
        jumps[b] = Wide {
            factor: POW3[c as usize] as u32,
            offset: d,
            steps: k + c,
        };
        peaks[b] = peak;
        b += 1;
    }
    (jumps, peaks)
}

/// Every residue's jump (`Packed`) and peak for k, on the heap, for a table built on first
/// use.
pub(crate) fn packed_vectors(k: u32) -> (Vec<Packed>, Vec<Peak>) {
    (0..1u64 << k)
        .map(|b| {
            let (c, d, peak) = stretch(b, k);
            (Packed(d << 5 | c), peak)
        })
        .unzip()
}

/// The walk: one stretch of K halvings at a time, over tables from `wide_arrays` or
/// `packed_vectors`.
#[derive(Clone, Copy)]
pub(crate) struct Stretches<'a, const K: u32, J> {
    jumps: &'a [J],
    peaks: &'a [Peak],
}

impl<'a, const K: u32, J: Jump> Stretches<'a, K, J> {
    const MASK: u64 = (1 << K) - 1;

    pub(crate) const fn new(jumps: &'a [J], peaks: &'a [Peak]) -> Self {
        assert!(jumps.len() == 1 << K && peaks.len() == 1 << K);
        Stretches { jumps, peaks }
    }

    /// For x >= 2^K: the term K halvings on and the applications of T to it, or None when
    /// that term does not fit in u64 (exact: the multiply is done in u128).
    #[inline(always)]
    pub(crate) fn jump(&self, x: u64) -> Option<(u64, u64)> {
        let (factor, offset, steps) = self.jumps[(x & Self::MASK) as usize].parts(K);
        let t = u128::from(x >> K) * u128::from(factor) + u128::from(offset);
        u64::try_from(t).ok().map(|t| (t, steps))
    }

    /// `jump` for 2^K <= x < 2^64 / 3^K, where the term always fits: in u64, without the
    /// test (jump.rs's per-row walks).
    #[inline(always)]
    pub(crate) fn jump_word(&self, x: u64) -> (u64, u64) {
        debug_assert!((u128::from(x) * u128::from(3u64.pow(K))) >> K < 1 << 64);
        let (factor, offset, steps) = self.jumps[(x & Self::MASK) as usize].parts(K);
        ((x >> K) * factor + offset, steps)
    }

    /// For x >= 2^K: the largest 3y+1 term from x to `jump(x)`'s term, 0 if none. Every
    /// term of the stretch is at most the larger of x and this.
    #[inline(always)]
    pub(crate) fn top(&self, x: u64) -> u128 {
        let p = self.peaks[(x & Self::MASK) as usize];
        u128::from(x >> K) * u128::from(p.factor) + u128::from(p.offset)
    }
}

impl<const K: u32> Stretches<'_, K, Packed> {
    /// Residues with equal keys land on the same term after the same number of steps, for
    /// every a: the key is (c, U^K(b)) itself.
    pub(crate) fn landing_key(&self, b: usize) -> u32 {
        self.jumps[b].0
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

    fn check<const K: u32, J: Jump>(s: Stretches<'_, K, J>, x: u64) {
        let (landing, steps, up, all) = naive::<K>(x);
        let expected = u64::try_from(landing).ok().map(|y| (y, steps));
        assert_eq!(s.jump(x), expected, "K = {K}, x = {x}");
        assert_eq!(s.top(x), up, "K = {K}, x = {x}");
        assert_eq!(s.top(x).max(u128::from(x)), all, "K = {K}, x = {x}");
    }

    static TEN: ([Wide; 1 << 10], [Peak; 1 << 10]) = wide_arrays();

    fn ten() -> Stretches<'static, 10, Wide> {
        Stretches::new(&TEN.0, &TEN.1)
    }

    fn sixteen() -> Stretches<'static, 16, Packed> {
        static T: std::sync::OnceLock<(Vec<Packed>, Vec<Peak>)> = std::sync::OnceLock::new();
        let (j, p) = T.get_or_init(|| packed_vectors(16));
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
            let (c, d, _) = stretch(b, k);
            let last = (u64::MAX - u64::from(d)) / POW3[c as usize];
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
    fn both_encodings_hold_the_same_jumps() {
        // The K = 10 walk over packed entries built at run time agrees with the compile-time
        // wide one; the key is (c, d).
        let (j, p) = packed_vectors(10);
        assert_eq!(&p[..], &TEN.1[..]);
        let packed = Stretches::<10, Packed>::new(&j, &p);
        for b in 0..1 << 10 {
            let x = 12_345 << 10 | b as u64;
            assert_eq!(packed.jump(x), ten().jump(x), "b = {b}");
            assert_eq!(packed.jump_word(x), ten().jump_word(x), "b = {b}");
            let (c, d, _) = stretch(b as u64, 10);
            assert_eq!(packed.landing_key(b), d << 5 | c, "b = {b}");
        }
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
