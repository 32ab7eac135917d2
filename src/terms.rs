//! `collatz.sequence_steps_computed`, a foreign table whose foreign data wrapper is this
//! module (src/sql/terms.sql): a scan node that reads `collatz_sequences` and puts the terms
//! of each sequence straight into its tuple slot.
//!
//! As a view (generate_series LATERAL over collatz_sequences, two C functions in the target
//! list), a full scan of 2.89 M terms took 1.03-1.14x the time of a warm sequential scan of
//! the same rows stored, and 80% of that was PostgreSQL's join, function scan (a tuplestore
//! of step numbers) and aggregate; this scan has none of them (README, Benchmarks).
//!
//! Planning (postgres_fdw's shape): `sequence_id = x`, `sequence_id IN (...)` and bounds on
//! `step_number` (=, <, <=, >, >= with any integer type) against a value fixed for the scan
//! (a constant, a parameter, an expression without volatile functions) are applied by the
//! scan itself, so no term outside them is built; a join clause on `sequence_id` gives a
//! parameterized path, which a nested loop feeds with the outer row's id. Estimates: the rows of collatz_sequences times
//! their mean length (from ANALYZE's statistics of `sequence_length`), narrowed by the bounds.
//!
//! Execution: collatz_sequences is read with the query's snapshot, by its primary key when
//! `sequence_id` is pinned, sequentially otherwise, and with the rights of the role the
//! query runs as (checked here: the executor checks only the foreign table's own grants).
//! Terms are walked in u64 and, past it, in the engine's big integers; a numeric is built
//! only for a term inside the bounds, and only when the query reads `value`.

use crate::numeric;
use collatz_engine::{sequence, Operation, Sequence, Value};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::pg_sys::{self, Datum, List, Node, Oid};
use pgrx::prelude::*;
use pgrx::{is_a, PgLogLevel, PgMemoryContexts, PgSqlErrorCode};
use std::cell::UnsafeCell;
use std::ffi::CStr;

/// The foreign table's columns (attribute numbers) and their types.
const SEQUENCE_ID: i16 = 1;
const STEP_NUMBER: i16 = 2;
const VALUE: i16 = 3;
const OPERATION_TYPE: i16 = 4;
const COLUMN_TYPES: [Oid; 4] = [
    pg_sys::INT8OID,
    pg_sys::INT4OID,
    pg_sys::NUMERICOID,
    pg_sys::TEXTOID,
];
/// The columns of collatz_sequences the scan reads, and their type (all bigint).
const SEQUENCE_COLUMNS: [&CStr; 3] = [c"id", c"number", c"steps_to_one"];
/// A sequence's length when ANALYZE has not measured them (the mean below 10^7 is 156).
const DEFAULT_MEAN_LENGTH: f64 = 150.0;

/// A qual the scan applies itself, against a value fixed for the scan.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cond {
    SequenceId,
    /// `sequence_id = ANY (array)`, as `IN (1, 2, 3)` is planned.
    SequenceIdIn,
    StepEq,
    StepLt,
    StepLe,
    StepGt,
    StepGe,
}

impl Cond {
    const ALL: [Cond; 7] = [
        Cond::SequenceId,
        Cond::SequenceIdIn,
        Cond::StepEq,
        Cond::StepLt,
        Cond::StepLe,
        Cond::StepGt,
        Cond::StepGe,
    ];
    fn code(self) -> i32 {
        Cond::ALL.iter().position(|&c| c == self).unwrap() as i32
    }
    fn from_code(code: i32) -> Cond {
        Cond::ALL[code as usize]
    }
    fn pins_sequence(self) -> bool {
        matches!(self, Cond::SequenceId | Cond::SequenceIdIn)
    }
}

// ---- lists and values ------------------------------------------------------------------

/// The cells of a List (NIL is empty).
///
/// # Safety
/// `list` is NIL or a valid List that outlives the slice.
unsafe fn cells<'a>(list: *mut List) -> &'a [pg_sys::ListCell] {
    if list.is_null() {
        &[]
    } else {
        // SAFETY: a List's first `length` elements are initialized.
        unsafe { std::slice::from_raw_parts((*list).elements, (*list).length as usize) }
    }
}

/// The pointers of a List of nodes.
///
/// # Safety
/// As for `cells`, a List of pointers.
unsafe fn nodes<'a, T>(list: *mut List) -> impl Iterator<Item = *mut T> + 'a {
    // SAFETY: the caller's promise.
    unsafe { cells(list) }
        .iter()
        .map(|c| unsafe { c.ptr_value }.cast())
}

/// An int2, int4 or int8 Datum as i64 (the right-hand types of the integer B-tree family).
fn integer(d: Datum, type_oid: Oid) -> i64 {
    match type_oid {
        pg_sys::INT2OID => d.value() as i16 as i64,
        pg_sys::INT4OID => d.value() as i32 as i64,
        _ => d.value() as i64,
    }
}

fn error(code: PgSqlErrorCode, message: String, hint: &str) -> ! {
    ErrorReport::new(code, message, "sequence_steps_computed")
        .set_hint(hint)
        .report(PgLogLevel::ERROR);
    unreachable!("a report at level ERROR does not return")
}

// ---- the relations ---------------------------------------------------------------------

/// collatz_sequences: the table of that name in the foreign table's own schema (no
/// search_path is involved; only the owner can create a relation there).
///
/// # Safety
/// On the backend thread.
unsafe fn sequences_relation(foreign_table: Oid) -> Oid {
    // SAFETY: catalog lookups by OID and name.
    let oid = unsafe {
        pg_sys::get_relname_relid(
            c"collatz_sequences".as_ptr(),
            pg_sys::get_rel_namespace(foreign_table),
        )
    };
    if oid == pg_sys::InvalidOid {
        error(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            "sequence_steps_computed: no collatz_sequences beside it".into(),
            "The foreign table reads collatz_sequences of its own schema.",
        );
    }
    oid
}

/// Refuses a foreign table of this wrapper without exactly sequence_steps_computed's four
/// columns (only the owner can make one; the scan writes these types into its slot).
///
/// # Safety
/// `desc` is a valid tuple descriptor.
unsafe fn check_columns(desc: pg_sys::TupleDesc) {
    // SAFETY: `natts` attributes follow the descriptor.
    let ok = unsafe {
        (*desc).natts == 4
            && (0..4).all(|i| {
                let a = (*desc).attrs.as_slice(4)[i];
                !a.attisdropped && a.atttypid == COLUMN_TYPES[i]
            })
    };
    if !ok {
        error(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            "a foreign table of collatz_ext_computed must have the columns (sequence_id bigint, step_number integer, value numeric, operation_type text)".into(),
            "Use collatz.sequence_steps_computed.",
        );
    }
}

/// Refuses a role that may not read what the scan reads: collatz_sequences' id, number and
/// steps_to_one (the table, or each of the columns). Row level security is not applied by
/// the direct table access, so a table that has it enabled for the role is refused too.
///
/// # Safety
/// On the backend thread.
unsafe fn check_privileges(sequences: Oid, role: Oid) {
    // SAFETY: catalog lookups by OID.
    unsafe {
        let table = pg_sys::pg_class_aclcheck(sequences, role, pg_sys::ACL_SELECT as _)
            == pg_sys::AclResult::ACLCHECK_OK;
        let columns = || {
            SEQUENCE_COLUMNS.iter().all(|name| {
                let attnum = pg_sys::get_attnum(sequences, name.as_ptr());
                pg_sys::pg_attribute_aclcheck(sequences, attnum, role, pg_sys::ACL_SELECT as _)
                    == pg_sys::AclResult::ACLCHECK_OK
            })
        };
        if !table && !columns() {
            error(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                "permission denied for table collatz_sequences".into(),
                "sequence_steps_computed reads collatz_sequences with the rights of the role that runs the query: grant it a collatz_ext level (collatz_grant).",
            );
        }
        if pg_sys::check_enable_rls(sequences, role, false)
            == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32
        {
            error(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                "sequence_steps_computed does not apply the row level security of collatz_sequences".into(),
                "Disable row level security on collatz_sequences, or read sequence_steps.",
            );
        }
    }
}

// ---- planning --------------------------------------------------------------------------

/// What the planner knows of collatz_sequences, kept in the RelOptInfo's fdw_private from
/// GetForeignRelSize to GetForeignPaths (palloc'd in the planner's memory).
#[derive(Clone, Copy)]
#[repr(C)]
struct Estimate {
    sequences: f64,
    pages: f64,
    mean_length: f64,
}

/// The column of ours a node is (a Var of this relation at this query level).
///
/// # Safety
/// `node` is a valid expression node.
unsafe fn column_of(node: *mut Node, relid: u32) -> Option<i16> {
    // SAFETY: checked to be a Var first.
    unsafe {
        if !is_a(node, pg_sys::NodeTag::T_Var) {
            return None;
        }
        let var = node.cast::<pg_sys::Var>();
        ((*var).varno as u32 == relid
            && (*var).varlevelsup == 0
            && matches!((*var).varattno, SEQUENCE_ID | STEP_NUMBER))
        .then_some((*var).varattno)
    }
}

/// A clause as a condition the scan applies, with the expression it compares against: an
/// operator of the integer B-tree family (int2, int4, int8 in any mix) between sequence_id
/// (equality only) or step_number and an expression that reads nothing of this relation and
/// is fixed for the scan (no volatile function, no subplan): the scan evaluates it once per
/// (re)scan, a nested loop once per outer row.
///
/// # Safety
/// In the planner, `clause` a valid expression.
unsafe fn classify(
    root: *mut pg_sys::PlannerInfo,
    relid: u32,
    clause: *mut pg_sys::Expr,
) -> Option<(Cond, *mut pg_sys::Expr)> {
    // SAFETY: node types are checked before each cast; catalog lookups by OID.
    unsafe {
        if is_a(clause.cast(), pg_sys::NodeTag::T_ScalarArrayOpExpr) {
            let op = clause.cast::<pg_sys::ScalarArrayOpExpr>();
            let args: Vec<*mut Node> = nodes((*op).args).collect();
            if !(*op).useOr || args.len() != 2 || column_of(args[0], relid) != Some(SEQUENCE_ID) {
                return None;
            }
            let element = pg_sys::get_element_type(pg_sys::exprType(args[1]));
            return (comparison(root, relid, (*op).opno, SEQUENCE_ID, args[1], element)
                == Some(pg_sys::BTEqualStrategyNumber))
            .then_some((Cond::SequenceIdIn, args[1].cast()));
        }
        if !is_a(clause.cast(), pg_sys::NodeTag::T_OpExpr) {
            return None;
        }
        let op = clause.cast::<pg_sys::OpExpr>();
        let args: Vec<*mut Node> = nodes((*op).args).collect();
        if args.len() != 2 {
            return None;
        }
        let (column, other, opno) = if let Some(c) = column_of(args[0], relid) {
            (c, args[1], (*op).opno)
        } else if let Some(c) = column_of(args[1], relid) {
            (c, args[0], pg_sys::get_commutator((*op).opno))
        } else {
            return None;
        };
        let cond = match (
            column,
            comparison(root, relid, opno, column, other, pg_sys::exprType(other))?,
        ) {
            (SEQUENCE_ID, pg_sys::BTEqualStrategyNumber) => Cond::SequenceId,
            (SEQUENCE_ID, _) => return None,
            (_, pg_sys::BTLessStrategyNumber) => Cond::StepLt,
            (_, pg_sys::BTLessEqualStrategyNumber) => Cond::StepLe,
            (_, pg_sys::BTEqualStrategyNumber) => Cond::StepEq,
            (_, pg_sys::BTGreaterEqualStrategyNumber) => Cond::StepGe,
            (_, pg_sys::BTGreaterStrategyNumber) => Cond::StepGt,
            _ => return None,
        };
        Some((cond, other.cast()))
    }
}

/// The B-tree strategy of `column opno other`, when the operator is of the integer B-tree
/// family for the column's type and `other_type`, and `other` is fixed for the scan.
///
/// # Safety
/// In the planner, `other` a valid expression.
unsafe fn comparison(
    root: *mut pg_sys::PlannerInfo,
    relid: u32,
    opno: Oid,
    column: i16,
    other: *mut Node,
    other_type: Oid,
) -> Option<u32> {
    let family = pg_sys::INTEGER_BTREE_FAM_OID;
    // SAFETY: catalog lookups by OID; walks of a valid expression.
    unsafe {
        if opno == pg_sys::InvalidOid || !pg_sys::op_in_opfamily(opno, family) {
            return None;
        }
        let (mut strategy, mut left, mut right) = (0, pg_sys::InvalidOid, pg_sys::InvalidOid);
        pg_sys::get_op_opfamily_properties(
            opno,
            family,
            false,
            &mut strategy,
            &mut left,
            &mut right,
        );
        (left == COLUMN_TYPES[column as usize - 1]
            && right == other_type
            && !pg_sys::bms_is_member(relid as i32, pg_sys::pull_varnos(root, other))
            && !pg_sys::contain_volatile_functions(other)
            && !pg_sys::contain_subplans(other))
        .then_some(strategy as u32)
    }
}

/// The clauses of a list of RestrictInfos the scan applies, and the others (local quals).
///
/// # Safety
/// In the planner, a list of RestrictInfos.
unsafe fn split(
    root: *mut pg_sys::PlannerInfo,
    relid: u32,
    rinfos: *mut List,
) -> (Vec<(Cond, *mut pg_sys::Expr)>, *mut List) {
    let mut pushed = Vec::new();
    let mut local = std::ptr::null_mut();
    // SAFETY: the caller's promise.
    unsafe {
        for rinfo in nodes::<pg_sys::RestrictInfo>(rinfos) {
            if (*rinfo).pseudoconstant {
                continue;
            }
            match classify(root, relid, (*rinfo).clause) {
                Some(c) => pushed.push(c),
                None => local = pg_sys::lappend(local, rinfo.cast()),
            }
        }
    }
    (pushed, local)
}

/// The value of a constant expression, if it is one (NULL: none).
///
/// # Safety
/// `expr` is a valid expression.
unsafe fn constant(expr: *mut pg_sys::Expr) -> Option<i64> {
    // SAFETY: checked to be a Const first.
    unsafe {
        if !is_a(expr.cast(), pg_sys::NodeTag::T_Const)
            || (*expr.cast::<pg_sys::Const>()).constisnull
        {
            return None;
        }
        let c = expr.cast::<pg_sys::Const>();
        Some(integer((*c).constvalue, (*c).consttype))
    }
}

/// Rows the scan returns under these conditions, before local quals: sequences (one when
/// sequence_id is pinned) times the steps of a sequence of mean length inside the bounds
/// (constant bounds exactly; others as PostgreSQL's defaults: 1/3 for a range, one row
/// for an equality).
///
/// # Safety
/// The expressions are valid.
unsafe fn rows(est: &Estimate, conds: &[(Cond, *mut pg_sys::Expr)]) -> f64 {
    // SAFETY: the caller's promise.
    let sequences = unsafe { probes(conds) }
        .unwrap_or(est.sequences)
        .min(est.sequences.max(1.0));
    let length = est.mean_length;
    let (mut lo, mut hi, mut fraction) = (0.0f64, length - 1.0, 1.0);
    for &(cond, expr) in conds {
        // SAFETY: the caller's promise.
        match (cond, unsafe { constant(expr) }.map(|v| v as f64)) {
            (Cond::SequenceId | Cond::SequenceIdIn, _) => {}
            (Cond::StepEq, Some(v)) => (lo, hi) = (lo.max(v), hi.min(v)),
            (Cond::StepLt, Some(v)) => hi = hi.min(v - 1.0),
            (Cond::StepLe, Some(v)) => hi = hi.min(v),
            (Cond::StepGt, Some(v)) => lo = lo.max(v + 1.0),
            (Cond::StepGe, Some(v)) => lo = lo.max(v),
            (Cond::StepEq, None) => fraction /= length.max(1.0),
            (_, None) => fraction *= pg_sys::DEFAULT_INEQ_SEL,
        }
    }
    sequences * (hi - lo + 1.0).max(0.0) * fraction
}

/// How many sequences the conditions pin (primary key probes), if they pin any: one for an
/// equality, the elements of a constant array (10 for another array).
///
/// # Safety
/// The expressions are valid.
unsafe fn probes(conds: &[(Cond, *mut pg_sys::Expr)]) -> Option<f64> {
    // SAFETY: checked to be a Const before its array is read.
    unsafe {
        conds
            .iter()
            .filter_map(|&(cond, expr)| match cond {
                Cond::SequenceId => Some(1.0),
                Cond::SequenceIdIn if is_a(expr.cast(), pg_sys::NodeTag::T_Const) => {
                    let c = expr.cast::<pg_sys::Const>();
                    Some(if (*c).constisnull {
                        0.0
                    } else {
                        let array = pg_sys::pg_detoast_datum((*c).constvalue.cast_mut_ptr())
                            .cast::<pg_sys::ArrayType>();
                        // ARR_DIMS: the dimensions follow the header.
                        let dims = array
                            .cast::<u8>()
                            .add(std::mem::size_of::<pg_sys::ArrayType>())
                            .cast::<i32>();
                        pg_sys::ArrayGetNItems((*array).ndim, dims) as f64
                    })
                }
                Cond::SequenceIdIn => Some(10.0),
                _ => None,
            })
            .reduce(f64::min)
    }
}

/// The mean of collatz_sequences.sequence_length from ANALYZE's statistics (the most common
/// values with their frequencies, the histogram's buckets for the rest), if it has them and
/// the role may read the table (the statistics are the table's data).
///
/// # Safety
/// In the planner.
unsafe fn mean_length(sequences: Oid) -> Option<f64> {
    // SAFETY: a syscache tuple released before return; slots freed after use.
    unsafe {
        if pg_sys::pg_class_aclcheck(sequences, pg_sys::GetUserId(), pg_sys::ACL_SELECT as _)
            != pg_sys::AclResult::ACLCHECK_OK
        {
            return None;
        }
        let attnum = pg_sys::get_attnum(sequences, c"sequence_length".as_ptr());
        let stats = pg_sys::SearchSysCache3(
            pg_sys::SysCacheIdentifier::STATRELATTINH as _,
            Datum::from(sequences),
            Datum::from(attnum),
            Datum::from(false),
        );
        if stats.is_null() {
            return None;
        }
        let (mut sum, mut weight) = (0.0, 0.0);
        let mut slot = pg_sys::AttStatsSlot::default();
        let flags = (pg_sys::ATTSTATSSLOT_VALUES | pg_sys::ATTSTATSSLOT_NUMBERS) as i32;
        if pg_sys::get_attstatsslot(
            &mut slot,
            stats,
            pg_sys::STATISTIC_KIND_MCV as i32,
            pg_sys::InvalidOid,
            flags,
        ) {
            let values = std::slice::from_raw_parts(slot.values, slot.nvalues as usize);
            let freqs = std::slice::from_raw_parts(slot.numbers, slot.nnumbers as usize);
            for (v, f) in values.iter().zip(freqs) {
                sum += v.value() as i64 as f64 * *f as f64;
                weight += *f as f64;
            }
            pg_sys::free_attstatsslot(&mut slot);
        }
        let flags = pg_sys::ATTSTATSSLOT_VALUES as i32;
        if pg_sys::get_attstatsslot(
            &mut slot,
            stats,
            pg_sys::STATISTIC_KIND_HISTOGRAM as i32,
            pg_sys::InvalidOid,
            flags,
        ) {
            let bounds: Vec<f64> = std::slice::from_raw_parts(slot.values, slot.nvalues as usize)
                .iter()
                .map(|v| v.value() as i64 as f64)
                .collect();
            if bounds.len() >= 2 {
                // Each bucket holds as many rows; its mean is about its midpoint.
                let buckets = bounds.windows(2).map(|b| (b[0] + b[1]) / 2.0).sum::<f64>()
                    / (bounds.len() - 1) as f64;
                let rest = (1.0 - weight).max(0.0);
                sum += buckets * rest;
                weight += rest;
            }
            pg_sys::free_attstatsslot(&mut slot);
        }
        pg_sys::ReleaseSysCache(stats);
        (weight > 0.0).then(|| sum / weight)
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn get_foreign_rel_size(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    foreign_table: Oid,
) {
    // SAFETY: called by the planner with its own structures; relations opened and closed here.
    unsafe {
        let table = pg_sys::table_open(foreign_table, pg_sys::NoLock as _);
        check_columns((*table).rd_att);
        pg_sys::table_close(table, pg_sys::NoLock as _);

        let sequences = sequences_relation(foreign_table);
        let rel = pg_sys::table_open(sequences, pg_sys::AccessShareLock as _);
        let (mut pages, mut tuples, mut allvisfrac) = (0, 0.0, 0.0);
        pg_sys::estimate_rel_size(
            rel,
            std::ptr::null_mut(),
            &mut pages,
            &mut tuples,
            &mut allvisfrac,
        );
        pg_sys::table_close(rel, pg_sys::NoLock as _);
        let est = pg_sys::palloc(std::mem::size_of::<Estimate>()).cast::<Estimate>();
        est.write(Estimate {
            sequences: tuples.max(0.0),
            pages: pages as f64,
            mean_length: mean_length(sequences)
                .unwrap_or(DEFAULT_MEAN_LENGTH)
                .max(1.0),
        });
        (*baserel).fdw_private = est.cast();
        (*baserel).tuples = (*est).sequences * (*est).mean_length;

        let (pushed, local) = split(root, (*baserel).relid, (*baserel).baserestrictinfo);
        let selectivity = pg_sys::clauselist_selectivity(
            root,
            local,
            (*baserel).relid as i32,
            pg_sys::JoinType::JOIN_INNER,
            std::ptr::null_mut(),
        );
        (*baserel).rows = pg_sys::clamp_row_est(rows(&*est, &pushed) * selectivity);
    }
}

/// (startup, total) cost of a scan returning `rows` rows before its local quals: reading
/// collatz_sequences (one primary key probe when sequence_id is pinned), then per row the
/// tuple, its numeric and the local quals.
///
/// # Safety
/// In the planner.
unsafe fn cost(
    root: *mut pg_sys::PlannerInfo,
    est: &Estimate,
    probes: Option<f64>,
    rows: f64,
    local: *mut List,
) -> (f64, f64) {
    // SAFETY: the planner's cost settings; cost_qual_eval on the planner's list.
    unsafe {
        let mut qual = pg_sys::QualCost::default();
        pg_sys::cost_qual_eval(&mut qual, local, root);
        let read = match probes {
            Some(n) => {
                n * (pg_sys::random_page_cost
                    + pg_sys::cpu_index_tuple_cost
                    + pg_sys::cpu_tuple_cost)
            }
            None => pg_sys::seq_page_cost * est.pages + pg_sys::cpu_tuple_cost * est.sequences,
        };
        let per_row = pg_sys::cpu_tuple_cost + pg_sys::cpu_operator_cost + qual.per_tuple;
        (qual.startup, qual.startup + read + rows * per_row)
    }
}

/// generate_implied_equalities_for_column's test: the member is our sequence_id.
#[pg_guard]
unsafe extern "C-unwind" fn is_sequence_id(
    _root: *mut pg_sys::PlannerInfo,
    rel: *mut pg_sys::RelOptInfo,
    _ec: *mut pg_sys::EquivalenceClass,
    em: *mut pg_sys::EquivalenceMember,
    _arg: *mut std::ffi::c_void,
) -> bool {
    // SAFETY: the planner's structures.
    unsafe { column_of((*em).em_expr.cast(), (*rel).relid) == Some(SEQUENCE_ID) }
}

#[pg_guard]
unsafe extern "C-unwind" fn get_foreign_paths(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    _foreign_table: Oid,
) {
    // SAFETY: called by the planner after get_foreign_rel_size, which set fdw_private.
    unsafe {
        let est = *(*baserel).fdw_private.cast::<Estimate>();
        let relid = (*baserel).relid;
        let (base, local) = split(root, relid, (*baserel).baserestrictinfo);
        let selectivity = pg_sys::clauselist_selectivity(
            root,
            local,
            relid as i32,
            pg_sys::JoinType::JOIN_INNER,
            std::ptr::null_mut(),
        );
        let add = |conds: &[(Cond, *mut pg_sys::Expr)], outer: pg_sys::Relids| {
            let before_quals = rows(&est, conds);
            let (startup, total) = cost(root, &est, probes(conds), before_quals, local);
            let path = pg_sys::create_foreignscan_path(
                root,
                baserel,
                std::ptr::null_mut(),
                pg_sys::clamp_row_est(before_quals * selectivity),
                startup,
                total,
                std::ptr::null_mut(),
                outer,
                std::ptr::null_mut(),
                // PostgreSQL 17's fdw_restrictinfo: only for joins and upper relations.
                #[cfg(feature = "pg17")]
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            pg_sys::add_path(baserel, path.cast());
        };
        // The relations a LATERAL reference in the query needs (as postgres_fdw): without
        // them the planner evaluates an outer column at this scan, from this scan's slot.
        add(&base, (*baserel).lateral_relids);

        // Parameterized paths, as postgres_fdw offers them: for each set of other relations
        // a join clause on our columns needs (sequence_id = s.id is an equivalence class,
        // other comparisons are join clauses), the path that takes their values as
        // parameters; the planner gathers every movable join clause for it.
        let mut outers: Vec<pg_sys::Relids> = Vec::new();
        let mut consider = |rinfo: *mut pg_sys::RestrictInfo| {
            if !pg_sys::join_clause_is_movable_to(rinfo, baserel) {
                return;
            }
            let outer = pg_sys::bms_del_member(
                pg_sys::bms_union((*rinfo).clause_relids, (*baserel).lateral_relids),
                relid as i32,
            );
            if !pg_sys::bms_is_empty(outer) && !outers.iter().any(|&o| pg_sys::bms_equal(o, outer))
            {
                outers.push(outer);
            }
        };
        for rinfo in nodes::<pg_sys::RestrictInfo>((*baserel).joininfo) {
            if classify(root, relid, (*rinfo).clause).is_some() {
                consider(rinfo);
            }
        }
        let implied = pg_sys::generate_implied_equalities_for_column(
            root,
            baserel,
            Some(is_sequence_id),
            std::ptr::null_mut(),
            (*baserel).lateral_referencers,
        );
        for rinfo in nodes::<pg_sys::RestrictInfo>(implied) {
            consider(rinfo);
        }
        for outer in outers {
            let info = pg_sys::get_baserel_parampathinfo(root, baserel, outer);
            let (mut conds, _) = split(root, relid, (*info).ppi_clauses);
            conds.extend_from_slice(&base);
            add(&conds, outer);
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn get_foreign_plan(
    root: *mut pg_sys::PlannerInfo,
    baserel: *mut pg_sys::RelOptInfo,
    _foreign_table: Oid,
    _best_path: *mut pg_sys::ForeignPath,
    tlist: *mut List,
    scan_clauses: *mut List,
    outer_plan: *mut pg_sys::Plan,
) -> *mut pg_sys::ForeignScan {
    // SAFETY: called by the planner with its own structures.
    unsafe {
        let relid = (*baserel).relid;
        // The clauses the scan applies go in fdw_recheck_quals (whole, for EvalPlanQual and
        // EXPLAIN) and their compared expressions in fdw_exprs (evaluated per scan); the
        // planner turns outer relations' Vars in both into nestloop Params.
        let (mut pushed, mut exprs, mut local) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        let mut private = std::ptr::null_mut();
        let mut conds = Vec::new();
        for rinfo in nodes::<pg_sys::RestrictInfo>(scan_clauses) {
            if (*rinfo).pseudoconstant {
                continue;
            }
            match classify(root, relid, (*rinfo).clause) {
                Some((cond, expr)) => {
                    pushed = pg_sys::lappend(pushed, (*rinfo).clause.cast());
                    exprs = pg_sys::lappend(exprs, expr.cast());
                    conds.push(cond.code());
                }
                None => local = pg_sys::lappend(local, (*rinfo).clause.cast()),
            }
        }
        // The columns the query reads (its target list and local quals; attribute 0 is the
        // whole row): value and operation_type are built only when read.
        let mut read: *mut pg_sys::Bitmapset = std::ptr::null_mut();
        pg_sys::pull_varattnos((*(*baserel).reltarget).exprs.cast(), relid, &mut read);
        pg_sys::pull_varattnos(local.cast(), relid, &mut read);
        let reads = |attnum: i16| {
            pg_sys::bms_is_member(
                attnum as i32 - pg_sys::FirstLowInvalidHeapAttributeNumber,
                read,
            ) || pg_sys::bms_is_member(-pg_sys::FirstLowInvalidHeapAttributeNumber, read)
        };
        private = pg_sys::lappend_int(private, reads(VALUE) as i32);
        private = pg_sys::lappend_int(private, reads(OPERATION_TYPE) as i32);
        for code in conds {
            private = pg_sys::lappend_int(private, code);
        }
        pg_sys::make_foreignscan(
            tlist,
            local,
            relid,
            exprs,
            private,
            std::ptr::null_mut(),
            pushed,
            outer_plan,
        )
    }
}

// ---- execution -------------------------------------------------------------------------

/// The non-NULL elements of an int2[], int4[] or int8[] Datum. Their number is the query's
/// own array's; too many for memory is an ERROR (53200), not an abort.
///
/// # Safety
/// `d` is a valid array Datum of one of those types.
unsafe fn array_integers(d: Datum) -> Vec<i64> {
    // SAFETY: a detoasted array, deconstructed with its element type's properties.
    unsafe {
        let array = pg_sys::pg_detoast_datum(d.cast_mut_ptr()).cast::<pg_sys::ArrayType>();
        let element = (*array).elemtype;
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(element, &mut len, &mut byval, &mut align);
        let (mut values, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0);
        pg_sys::deconstruct_array(
            array,
            element,
            len as i32,
            byval,
            align,
            &mut values,
            &mut nulls,
            &mut n,
        );
        let mut out = Vec::new();
        if out.try_reserve_exact(n as usize).is_err() {
            error(
                PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
                format!("out of memory for {n} sequence ids"),
                "Pass fewer ids, or join with a table of them.",
            );
        }
        let values = std::slice::from_raw_parts(values, n as usize);
        let nulls = std::slice::from_raw_parts(nulls, n as usize);
        out.extend(
            values
                .iter()
                .zip(nulls)
                .filter(|(_, &null)| !null)
                .map(|(&v, _)| integer(v, element)),
        );
        out
    }
}

/// The rule that produced a term: its index in `rule_datum`.
const START: usize = 0;
const ODD: usize = 1;
const EVEN: usize = 2;

/// The term at the current step of the sequence being returned.
enum Term {
    /// The query reads neither value nor operation_type: nothing is walked.
    Unread,
    Word(u64),
    /// Past u64: the engine's walk, from the last word-sized term on.
    Big(Value, Sequence),
}

struct Walk {
    id: i64,
    step: i64,
    last: i64,
    term: Term,
    rule: usize,
}

impl Walk {
    /// Steps to the next term (the walk never goes past 1: a row that claims more steps
    /// than its number has ends there).
    fn advance(&mut self) {
        self.step += 1;
        match &mut self.term {
            Term::Unread => {}
            Term::Word(1) => self.last = self.step - 1,
            Term::Word(x) if *x & 1 == 0 => {
                *x >>= 1;
                self.rule = EVEN;
            }
            Term::Word(x) => {
                self.rule = ODD;
                match x.checked_mul(3).and_then(|t| t.checked_add(1)) {
                    Some(t) => *x = t,
                    None => {
                        let mut walk = sequence(Value::Small(u128::from(*x)));
                        walk.next();
                        let (_, t, _) = walk.next().expect("an odd term has a successor");
                        self.term = Term::Big(t, walk);
                    }
                }
            }
            Term::Big(v, walk) => match walk.next() {
                Some((_, t, op)) => {
                    *v = t;
                    self.rule = match op {
                        Operation::Start => START,
                        Operation::Odd => ODD,
                        Operation::Even => EVEN,
                    };
                }
                None => self.last = self.step - 1,
            },
        }
    }
}

/// The scan's state (ForeignScanState.fdw_state), in the query's memory: dropped with it,
/// also when the query ends in an ERROR and EndForeignScan is never called.
struct Scan {
    sequences: pg_sys::Relation,
    primary_key: pg_sys::Relation,
    heap_scan: pg_sys::TableScanDesc,
    index_scan: pg_sys::IndexScanDesc,
    /// A row of collatz_sequences.
    row: *mut pg_sys::TupleTableSlot,
    /// Attribute numbers of id, number and steps_to_one in collatz_sequences.
    columns: [usize; 3],
    /// The conditions, their compared expressions and those expressions' types.
    conds: Vec<(Cond, *mut pg_sys::ExprState, Oid)>,
    pinned: bool,
    reads_value: bool,
    reads_rule: bool,
    /// Memory that lives as long as the scan (the table and index AMs allocate there).
    query_memory: pg_sys::MemoryContext,
    // Set at each (re)scan:
    started: bool,
    /// The sequences pinned (sorted, distinct) and the next to probe.
    ids: Vec<i64>,
    next_id: usize,
    /// Whether the index scan holds a probe not yet read to its end.
    probing: bool,
    empty: bool,
    lo: i64,
    hi: i64,
    walk: Option<Walk>,
    // EXPLAIN ANALYZE shows them.
    sequences_read: i64,
    terms_built: i64,
    /// The word-sized term returned last (a palloc per term was 2% of a full scan).
    value: numeric::WordBuffer,
}

impl Scan {
    /// Evaluates the compared expressions and (re)starts the read of collatz_sequences.
    ///
    /// # Safety
    /// On the backend thread, `node` this scan's node.
    unsafe fn start(&mut self, node: *mut pg_sys::ForeignScanState) {
        let mut ids: Option<Vec<i64>> = None;
        let (mut lo, mut hi, mut empty) = (0i64, i64::MAX, false);
        // SAFETY: the expressions were initialized for this node; the scans are this scan's.
        unsafe {
            let econtext = (*node).ss.ps.ps_ExprContext;
            for &(cond, state, type_oid) in &self.conds {
                let mut isnull = false;
                let d = pg_sys::ExecEvalExpr(state, econtext, &mut isnull);
                if isnull {
                    empty = true;
                    break;
                }
                if cond == Cond::SequenceIdIn {
                    let mut pinned = array_integers(d);
                    pinned.sort_unstable();
                    pinned.dedup();
                    if let Some(known) = &ids {
                        pinned.retain(|i| known.binary_search(i).is_ok());
                    }
                    ids = Some(pinned);
                    continue;
                }
                let v = integer(d, type_oid);
                match cond {
                    Cond::SequenceId | Cond::SequenceIdIn => {
                        ids = Some(if ids.as_ref().is_none_or(|known| known.contains(&v)) {
                            vec![v]
                        } else {
                            Vec::new()
                        })
                    }
                    Cond::StepEq => (lo, hi) = (lo.max(v), hi.min(v)),
                    Cond::StepLt => hi = hi.min(v.saturating_sub(1)),
                    Cond::StepLe => hi = hi.min(v),
                    Cond::StepGt if v == i64::MAX => empty = true,
                    Cond::StepGt => lo = lo.max(v + 1),
                    Cond::StepGe => lo = lo.max(v),
                }
            }
            (self.lo, self.hi) = (lo, hi.min(i64::from(i32::MAX)));
            self.ids = ids.unwrap_or_default();
            self.next_id = 0;
            self.probing = false;
            self.empty = empty || self.lo > self.hi || (self.pinned && self.ids.is_empty());
            self.walk = None;
            self.started = true;
            if !self.empty && !self.pinned {
                let previous = pg_sys::MemoryContextSwitchTo(self.query_memory);
                pg_sys::table_rescan(self.heap_scan, std::ptr::null_mut());
                pg_sys::MemoryContextSwitchTo(previous);
            }
        }
    }

    /// The next row of collatz_sequences by the primary key: the rest of the current probe,
    /// else a probe of the next pinned id.
    ///
    /// # Safety
    /// On the backend thread, in the query's memory, after `start`.
    unsafe fn next_probed(&mut self) -> bool {
        // SAFETY: this scan's index scan and slot.
        unsafe {
            loop {
                if self.probing {
                    if pg_sys::index_getnext_slot(
                        self.index_scan,
                        pg_sys::ScanDirection::ForwardScanDirection,
                        self.row,
                    ) {
                        return true;
                    }
                    self.probing = false;
                }
                let Some(&id) = self.ids.get(self.next_id) else {
                    return false;
                };
                self.next_id += 1;
                pgrx::check_for_interrupts!();
                let mut key = pg_sys::ScanKeyData::default();
                pg_sys::ScanKeyInit(
                    &mut key,
                    1,
                    pg_sys::BTEqualStrategyNumber as _,
                    pg_sys::F_INT8EQ.into(),
                    Datum::from(id),
                );
                pg_sys::index_rescan(self.index_scan, &mut key, 1, std::ptr::null_mut(), 0);
                self.probing = true;
            }
        }
    }

    /// Reads the next row of collatz_sequences and starts its walk at the lower bound;
    /// false at the end.
    ///
    /// # Safety
    /// On the backend thread, after `start`.
    unsafe fn next_sequence(&mut self) -> bool {
        if self.empty {
            return false;
        }
        pgrx::check_for_interrupts!();
        // SAFETY: this scan's descriptors and slot.
        unsafe {
            let previous = pg_sys::MemoryContextSwitchTo(self.query_memory);
            let found = if self.pinned {
                self.next_probed()
            } else {
                pg_sys::table_scan_getnextslot(
                    self.heap_scan,
                    pg_sys::ScanDirection::ForwardScanDirection,
                    self.row,
                )
            };
            if found {
                pg_sys::slot_getsomeattrs(self.row, *self.columns.iter().max().unwrap() as i32);
            }
            pg_sys::MemoryContextSwitchTo(previous);
            if !found {
                return false;
            }
            // NOT NULL columns.
            let values =
                std::slice::from_raw_parts((*self.row).tts_values, (*self.row).tts_nvalid as usize);
            let [id, number, steps] = self.columns.map(|c| values[c - 1].value() as i64);
            self.sequences_read += 1;
            let last = steps.min(self.hi);
            if last < self.lo {
                return true;
            }
            let term = if !(self.reads_value || self.reads_rule) {
                Term::Unread
            } else {
                match u64::try_from(number) {
                    Ok(n) if n >= 1 => Term::Word(n),
                    _ => error(
                        PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
                        format!("collatz_sequences row {id} has number {number}"),
                        "Numbers are positive (a CHECK of collatz_sequences).",
                    ),
                }
            };
            let mut walk = Walk {
                id,
                step: 0,
                last,
                term,
                rule: START,
            };
            while walk.step < self.lo && walk.step <= walk.last {
                walk.advance();
            }
            self.walk = (walk.step <= walk.last).then_some(walk);
            true
        }
    }
}

/// The three rules as text Datums that live as long as the backend.
struct Backend<T>(UnsafeCell<T>);
// SAFETY: only the backend thread touches it (the worker pool never runs this module).
unsafe impl<T> Sync for Backend<T> {}
static RULES: Backend<Option<[Datum; 3]>> = Backend(UnsafeCell::new(None));

/// 'start', 'odd' or 'even' as text, built once in TopMemoryContext and returned by
/// reference: a slot's by-reference Datums are read-only, and copied where they are kept.
fn rule_datum(index: usize) -> Datum {
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
                Datum::from(p)
            }
        })
    })[index]
}

#[pg_guard]
unsafe extern "C-unwind" fn begin_foreign_scan(node: *mut pg_sys::ForeignScanState, eflags: i32) {
    // SAFETY: called by the executor with its node; relations and scans opened here are
    // closed in end_foreign_scan (or by the resource owner after an ERROR).
    unsafe {
        let plan = (*node).ss.ps.plan.cast::<pg_sys::ForeignScan>();
        let estate = (*node).ss.ps.state;
        let table = (*node).ss.ss_currentRelation;
        check_columns((*table).rd_att);
        let private: Vec<i32> = cells((*plan).fdw_private)
            .iter()
            .map(|c| c.int_value)
            .collect();
        let conds: Vec<_> = nodes::<pg_sys::Expr>((*plan).fdw_exprs)
            .zip(&private[2..])
            .map(|(expr, &code)| {
                (
                    Cond::from_code(code),
                    pg_sys::ExecInitExpr(expr, node.cast()),
                    pg_sys::exprType(expr.cast()),
                )
            })
            .collect();
        let mut scan = Scan {
            sequences: std::ptr::null_mut(),
            primary_key: std::ptr::null_mut(),
            heap_scan: std::ptr::null_mut(),
            index_scan: std::ptr::null_mut(),
            row: std::ptr::null_mut(),
            columns: [0; 3],
            pinned: conds.iter().any(|(c, ..)| c.pins_sequence()),
            conds,
            reads_value: private[0] != 0,
            reads_rule: private[1] != 0,
            query_memory: (*estate).es_query_cxt,
            started: false,
            ids: Vec::new(),
            next_id: 0,
            probing: false,
            empty: true,
            lo: 0,
            hi: 0,
            walk: None,
            sequences_read: 0,
            terms_built: 0,
            value: numeric::WordBuffer::new(),
        };
        if eflags & pg_sys::EXEC_FLAG_EXPLAIN_ONLY as i32 == 0 {
            let sequences = sequences_relation((*table).rd_id);
            // The role the query runs as for this relation: a view's owner when it is read
            // through a view, the current user otherwise (as the executor checks).
            #[cfg(feature = "pg15")]
            let as_user = (*pg_sys::exec_rt_fetch((*plan).scan.scanrelid, estate)).checkAsUser;
            // PostgreSQL 16 moved it from the range table entry to the plan.
            #[cfg(not(feature = "pg15"))]
            let as_user = (*plan).checkAsUser;
            let role = if as_user != pg_sys::InvalidOid {
                as_user
            } else {
                pg_sys::GetUserId()
            };
            check_privileges(sequences, role);
            scan.sequences = pg_sys::table_open(sequences, pg_sys::AccessShareLock as _);
            for (i, name) in SEQUENCE_COLUMNS.iter().enumerate() {
                let attnum = pg_sys::get_attnum(sequences, name.as_ptr());
                if attnum <= 0 || pg_sys::get_atttype(sequences, attnum) != pg_sys::INT8OID {
                    error(
                        PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                        format!("collatz_sequences has no bigint column {}", name.to_string_lossy()),
                        "sequence_steps_computed reads collatz_sequences as collatz_ext creates it.",
                    );
                }
                scan.columns[i] = attnum as usize;
            }
            let snapshot = (*estate).es_snapshot;
            if scan.pinned {
                let index = pg_sys::RelationGetPrimaryKeyIndex(scan.sequences);
                scan.primary_key = pg_sys::index_open(index, pg_sys::AccessShareLock as _);
                let key = (*(*scan.primary_key).rd_index).indkey.values.as_slice(1)[0];
                if (*(*scan.primary_key).rd_index).indnatts != 1 || key as usize != scan.columns[0]
                {
                    error(
                        PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                        "the primary key of collatz_sequences is not (id)".into(),
                        "sequence_steps_computed reads collatz_sequences as collatz_ext creates it.",
                    );
                }
                scan.index_scan =
                    pg_sys::index_beginscan(scan.sequences, scan.primary_key, snapshot, 1, 0);
            } else {
                scan.heap_scan =
                    pg_sys::table_beginscan(scan.sequences, snapshot, 0, std::ptr::null_mut());
            }
            scan.row = pg_sys::table_slot_create(scan.sequences, std::ptr::null_mut());
        }
        (*node).fdw_state = PgMemoryContexts::CurrentMemoryContext
            .leak_and_drop_on_delete(scan)
            .cast();
    }
}

extern "C-unwind" {
    /// ExecStoreVirtualTuple without pgrx's guard (a sigsetjmp per call; with the one of
    /// ExecClearTuple, 11% of a full scan in perf): it only sets the slot's flags and count.
    #[link_name = "ExecStoreVirtualTuple"]
    fn store_virtual(slot: *mut pg_sys::TupleTableSlot) -> *mut pg_sys::TupleTableSlot;
}

/// ExecClearTuple (an inline function of PostgreSQL's): the slot type's clear, which
/// releases what the slot holds and cannot raise an ERROR.
///
/// # Safety
/// `slot` is a valid slot.
unsafe fn clear(slot: *mut pg_sys::TupleTableSlot) {
    // SAFETY: every slot has its type's callbacks.
    unsafe { ((*(*slot).tts_ops).clear.expect("a slot type clears"))(slot) }
}

#[pg_guard]
unsafe extern "C-unwind" fn iterate_foreign_scan(
    node: *mut pg_sys::ForeignScanState,
) -> *mut pg_sys::TupleTableSlot {
    // SAFETY: called by the executor with the node begin_foreign_scan set up, in its
    // per-tuple memory (where the numerics are built).
    unsafe {
        let scan = &mut *(*node).fdw_state.cast::<Scan>();
        let slot = (*node).ss.ss_ScanTupleSlot;
        clear(slot);
        if !scan.started {
            scan.start(node);
        }
        loop {
            if let Some(walk) = &mut scan.walk {
                let values = std::slice::from_raw_parts_mut((*slot).tts_values, 4);
                let isnull = std::slice::from_raw_parts_mut((*slot).tts_isnull, 4);
                values[0] = Datum::from(walk.id);
                values[1] = Datum::from(walk.step as i32);
                isnull[..2].fill(false);
                isnull[2] = !scan.reads_value;
                if scan.reads_value {
                    values[2] = match &walk.term {
                        Term::Word(x) => numeric::word_datum_in(u128::from(*x), &mut scan.value),
                        Term::Big(v, _) => numeric::datum(v),
                        Term::Unread => unreachable!("a read value is walked"),
                    };
                    scan.terms_built += 1;
                }
                isnull[3] = !scan.reads_rule;
                if scan.reads_rule {
                    values[3] = rule_datum(walk.rule);
                }
                if walk.step == walk.last {
                    scan.walk = None;
                } else {
                    // advance() ends the walk early (last < step) at a term of 1.
                    walk.advance();
                    if walk.step > walk.last {
                        scan.walk = None;
                    }
                }
                store_virtual(slot);
                return slot;
            }
            if !scan.next_sequence() {
                return slot;
            }
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn rescan_foreign_scan(node: *mut pg_sys::ForeignScanState) {
    // SAFETY: the node begin_foreign_scan set up. Parameters are read again at the next row.
    unsafe {
        let scan = &mut *(*node).fdw_state.cast::<Scan>();
        scan.started = false;
        scan.walk = None;
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn end_foreign_scan(node: *mut pg_sys::ForeignScanState) {
    // SAFETY: the node begin_foreign_scan set up; each resource is released once. The
    // memory of the state goes with the query's.
    unsafe {
        let scan = &mut *(*node).fdw_state.cast::<Scan>();
        if !scan.row.is_null() {
            pg_sys::ExecDropSingleTupleTableSlot(scan.row);
        }
        if !scan.index_scan.is_null() {
            pg_sys::index_endscan(scan.index_scan);
        }
        if !scan.heap_scan.is_null() {
            pg_sys::table_endscan(scan.heap_scan);
        }
        if !scan.primary_key.is_null() {
            pg_sys::index_close(scan.primary_key, pg_sys::NoLock as _);
        }
        if !scan.sequences.is_null() {
            pg_sys::table_close(scan.sequences, pg_sys::NoLock as _);
        }
        scan.row = std::ptr::null_mut();
        scan.index_scan = std::ptr::null_mut();
        scan.heap_scan = std::ptr::null_mut();
        scan.primary_key = std::ptr::null_mut();
        scan.sequences = std::ptr::null_mut();
    }
}

/// A relation's name, for EXPLAIN.
///
/// # Safety
/// On the backend thread.
unsafe fn relation_name(oid: Oid) -> String {
    // SAFETY: get_rel_name returns NULL or a palloc'd string.
    let name = unsafe { pg_sys::get_rel_name(oid) };
    if name.is_null() {
        "?".into()
    } else {
        // SAFETY: a NUL-terminated name.
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    }
}

/// EXPLAIN: how collatz_sequences is read, the conditions the scan applies (Sequence Cond, Step Cond), and with ANALYZE how
/// many sequences it read and how many terms it built as numerics.
#[pg_guard]
unsafe extern "C-unwind" fn explain_foreign_scan(
    node: *mut pg_sys::ForeignScanState,
    es: *mut pg_sys::ExplainState,
) {
    // SAFETY: the node begin_foreign_scan set up, and EXPLAIN's state.
    unsafe {
        let plan = (*node).ss.ps.plan.cast::<pg_sys::ForeignScan>();
        let codes: Vec<i32> = cells((*plan).fdw_private)
            .iter()
            .skip(2)
            .map(|c| c.int_value)
            .collect();
        let (mut sequence, mut steps) = (std::ptr::null_mut(), std::ptr::null_mut());
        for (clause, &code) in nodes::<std::ffi::c_void>((*plan).fdw_recheck_quals).zip(&codes) {
            if Cond::from_code(code).pins_sequence() {
                sequence = pg_sys::lappend(sequence, clause);
            } else {
                steps = pg_sys::lappend(steps, clause);
            }
        }
        // How collatz_sequences is read: one primary key probe per scan when sequence_id
        // is pinned, a sequential scan otherwise.
        let scan = &*(*node).fdw_state.cast::<Scan>();
        let sequences = sequences_relation((*(*node).ss.ss_currentRelation).rd_id);
        let how = if scan.pinned {
            let rel = pg_sys::table_open(sequences, pg_sys::AccessShareLock as _);
            let index = pg_sys::RelationGetPrimaryKeyIndex(rel);
            pg_sys::table_close(rel, pg_sys::NoLock as _);
            format!("Index Scan using {}", relation_name(index))
        } else {
            format!("Seq Scan on {}", relation_name(sequences))
        };
        let how = std::ffi::CString::new(how).expect("relation names have no NUL");
        pg_sys::ExplainPropertyText(c"Sequences".as_ptr(), how.as_ptr(), es);
        let context =
            pg_sys::set_deparse_context_plan((*es).deparse_cxt, plan.cast(), std::ptr::null_mut());
        for (label, list) in [(c"Sequence Cond", sequence), (c"Step Cond", steps)] {
            if !list.is_null() {
                let text = pg_sys::deparse_expression(
                    pg_sys::make_ands_explicit(list).cast(),
                    context,
                    (*es).verbose,
                    false,
                );
                pg_sys::ExplainPropertyText(label.as_ptr(), text, es);
            }
        }
        if (*es).analyze {
            pg_sys::ExplainPropertyInteger(
                c"Sequences Read".as_ptr(),
                std::ptr::null(),
                scan.sequences_read,
                es,
            );
            pg_sys::ExplainPropertyInteger(
                c"Terms Built".as_ptr(),
                std::ptr::null(),
                scan.terms_built,
                es,
            );
        }
    }
}

/// sequence_steps_computed_handler() RETURNS fdw_handler: the callbacks above.
#[no_mangle]
pub extern "C" fn pg_finfo_sequence_steps_computed_handler() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn sequence_steps_computed_handler(
    _fcinfo: pg_sys::FunctionCallInfo,
) -> Datum {
    let mut routine =
        unsafe { PgBox::<pg_sys::FdwRoutine>::alloc_node(pg_sys::NodeTag::T_FdwRoutine) };
    routine.GetForeignRelSize = Some(get_foreign_rel_size);
    routine.GetForeignPaths = Some(get_foreign_paths);
    routine.GetForeignPlan = Some(get_foreign_plan);
    routine.BeginForeignScan = Some(begin_foreign_scan);
    routine.IterateForeignScan = Some(iterate_foreign_scan);
    routine.ReScanForeignScan = Some(rescan_foreign_scan);
    routine.EndForeignScan = Some(end_foreign_scan);
    routine.ExplainForeignScan = Some(explain_foreign_scan);
    Datum::from(routine.into_pg())
}

/// sequence_steps_computed_validator(options text[], catalog oid): refuses every option.
#[no_mangle]
pub extern "C" fn pg_finfo_sequence_steps_computed_validator() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn sequence_steps_computed_validator(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Datum {
    // SAFETY: called as declared in src/sql/terms.sql (text[] first; NULL is no options).
    let options: Option<pgrx::Array<&str>> = unsafe { pgrx::pg_getarg(fcinfo, 0) };
    let first = options.and_then(|o| o.iter().next().map(|f| f.unwrap_or_default().to_string()));
    if let Some(first) = first {
        let name = first.split('=').next().unwrap_or_default();
        error(
            PgSqlErrorCode::ERRCODE_FDW_INVALID_OPTION_NAME,
            format!("invalid option \"{name}\""),
            "collatz_ext_computed, its server and its foreign tables take no options.",
        );
    }
    Datum::from(0)
}
