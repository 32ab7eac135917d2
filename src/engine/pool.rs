//! The dedicated worker pool a backend uses for parallel work.
//!
//! Not rayon's global pool: that one starts a thread per CPU in every backend that touches
//! it and keeps them for the session. This pool is sized by the caller (a GUC) and rebuilt
//! only when that size changes.

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};
use std::sync::{Arc, Mutex};

static POOL: Mutex<Option<Arc<ThreadPool>>> = Mutex::new(None);

/// The pool with `threads` workers, built on first use and kept while the size is the same.
pub fn pool(threads: usize) -> Result<Arc<ThreadPool>, ThreadPoolBuildError> {
    let threads = threads.max(1);
    let mut slot = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = slot.as_ref().filter(|p| p.current_num_threads() == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("collatz-worker-{i}"))
            .start_handler(|_| block_signals())
            .build()?,
    );
    *slot = Some(Arc::clone(&pool));
    Ok(pool)
}

/// Workers take no signals, so a host process's handlers (PostgreSQL's SIGINT for
/// cancellation, SIGTERM, SIGUSR1 latches) always run on the thread that owns them.
fn block_signals() {
    // SAFETY: sigfillset initialises the set; pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_the_pool_until_the_size_changes() {
        let a = pool(2).unwrap();
        let b = pool(2).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = pool(1).unwrap();
        assert_eq!(c.current_num_threads(), 1);
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn workers_block_signals() {
        let p = pool(1).unwrap();
        let blocked = p.install(|| unsafe {
            let mut current: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut current);
            libc::sigismember(&current, libc::SIGINT) == 1
        });
        assert!(blocked);
    }
}
