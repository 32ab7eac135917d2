//! Terms computed on read: `collatz_internal.collatz_term(n, step)` and
//! `collatz_internal.collatz_term_rule(n, step)`, the value and the rule of one step of n's
//! sequence, which the view `collatz.sequence_steps_computed` (src/sql/terms.sql) calls once
//! per row it returns.
//!
//! The view produces its rows with generate_series (as collatz_internal.collatz_step_numbers)
//! and calls these in its target list, which PostgreSQL evaluates only for the rows that
//! pass the query's quals: a filter on the step_number computes nothing for the steps it
//! discards. A scan asks for the steps of one
//! sequence after another, so the backend keeps the terms of the last sequence asked for
//! (`CURRENT`): the first call of a sequence walks it once, every other call is an index into
//! that walk. Both are plain C functions rather than `#[pg_extern]`s because the per-term
//! cost is the whole point: pgrx's `AnyNumeric` goes through a Rust copy and a palloc, where
//! `crate::numeric` writes the numeric varlena in place (src/numeric.rs gives the measure).

use crate::arguments::positive;
use collatz_engine::{sequence, Operation, Value};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::UnsafeCell;

/// The sequence last asked for. Nearly every stored sequence stays below 2^64 (the first
/// that does not starts at 12,327,829,503), and its terms are kept as words: a walk on
/// `Value`s (u128 and big integers, with the rule beside each term) took 19% of a full scan
/// in perf, the word walk a few percent.
enum Terms {
    /// `words[k]` is the term at step k; the rule of step k > 0 is odd when `words[k - 1]`
    /// is odd.
    Words(Vec<u64>),
    /// The term and rule of each step, for a sequence that leaves u64.
    Values(Vec<(Value, Operation)>),
}

struct Walk {
    number: i64,
    terms: Terms,
}

/// State of this backend. PostgreSQL calls these functions on the backend's one thread, and
/// nothing they call calls them back, so a plain static serves; a `thread_local!` costs a
/// `__tls_get_addr` call per access in a shared library (1.2% of a full scan in perf).
struct Backend<T>(UnsafeCell<T>);
// SAFETY: only the backend thread touches it (see above); the worker pool never runs this.
unsafe impl<T> Sync for Backend<T> {}

// number 0 is never a valid start, so the first call always walks.
static CURRENT: Backend<Walk> = Backend(UnsafeCell::new(Walk {
    number: 0,
    terms: Terms::Words(Vec::new()),
}));
// 'start', 'odd' and 'even' as text, built once in TopMemoryContext and returned by
// reference: callers treat a returned Datum as read-only, and copy it where they keep it.
static RULES: Backend<Option<[pg_sys::Datum; 3]>> = Backend(UnsafeCell::new(None));

/// Walks n in u64 into `words`; false as soon as a term would leave u64.
fn walk_words(n: u64, words: &mut Vec<u64>) -> bool {
    words.clear();
    let mut x = n;
    words.push(x);
    while x != 1 {
        x = if x & 1 == 0 {
            x >> 1
        } else {
            match x.checked_mul(3).and_then(|t| t.checked_add(1)) {
                Some(t) => t,
                None => return false,
            }
        };
        words.push(x);
    }
    true
}

/// A term of the sequence kept: the term, and the index of its rule in `rule_datum`.
enum Term<'a> {
    Word(u64, usize),
    Value(&'a Value, usize),
}

fn rule_index(op: Operation) -> usize {
    match op {
        Operation::Start => 0,
        Operation::Odd => 1,
        Operation::Even => 2,
    }
}

/// Calls `f` with the term of n's sequence at `step` (walking n first if it is not the
/// sequence kept), or returns None when n has no such step. An n below 1 is an ERROR
/// (22023), as for every function of the extension; a bigint n has a walk of at most a few
/// thousand terms (every n below 2^71 is known to reach 1 in fewer than 3,000 steps).
fn with_step<R>(n: i64, step: i32, func: &str, f: impl FnOnce(Term<'_>) -> R) -> Option<R> {
    // SAFETY: the backend thread's only reference (see Backend). An ERROR raised below
    // unwinds past it; a walk cut short leaves the number at 0, so the next call walks again.
    let walk = unsafe { &mut *CURRENT.0.get() };
    {
        if walk.number != n {
            let start = match positive(&n, "n", func) {
                Ok(start) => start,
                Err(e) => {
                    e.report(pgrx::PgLogLevel::ERROR);
                    unreachable!("a report at level ERROR does not return")
                }
            };
            walk.number = 0;
            let mut words = match std::mem::replace(&mut walk.terms, Terms::Words(Vec::new())) {
                Terms::Words(w) => w,
                Terms::Values(_) => Vec::new(),
            };
            walk.terms = if walk_words(n as u64, &mut words) {
                Terms::Words(words)
            } else {
                Terms::Values(sequence(start).map(|(_, term, op)| (term, op)).collect())
            };
            walk.number = n;
        }
        let k = usize::try_from(step).ok()?;
        let term = match &walk.terms {
            Terms::Words(w) => {
                let word = *w.get(k)?;
                let rule = if k == 0 {
                    0
                } else {
                    2 - (w[k - 1] & 1) as usize
                };
                Term::Word(word, rule)
            }
            Terms::Values(v) => v.get(k).map(|(t, op)| Term::Value(t, rule_index(*op)))?,
        };
        Some(f(term))
    }
}

/// The three rules as text Datums that live as long as the backend.
fn rule_datum(index: usize) -> pg_sys::Datum {
    // SAFETY: the backend thread's only reference (see Backend).
    let rules = unsafe { &mut *RULES.0.get() };
    rules.get_or_insert_with(|| {
        ["start", "odd", "even"].map(|name| {
            let len = pg_sys::VARHDRSZ + name.len();
            // SAFETY: a block of TopMemoryContext, never freed, filled before use.
            unsafe {
                let p = pg_sys::MemoryContextAlloc(pg_sys::TopMemoryContext, len).cast::<u8>();
                pgrx::set_varsize_4b(p.cast(), len as i32);
                std::ptr::copy_nonoverlapping(name.as_ptr(), p.add(pg_sys::VARHDRSZ), name.len());
                pg_sys::Datum::from(p)
            }
        })
    })[index]
}

/// The (n bigint, step integer) arguments of a STRICT function: never NULL.
///
/// # Safety
/// `fcinfo` is the call's, with two non-NULL arguments of those types.
unsafe fn arguments(fcinfo: pg_sys::FunctionCallInfo) -> (i64, i32) {
    // SAFETY: as the caller promises.
    unsafe {
        let args = (*fcinfo).args.as_slice(2);
        (args[0].value.value() as i64, args[1].value.value() as i32)
    }
}

/// # Safety
/// `fcinfo` is the call's, with two non-NULL arguments of those types.
unsafe fn null(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: as the caller promises.
    unsafe { (*fcinfo).isnull = true };
    pg_sys::Datum::from(0)
}

/// collatz_term(n bigint, step integer) RETURNS numeric: the term of n's sequence at
/// `step`, NULL past its end or below 0.
#[no_mangle]
pub extern "C" fn pg_finfo_collatz_term() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn collatz_term(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls it as declared in src/sql/terms.sql (STRICT, bigint, integer).
    unsafe {
        let (n, step) = arguments(fcinfo);
        let value = with_step(n, step, "collatz_term", |term| match term {
            Term::Word(w, _) => crate::numeric::word_datum(u128::from(w)),
            Term::Value(v, _) => crate::numeric::datum(v),
        });
        match value {
            Some(d) => d,
            None => null(fcinfo),
        }
    }
}

/// collatz_term_rule(n bigint, step integer) RETURNS text: the rule that produced the term
/// at `step` (as collatz_sequence's operation_type): 'start' for step 0, then 'odd' where 3x+1
/// was applied and 'even' where x/2 was; NULL past the end or below 0.
#[no_mangle]
pub extern "C" fn pg_finfo_collatz_term_rule() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn collatz_term_rule(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls it as declared in src/sql/terms.sql (STRICT, bigint, integer).
    unsafe {
        let (n, step) = arguments(fcinfo);
        let rule = with_step(n, step, "collatz_term_rule", |term| match term {
            Term::Word(_, r) | Term::Value(_, r) => r,
        });
        match rule {
            Some(r) => rule_datum(r),
            None => null(fcinfo),
        }
    }
}
