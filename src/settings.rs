//! Configuration as GUCs, settable per session, role or database (ALTER ROLE/DATABASE ... SET),
//! which is how environments (prod, qa, sandbox) differ. Read only on the backend thread.

// ErrorReport (pgrx's error with a SQLSTATE and a hint) is what these functions return to
// PostgreSQL, by value as pgrx takes it; it is large, but only errors carry it.
#![allow(clippy::result_large_err)]

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgSqlErrorCode};

/// Worker threads for parallel range work; 0 = one per CPU core.
pub static THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
/// Memory for the memo table of a range scan, in megabytes; 0 turns memoisation off.
/// Lookups land at scattered indices, so a table that stays in cache beats a bigger one:
/// [1, 2*10^8] on this project's machine (32 MB L3) took 3.8 s with 8 MB, 4.5 s with 32 MB,
/// 5.0 s with 64 MB, and [1, 10^9] 24 s with 256 MB, 28 s with 1 GB.
pub static MEMO_MB: GucSetting<i32> = GucSetting::<i32>::new(8);

/// Most worker threads a backend may use, whatever collatz.threads says; 0 = one per CPU
/// core. Superuser-only (PGC_SUSET): collatz.threads is any role's to set, and threads are
/// the host's, not the role's.
pub static MAX_THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
/// Largest collatz.memo_mb a backend may use, in megabytes. Superuser-only: one backend's
/// allocation comes out of the whole host's memory, and a backend that the kernel kills for
/// it makes the postmaster restart every session.
pub static MAX_MEMO_MB: GucSetting<i32> = GucSetting::<i32>::new(256);

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
        c"collatz.max_threads",
        c"Most worker threads collatz.threads may ask for (0 = one per CPU core).",
        c"Superuser-only. A function refuses (SQLSTATE 54000) when collatz.threads asks for more.",
        &MAX_THREADS,
        0,
        1024,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"collatz.max_memo_mb",
        c"Largest collatz.memo_mb a Collatz range scan may use.",
        c"Superuser-only. A function refuses (SQLSTATE 54000) when collatz.memo_mb is larger.",
        &MAX_MEMO_MB,
        0,
        48 * 1024,
        GucContext::Suset,
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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A thread-count setting's value and what it means (0 = one per core), for messages.
fn threads_shown(setting: i32, threads: usize) -> String {
    if setting == 0 {
        format!("0 (one per CPU core: {threads})")
    } else {
        setting.to_string()
    }
}

/// A thread-count setting as a number of threads: 0 = one per core. The GUCs' own ranges
/// are [0, 1024], so the conversion cannot fail; a negative value would mean one thread.
fn threads_of(setting: i32) -> usize {
    match setting {
        0 => cores(),
        n => usize::try_from(n).unwrap_or(1),
    }
}

fn limit_error(func: &'static str, message: String, hint: &str) -> ErrorReport {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        message,
        func,
    )
    .set_hint(hint)
}

/// The pool size to use now: collatz.threads, refused (54000) above collatz.max_threads.
/// No silent clamp: a caller who asked for 300 threads learns that it got none.
pub fn threads(func: &'static str) -> Result<usize, ErrorReport> {
    let (setting, max_setting) = (THREADS.get(), MAX_THREADS.get());
    let (threads, max) = (threads_of(setting), threads_of(max_setting));
    if threads <= max {
        return Ok(threads);
    }
    Err(limit_error(
        func,
        format!(
            "{func}: collatz.threads = {} is above collatz.max_threads = {}",
            threads_shown(setting, threads),
            threads_shown(max_setting, max)
        ),
        "Lower collatz.threads, or ask a superuser to raise collatz.max_threads (ALTER SYSTEM / ALTER DATABASE ... SET).",
    ))
}

/// The memo budget now, in bytes: collatz.memo_mb, refused (54000) above
/// collatz.max_memo_mb. Both are at most 48 * 1024 MB (their GUC ranges), so the budget is
/// at most 2^35.6 bytes: no overflow in u64.
pub fn memo_bytes(func: &'static str) -> Result<u64, ErrorReport> {
    let (mb, max_mb) = (MEMO_MB.get(), MAX_MEMO_MB.get());
    if mb > max_mb {
        return Err(limit_error(
            func,
            format!("{func}: collatz.memo_mb = {mb}MB is above collatz.max_memo_mb = {max_mb}MB"),
            "Lower collatz.memo_mb, or ask a superuser to raise collatz.max_memo_mb (ALTER SYSTEM / ALTER DATABASE ... SET).",
        ));
    }
    Ok(u64::try_from(mb).unwrap_or(0) << 20)
}
