//! The baseline of issue 11 (P2) for `analyze_range(1, N)`: the plain single-thread Rust loop a
//! programmer writes first when asked for the longest trajectory and the highest peak below N,
//! outside any database. It keeps a dense `u16` table of steps for every number up to N (2 GB
//! at N = 10^9) and walks each n, one application of T per turn, only until it drops below n:
//! steps(n) = the walk's steps + table[first term below n]. The highest peak is the largest
//! glide maximum (the terms before that first lower term): the smallest holder of the highest
//! peak reaches it before it first drops below itself, else that lower term would hold the
//! same peak and be smaller. Ties go to the smaller number, as in collatz_analyze.
//!
//!     cargo run --release -p collatz_engine --example baseline_analysis -- 1000000000
//!
//! Prints `longest steps highest peak seconds` on one line (benches/analysis_vs_baseline.sh).

use std::time::Instant;

fn main() {
    let n_max: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("N: a positive integer"))
        .unwrap_or(1_000_000_000);
    assert!(n_max >= 1);
    let began = Instant::now();
    let mut steps = vec![0u16; n_max as usize + 1];
    let (mut longest, mut longest_steps) = (1u64, 0u16);
    let (mut highest, mut highest_peak) = (1u64, 1u64);
    for n in 2..=n_max {
        let (mut x, mut walked, mut peak) = (n, 0u16, n);
        while x >= n {
            x = if x % 2 == 0 {
                x / 2
            } else {
                x.checked_mul(3)
                    .and_then(|t| t.checked_add(1))
                    .expect("terms stay within u64 below 10^10")
            };
            peak = peak.max(x);
            walked += 1;
        }
        let s = walked + steps[x as usize];
        steps[n as usize] = s;
        if s > longest_steps {
            (longest, longest_steps) = (n, s);
        }
        if peak > highest_peak {
            (highest, highest_peak) = (n, peak);
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    println!("{longest} {longest_steps} {highest} {highest_peak} {seconds:.3}");
}
