//! The engine against a deliberately plain reference: one application of T per loop turn on
//! big integers, no shortcuts, no memo. Also the values everyone quotes, and the published
//! delay- and path-record tables (OEIS A006877 and A006884).

use collatz_engine::{
    chunk_records, chunk_trajectories, memo_len_for, pool, steps_to_one, trajectory, Memo,
    RangeScan, Records, Trajectory, Value,
};
use num_bigint::BigUint;
use proptest::prelude::*;

/// (steps, odd steps, peak, stopping time) by the definition.
fn reference(n: &BigUint) -> (u64, u64, BigUint, Option<u64>) {
    let (one, two, three) = (BigUint::from(1u8), BigUint::from(2u8), BigUint::from(3u8));
    let (mut x, mut steps, mut odd, mut peak, mut stop) = (n.clone(), 0, 0, n.clone(), None);
    while x != one {
        if &x % &two == one {
            x = &x * &three + &one;
            odd += 1;
        } else {
            x /= &two;
        }
        steps += 1;
        if x > peak {
            peak = x.clone();
        }
        if stop.is_none() && &x < n {
            stop = Some(steps);
        }
    }
    (steps, odd, peak, stop)
}

fn check(n: &BigUint) {
    let t = trajectory(&Value::from_big(n.clone()), &mut || {});
    let (steps, odd, peak, stop) = reference(n);
    assert_eq!(t.steps, steps, "steps of {n}");
    assert_eq!(t.odd_steps, odd, "odd steps of {n}");
    assert_eq!(t.peak, Value::from_big(peak), "peak of {n}");
    assert_eq!(t.stopping_time, stop, "stopping time of {n}");
}

fn of(n: u64) -> Trajectory {
    trajectory(&Value::from(n), &mut || {})
}

#[test]
fn quoted_values() {
    let t = of(27);
    assert_eq!(
        (t.steps, t.length(), t.peak.clone()),
        (111, 112, Value::Small(9232))
    );
    assert_eq!(t.stopping_time, Some(96));
    assert_eq!((t.odd_steps, t.even_steps()), (41, 70));
    assert_eq!(of(97).steps, 118);
    assert_eq!(of(871).steps, 178);
    assert_eq!(of(77_031).steps, 350);
    assert_eq!(of(837_799).steps, 524);
    assert_eq!(of(8_400_511).steps, 685);
    assert_eq!(of(3).peak, Value::Small(16));
}

#[test]
fn peaks_past_i64_and_u64() {
    // SPEC: the peak passes 2^63 first at 8,528,817,511 and 2^64 first at 12,327,829,503.
    assert_eq!(of(8_528_817_511).peak.to_string(), "18144594937356598024");
    assert!(of(12_327_829_503).peak > Value::Small(u128::from(u64::MAX)));
    for n in [8_528_817_511u64, 12_327_829_503, u64::MAX, u64::MAX - 2] {
        check(&BigUint::from(n));
    }
}

#[test]
fn beyond_u128() {
    let two = BigUint::from(2u8);
    check(&(two.pow(100) + 1u8));
    check(&(two.pow(128) + 1u8));
    check(&(two.pow(128) - 1u8));
    check(&(BigUint::from(3u8).pow(200)));
    check(&(two.pow(300)));
}

#[test]
fn range_matches_single_walks_and_reference() {
    let pool = pool(2).unwrap();
    let (start, end) = (1u64, 200_000u64);
    let memo = Memo::build(memo_len_for(start, end, 1 << 20), &pool, &mut || {}).unwrap();
    let mut scan = RangeScan::new(start, end, memo);
    let mut n = start;
    while let Some(batch) = scan.next_batch(&pool, chunk_trajectories) {
        for t in batch.into_iter().flatten() {
            if n % 97 == 1 {
                let (steps, odd, peak, stop) = reference(&BigUint::from(n));
                assert_eq!(
                    (t.steps, t.odd_steps, t.stopping_time),
                    (steps, odd, stop),
                    "{n}"
                );
                assert_eq!(t.peak, Value::from_big(peak));
            }
            assert_eq!(t, of(n), "memoised and single walks differ at {n}");
            n += 1;
        }
    }
    assert_eq!(n, end + 1);
}

#[test]
fn published_records_below_a_million() {
    let pool = pool(2).unwrap();
    let memo = Memo::build(memo_len_for(1, 999_999, 64 << 20), &pool, &mut || {}).unwrap();
    let mut scan = RangeScan::new(1, 999_999, memo);
    let mut all = Records::default();
    while let Some(batch) = scan.next_batch(&pool, chunk_records) {
        batch.into_iter().for_each(|part| all.absorb(part));
    }
    let pick = |f: fn(&collatz_engine::Record) -> bool| -> Vec<String> {
        all.found
            .iter()
            .filter(|r| f(r))
            .map(|r| r.number.to_string())
            .collect()
    };
    let delay = "1 2 3 6 7 9 18 25 27 54 73 97 129 171 231 313 327 649 703 871 1161 2223 2463 \
        2919 3711 6171 10971 13255 17647 23529 26623 34239 35655 52527 77031 106239 142587 156159 \
        216367 230631 410011 511935 626331 837799";
    let path = "1 2 3 7 15 27 255 447 639 703 1819 4255 4591 9663 20895 26623 31911 60975 77671 \
        113383 138367 159487 270271 665215 704511";
    assert_eq!(pick(|r| r.delay).join(" "), delay);
    assert_eq!(pick(|r| r.path).join(" "), path);
}

/// The analysis of [start, end] by brute force: every number walked to 1.
fn brute_analysis(start: u64, end: u64) -> (u64, u64, u64, Value) {
    let (mut longest, mut highest) = ((start, 0u64), (start, Value::Small(0)));
    for n in start..=end {
        let t = trajectory(&Value::from(n), &mut || {});
        if n == start || t.steps > longest.1 {
            longest = (n, t.steps);
        }
        if n == start || t.peak > highest.1 {
            highest = (n, t.peak);
        }
    }
    (longest.0, longest.1, highest.0, highest.1)
}

fn analysis(start: u64, end: u64, memo_bytes: u64) -> collatz_engine::Summary {
    let pool = pool(2).unwrap();
    let memo = Memo::build(memo_len_for(start, end, memo_bytes), &pool, &mut || {}).unwrap();
    let mut scan = RangeScan::new(start, end, memo);
    collatz_engine::analyze_scan(&mut scan, &pool, start..=end, 0, &mut || {})
}

fn check_analysis(start: u64, end: u64, memo_bytes: u64) {
    let all = analysis(start, end, memo_bytes);
    let (longest, steps, highest, peak) = brute_analysis(start, end);
    assert_eq!(all.count, end - start + 1);
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
fn analysis_matches_brute_force() {
    // Against the plain big-integer reference once, then brute force over many shapes:
    // tiny ranges (the edge cases of the skipping rules), ranges far from 1, past u64 peaks.
    let all = analysis(1, 100_000, 1 << 20);
    let (mut longest, mut highest) = ((0u64, 0u64), (0u64, BigUint::from(0u8)));
    for n in 1..=100_000u64 {
        let (steps, _, peak, _) = reference(&BigUint::from(n));
        if n == 1 || steps > longest.1 {
            longest = (n, steps);
        }
        if n == 1 || peak > highest.1 {
            highest = (n, peak);
        }
    }
    assert_eq!(all.longest, Some(longest));
    assert_eq!(all.highest, Some((highest.0, Value::from_big(highest.1))));
    for (start, end) in [
        (1, 1),
        (1, 2),
        (2, 2),
        (1, 3),
        (2, 4),
        (3, 4),
        (4, 8),
        (5, 5),
        (7, 9),
        (1, 30),
        (77_000, 78_000),
        (837_000, 838_000),
        (12_327_829_400, 12_327_829_600),
    ] {
        check_analysis(start, end, 1 << 20);
    }
    check_analysis(1, 50_000, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_u64_matches_reference(n in 1u64..) {
        check(&BigUint::from(n));
    }

    /// The table walks of collatz_steps / collatz_peak (jump.rs), below and past 2^57.
    #[test]
    fn table_walks_match_reference(n in 1u64..) {
        let (steps, _, peak, _) = reference(&BigUint::from(n));
        prop_assert_eq!(steps_to_one(n), steps);
        prop_assert_eq!(collatz_engine::peak(n), Value::from_big(peak));
    }

    #[test]
    fn table_walks_match_reference_below_2_40(n in 1u64..(1 << 40)) {
        let (steps, _, peak, _) = reference(&BigUint::from(n));
        prop_assert_eq!(steps_to_one(n), steps);
        prop_assert_eq!(collatz_engine::peak(n), Value::from_big(peak));
    }

    #[test]
    fn any_u128_matches_reference(n in 1u128..) {
        check(&BigUint::from(n));
    }

    #[test]
    fn small_numbers_match_reference(n in 1u64..5_000_000) {
        check(&BigUint::from(n));
    }

    #[test]
    fn big_numbers_match_reference(digits in proptest::collection::vec(any::<u32>(), 5..12)) {
        let n = BigUint::new(digits) + 1u8;
        check(&n);
    }

    #[test]
    fn analysis_of_any_small_range_matches_brute_force(start in 1u64..3000, width in 0u64..3000) {
        check_analysis(start, start + width, 1 << 16);
    }

    #[test]
    fn analysis_far_out_matches_brute_force(start in 1u64..(1 << 40), width in 0u64..400) {
        check_analysis(start, start + width, 1 << 16);
    }

    #[test]
    fn decimal_text_round_trips(n in 1u128..) {
        prop_assert_eq!(Value::parse_positive(&n.to_string()), Ok(Value::Small(n)));
    }
}
