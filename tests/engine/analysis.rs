//! Range analysis (the longest trajectory and the highest peak, ties to the smaller number)
//! against brute force: every number of the range walked to 1 by a plain loop, one
//! application of T per turn (u128, big integers past it). The analysis skips most numbers
//! (dominance rules, the residue sieve, bounded glides: src/engine/summary.rs, sieve.rs), so
//! the ranges here are chosen to reach every rule: ranges from 1 and far from it, tiny ones,
//! ranges past the 2^16 blocks of the sieve, near 2^63 (terms past u64, the wide path), at the
//! top of u64 (jumps that do not fit), segments of a run judged against the run, and a seed
//! peak carried from earlier batches.

use collatz_engine::{analyze_scan, memo_len_for, pool, Memo, RangeScan, Summary, Value};
use num_bigint::BigUint;
use proptest::prelude::*;

/// (steps, peak) of n by the definition.
fn brute(n: u64) -> (u64, Value) {
    let (mut x, mut steps, mut peak) = (u128::from(n), 0u64, u128::from(n));
    while x != 1 {
        if x % 2 == 0 {
            x /= 2;
        } else {
            match x.checked_mul(3).and_then(|t| t.checked_add(1)) {
                Some(t) => x = t,
                None => return brute_big(n),
            }
        }
        peak = peak.max(x);
        steps += 1;
    }
    (steps, Value::Small(peak))
}

fn brute_big(n: u64) -> (u64, Value) {
    let (one, three) = (BigUint::from(1u8), BigUint::from(3u8));
    let (mut x, mut steps) = (BigUint::from(n), 0u64);
    let mut peak = x.clone();
    while x != one {
        if x.bit(0) {
            x = &x * &three + &one;
        } else {
            x >>= 1;
        }
        if x > peak {
            peak = x.clone();
        }
        steps += 1;
    }
    (steps, Value::from_big(peak))
}

/// (longest, its steps, highest, its peak) of [start, end] by brute force.
fn brute_analysis(start: u64, end: u64) -> (u64, u64, u64, Value) {
    let (mut longest, mut highest) = ((start, 0u64), (start, Value::Small(0)));
    for n in start..=end {
        let (steps, peak) = brute(n);
        if n == start || steps > longest.1 {
            longest = (n, steps);
        }
        if n == start || peak > highest.1 {
            highest = (n, peak);
        }
    }
    (longest.0, longest.1, highest.0, highest.1)
}

/// The segment [start, end] of the run [run_start, run_end], as src/analysis.rs runs it:
/// batches on a pool, each seeded with the best peak of the batches before it.
fn segment(start: u64, end: u64, run: (u64, u64), memo_bytes: u64, seed: u128) -> Summary {
    let pool = pool(2).unwrap();
    let memo = Memo::build(memo_len_for(start, end, memo_bytes), &pool, &mut || {}).unwrap();
    let mut scan = RangeScan::new(start, end, memo);
    analyze_scan(&mut scan, &pool, run.0..=run.1, seed, &mut || {})
}

fn check(start: u64, end: u64, memo_bytes: u64) {
    check_segmented(start, end, &[], memo_bytes, 0);
}

/// [start, end] cut before each of `cuts` (clamped into the range), every segment judged
/// against the whole run, merged in order; `seed` must be a peak some number of the run has.
fn check_segmented(start: u64, end: u64, cuts: &[u64], memo_bytes: u64, seed: u128) {
    let mut bounds: Vec<u64> = cuts
        .iter()
        .map(|&c| c.clamp(start, end))
        .filter(|&c| c > start)
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut all = Summary::default();
    let mut lo = start;
    for hi in bounds.into_iter().map(|c| c - 1).chain([end]) {
        all.absorb(segment(lo, hi, (start, end), memo_bytes, seed));
        lo = hi.wrapping_add(1); // past the last segment only, where end may be u64::MAX
    }
    let (longest, steps, highest, peak) = brute_analysis(start, end);
    assert_eq!(all.count, end - start + 1, "count of [{start}, {end}]");
    assert_eq!(
        all.longest,
        Some((longest, steps)),
        "longest of [{start}, {end}]"
    );
    assert_eq!(
        all.highest,
        Some((highest, peak)),
        "highest of [{start}, {end}]"
    );
}

#[test]
fn whole_ranges_from_one() {
    // Past several 2^16 blocks, with the default-sized memo, a tiny one and none.
    check(1, 400_000, 8 << 20);
    check(1, 300_000, 1 << 12);
    check(1, 200_000, 0);
}

#[test]
fn edges_of_the_rules() {
    // Ranges whose ends cut through 2n, (2n - 1) / 3, (4n - 1) / 3, (8n - 5) / 9 and the
    // 2^16 blocks (65536), and the well-known holders.
    for (start, end) in [
        (1, 1),
        (1, 4),
        (3, 4),
        (4, 4),
        (4, 5),
        (5, 7),
        (65_535, 65_537),
        (65_536, 65_536),
        (65_537, 65_540),
        (60_000, 140_000),
        (131_071, 131_073),
        (837_799, 837_799),
        (837_700, 837_800),
        (100_000, 300_000),
        (12_327_829_400, 12_327_829_600),
        ((1 << 63) - 5000, (1 << 63) - 1),
        (u64::MAX - 3000, u64::MAX),
    ] {
        check(start, end, 1 << 20);
    }
}

#[test]
fn segments_of_a_run_agree_with_the_whole() {
    check_segmented(
        1,
        300_000,
        &[1 << 17, 150_001, 200_000, 299_999],
        8 << 20,
        0,
    );
    check_segmented(70_000, 210_000, &[100_000, 140_001], 1 << 16, 0);
}

#[test]
fn a_seed_from_the_run_changes_nothing() {
    // The highest peak of [1, 300000] (a seed equal to the answer), and a lower one.
    let (_, _, _, peak) = brute_analysis(1, 300_000);
    let top = peak.saturating_u128();
    check_segmented(1, 300_000, &[], 8 << 20, top);
    check_segmented(1, 300_000, &[100_000], 8 << 20, top / 1000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_range_below_2_pow_21(start in 1u64..(1 << 21), width in 0u64..(1 << 17)) {
        check(start, start + width, 1 << 20);
    }

    #[test]
    fn any_small_range_far_out(start in 1u64..(1 << 62), width in 0u64..3000) {
        check(start, start + width, 1 << 16);
    }

    #[test]
    fn any_range_near_2_pow_63(offset in 0u64..(1 << 40), width in 0u64..3000) {
        let start = (1u64 << 63) - (1 << 39) + offset;
        check(start, start + width, 1 << 16);
    }

    #[test]
    fn any_tiny_range(start in 1u64..200_000, width in 0u64..5) {
        check(start, start + width, 1 << 16);
    }

    #[test]
    fn any_segmentation(
        start in 1u64..(1 << 18),
        width in 0u64..(1 << 17),
        cuts in proptest::collection::vec(0u64..(1 << 19), 0..4),
    ) {
        let end = start + width;
        let cuts: Vec<u64> = cuts.iter().map(|c| start + c % (width + 1)).collect();
        check_segmented(start, end, &cuts, 1 << 18, 0);
    }
}

/// The figures summary.rs and memo.rs quote: what the rules leave to walk on [1, 10^9] and
/// the CPU time by memo size. `cargo test --release --test analysis -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: about a minute on 2 cores"]
fn measure_walks_and_memo_sizes_on_1_to_10_pow_9() {
    const END: u64 = 1_000_000_000;
    let pool = pool(2).unwrap();
    for memo_mb in [8u64, 2, 32, 128] {
        let cpu = cpu_ms();
        let memo = Memo::build(memo_len_for(1, END, memo_mb << 20), &pool, &mut || {}).unwrap();
        let mut scan = RangeScan::new(1, END, memo);
        let all = analyze_scan(&mut scan, &pool, 1..=END, 0, &mut || {});
        let w = all.walks;
        let pct = |x: u64| 100.0 * x as f64 / END as f64;
        println!(
            "memo {memo_mb} MB: {:.0} ms of CPU; walked for steps {:.2}%, glide bounds tried {:.2}%, glides walked {}",
            cpu_ms() - cpu,
            pct(w.steps),
            pct(w.glide_bounds),
            w.glides
        );
    }
}

/// CPU time of this process (every thread), in ms.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in ticks.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}
