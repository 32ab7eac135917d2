"""The Streamlit dashboard, headless (streamlit.testing.v1.AppTest), against the real extension.

Two databases of its own: dash_collatz_empty (a fresh CREATE EXTENSION) and dash_collatz_data
(2000 stored sequences, an analysis of [1, 100000], and an interrupted sp_analyze_range), and
login roles: dash_test_reader ('read' level), dash_test_viewsonly (SELECT on the views and
nothing else) and dash_test_nolevel (no level). The app connects as one of them through
COLLATZ_DSN, exactly as a deployment would. Expected numbers come from collatz_reference.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import collatz_reference as ref
import psycopg
import psycopg.errors
import pytest
import streamlit as st
from conftest import superuser_conninfo
from psycopg.conninfo import make_conninfo
from streamlit.testing.v1 import AppTest

from collatz_ext.dashboard import APP_PATH, queries

EMPTY_DB = "dash_collatz_empty"
DATA_DB = "dash_collatz_data"
READER, VIEWS_ONLY, NO_LEVEL = "dash_test_reader", "dash_test_viewsonly", "dash_test_nolevel"
ROLES = (READER, VIEWS_ONLY, NO_LEVEL)
DASHBOARD_VIEWS = {"v_sequence_summary", "v_sequence_length_distribution", "v_top_sequences", "v_range_analysis",
                   "v_performance_dashboard", "v_pipeline_progress"}
TABLES = ("collatz_sequences", "sequence_terms", "experiments", "analysis_results", "performance_metrics",
          "pipeline_runs", "collatz_totals")
# Far more than one statement_timeout of work on one thread: always interrupted mid-run.
INTERRUPTED = (1, 10_000_000_000)


def _drop(cur: psycopg.Cursor[Any]) -> None:
    for db in (EMPTY_DB, DATA_DB):
        cur.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    for role in ROLES:
        cur.execute(f"DROP ROLE IF EXISTS {role}")


def _conninfo(db: str, role: str | None = None) -> str:
    base = superuser_conninfo(db)
    return make_conninfo(base, user=role) if role else base


@pytest.fixture(scope="module")
def dash_databases() -> Iterator[None]:
    """Both databases with the extension, and the roles; dropped afterwards."""
    with psycopg.connect(superuser_conninfo(), autocommit=True) as conn, conn.cursor() as cur:
        _drop(cur)
        for role in ROLES:
            cur.execute(f"CREATE ROLE {role} LOGIN")
        for db in (EMPTY_DB, DATA_DB):
            cur.execute(f"CREATE DATABASE {db}")
    for db in (EMPTY_DB, DATA_DB):
        with psycopg.connect(_conninfo(db), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION collatz_ext")
            conn.execute("SELECT collatz.collatz_grant(%s, 'read')", (READER,))
            conn.execute(f"GRANT USAGE ON SCHEMA collatz TO {VIEWS_ONLY}")
            for view in sorted(DASHBOARD_VIEWS):
                conn.execute(f"GRANT SELECT ON collatz.{view} TO {VIEWS_ONLY}")
    try:
        yield
    finally:
        st.cache_resource.clear()  # the app's cached engines
        with psycopg.connect(superuser_conninfo(), autocommit=True) as conn, conn.cursor() as cur:
            _drop(cur)


@pytest.fixture(scope="module")
def loaded(dash_databases: None) -> dict[str, Any]:
    """Loads dash_collatz_data as the superuser; returns the interrupted run as v_pipeline_progress shows it."""
    with psycopg.connect(_conninfo(DATA_DB), autocommit=True) as conn:
        conn.execute("CALL collatz.sp_batch_insert_sequences(1, 2000)")
        conn.execute("SELECT * FROM collatz.analyze_range(1, 100000)")
        conn.execute("SET collatz.threads = 1")
        run: tuple[Any, ...] | None = None
        for _ in range(10):  # resumes the same run until a checkpoint is in (the first try nearly always)
            conn.execute("SET statement_timeout = '400ms'")
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("CALL collatz.sp_analyze_range(%s, %s, segment_size => 1000000)", INTERRUPTED)
            conn.execute("RESET statement_timeout")
            run = conn.execute(
                "SELECT run_id, percent_done, numbers_done, numbers_total, state FROM collatz.v_pipeline_progress"
                " WHERE operation_type = 'analyze_range' AND (start_range, end_range) = (%s, %s)", INTERRUPTED,
            ).fetchone()
            if run is not None and run[2] > 0:
                break
        assert run is not None and run[4] == "interrupted" and 0 < run[2] < run[3]
        perf = conn.execute("SELECT operation_type, p50_ms, p95_ms, p99_ms FROM collatz.v_performance_dashboard"
                            " ORDER BY operation_type").fetchall()
    return {"run_id": run[0], "percent": run[1], "numbers_done": run[2], "numbers_total": run[3],
            "performance": perf}


def run_app(monkeypatch: pytest.MonkeyPatch, dsn: str) -> AppTest:
    monkeypatch.delenv("COLLATZ_ENV", raising=False)
    monkeypatch.setenv("COLLATZ_DSN", dsn)
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def progress_bars(at: AppTest) -> list[tuple[int, str]]:
    return [(p.proto.value, p.proto.text) for p in at.get("progress")]


def frame_with(at: AppTest, column: str, first: str | None = None) -> Any:
    """The displayed DataFrame that has `column` (and, if given, `first` as its first column)."""
    found = [d.value for d in at.dataframe if column in d.value.columns
             and (first is None or d.value.columns[0] == first)]
    assert found, f"no table with a {column} column"
    return found


def fingerprint(db: str) -> dict[str, tuple[int, str | None]]:
    """Per table: rows, and a hash of every row version (ctid, xmin): any write changes it."""
    out = {}
    with psycopg.connect(_conninfo(db), autocommit=True) as conn:
        for table in TABLES:
            out[table] = conn.execute(
                f"SELECT count(*), md5(string_agg(ctid::text || ':' || xmin::text, ',' ORDER BY ctid))"
                f" FROM collatz.{table}").fetchone()
    return out


# ---------------------------------------------------------------------------------------
# (1) A fresh database.


def test_empty_database_renders(dash_databases: None, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(monkeypatch, _conninfo(EMPTY_DB, READER))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]  # a read role: no 'can write' warning
    shown = metrics(at)
    assert shown["Stored sequences"] == "0"
    assert shown["Longest sequence"] == shown["Highest peak"] == "—"
    assert progress_bars(at) == []
    subheaders = [s.value for s in at.subheader]
    for section in ("Stored sequences", "Pipeline runs (live)", "Length distribution", "Top sequences",
                    "Range analyses over time", "Performance per operation"):
        assert section in subheaders
    assert any("No pipeline runs yet" in i.value for i in at.info)


# ---------------------------------------------------------------------------------------
# (2) After loading: the right numbers.


def test_loaded_database_shows_the_right_numbers(loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(monkeypatch, _conninfo(DATA_DB, READER))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    longest, longest_len, peak_n, peak = ref.analyze(1, 2000)
    shown = metrics(at)
    assert shown["Stored sequences"] == "2,000"
    assert shown["Longest sequence"] == f"{longest:,}"
    assert shown["Longest length"] == f"{longest_len:,} terms"
    assert shown["Highest peak"] == f"{peak:,}"
    assert any(f"Numbers 1 – 2,000 stored · highest peak reached from {peak_n:,} " in c.value for c in at.caption)
    mean = Decimal(sum(ref.stats(n).sequence_length for n in range(1, 2001))) / 2000
    assert shown["Mean length"] == f"{mean.quantize(Decimal('0.01'))} terms"

    # Both rankings, every row exact, peaks as digit strings.
    longest_table, peak_table = frame_with(at, "max_value", first="rank")  # left, right
    by_length = sorted(range(1, 2001), key=lambda n: (-ref.stats(n).sequence_length, n))[:100]
    by_peak = sorted(range(1, 2001), key=lambda n: (-ref.stats(n).max_value, n))[:100]
    for table, expected in ((longest_table, by_length), (peak_table, by_peak)):
        assert list(table["number"]) == expected
        assert list(table["max_value"]) == [str(ref.stats(n).max_value) for n in expected]
        assert list(table["sequence_length"]) == [ref.stats(n).sequence_length for n in expected]

    # The analysis of [1, 100000] and its records.
    analyses, = frame_with(at, "highest_peak_value")
    assert len(analyses) == 1
    row = analyses.iloc[0]
    a_longest, a_len, a_peak_n, a_peak = ref.analyze(1, 100000)
    assert (row["start_range"], row["end_range"], row["numbers_analyzed"]) == (1, 100000, 100000)
    assert (row["longest_sequence"], row["longest_sequence_length"]) == (a_longest, a_len)
    assert (row["highest_peak"], row["highest_peak_value"]) == (a_peak_n, str(a_peak))
    assert isinstance(row["highest_peak_value"], str)

    # The interrupted run: one progress bar (the done batch insert has none), with its percent.
    bars = progress_bars(at)
    assert len(bars) == 1, bars
    value, label = bars[0]
    assert f"Run {loaded['run_id']} " in label and "interrupted" in label
    assert f"({loaded['percent']}%)" in label
    assert f"{loaded['numbers_done']:,} of {loaded['numbers_total']:,} numbers" in label
    assert abs(value - float(loaded["percent"])) <= 1
    runs, = frame_with(at, "percent_done")
    assert set(runs["state"]) == {"done", "interrupted"}

    # p50/p95/p99 per operation, exactly as the view has them.
    perf, = frame_with(at, "p99_ms")
    shown_perf = [(r.operation_type, r.p50_ms, r.p95_ms, r.p99_ms) for r in perf.itertuples(index=False)]
    assert shown_perf == [(op, str(p50), str(p95), str(p99)) for op, p50, p95, p99 in loaded["performance"]]
    assert {op for op, *_ in shown_perf} == {"analyze_range", "batch_insert"}


def test_queries_are_exact(loaded: dict[str, Any]) -> None:
    """The query module: the histogram matches the reference, exact types survive pandas."""
    engine = queries.make_engine(_conninfo(DATA_DB, READER))
    try:
        with queries.read_only(engine) as conn:
            dist = queries.length_distribution(conn)
            summary = queries.summary(conn)
            progress = queries.pipeline_progress(conn)
    finally:
        engine.dispose()
    counts = Counter(ref.stats(n).sequence_length for n in range(1, 2001))
    assert dict(zip(dist["sequence_length"], dist["sequences"])) == counts
    assert int(dist["sequences"].sum()) == summary.total_sequences == 2000
    assert all(isinstance(v, Decimal) for v in dist["highest_peak"])
    assert isinstance(summary.highest_peak, Decimal)
    assert str(dist["sequences"].dtype) == "Int64"
    # A NULL experiment_id keeps the bigint column integral (no float NaN).
    assert str(progress["experiment_id"].dtype) == "Int64" and progress["experiment_id"].isna().all()
    assert list(queries.unfinished_runs(progress)["run_id"]) == [loaded["run_id"]]


# ---------------------------------------------------------------------------------------
# (3) A read role, and nothing written.


def test_every_query_reads_only_a_view() -> None:
    seen = set()
    for query in queries.VIEW_QUERIES:
        assert re.fullmatch(r"SELECT [\w, ]+ FROM collatz\.(v_\w+)( WHERE .+?)?( ORDER BY .+)?", query.sql), query.sql
        assert not re.search(r"\b(INSERT|UPDATE|DELETE|CALL|TRUNCATE|nextval|collatz_internal)\b", query.sql, re.IGNORECASE)
        seen.add(query.view)
    assert seen == DASHBOARD_VIEWS


def test_works_with_select_on_the_views_alone(loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A role that may read the six views and no table: the whole page renders."""
    at = run_app(monkeypatch, _conninfo(DATA_DB, VIEWS_ONLY))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert metrics(at)["Stored sequences"] == "2,000"
    assert len(progress_bars(at)) == 1
    assert any(VIEWS_ONLY in c.value for c in at.caption)


def test_never_writes(loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """No row version changes, even when the app runs as the superuser, who could write."""
    before = fingerprint(DATA_DB)
    for role in (READER, None):
        at = run_app(monkeypatch, _conninfo(DATA_DB, role))
        assert not at.exception, at.exception
        at.run()  # a second run, as a refresh does
        assert not at.exception, at.exception
    assert fingerprint(DATA_DB) == before
    # The superuser got the warning that a read role is enough.
    assert any("needs only the 'read' level" in w.value for w in at.warning)
    # Its transactions are read-only: even a superuser's INSERT is refused inside one.
    engine = queries.make_engine(_conninfo(DATA_DB))
    try:
        with pytest.raises(Exception, match="read-only transaction"), queries.read_only(engine) as conn:
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            conn.exec_driver_sql("INSERT INTO collatz.experiments (name) VALUES ('dash_never')")
    finally:
        engine.dispose()
    assert fingerprint(DATA_DB) == before


def test_a_role_without_a_level_gets_a_clear_message(dash_databases: None, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(monkeypatch, _conninfo(DATA_DB, NO_LEVEL))
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert f"The role {NO_LEVEL} may not read collatz_ext's views" in errors[0]
    assert "permission denied" in errors[0]
    assert any(f"collatz.collatz_grant('{NO_LEVEL}', 'read')" in i.value for i in at.info)
    assert not at.metric  # nothing half-rendered


def test_missing_settings_and_no_server_are_reported(dash_databases: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLATZ_ENV", "qa")
    monkeypatch.delenv("COLLATZ_DSN_QA", raising=False)
    at = AppTest.from_file(str(APP_PATH), default_timeout=120).run()
    assert not at.exception, at.exception
    assert any("COLLATZ_DSN_QA is not set" in e.value for e in at.error)

    nowhere = make_conninfo(_conninfo(DATA_DB, READER), port="1")  # no server listens on port 1
    at = run_app(monkeypatch, nowhere)
    assert not at.exception, at.exception
    assert any(e.value.startswith("Cannot connect to ") for e in at.error), [e.value for e in at.error]
