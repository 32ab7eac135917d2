"""The collatz_ext dashboard page: ``collatz-ext-dashboard``, or ``streamlit run`` this file.

It reads only the extension's views (see :mod:`collatz_ext.dashboard.queries`), in read-only
transactions, as whichever role the connection settings name: the package's usual ones
(``COLLATZ_DSN_<ENV>`` with ``COLLATZ_ENV``, ``COLLATZ_DSN``, else libpq's ``PG*``
variables; the password from ``~/.pgpass`` or a service file, never from code). That role
needs only the 'read' level: ``SELECT collatz.collatz_grant('dashboard', 'read')``.

``COLLATZ_DASHBOARD_REFRESH`` sets how often, in seconds, the pipeline section refreshes
itself (default 5; 0 turns it off). The other sections refresh with the page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from collatz_ext.connection import resolve_dsn
from collatz_ext.dashboard import queries as q
from collatz_ext.errors import CollatzError, ConfigurationError, ConnectionLost, InsufficientPrivilege

F = TypeVar("F", bound=Callable[..., Any])


def _refresh_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("COLLATZ_DASHBOARD_REFRESH", "5")))
    except ValueError:
        return 5.0


REFRESH_SECONDS = _refresh_seconds()

# st.fragment(run_every=...) reruns only the pipeline section (Streamlit 1.37 and later; 1.33
# to 1.36 call it experimental_fragment). Without it the whole page reruns on a timer.
_fragment: Callable[..., Any] | None = getattr(st, "fragment", None) or getattr(st, "experimental_fragment", None)


def live_fragment(fn: F) -> F:
    if _fragment is None or REFRESH_SECONDS <= 0:
        return fn
    return _fragment(run_every=REFRESH_SECONDS)(fn)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# Formatting: exact numbers become strings, never floats.

DASH = "—"


def fmt_int(value: int | None) -> str:
    return DASH if value is None or pd.isna(value) else f"{int(value):,}"


def fmt_exact(value: Decimal | None) -> str:
    """A numeric value with thousands separators, every digit kept (Decimal formats exactly)."""
    return DASH if value is None else f"{value:,}"


def exact_as_text(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy for display with the numeric (Decimal) columns as plain digit strings."""
    out = df.copy()
    for col in columns:
        out[col] = [None if v is None else str(v) for v in out[col]]
    return out


def as_float(values: pd.Series) -> pd.Series:
    """For chart axes of rates and times only (never peaks)."""
    return pd.Series([None if v is None or pd.isna(v) else float(v) for v in values], index=values.index,
                     dtype="float64")


# ---------------------------------------------------------------------------------------
# Data: one read-only snapshot per page run.


@st.cache_resource(show_spinner=False)
def engine_for(dsn: str) -> Engine:
    return q.make_engine(dsn)


@dataclass(frozen=True)
class Snapshot:
    identity: q.Identity
    summary: q.Summary
    distribution: pd.DataFrame
    longest: pd.DataFrame
    highest: pd.DataFrame
    analyses: pd.DataFrame
    performance: pd.DataFrame


class PageError(Exception):
    def __init__(self, error: CollatzError, identity: q.Identity | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.identity = identity


def load_snapshot(engine: Engine) -> Snapshot:
    identity: q.Identity | None = None
    try:
        with q.read_only(engine) as conn:
            identity = q.whoami(conn)
            return Snapshot(
                identity=identity,
                summary=q.summary(conn),
                distribution=q.length_distribution(conn),
                longest=q.top_sequences(conn, "longest"),
                highest=q.top_sequences(conn, "highest peak"),
                analyses=q.range_analyses(conn),
                performance=q.performance(conn),
            )
    except CollatzError as exc:
        raise PageError(exc, identity) from exc


def render_error(exc: CollatzError, target: str, identity: q.Identity | None) -> None:
    role = identity.role if identity else None
    if isinstance(exc, InsufficientPrivilege):
        st.error(f"The role {role or '(unknown)'} may not read collatz_ext's views in {target}: {exc.message}")
        st.info("The dashboard needs the 'read' level of collatz_ext, and nothing more. A DBA gives it with\n\n"
                f"`SELECT collatz.collatz_grant('{role or 'dashboard'}', 'read');`")
    elif isinstance(exc, ConnectionLost):
        st.error(f"Cannot connect to {target}: {exc.message}")
        st.info("The dashboard connects with COLLATZ_DSN_<ENV> (with COLLATZ_ENV), COLLATZ_DSN, or libpq's "
                "PG* variables; the password comes from ~/.pgpass or a service file.")
    elif isinstance(exc, ConfigurationError):
        st.error(f"No connection settings: {exc.message}")
        if exc.hint:
            st.info(exc.hint)
    elif exc.sqlstate in ("3F000", "42P01"):
        st.error(f"collatz_ext is not installed in {target}: {exc.message}")
        st.info("A superuser runs `CREATE EXTENSION collatz_ext` in that database.")
    else:
        st.error(f"The database refused the dashboard's query ({exc.sqlstate or 'no SQLSTATE'}): {exc.message}")
        if exc.hint:
            st.info(exc.hint)


# ---------------------------------------------------------------------------------------
# Sections.


def render_header(identity: q.Identity, target: str) -> None:
    st.caption(f"Connected as **{identity.role}** to **{identity.database}** ({target}) · read-only transactions "
               f"over the views of the collatz schema · loaded {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    if identity.superuser or identity.can_write:
        what = "a superuser" if identity.superuser else "a role that can write"
        st.warning(f"The dashboard is connected as {what} ({identity.role}). It needs only the 'read' level: "
                   f"connect as a role given `collatz.collatz_grant('dashboard', 'read')`.")


def render_summary(s: q.Summary) -> None:
    st.subheader("Stored sequences")
    row1 = st.columns(4)
    row1[0].metric("Stored sequences", fmt_int(s.total_sequences))
    row1[1].metric("Mean length", DASH if s.mean_sequence_length is None else f"{s.mean_sequence_length} terms")
    row1[2].metric("Longest length", DASH if s.longest_sequence_length is None
                   else f"{s.longest_sequence_length:,} terms")
    row1[3].metric("Stored steps", fmt_int(s.stored_steps),
                   help=f"{fmt_int(s.sequences_with_steps)} sequences have their steps stored")
    # The records get wide tiles: a peak past 2^64 has 20 digits and more, every one shown.
    row2 = st.columns([2, 3])
    row2[0].metric("Longest sequence", fmt_int(s.longest_sequence_number),
                   help="The number with the longest stored sequence (the smallest on ties)")
    row2[1].metric("Highest peak", fmt_exact(s.highest_peak), help="Exact (numeric), past 2^64 too")
    if s.total_sequences == 0:
        st.info("No sequences are stored yet: `CALL collatz.sp_batch_insert_sequences(1, 10000)` stores some.")
        return
    st.caption(f"Numbers {fmt_int(s.smallest_number)} – {fmt_int(s.largest_number)} stored · highest peak reached "
               f"from {fmt_int(s.highest_peak_number)} · stored {s.first_stored_at:%Y-%m-%d %H:%M} to "
               f"{s.last_stored_at:%Y-%m-%d %H:%M}")


def render_runs(progress: pd.DataFrame) -> None:
    """A progress bar per running or interrupted run, then every run in a table."""
    if progress.empty:
        st.info("No pipeline runs yet: `CALL collatz.sp_batch_insert_sequences(...)` or "
                "`CALL collatz.sp_analyze_range(...)` starts one.")
        return
    unfinished = q.unfinished_runs(progress)
    if unfinished.empty:
        st.success("No run is running or interrupted.")
    for run in unfinished.itertuples(index=False):
        percent: Decimal = run.percent_done
        label = (f"Run {run.run_id} · {run.operation_type} [{run.start_range:,} … {run.end_range:,}] · "
                 f"**{run.state}** · {run.numbers_done:,} of {run.numbers_total:,} numbers ({percent}%)")
        if run.state == "running":
            if not pd.isna(run.numbers_per_second):
                label += f" · {run.numbers_per_second:,.0f} numbers/s"
            if run.seconds_left is not None:
                label += f" · about {run.seconds_left} s left"
        else:
            label += f" · resume: `CALL collatz.sp_continue_run({run.run_id})`"
        st.progress(min(1.0, max(0.0, float(percent) / 100)), text=label)
    table = exact_as_text(progress, ["percent_done", "seconds_left"])
    st.dataframe(table, hide_index=True,
                 column_order=["run_id", "operation_type", "state", "start_range", "end_range", "numbers_done",
                               "numbers_total", "percent_done", "rows_done", "numbers_per_second", "seconds_left",
                               "started_by", "started_at", "updated_at", "finished_at"])


@live_fragment
def render_pipeline(dsn: str) -> None:
    st.subheader("Pipeline runs (live)")
    try:
        with q.read_only(engine_for(dsn)) as conn:
            progress = q.pipeline_progress(conn)
    except CollatzError as exc:
        render_error(exc, q.connection_target(dsn), None)
        return
    render_runs(progress)
    every = f"every {REFRESH_SECONDS:g} s" if REFRESH_SECONDS > 0 else "with the page"
    st.caption(f"v_pipeline_progress at {datetime.now(timezone.utc):%H:%M:%S} UTC, refreshed {every}")


def render_distribution(dist: pd.DataFrame) -> None:
    st.subheader("Length distribution")
    if dist.empty:
        st.info("The histogram appears once sequences are stored.")
        return
    chart_data = pd.DataFrame({
        "sequence_length": dist["sequence_length"].astype("int64"),
        "sequences": dist["sequences"].astype("int64"),
        "percent": [str(v) for v in dist["percent"]],
        "smallest_number": dist["smallest_number"].astype("int64"),
    })
    chart = alt.Chart(chart_data).mark_bar().encode(
        x=alt.X("sequence_length:Q", title="sequence length (terms)", scale=alt.Scale(domainMin=0, nice=False)),
        y=alt.Y("sequences:Q", title="stored sequences"),
        tooltip=["sequence_length", "sequences", alt.Tooltip("percent:N", title="percent"), "smallest_number"],
    ).properties(height=260, width="container")
    st.altair_chart(chart)
    st.caption(f"{len(dist):,} distinct lengths, from {fmt_int(dist['sequence_length'].min())} to "
               f"{fmt_int(dist['sequence_length'].max())} terms")


def render_top(longest: pd.DataFrame, highest: pd.DataFrame) -> None:
    st.subheader("Top sequences")
    left, right = st.columns(2)
    for col, title, df in ((left, "Longest", longest), (right, "Highest peaks", highest)):
        col.markdown(f"**{title}**")
        if df.empty:
            col.info("None stored yet.")
        else:
            col.dataframe(exact_as_text(df, ["max_value"]), hide_index=True, height=300,
                          column_order=["rank", "number", "sequence_length", "max_value"],
                          column_config={"max_value": st.column_config.TextColumn("max_value", width="large")})


def render_analyses(analyses: pd.DataFrame) -> None:
    st.subheader("Range analyses over time")
    if analyses.empty:
        st.info("No analyses yet: `SELECT * FROM collatz.analyze_range(1, 1000000)` or "
                "`CALL collatz.sp_analyze_range(...)` records one.")
        return
    chart_data = pd.DataFrame({
        "analysis_date": analyses["analysis_date"],
        "numbers_per_second": as_float(analyses["numbers_per_second"]),
        "longest_sequence_length": analyses["longest_sequence_length"].astype("int64"),
        "range": [f"[{a:,}, {b:,}]" for a, b in zip(analyses["start_range"], analyses["end_range"])],
        "longest_sequence": analyses["longest_sequence"].astype("int64"),
        "highest_peak_value": [str(v) for v in analyses["highest_peak_value"]],
    })
    base = alt.Chart(chart_data).encode(
        x=alt.X("analysis_date:T", title="analysis date"),
        tooltip=["range", "numbers_per_second", "longest_sequence", "longest_sequence_length",
                 alt.Tooltip("highest_peak_value:N", title="highest peak")],
    ).properties(height=220, width="container")
    left, right = st.columns(2)
    left.markdown("**Numbers per second**")
    left.altair_chart(base.mark_line(point=True).encode(y=alt.Y("numbers_per_second:Q", title="numbers / s")))
    right.markdown("**Longest sequence length per analysis**")
    right.altair_chart(base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("longest_sequence_length:Q", title="terms")))
    st.markdown("**Records per analysis**")
    table = exact_as_text(analyses, ["highest_peak_value", "numbers_per_second"])
    st.dataframe(table, hide_index=True,
                 column_order=["analysis_id", "analysis_date", "start_range", "end_range", "numbers_analyzed",
                               "longest_sequence", "longest_sequence_length", "highest_peak", "highest_peak_value",
                               "numbers_per_second", "duration_ms", "experiment_name"])


def render_performance(perf: pd.DataFrame) -> None:
    st.subheader("Performance per operation")
    if perf.empty:
        st.info("No metrics yet: every load, analysis and cleanup records one.")
        return
    long = pd.DataFrame([
        {"operation_type": row.operation_type, "percentile": name, "ms": float(value)}
        for row in perf.itertuples(index=False)
        for name, value in (("p50", row.p50_ms), ("p95", row.p95_ms), ("p99", row.p99_ms))
        if value is not None
    ])
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("operation_type:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("percentile:N", sort=["p50", "p95", "p99"]),
        y=alt.Y("ms:Q", title="execution time (ms)"),
        color=alt.Color("percentile:N", sort=["p50", "p95", "p99"]),
        tooltip=["operation_type", "percentile", "ms"],
    ).properties(height=240, width="container")
    st.altair_chart(chart)
    exact = ["total_rows", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "rows_per_second"]
    st.dataframe(exact_as_text(perf, exact), hide_index=True)


def render_sidebar(target: str) -> None:
    with st.sidebar:
        st.header("collatz_ext")
        st.caption(f"Database: {target}")
        st.button("Refresh now")
        every = f"every {REFRESH_SECONDS:g} s" if REFRESH_SECONDS > 0 else "off (COLLATZ_DASHBOARD_REFRESH=0)"
        st.caption(f"Pipeline runs refresh {every}; the rest with the page.")
        st.markdown("Views read: " + ", ".join(f"`{v.view}`" for v in q.VIEW_QUERIES))


def main() -> None:
    st.set_page_config(page_title="collatz_ext dashboard", layout="wide")
    st.title("collatz_ext dashboard")
    try:
        dsn = resolve_dsn()
    except ConfigurationError as exc:
        render_error(exc, "(no database)", None)
        return
    target = q.connection_target(dsn)
    render_sidebar(target)
    try:
        snap = load_snapshot(engine_for(dsn))
    except PageError as exc:
        render_error(exc.error, target, exc.identity)
        return
    render_header(snap.identity, target)
    render_summary(snap.summary)
    render_pipeline(dsn)
    render_distribution(snap.distribution)
    render_top(snap.longest, snap.highest)
    render_analyses(snap.analyses)
    render_performance(snap.performance)
    if _fragment is None and REFRESH_SECONDS > 0:  # no fragments: rerun the whole page on a timer
        time.sleep(REFRESH_SECONDS)
        rerun = getattr(st, "rerun", None) or getattr(st, "experimental_rerun", None)
        if rerun is not None:
            rerun()


main()
