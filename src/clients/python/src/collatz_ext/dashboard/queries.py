"""What the dashboard reads: collatz_ext's views, nothing else, in read-only transactions.

Every function takes a connection opened by :func:`read_only` and returns plain values or
a pandas DataFrame. Exact values stay exact: ``numeric`` columns (peaks, percentages,
rates) are ``Decimal`` objects, ``bigint`` columns are pandas' nullable ``Int64`` (a NULL
never turns a column into floats), and nothing is rounded here. The page converts to
strings for display and to floats only for chart axes of times and rates.

The views and what they answer:

==================================  =====================================================
``v_sequence_summary``              :func:`summary`: one row of totals (the metric tiles)
``v_sequence_length_distribution``  :func:`length_distribution`: the length histogram
``v_top_sequences``                 :func:`top_sequences`: 100 longest, 100 highest peaks
``v_range_analysis``                :func:`range_analyses`: every analysis, by date
``v_performance_dashboard``         :func:`performance`: p50/p95/p99 per operation
``v_pipeline_progress``             :func:`pipeline_progress`: every run, how far it is
==================================  =====================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import Connection, Engine, text

from ..connection import create_engine_for
from ..errors import translate_errors

SCHEMA = "collatz"

#: application_name of the dashboard's connections (pg_stat_activity shows it).
APPLICATION_NAME = "collatz_ext-dashboard"

Kind = Literal["int", "exact", "float", "text", "time"]
Ranking = Literal["longest", "highest peak"]
RANKINGS: tuple[Ranking, ...] = ("longest", "highest peak")


@dataclass(frozen=True)
class ViewQuery:
    """One SELECT of one view: its columns (with how to hold each) and its order."""

    view: str
    columns: tuple[tuple[str, Kind], ...]
    where: str = ""
    order_by: str = ""

    @property
    def sql(self) -> str:
        cols = ", ".join(name for name, _ in self.columns)
        out = f"SELECT {cols} FROM {SCHEMA}.{self.view}"
        if self.where:
            out += f" WHERE {self.where}"
        if self.order_by:
            out += f" ORDER BY {self.order_by}"
        return out


SUMMARY = ViewQuery("v_sequence_summary", (
    ("total_sequences", "int"), ("smallest_number", "int"), ("largest_number", "int"),
    ("mean_sequence_length", "exact"), ("longest_sequence_length", "int"), ("longest_sequence_number", "int"),
    ("highest_peak", "exact"), ("highest_peak_number", "int"), ("sequences_with_steps", "int"),
    ("stored_steps", "int"), ("first_stored_at", "time"), ("last_stored_at", "time"),
))
LENGTH_DISTRIBUTION = ViewQuery("v_sequence_length_distribution", (
    ("sequence_length", "int"), ("sequences", "int"), ("percent", "exact"), ("smallest_number", "int"),
    ("highest_peak", "exact"),
), order_by="sequence_length")
TOP_SEQUENCES = ViewQuery("v_top_sequences", (
    ("rank", "int"), ("number", "int"), ("sequence_length", "int"), ("steps_to_one", "int"), ("max_value", "exact"),
), where="ranking = :ranking", order_by="rank")
RANGE_ANALYSES = ViewQuery("v_range_analysis", (
    ("analysis_id", "int"), ("analysis_date", "time"), ("start_range", "int"), ("end_range", "int"),
    ("range_size", "int"), ("numbers_analyzed", "int"), ("longest_sequence", "int"),
    ("longest_sequence_length", "int"), ("highest_peak", "int"), ("highest_peak_value", "exact"),
    ("duration_ms", "float"), ("numbers_per_second", "exact"), ("experiment_id", "int"),
    ("experiment_name", "text"),
), order_by="analysis_date, analysis_id")
PERFORMANCE = ViewQuery("v_performance_dashboard", (
    ("operation_type", "text"), ("runs", "int"), ("total_rows", "exact"), ("mean_ms", "exact"),
    ("p50_ms", "exact"), ("p95_ms", "exact"), ("p99_ms", "exact"), ("max_ms", "exact"),
    ("rows_per_second", "exact"), ("max_memory_bytes", "int"), ("first_run_at", "time"), ("last_run_at", "time"),
), order_by="operation_type")
PIPELINE_PROGRESS = ViewQuery("v_pipeline_progress", (
    ("run_id", "int"), ("operation_type", "text"), ("state", "text"), ("start_range", "int"), ("end_range", "int"),
    ("numbers_total", "int"), ("numbers_done", "int"), ("percent_done", "exact"), ("rows_done", "int"),
    ("numbers_per_second", "float"), ("seconds_left", "exact"), ("backend_pid", "int"), ("experiment_id", "int"),
    ("started_by", "text"), ("started_at", "time"), ("updated_at", "time"), ("finished_at", "time"),
), order_by="CASE state WHEN 'running' THEN 0 WHEN 'interrupted' THEN 1 ELSE 2 END, run_id DESC")

#: Every query the dashboard sends to a view (the tests check that they read only views).
VIEW_QUERIES: tuple[ViewQuery, ...] = (SUMMARY, LENGTH_DISTRIBUTION, TOP_SEQUENCES, RANGE_ANALYSES, PERFORMANCE,
                                       PIPELINE_PROGRESS)

# Who the dashboard is, from the catalogs only (no collatz table): the role, the database,
# whether it is a superuser, and whether it could write (the dashboard needs only 'read').
WHOAMI_SQL = f"""
SELECT current_user::text AS role, current_database()::text AS database,
       coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), false) AS superuser,
       coalesce((SELECT pg_catalog.has_table_privilege(c.oid, 'INSERT')
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '{SCHEMA}' AND c.relname = 'collatz_sequences'), false) AS can_write
"""


@dataclass(frozen=True)
class Identity:
    role: str
    database: str
    superuser: bool
    can_write: bool


@dataclass(frozen=True)
class Summary:
    """The one row of v_sequence_summary (NULLs while nothing is stored)."""

    total_sequences: int
    smallest_number: int | None
    largest_number: int | None
    mean_sequence_length: Decimal | None
    longest_sequence_length: int | None
    longest_sequence_number: int | None
    highest_peak: Decimal | None
    highest_peak_number: int | None
    sequences_with_steps: int
    stored_steps: int
    first_stored_at: datetime | None
    last_stored_at: datetime | None


def connection_target(dsn: str) -> str:
    """user@host:port/dbname of a connection string, for messages (never the password)."""
    info = conninfo_to_dict(dsn) if dsn else {}
    user = str(info.get("user") or os.environ.get("PGUSER") or "")
    host = str(info.get("host") or os.environ.get("PGHOST") or "localhost")
    port = str(info.get("port") or os.environ.get("PGPORT") or "5432")
    db = str(info.get("dbname") or os.environ.get("PGDATABASE") or user)
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def make_engine(dsn: str) -> Engine:
    """A small pooled engine from the package's factory; the dashboard opens few connections."""
    return create_engine_for(dsn=dsn, pool_size=2, max_overflow=2, application_name=APPLICATION_NAME)


@contextmanager
def read_only(engine: Engine, statement_timeout_ms: int = 30000) -> Iterator[Connection]:
    """One REPEATABLE READ, READ ONLY transaction: every view of one page agrees, and nothing is written.

    The transaction is rolled back at the end (there is nothing to commit). Driver errors
    come out as :class:`~collatz_ext.errors.CollatzError` subclasses.
    """
    with translate_errors(), engine.connect() as conn:
        try:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
            yield conn
        finally:
            conn.rollback()


def _frame(rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, Kind]]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for i, (name, kind) in enumerate(columns):
        values = [row[i] for row in rows]
        if kind == "int":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "exact":
            data[name] = pd.Series(values, dtype=object)
        elif kind == "float":
            data[name] = pd.Series([None if v is None else float(v) for v in values], dtype="float64")
        elif kind == "time":
            data[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=[name for name, _ in columns])


def _select(conn: Connection, query: ViewQuery, **params: Any) -> pd.DataFrame:
    rows = conn.execute(text(query.sql), params).all()
    return _frame(rows, query.columns)


def whoami(conn: Connection) -> Identity:
    row = conn.execute(text(WHOAMI_SQL)).one()
    return Identity(role=row.role, database=row.database, superuser=bool(row.superuser), can_write=bool(row.can_write))


def summary(conn: Connection) -> Summary:
    row = conn.execute(text(SUMMARY.sql)).one()
    return Summary(**row._asdict())


def length_distribution(conn: Connection) -> pd.DataFrame:
    """sequence_length, sequences, percent, smallest_number, highest_peak; by length."""
    return _select(conn, LENGTH_DISTRIBUTION)


def top_sequences(conn: Connection, ranking: Ranking) -> pd.DataFrame:
    """rank, number, sequence_length, steps_to_one, max_value of one ranking ('longest' or 'highest peak')."""
    if ranking not in RANKINGS:
        raise ValueError(f"ranking must be one of {RANKINGS}, got {ranking!r}")
    return _select(conn, TOP_SEQUENCES, ranking=ranking)


def range_analyses(conn: Connection) -> pd.DataFrame:
    """Every range analysis with its records and speed, oldest first."""
    return _select(conn, RANGE_ANALYSES)


def performance(conn: Connection) -> pd.DataFrame:
    """Per operation: runs, rows, mean/p50/p95/p99/max ms, rows per second, memory."""
    return _select(conn, PERFORMANCE)


def pipeline_progress(conn: Connection) -> pd.DataFrame:
    """Every pipeline run: running ones first, then interrupted ones, then done ones (newest first)."""
    return _select(conn, PIPELINE_PROGRESS)


def unfinished_runs(progress: pd.DataFrame) -> pd.DataFrame:
    """The runs of :func:`pipeline_progress` that are running or interrupted."""
    return progress[progress["state"].isin(["running", "interrupted"])]


__all__ = [
    "APPLICATION_NAME",
    "RANKINGS",
    "VIEW_QUERIES",
    "Identity",
    "Summary",
    "ViewQuery",
    "connection_target",
    "length_distribution",
    "make_engine",
    "performance",
    "pipeline_progress",
    "range_analyses",
    "read_only",
    "summary",
    "top_sequences",
    "unfinished_runs",
    "whoami",
]
