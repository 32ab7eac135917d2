//! The rows of a number range into collatz_sequences the way COPY FROM puts rows into a
//! table (src/backend/commands/copyfrom.c, PostgreSQL 15), fed with the computed values
//! instead of parsed text: the insert privilege of the current user on the columns written
//! (ExecCheckRTPerms), no row-level security, not in a read-only transaction; then in
//! batches of 1000 rows the column defaults (identity, created_at), every CHECK constraint
//! (the exactness check included), table_multi_insert, the indexes, the row triggers'
//! events and the transition table, and the statement triggers (the totals).
//!
//! One thing is done better than COPY: the index on max_value alone takes its entries in
//! key order, a window of rows at a time, after the window's rows are in the heap. Peaks
//! are scattered, so in number order every entry goes to a page of its own; in key order
//! they walk the index once. 10^6 rows into an empty table, COPY into a table with only
//! that index: 1.22 s of index work in number order, 0.91 s sorted in windows of 10^5,
//! 0.40 s sorted whole (CPU of the backend, median of 3). The other indexes take their
//! entries row by row as COPY gives them: in number order the number, id and created_at
//! keys only ever append, and (sequence_length DESC, number) appends at one end of each
//! length's run (sorting it per window gained 4%).
//!
//! insert_sequences (src/sql/sequences.sql) uses it for a range with nothing stored yet; any
//! conflict is a unique_violation, and insert_sequences then redoes the batch with ON CONFLICT.

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
/// The columns written, as insert_rows fills them; id and created_at take their defaults.
const COLUMNS: [&CStr; 4] = [c"number", c"sequence_length", c"steps_to_one", c"max_value"];

/// The load in progress in this backend (one at a time), for its statement trigger.
struct Load {
    /// pg_trigger_depth() of the load's statement: its own AFTER trigger runs one deeper.
    depth: i32,
    /// What the rows add to collatz_length_totals, set once every row is written (the
    /// statement's AFTER triggers run from there on).
    counted: Option<LengthDeltas>,
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
    /// Set and cleared around the load (insert_rows).
    static LOAD: RefCell<Option<Load>> = const { RefCell::new(None) };
}

/// Clears the load when it ends, by return or by ERROR (which reaches here as a panic).
struct LoadGuard;
impl Drop for LoadGuard {
    fn drop(&mut self) {
        LOAD.with_borrow_mut(|l| *l = None);
    }
}

/// Stores the computed rows of [first_number, last_number] in collatz.collatz_sequences as
/// COPY FROM would; returns the rows written. Owner only (collatz_internal): insert_sequences calls it.
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
    // SAFETY: pg_trigger_depth takes no argument and reads a backend global.
    let depth = unsafe { pgrx::direct_function_call::<i32>(pg_sys::pg_trigger_depth, &[]) }
        .expect("pg_trigger_depth() is never NULL");
    let _guard = LoadGuard;
    LOAD.with_borrow_mut(|l| {
        *l = Some(Load {
            depth,
            counted: None,
        })
    });
    // SAFETY: the executor's steps on this backend's thread, as COPY FROM takes them; every
    // call is guarded by pgrx, so an ERROR unwinds through _guard.
    let written = unsafe { insert_rows(rows) };
    // When the statement trigger took the load's count, every row counted was written:
    // anything else would leave the totals wrong, so the statement is undone. (A trigger
    // disabled by the owner takes nothing, and keeps nothing in step, as for any INSERT.)
    let counted = LOAD.with_borrow(|l| {
        l.as_ref()
            .and_then(|l| l.counted.as_ref())
            .filter(|d| d.taken)
            .map_or(written, |d| d.rows)
    });
    if counted != written {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_TRIGGERED_ACTION_EXCEPTION,
            format!("{FUNC}: {written} rows written, {counted} counted in the totals"),
            FUNC,
        )
        .set_hint("Nothing was written."));
    }
    Ok(i64::try_from(written).expect("at most RANGE_LIMIT rows"))
}

/// The rows that copy_sequences wrote by the statement being counted, by length, for its
/// AFTER INSERT trigger (collatz_sequences_totals) to add to the totals without reading
/// them all again from the transition table: 5.6% of the load's time (10^6 rows, perf) was
/// that trigger's two passes over new_rows. Rows only when called at `depth`
/// (pg_trigger_depth()) one below the load's statement, with every row written, once: a
/// statement nested in the load (an owner's trigger's INSERT) gets none and counts its own.
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
    let taken = LOAD.with_borrow_mut(|l| match l {
        Some(Load {
            depth: d,
            counted: Some(c),
        }) if !c.taken && depth == *d + 1 => {
            c.taken = true;
            std::mem::take(&mut c.by_length)
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

/// Rows per table_multi_insert, as COPY's MAX_BUFFERED_TUPLES.
const SLOTS: usize = 1000;
/// Rows whose max_value index entries wait to be put in key order: 2^20 entries of 40 bytes
/// (the peak and the row's place), 40 MiB at most; a procedure batch (collatz.batch_size,
/// 10^5 by default) is one window.
const SORTED_WINDOW: usize = 1 << 20;

/// The index on max_value alone, whose entries wait for their window: a plain btree with
/// numeric's default order, not unique (a unique check must see every earlier entry).
struct SortedIndex {
    relation: pg_sys::Relation,
    info: *mut pg_sys::IndexInfo,
    descending: bool,
    waiting: Vec<(Value, pg_sys::ItemPointerData)>,
}

impl SortedIndex {
    /// Takes the index of `rri` that qualifies out of its list (the last place, one fewer
    /// counted), so that ExecInsertIndexTuples does the rest; the caller counts it again
    /// before the indexes are closed.
    unsafe fn take(rri: *mut pg_sys::ResultRelInfo, max_value: i16) -> Option<SortedIndex> {
        unsafe {
            let n = (*rri).ri_NumIndices as usize;
            if n == 0 {
                return None;
            }
            let relations = std::slice::from_raw_parts_mut((*rri).ri_IndexRelationDescs, n);
            let infos = std::slice::from_raw_parts_mut((*rri).ri_IndexRelationInfo, n);
            let numeric_family = pg_sys::get_opclass_family(pg_sys::GetDefaultOpClass(
                pg_sys::NUMERICOID,
                pg_sys::BTREE_AM_OID,
            ));
            let found = (0..n).find(|&i| {
                let (rel, info) = (relations[i], infos[i]);
                (*(*rel).rd_rel).relam == pg_sys::BTREE_AM_OID
                    // Not while CREATE INDEX CONCURRENTLY builds it: ExecInsertIndexTuples
                    // leaves such an index alone until it is ready.
                    && (*info).ii_ReadyForInserts
                    && !(*info).ii_Unique
                    && (*info).ii_ExclusionOps.is_null()
                    && (*info).ii_Expressions.is_null()
                    && (*info).ii_Predicate.is_null()
                    && (*info).ii_NumIndexKeyAttrs == 1
                    && (*info).ii_NumIndexAttrs == 1
                    && (*info).ii_IndexAttrNumbers[0] == max_value
                    && *(*rel).rd_opfamily == numeric_family
            })?;
            relations.swap(found, n - 1);
            infos.swap(found, n - 1);
            (*rri).ri_NumIndices -= 1;
            let relation = relations[n - 1];
            Some(SortedIndex {
                relation,
                info: infos[n - 1],
                descending: (*(*relation).rd_indoption as u32) & pg_sys::INDOPTION_DESC != 0,
                waiting: Vec::new(),
            })
        }
    }

    /// Puts the waiting entries into the index in its order (equal keys in row order, as
    /// the btree orders them by heap place).
    unsafe fn flush(&mut self, heap: pg_sys::Relation, per_row: pg_sys::MemoryContext) {
        if self.descending {
            self.waiting.sort_by(|a, b| b.0.cmp(&a.0));
        } else {
            self.waiting.sort_by(|a, b| a.0.cmp(&b.0));
        }
        for (peak, mut place) in self.waiting.drain(..) {
            unsafe {
                pg_sys::MemoryContextReset(per_row);
                let old = pg_sys::MemoryContextSwitchTo(per_row);
                let mut value = crate::numeric::datum(&peak);
                let mut isnull = false;
                pg_sys::index_insert(
                    self.relation,
                    &mut value,
                    &mut isnull,
                    &mut place,
                    heap,
                    pg_sys::IndexUniqueCheck::UNIQUE_CHECK_NO,
                    false,
                    self.info,
                );
                pg_sys::MemoryContextSwitchTo(old);
            }
        }
    }
}

/// The default of a column the load does not write (id's identity, created_at's now()),
/// ready to evaluate as COPY evaluates them.
struct ColumnDefault {
    index: usize,
    expr: *mut pg_sys::Node,
    state: *mut pg_sys::ExprState,
}

/// COPY FROM's steps (DoCopy's checks, then CopyFrom's for a plain table) for the rows of
/// `rows`; returns the rows written.
unsafe fn insert_rows(mut rows: Trajectories) -> u64 {
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
        let mut attnums = [0i16; 4];
        for (name, attnum) in COLUMNS.iter().zip(attnums.iter_mut()) {
            *attnum = pg_sys::attnameAttNum(rel, name.as_ptr(), false) as i16;
            (*rte).insertedCols = pg_sys::bms_add_member(
                (*rte).insertedCols,
                i32::from(*attnum) - pg_sys::FirstLowInvalidHeapAttributeNumber,
            );
        }
        pg_sys::ExecCheckRTPerms((*pstate).p_rtable, true);
        // The Datums below are built for these types: a column altered by the owner is refused.
        let attrs = (*(*rel).rd_att)
            .attrs
            .as_slice((*(*rel).rd_att).natts as usize);
        for (name, attnum) in COLUMNS.iter().zip(attnums) {
            let want = if attnum == attnums[3] {
                pg_sys::NUMERICOID
            } else {
                pg_sys::INT8OID
            };
            if attnum < 1 || attrs[attnum as usize - 1].atttypid != want {
                ErrorReport::new(
                    PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                    format!(
                        "{FUNC}: collatz_sequences.{} is not of the type the extension made",
                        name.to_string_lossy()
                    ),
                    FUNC,
                )
                .report(PgLogLevel::ERROR);
            }
        }
        if pg_sys::check_enable_rls((*rel).rd_id, pg_sys::InvalidOid, false)
            == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{FUNC}: collatz_sequences has row-level security, which the loader does not apply"),
                FUNC,
            )
            .report(PgLogLevel::ERROR);
        }
        let trigdesc = (*rel).trigdesc;
        if !trigdesc.is_null() && (*trigdesc).trig_insert_before_row {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{FUNC}: collatz_sequences has a BEFORE INSERT row trigger, which the loader does not fire"),
                FUNC,
            )
            .set_hint("Drop the trigger: the extension's tables take no triggers of their own.")
            .report(PgLogLevel::ERROR);
        }
        let constr = (*(*rel).rd_att).constr;
        if !constr.is_null() && (*constr).has_generated_stored {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{FUNC}: collatz_sequences has a generated column, which the loader does not compute"),
                FUNC,
            )
            .report(PgLogLevel::ERROR);
        }

        let estate = pg_sys::CreateExecutorState();
        pg_sys::ExecInitRangeTable(estate, (*pstate).p_rtable);
        let rri = pg_sys::palloc0(std::mem::size_of::<pg_sys::ResultRelInfo>())
            .cast::<pg_sys::ResultRelInfo>();
        (*rri).type_ = pg_sys::NodeTag::T_ResultRelInfo;
        pg_sys::ExecInitResultRelation(estate, rri, 1);
        pg_sys::CheckValidResultRel(rri, pg_sys::CmdType::CMD_INSERT);
        pg_sys::ExecOpenIndices(rri, false);
        let target = (*rri).ri_RelationDesc;

        pg_sys::AfterTriggerBeginQuery();
        let capture = pg_sys::MakeTransitionCaptureState(
            (*target).trigdesc,
            (*target).rd_id,
            pg_sys::CmdType::CMD_INSERT,
        );
        pg_sys::ExecBSInsertTriggers(estate, rri);

        let tupdesc = (*target).rd_att;
        let natts = (*tupdesc).natts as usize;
        let defaults: Vec<ColumnDefault> = (*tupdesc)
            .attrs
            .as_slice(natts)
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.attisdropped && !attnums.contains(&a.attnum))
            .filter_map(|(index, a)| {
                let expr = pg_sys::build_column_default(target, i32::from(a.attnum));
                (!expr.is_null()).then(|| {
                    let expr = pg_sys::expression_planner(expr.cast());
                    ColumnDefault {
                        index,
                        expr: expr.cast(),
                        state: pg_sys::ExecInitExpr(expr, std::ptr::null_mut()),
                    }
                })
            })
            .collect();
        let columns = attnums.map(|a| a as usize - 1);
        // As COPY: a volatile default (other than the identity's nextval) may look at the
        // table, so each row goes in whole, indexes included, before the next is made.
        let one_at_a_time = defaults
            .iter()
            .any(|d| pg_sys::contain_volatile_functions_not_nextval(d.expr));
        let mut sorted = if one_at_a_time {
            None
        } else {
            SortedIndex::take(rri, attnums[3])
        };
        let restore = sorted.is_some();
        let batch = if one_at_a_time { 1 } else { SLOTS };
        let partition = (*(*target).rd_rel).relispartition;

        let econtext = pg_sys::MakePerTupleExprContext(estate);
        let per_row = (*econtext).ecxt_per_tuple_memory;
        let slots: Vec<*mut pg_sys::TupleTableSlot> = (0..SLOTS)
            .map(|_| pg_sys::table_slot_create(target, &mut (*estate).es_tupleTable))
            .collect();
        let bistate = pg_sys::GetBulkInsertState();
        let cid = pg_sys::GetCurrentCommandId(true);
        let mut written = 0u64;
        let mut deltas = LengthDeltas::default();
        let mut peaks: Vec<Value> = Vec::with_capacity(SLOTS);
        loop {
            // As CopyFrom does per row; a batch of rows is about 4 ms.
            pgrx::check_for_interrupts!();
            let mut filled = 0;
            peaks.clear();
            while filled < batch {
                let Some((n, t)) = rows.next() else { break };
                let slot = slots[filled];
                pg_sys::MemoryContextReset(per_row);
                let old = pg_sys::MemoryContextSwitchTo(per_row);
                pg_sys::ExecClearTuple(slot);
                let values = std::slice::from_raw_parts_mut((*slot).tts_values, natts);
                let nulls = std::slice::from_raw_parts_mut((*slot).tts_isnull, natts);
                nulls.fill(true);
                let number = crate::arguments::bigint_number(&n);
                for (column, v) in
                    columns[..3]
                        .iter()
                        .zip([number, bigint(t.length()), bigint(t.steps)])
                {
                    values[*column] = pg_sys::Datum::from(v);
                    nulls[*column] = false;
                }
                values[columns[3]] = crate::numeric::datum(&t.peak);
                nulls[columns[3]] = false;
                for d in &defaults {
                    values[d.index] = pg_sys::ExecEvalExpr(d.state, econtext, &mut nulls[d.index]);
                }
                pg_sys::ExecStoreVirtualTuple(slot);
                (*slot).tts_tableOid = (*target).rd_id;
                if !constr.is_null() {
                    pg_sys::ExecConstraints(rri, slot, estate);
                }
                if partition {
                    pg_sys::ExecPartitionCheck(rri, slot, estate, true);
                }
                // Off the per-row memory: the slot waits for the batch.
                pg_sys::ExecMaterializeSlot(slot);
                pg_sys::MemoryContextSwitchTo(old);
                deltas.add(number as u64, &t);
                if sorted.is_some() {
                    peaks.push(t.peak);
                }
                filled += 1;
            }
            if filled == 0 {
                break;
            }
            // In the per-row memory, as CopyMultiInsertBufferFlush: the heap AM allocates
            // for each batch and frees nothing.
            pg_sys::MemoryContextReset(per_row);
            let old = pg_sys::MemoryContextSwitchTo(per_row);
            pg_sys::table_multi_insert(
                target,
                slots.as_ptr().cast_mut(),
                filled as i32,
                cid,
                0,
                bistate,
            );
            pg_sys::MemoryContextSwitchTo(old);
            let mut peaks = peaks.drain(..);
            for &slot in &slots[..filled] {
                pg_sys::MemoryContextReset(per_row);
                let old = pg_sys::MemoryContextSwitchTo(per_row);
                let recheck = if (*rri).ri_NumIndices > 0 {
                    pg_sys::ExecInsertIndexTuples(
                        rri,
                        slot,
                        estate,
                        false,
                        false,
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    )
                } else {
                    std::ptr::null_mut()
                };
                pg_sys::ExecARInsertTriggers(estate, rri, slot, recheck, capture);
                pg_sys::MemoryContextSwitchTo(old);
                if let Some(s) = sorted.as_mut() {
                    s.waiting
                        .push((peaks.next().expect("a peak per row"), (*slot).tts_tid));
                }
                pg_sys::ExecClearTuple(slot);
            }
            written += filled as u64;
            if let Some(s) = sorted.as_mut().filter(|s| s.waiting.len() >= SORTED_WINDOW) {
                s.flush(target, per_row);
            }
        }
        if let Some(s) = sorted.as_mut() {
            s.flush(target, per_row);
        }
        if restore {
            // The index taken out of the list goes back, for ExecCloseIndices.
            (*rri).ri_NumIndices += 1;
        }
        LOAD.with_borrow_mut(move |l| {
            if let Some(l) = l {
                l.counted = Some(deltas);
            }
        });
        pg_sys::ExecASInsertTriggers(estate, rri, capture);
        pg_sys::AfterTriggerEndQuery(estate);
        pg_sys::FreeBulkInsertState(bistate);
        pg_sys::table_finish_bulk_insert(target, 0);
        pg_sys::ExecResetTupleTable((*estate).es_tupleTable, false);
        pg_sys::ExecCloseResultRelations(estate);
        pg_sys::ExecCloseRangeTableRelations(estate);
        pg_sys::FreeExecutorState(estate);
        pg_sys::free_parsestate(pstate);
        pg_sys::table_close(rel, pg_sys::NoLock as i32);
        // What follows in the caller's transaction sees the rows.
        pg_sys::CommandCounterIncrement();
        written
    }
}
