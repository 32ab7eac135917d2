//! Configuration as GUCs, settable per session, role or database (ALTER ROLE/DATABASE ... SET),
//! which is how environments (prod, qa, sandbox) differ. Read only on the backend thread.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Worker threads for parallel range work; 0 = one per CPU core.
pub static THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
/// Memory for the memo table of a range scan, in megabytes; 0 turns memoisation off.
/// Lookups land at scattered indices, so a table that stays in cache beats a bigger one:
/// [1, 2*10^8] on this project's machine (32 MB L3) took 3.8 s with 8 MB, 4.5 s with 32 MB,
/// 5.0 s with 64 MB, and [1, 10^9] 24 s with 256 MB, 28 s with 1 GB.
pub static MEMO_MB: GucSetting<i32> = GucSetting::<i32>::new(8);

/// Rows per committed batch of sp_batch_insert_sequences.
pub static BATCH_SIZE: GucSetting<i32> = GucSetting::<i32>::new(100_000);
/// Milliseconds between progress messages of long procedures; 0 = after every batch.
pub static PROGRESS_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(2_000);
/// Default age, in days, past which sp_cleanup_old_data removes rows.
pub static RETENTION_DAYS: GucSetting<i32> = GucSetting::<i32>::new(90);

/// Registers the GUCs. Called from _PG_init; starts no threads.
pub fn register() {
    GucRegistry::define_int_guc(
        c"collatz.threads",
        c"Worker threads for parallel Collatz range work (0 = one per CPU core).",
        c"Each backend keeps its own pool of this size while it uses one.",
        &THREADS,
        0,
        1024,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"collatz.memo_mb",
        c"Memory for the memo table of a Collatz range scan (0 = no memo).",
        c"Numbers below the table's length are looked up instead of walked; 12 bytes an entry.",
        &MEMO_MB,
        0,
        48 * 1024,
        GucContext::Userset,
        GucFlags::UNIT_MB,
    );
    GucRegistry::define_int_guc(
        c"collatz.batch_size",
        c"Rows per committed batch of sp_batch_insert_sequences.",
        c"Larger batches commit less often; smaller ones lose less work to an interruption.",
        &BATCH_SIZE,
        1,
        10_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"collatz.progress_interval",
        c"Time between progress messages of long collatz_ext procedures (0 = every batch).",
        c"Progress is also in the view v_pipeline_progress, for other sessions.",
        &PROGRESS_INTERVAL,
        0,
        3_600_000,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"collatz.retention_days",
        c"Default age in days past which sp_cleanup_old_data removes rows.",
        c"An older_than argument overrides it.",
        &RETENTION_DAYS,
        1,
        365_000,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The pool size to use now.
pub fn threads() -> usize {
    match THREADS.get() {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n as usize,
    }
}

/// The memo budget now, in bytes.
pub fn memo_bytes() -> u64 {
    u64::try_from(MEMO_MB.get()).unwrap_or(0) << 20
}
