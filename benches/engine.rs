//! Engine speed without PostgreSQL: the tuned kernel and the memoised range kernel against
//! a naive loop (one application of T per turn, u128 so that it is exact), side by side in
//! one run. Run with `cargo bench -p collatz_engine` (benches/run.sh runs it with the rest).

use collatz_engine::{
    analyze_scan, chunk_trajectories, memo_len_for, peak, pool, steps_to_one, trajectory, Memo,
    RangeScan, Value,
};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// The baseline a user would write first: exact, one step per turn.
fn naive_steps(n: u64) -> (u64, u128) {
    let (mut x, mut steps, mut peak) = (u128::from(n), 0u64, u128::from(n));
    while x != 1 {
        x = if x % 2 == 0 { x / 2 } else { 3 * x + 1 };
        peak = peak.max(x);
        steps += 1;
    }
    (steps, peak)
}

fn per_number(c: &mut Criterion) {
    const COUNT: u64 = 10_000;
    let mut group = c.benchmark_group("per_number");
    group.throughput(Throughput::Elements(COUNT));
    for (label, base) in [
        ("1e6", 1_000_000u64),
        ("1e9", 1_000_000_000),
        ("2^62", 1 << 62),
    ] {
        let numbers = base - COUNT..base;
        group.bench_with_input(BenchmarkId::new("naive", label), &numbers, |b, r| {
            b.iter(|| r.clone().map(|n| naive_steps(black_box(n)).0).sum::<u64>())
        });
        group.bench_with_input(BenchmarkId::new("tuned", label), &numbers, |b, r| {
            b.iter(|| {
                r.clone()
                    .map(|n| trajectory(&Value::from(black_box(n)), &mut || {}).steps)
                    .sum::<u64>()
            })
        });
        // The count alone (collatz_steps), K halvings per table lookup.
        group.bench_with_input(BenchmarkId::new("jump", label), &numbers, |b, r| {
            b.iter(|| r.clone().map(|n| steps_to_one(black_box(n))).sum::<u64>())
        });
        // The peak alone (collatz_peak): stretches that cannot raise it are jumped.
        group.bench_with_input(BenchmarkId::new("jump_peak", label), &numbers, |b, r| {
            b.iter(|| r.clone().map(|n| peak(black_box(n))).max())
        });
    }
    group.finish();
}

fn memoised_range(c: &mut Criterion) {
    const END: u64 = 1_000_000;
    let mut group = c.benchmark_group("range_1e6");
    group.throughput(Throughput::Elements(END));
    group.sample_size(10);
    group.bench_function("naive", |b| {
        b.iter(|| (1..=END).map(|n| naive_steps(n).0).max())
    });
    for threads in [1, 2] {
        let pool = pool(threads).unwrap();
        group.bench_function(BenchmarkId::new("memoised", threads), |b| {
            b.iter(|| {
                let memo = Memo::build(memo_len_for(1, END, 8 << 20), &pool, &mut || {}).unwrap();
                let mut scan = RangeScan::new(1, END, memo);
                let mut longest = 0;
                while let Some(batch) = scan.next_batch(&pool, chunk_trajectories) {
                    longest = batch
                        .iter()
                        .flatten()
                        .map(|t| t.steps)
                        .max()
                        .unwrap_or(0)
                        .max(longest);
                }
                longest
            })
        });
    }
    group.finish();
}

/// Range analysis (longest sequence, highest peak) of [1, 10^7]: a naive loop walking every
/// number against what collatz_analyze runs (`analyze_scan`: the memo built, then batches
/// each seeded with the best peak so far) on 1 and 2 threads.
fn analysis(c: &mut Criterion) {
    const END: u64 = 10_000_000;
    let mut group = c.benchmark_group("analysis_1e7");
    group.throughput(Throughput::Elements(END));
    group.sample_size(10);
    group.bench_function("naive", |b| {
        b.iter(|| {
            let (mut longest, mut highest) = ((0, 0), (0, 0));
            for n in 1..=END {
                let (steps, peak) = naive_steps(n);
                if steps > longest.1 {
                    longest = (n, steps);
                }
                if peak > highest.1 {
                    highest = (n, peak);
                }
            }
            (longest, highest)
        })
    });
    for threads in [1, 2] {
        let pool = pool(threads).unwrap();
        group.bench_function(BenchmarkId::new("collatz_ext", threads), |b| {
            b.iter(|| {
                let memo = Memo::build(memo_len_for(1, END, 8 << 20), &pool, &mut || {}).unwrap();
                let mut scan = RangeScan::new(1, END, memo);
                analyze_scan(&mut scan, &pool, 1..=END, 0, &mut || {})
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_number, memoised_range, analysis);
criterion_main!(benches);
