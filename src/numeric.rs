//! Word-sized values as SQL numeric, built here byte for byte as PostgreSQL's own
//! make_result (numeric.c) builds them, in one palloc.
//!
//! `AnyNumeric::from(u128)` calls int8_numeric through pgrx's guarded FFI, copies the result
//! into a Rust box, frees the original, and copies it once more into a palloc'd Datum when
//! returned: four guarded calls and two copies per value, and text through numeric_in past
//! 2^63. Built here, with the entry points of src/fmgr.rs, sum(collatz_next(n)) over [1, 10^6]
//! went from 1.53x to 1.06x the time of sum(n::numeric) (benches/sql/calls.sql, 2026-12-01).

use collatz_engine::Value;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgSqlErrorCode;

/// numeric.c's NBASE: each digit holds four decimal digits.
const NBASE: u128 = 10_000;
/// Base-10000 digits of the largest u128 (about 3.4 * 10^38: 39 decimal digits).
const MAX_DIGITS: usize = 10;
/// numeric.c: the varlena header and the 16-bit short header.
const NUMERIC_HDRSZ_SHORT: usize = 4 + 2;
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SHORT_WEIGHT_MASK: u16 = 0x003F;

/// The base-10000 digits of v >= 1, most significant first, without trailing zero digits
/// (make_result strips them: 10^8 is the one digit 1 of weight 2), and the weight of the first.
#[inline]
fn digits(v: u128) -> ([i16; MAX_DIGITS], usize, i16) {
    debug_assert!(v >= 1);
    let mut reversed = [0i16; MAX_DIGITS];
    let mut count = 0;
    if let Ok(mut x) = u64::try_from(v) {
        // u64 division by a constant is a multiplication; u128 division is a library call.
        while x > 0 {
            reversed[count] = (x % 10_000) as i16;
            x /= 10_000;
            count += 1;
        }
    } else {
        let mut x = v;
        while x > 0 {
            reversed[count] = (x % NBASE) as i16;
            x /= NBASE;
            count += 1;
        }
    }
    let weight = count as i16 - 1;
    let trailing = reversed.iter().take_while(|&&d| d == 0).count();
    let mut out = [0i16; MAX_DIGITS];
    let n = count - trailing;
    for (i, d) in reversed[trailing..count].iter().rev().enumerate() {
        out[i] = *d;
    }
    (out, n, weight)
}

extern "C-unwind" {
    /// PostgreSQL's allocator, declared here without pgrx's guard: pgrx wraps every call
    /// into PostgreSQL in a sigsetjmp, in case it raises an ERROR (3% of a full scan of
    /// sequence_steps_computed in perf, one call per term). With MCXT_ALLOC_NO_OOM and a
    /// size below MaxAllocSize this one cannot raise one: it returns NULL when memory runs out.
    #[link_name = "MemoryContextAllocExtended"]
    fn allocate_no_oom(context: pg_sys::MemoryContext, size: usize, flags: i32) -> *mut u8;
}

/// `len` bytes (a few dozen) of the current memory context; out of memory is an ERROR
/// (53200), raised through pgrx.
fn allocate(len: usize) -> *mut u8 {
    // SAFETY: as allocate_no_oom says; CurrentMemoryContext is valid on the backend thread,
    // the only one that builds Datums.
    let p = unsafe {
        allocate_no_oom(
            pg_sys::CurrentMemoryContext,
            len,
            pg_sys::MCXT_ALLOC_NO_OOM as i32,
        )
    };
    if p.is_null() {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
            "out of memory",
            "collatz_ext",
        )
        .report(pgrx::PgLogLevel::ERROR);
    }
    p
}

/// v (>= 1) as a numeric in the current memory context. Every such value is a "short"
/// numeric: dscale 0 and a weight of at most 9, inside NUMERIC_SHORT's -64..63.
#[inline]
pub fn word_datum(v: u128) -> pg_sys::Datum {
    let (digits, n, weight) = digits(v);
    let p = allocate(NUMERIC_HDRSZ_SHORT + 2 * n);
    // SAFETY: allocate returned the bytes write_short needs.
    unsafe { write_short(p, &digits[..n], weight) }
}

/// Room for any word-sized numeric (header and 10 digits), aligned as a varlena must be.
#[repr(C, align(8))]
pub struct WordBuffer([u8; NUMERIC_HDRSZ_SHORT + 2 * MAX_DIGITS]);

impl WordBuffer {
    pub const fn new() -> WordBuffer {
        WordBuffer([0; NUMERIC_HDRSZ_SHORT + 2 * MAX_DIGITS])
    }
}

/// v (>= 1) as a numeric written into `buffer`, which the Datum points into: valid until
/// the buffer is written again. A scan that returns one term per call needs nothing longer
/// (the executor resets per-tuple memory as often), and saves a palloc per term.
#[inline]
pub fn word_datum_in(v: u128, buffer: &mut WordBuffer) -> pg_sys::Datum {
    let (digits, n, weight) = digits(v);
    // SAFETY: the buffer holds the largest word-sized numeric.
    unsafe { write_short(buffer.0.as_mut_ptr(), &digits[..n], weight) }
}

/// Writes the short numeric of these digits at `p`.
///
/// # Safety
/// `p` has NUMERIC_HDRSZ_SHORT + 2 * digits.len() writable bytes, 4-byte aligned.
#[inline]
unsafe fn write_short(p: *mut u8, digits: &[i16], weight: i16) -> pg_sys::Datum {
    let len = NUMERIC_HDRSZ_SHORT + 2 * digits.len();
    let header = NUMERIC_SHORT | (weight as u16 & NUMERIC_SHORT_WEIGHT_MASK);
    // SAFETY: the caller's promise; the header and digits fill the bytes exactly.
    unsafe {
        // SET_VARSIZE: a 4-byte varlena header holds the length shifted left by 2.
        p.cast::<u32>().write_unaligned((len as u32) << 2);
        p.add(4).cast::<u16>().write_unaligned(header);
        std::ptr::copy_nonoverlapping(digits.as_ptr().cast::<u8>(), p.add(6), 2 * digits.len());
        pg_sys::Datum::from(p)
    }
}

/// An engine value as a numeric Datum: word-sized values built directly, larger ones through
/// their text (`arguments::numeric`, which also refuses what numeric cannot hold).
#[inline]
pub fn datum(v: &Value) -> pg_sys::Datum {
    match v {
        Value::Small(s) => word_datum(*s),
        Value::Big(_) => {
            use pgrx::IntoDatum;
            crate::arguments::numeric(v)
                .into_datum()
                .expect("a numeric is never NULL")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_base_10000_without_trailing_zeros() {
        let (d, n, w) = digits(1);
        assert_eq!((&d[..n], w), (&[1][..], 0));
        let (d, n, w) = digits(10_000);
        assert_eq!((&d[..n], w), (&[1][..], 1));
        let (d, n, w) = digits(1_2345_0000_6789);
        assert_eq!((&d[..n], w), (&[1, 2345, 0, 6789][..], 3));
        let (d, n, w) = digits(1234_0000_5678_0000);
        assert_eq!((&d[..n], w), (&[1234, 0, 5678][..], 3));
        // 340282366920938463463374607431768211455
        let (d, n, w) = digits(u128::MAX);
        let expected = [340, 2823, 6692, 938, 4634, 6337, 4607, 4317, 6821, 1455];
        assert_eq!((&d[..n], w), (&expected[..], 9));
    }
}
