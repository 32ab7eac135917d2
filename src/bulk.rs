//! The rows of a number range into collatz_sequences through PostgreSQL's own COPY FROM
//! machinery: BeginCopyFrom with a data source callback that this module feeds with the
//! computed rows in COPY's binary format, then CopyFrom. CopyFrom inserts in batches
//! (heap_multi_insert) and does everything COPY does for a table: the CHECK constraints
//! (the exactness check included), the indexes, the statement and row triggers with their
//! transition tables (the totals), and the identity and created_at defaults. The checks DoCopy
//! makes before it are made here as it makes them: INSERT privilege of the current user on the
//! columns written (ExecCheckRTPerms), no row-level security, not in a read-only transaction.
//! insert_sequences (src/sql/sequences.sql) uses it for a range with nothing stored yet; any
//! conflict is a unique_violation, and insert_sequences then redoes the batch with ON CONFLICT.
//! 5 * 10^5 rows into an empty collatz_sequences, 7 interleaved rounds: 0.87x the time of the
//! INSERT ... SELECT from collatz_range it replaces (benches/sql/insert_paths.sql); the rest
//! of the time (three quarters of it) is index maintenance, the same in both.

// ErrorReport (pgrx's error with a SQLSTATE and a hint) is what these functions return to
// PostgreSQL, by value as pgrx takes it; it is large, but only errors carry it.
#![allow(clippy::result_large_err)]

use crate::arguments::{bigint, numeric, range};
use crate::ranges::Trajectories;
use collatz_engine::{Trajectory, Value};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{AnyNumeric, PgSqlErrorCode};
use std::cell::RefCell;
use std::ffi::CStr;

const FUNC: &str = "copy_sequences";
/// The batch a run step writes is at most collatz.batch_size numbers; this is the cap of
/// sp_batch_insert_sequences' whole range.
const RANGE_LIMIT: u64 = 1_000_000_000;
/// The columns written, in the order of each binary row; id and created_at take their defaults.
const COLUMNS: [&CStr; 4] = [c"number", c"sequence_length", c"steps_to_one", c"max_value"];

/// Rows encoded ahead of what COPY has read: a few hundred at a time.
struct Feed {
    rows: Trajectories,
    buffer: Vec<u8>,
    read: usize,
    done: bool,
    /// What the rows fed add to collatz_length_totals, counted as they are encoded.
    deltas: LengthDeltas,
    /// pg_trigger_depth() of the COPY's statement: its own AFTER trigger runs one deeper.
    depth: i32,
}

/// One length's share of the rows fed: collatz_length_totals' columns.
struct LengthDelta {
    sequences: u64,
    smallest_number: u64,
    highest_peak: Value,
    peak_number: u64,
}

/// The rows fed, by length (indexed by sequence length: below 2^63 there are fewer than
/// 3,000), and how many; `taken` once the statement trigger has read them.
#[derive(Default)]
struct LengthDeltas {
    by_length: Vec<Option<LengthDelta>>,
    rows: u64,
    taken: bool,
}

impl LengthDeltas {
    /// Rows come in ascending number order, so the first of a length is its smallest and
    /// only a strictly higher peak replaces the candidate (ties keep the smaller number),
    /// as the trigger's `max(ARRAY[max_value, -number])` chooses.
    fn add(&mut self, number: u64, t: &Trajectory) {
        self.rows += 1;
        let length = t.length() as usize;
        if self.by_length.len() <= length {
            self.by_length.resize_with(length + 1, || None);
        }
        match &mut self.by_length[length] {
            Some(d) => {
                d.sequences += 1;
                if t.peak > d.highest_peak {
                    d.highest_peak = t.peak.clone();
                    d.peak_number = number;
                }
            }
            slot @ None => {
                *slot = Some(LengthDelta {
                    sequences: 1,
                    smallest_number: number,
                    highest_peak: t.peak.clone(),
                    peak_number: number,
                })
            }
        }
    }
}

thread_local! {
    /// The feed of the COPY in progress in this backend (one at a time: the callback takes no
    /// argument of its own). Set and cleared around BeginCopyFrom .. EndCopyFrom.
    static FEED: RefCell<Option<Feed>> = const { RefCell::new(None) };
}

/// Clears the feed when the COPY ends, by return or by ERROR (which reaches here as a panic).
struct FeedGuard;
impl Drop for FeedGuard {
    fn drop(&mut self) {
        FEED.with_borrow_mut(|f| *f = None);
    }
}

/// COPY's binary signature, flags and header extension length (copyfromparse.c).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
const ROWS_PER_REFILL: usize = 256;

impl Feed {
    fn refill(&mut self) {
        self.buffer.drain(..self.read);
        self.read = 0;
        for _ in 0..ROWS_PER_REFILL {
            match self.rows.next() {
                Some((n, t)) => {
                    encode_row(&mut self.buffer, &n, &t);
                    let number = n.as_u64().expect("collatz_sequences numbers are bigints");
                    self.deltas.add(number, &t);
                }
                None => {
                    // The trailer: a field count of -1.
                    self.buffer.extend_from_slice(&(-1i16).to_be_bytes());
                    self.done = true;
                    return;
                }
            }
        }
    }

    /// Copies at least `min` bytes (fewer only at the end) and at most `max` into `out`.
    fn fill(&mut self, out: &mut [u8], min: usize) -> usize {
        let mut written = 0;
        while written < out.len() {
            if self.read == self.buffer.len() {
                if self.done || written >= min {
                    break;
                }
                self.refill();
                continue;
            }
            let take = (self.buffer.len() - self.read).min(out.len() - written);
            out[written..written + take].copy_from_slice(&self.buffer[self.read..self.read + take]);
            self.read += take;
            written += take;
        }
        written
    }
}

fn encode_row(buffer: &mut Vec<u8>, n: &Value, t: &Trajectory) {
    let number = crate::arguments::bigint_number(n);
    buffer.extend_from_slice(&4i16.to_be_bytes());
    for v in [number, bigint(t.length()), bigint(t.steps)] {
        buffer.extend_from_slice(&8i32.to_be_bytes());
        buffer.extend_from_slice(&v.to_be_bytes());
    }
    encode_numeric(buffer, &t.peak);
}

/// numeric_send's format: ndigits, weight, sign, dscale, then the base-10000 digits, all
/// 16-bit big-endian; numeric_recv strips nothing that this leaves (no trailing zero digit).
fn encode_numeric(buffer: &mut Vec<u8>, v: &Value) {
    let word;
    let big;
    let (digits, weight): (&[i16], i16) = match v {
        // Word-sized peaks (every one below 2^128) without an allocation per row.
        Value::Small(s) => {
            word = crate::numeric::digits(*s);
            (&word.0[..word.1], word.2)
        }
        Value::Big(b) => {
            big = crate::numeric::big_base_10000(b);
            (&big.0, big.1)
        }
    };
    buffer.extend_from_slice(&(8 + 2 * digits.len() as i32).to_be_bytes());
    for h in [digits.len() as i16, weight, 0, 0] {
        buffer.extend_from_slice(&h.to_be_bytes());
    }
    for d in digits {
        buffer.extend_from_slice(&d.to_be_bytes());
    }
}

/// COPY's data source: called by CopyFrom on the backend thread whenever it needs bytes.
#[pg_guard]
unsafe extern "C-unwind" fn read_rows(
    outbuf: *mut std::ffi::c_void,
    minread: std::ffi::c_int,
    maxread: std::ffi::c_int,
) -> std::ffi::c_int {
    // SAFETY: COPY passes a buffer of maxread writable bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(outbuf.cast::<u8>(), maxread as usize) };
    FEED.with_borrow_mut(|feed| {
        let feed = feed.as_mut().expect("the feed is set while the COPY runs");
        feed.fill(out, minread as usize) as std::ffi::c_int
    })
}

/// Stores the computed rows of [first_number, last_number] in collatz.collatz_sequences by
/// COPY; returns the rows written. Owner only (collatz_internal): insert_sequences calls it.
#[pg_extern(volatile, schema = "collatz_internal")]
#[search_path(pg_catalog, pg_temp)]
fn copy_sequences(first_number: Option<i64>, last_number: Option<i64>) -> Result<i64, ErrorReport> {
    // Not STRICT: with NULL constants a STRICT scalar function is folded away at plan time,
    // before its EXECUTE privilege is checked; this one refuses NULLs itself.
    let (Some(first_number), Some(last_number)) = (first_number, last_number) else {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{FUNC}: first_number and last_number must not be NULL"),
            FUNC,
        )
        .set_hint("Pass the bounds of the range to store."));
    };
    let (a, b) = range(
        &first_number,
        &last_number,
        ["first number", "last number"],
        RANGE_LIMIT,
        FUNC,
    )?;
    // Before anything is computed: what DoCopy refuses first.
    // SAFETY: a plain check of the transaction state.
    unsafe { pg_sys::PreventCommandIfReadOnly(c"INSERT".as_ptr()) };
    let rows = Trajectories::new(a, b, FUNC)?;
    let depth = unsafe { pgrx::direct_function_call::<i32>(pg_sys::pg_trigger_depth, &[]) }
        .expect("pg_trigger_depth() is never NULL");
    let _guard = FeedGuard;
    FEED.with_borrow_mut(|f| {
        *f = Some(Feed {
            rows,
            buffer: HEADER.to_vec(),
            read: 0,
            done: false,
            deltas: LengthDeltas::default(),
            depth,
        })
    });
    // SAFETY: as DoCopy and COPY FROM a client would, on this backend's thread; every call
    // is guarded by pgrx, so an ERROR unwinds through _guard.
    let written = unsafe { copy_into_sequences() };
    // When the statement trigger took the loader's count, every row fed must have been
    // written: fewer (an owner's BEFORE trigger that skipped rows, say) would leave the
    // totals wrong, so the statement is undone. (A trigger disabled by the owner takes
    // nothing, and keeps nothing in step, as for any other INSERT.)
    let counted = FEED.with_borrow(|f| f.as_ref().map_or(written, |f| if f.deltas.taken { f.deltas.rows } else { written }));
    if counted != written {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("{FUNC}: COPY wrote {written} rows of the {counted} the totals counted"),
            FUNC,
        )
        .set_hint("Nothing was written. Look for triggers on collatz_sequences that are not the extension's."));
    }
    Ok(i64::try_from(written).expect("at most RANGE_LIMIT rows"))
}

/// The rows that copy_sequences wrote by the statement being counted, by length, for its
/// AFTER INSERT trigger (collatz_sequences_totals) to add to the totals without reading
/// them all again from the transition table: 5.6% of the load's time (10^6 rows, perf) was
/// that trigger's two passes over new_rows. Rows only when called at `depth`
/// (pg_trigger_depth()) one below the COPY's statement, with every row fed, once: a
/// statement nested in the COPY (an owner's trigger's INSERT) gets none and counts its own.
#[pg_extern(volatile, strict, schema = "collatz_internal")]
#[search_path(pg_catalog, pg_temp)]
fn copied_length_deltas(
    depth: i32,
) -> TableIterator<
    'static,
    (
        name!(sequence_length, i64),
        name!(sequences, i64),
        name!(smallest_number, i64),
        name!(highest_peak, AnyNumeric),
        name!(peak_number, i64),
    ),
> {
    let taken = FEED.with_borrow_mut(|f| match f {
        Some(f) if f.done && !f.deltas.taken && depth == f.depth + 1 => {
            f.deltas.taken = true;
            std::mem::take(&mut f.deltas.by_length)
        }
        _ => Vec::new(),
    });
    TableIterator::new(taken.into_iter().enumerate().filter_map(|(length, d)| {
        d.map(|d| {
            (
                bigint(length as u64),
                bigint(d.sequences),
                bigint(d.smallest_number),
                numeric(&d.highest_peak),
                bigint(d.peak_number),
            )
        })
    }))
}

/// DoCopy's part for a COPY FROM into collatz.collatz_sequences, then CopyFrom.
unsafe fn copy_into_sequences() -> u64 {
    unsafe {
        let lock = pg_sys::RowExclusiveLock as i32;
        let relation = pg_sys::makeRangeVar(
            c"collatz".as_ptr().cast_mut(),
            c"collatz_sequences".as_ptr().cast_mut(),
            -1,
        );
        let rel = pg_sys::table_openrv(relation, lock);
        let pstate = pg_sys::make_parsestate(std::ptr::null_mut());
        let item = pg_sys::addRangeTableEntryForRelation(
            pstate,
            rel,
            lock,
            std::ptr::null_mut(),
            false,
            false,
        );
        let rte = (*item).p_rte;
        (*rte).requiredPerms = pg_sys::ACL_INSERT;
        let mut columns = std::ptr::null_mut();
        for name in COLUMNS {
            let attnum = pg_sys::attnameAttNum(rel, name.as_ptr(), false);
            (*rte).insertedCols = pg_sys::bms_add_member(
                (*rte).insertedCols,
                attnum - pg_sys::FirstLowInvalidHeapAttributeNumber,
            );
            columns = pg_sys::lappend(
                columns,
                pg_sys::makeString(pg_sys::pstrdup(name.as_ptr())).cast(),
            );
        }
        pg_sys::ExecCheckRTPerms((*pstate).p_rtable, true);
        if pg_sys::check_enable_rls((*rel).rd_id, pg_sys::InvalidOid, false)
            == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{FUNC}: collatz_sequences has row-level security, which COPY FROM does not support"),
                FUNC,
            )
            .report(PgLogLevel::ERROR);
        }
        let format = pg_sys::makeDefElem(
            pg_sys::pstrdup(c"format".as_ptr()),
            pg_sys::makeString(pg_sys::pstrdup(c"binary".as_ptr())).cast(),
            -1,
        );
        let options = pg_sys::lappend(std::ptr::null_mut(), format.cast());
        let cstate = pg_sys::BeginCopyFrom(
            pstate,
            rel,
            std::ptr::null_mut(),
            std::ptr::null(),
            false,
            Some(read_rows),
            columns,
            options,
        );
        let written = pg_sys::CopyFrom(cstate);
        pg_sys::EndCopyFrom(cstate);
        pg_sys::free_parsestate(pstate);
        pg_sys::table_close(rel, pg_sys::NoLock as i32);
        // What follows in the caller's transaction sees the rows.
        pg_sys::CommandCounterIncrement();
        written
    }
}
