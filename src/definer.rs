//! Run ownership: the steps of a pipeline run store what only the extension's owner may
//! write, and must know which role asks. A SECURITY DEFINER function cannot tell: inside it
//! current_user is the owner, and the outer user (GetOuterUserId) skips every SECURITY
//! DEFINER frame, also another role's, so a writer's SECURITY DEFINER function called by an
//! admin would act with the admin's rights. These functions are plain (invoker) C functions
//! that note the role the calling code runs as (GetUserId), then switch to the owner the way
//! fmgr's SECURITY DEFINER does, and call an owner-only SQL function with that role as an
//! argument nobody else can pass.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

/// The user and security context to put back when the owner's work is done, whether it
/// returns or unwinds (an ERROR inside SPI unwinds through here; a transaction or
/// subtransaction abort would restore them as well).
struct AsOwner {
    user: pg_sys::Oid,
    context: i32,
}

impl Drop for AsOwner {
    fn drop(&mut self) {
        // SAFETY: puts back the values GetUserIdAndSecContext gave, on the backend thread.
        unsafe { pg_sys::SetUserIdAndSecContext(self.user, self.context) }
    }
}

/// Runs `query` (which names an owner-only function taking the caller's oid as $1) as the
/// extension's owner, with the calling role first among its arguments.
fn call_as_owner(
    query: &str,
    args: Vec<pgrx::datum::DatumWithOid<'_>>,
    func: &'static str,
) -> Result<Option<i64>, ErrorReport> {
    let mut user = pg_sys::Oid::INVALID;
    let mut context = 0;
    // SAFETY: reads this backend's current user and security context.
    unsafe { pg_sys::GetUserIdAndSecContext(&mut user, &mut context) };
    let owner: pg_sys::Oid = Spi::get_one(
        "SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'collatz_ext'",
    )
    .ok()
    .flatten()
    .ok_or_else(|| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("{func}: collatz_ext is not installed in this database"),
            func,
        )
    })?;
    let mut all = vec![user.into()];
    all.extend(args);
    let _restore = AsOwner { user, context };
    // SAFETY: as fmgr_security_definer does for a SECURITY DEFINER function.
    unsafe {
        pg_sys::SetUserIdAndSecContext(owner, context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32)
    };
    Spi::connect_mut(|client| {
        client
            .update(query, Some(1), &all)?
            .first()
            .get_one::<i64>()
    })
    .map_err(|e| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("{func}: {e}"),
            func,
        )
    })
}

/// Starts (or resumes) an analysis run for the calling role; returns its id.
#[pg_extern(volatile, schema = "collatz_internal")]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn start_analysis_run(
    start_number: Option<i64>,
    end_number: Option<i64>,
    experiment_id: Option<i64>,
    segment_size: Option<i64>,
) -> Result<Option<i64>, ErrorReport> {
    call_as_owner(
        "SELECT collatz_internal.open_analysis_run($1, $2, $3, $4, $5)",
        vec![
            start_number.into(),
            end_number.into(),
            experiment_id.into(),
            segment_size.into(),
        ],
        "analysis_run_start",
    )
}

/// Starts a batch insert run for the calling role; returns its id.
#[pg_extern(volatile, schema = "collatz_internal")]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn start_batch_insert_run(
    start_number: Option<i64>,
    end_number: Option<i64>,
    with_steps: Option<bool>,
    on_conflict: Option<&str>,
    batch_size: Option<i32>,
) -> Result<Option<i64>, ErrorReport> {
    call_as_owner(
        "SELECT collatz_internal.open_batch_insert_run($1, $2, $3, $4, $5, $6)",
        vec![
            start_number.into(),
            end_number.into(),
            with_steps.into(),
            on_conflict.into(),
            batch_size.into(),
        ],
        "batch_insert_run_start",
    )
}

/// Advances a run of the calling role (any role's, for an admin) by one step; returns its id.
#[pg_extern(volatile, schema = "collatz_internal")]
#[search_path(pg_catalog, @extschema@, pg_temp)]
fn advance_run(run_id: Option<i64>) -> Result<Option<i64>, ErrorReport> {
    call_as_owner(
        "SELECT collatz_internal.run_step($1, $2)",
        vec![run_id.into()],
        "pipeline_run_step",
    )
}
