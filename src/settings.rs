//! Configuration as GUCs, settable per session, role or database (ALTER ROLE/DATABASE ... SET),
//! which is how environments (prod, qa, sandbox) differ. Read only on the backend thread.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Worker threads for parallel range work; 0 = one per CPU core.
pub static THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
/// Memory for the memo table of a range scan, in megabytes; 0 turns memoisation off.
pub static MEMO_MB: GucSetting<i32> = GucSetting::<i32>::new(64);

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
