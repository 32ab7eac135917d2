"""Fixtures: a fresh database with the real extension and login roles of every level.

The superuser connection comes from COLLATZ_TEST_DSN, else from libpq's variables with the
project's local cluster as default (host ${TMPDIR:-/tmp}/collatz_ext-pg, port
$COLLATZ_PGPORT or 28815, user postgres). Everything made here starts with py_ and is
dropped at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine

from collatz_ext import create_engine_for

TEST_DB = "py_collatz_test"
LEVELS = {"py_reader": "read", "py_writer": "write", "py_admin": "admin"}
TABLES = ("collatz_sequences", "sequence_terms", "experiments", "analysis_results", "performance_metrics",
          "pipeline_runs")


def superuser_conninfo(dbname: str = "postgres") -> str:
    base = os.environ.get("COLLATZ_TEST_DSN")
    if base is None:
        tmp = os.environ.get("TMPDIR", "/tmp")
        base = make_conninfo(
            host=os.environ.get("PGHOST", f"{tmp}/collatz_ext-pg"),
            port=os.environ.get("PGPORT", os.environ.get("COLLATZ_PGPORT", "28815")),
            user=os.environ.get("PGUSER", "postgres"),
        )
    return make_conninfo(base, dbname=dbname)


def role_conninfo(role: str) -> str:
    return make_conninfo(superuser_conninfo(TEST_DB), user=role)


def _drop_everything(cur: psycopg.Cursor) -> None:
    cur.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
    for role in LEVELS:
        cur.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """Creates py_collatz_test with CREATE EXTENSION collatz_ext and the py_* roles; drops them after."""
    with psycopg.connect(superuser_conninfo(), autocommit=True) as conn, conn.cursor() as cur:
        _drop_everything(cur)  # what a killed earlier run may have left
        for role in LEVELS:
            cur.execute(f"CREATE ROLE {role} LOGIN")
        cur.execute(f"CREATE DATABASE {TEST_DB}")
    with psycopg.connect(superuser_conninfo(TEST_DB), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION collatz_ext")
        for role, level in LEVELS.items():
            conn.execute("SELECT collatz.collatz_grant(%s, %s)", (role, level))
    try:
        yield superuser_conninfo(TEST_DB)
    finally:
        with psycopg.connect(superuser_conninfo(), autocommit=True) as conn, conn.cursor() as cur:
            _drop_everything(cur)


@pytest.fixture()
def su(database: str) -> Iterator[psycopg.Connection]:
    """A superuser connection (autocommit) to the test database."""
    with psycopg.connect(database, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def empty_tables(database: str) -> None:
    """Every test starts from empty tables."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("TRUNCATE " + ", ".join(f"collatz.{t}" for t in TABLES) + " RESTART IDENTITY CASCADE")


def _engine(role: str) -> Iterator[Engine]:
    engine = create_engine_for(dsn=role_conninfo(role), pool_size=2, max_overflow=2)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def writer(database: str) -> Iterator[Engine]:
    yield from _engine("py_writer")


@pytest.fixture(scope="session")
def reader(database: str) -> Iterator[Engine]:
    yield from _engine("py_reader")


@pytest.fixture(scope="session")
def admin(database: str) -> Iterator[Engine]:
    yield from _engine("py_admin")
