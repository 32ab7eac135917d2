"""Engines per environment from the environment variables, and libpq's own variables."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import text
from sqlalchemy.orm import Session

from collatz_ext import ConfigurationError, SequenceRepository, create_engine_for, resolve_dsn
from conftest import TEST_DB, role_conninfo


def whoami(environment: str | None = None, dsn: str | None = None) -> tuple[str, str, str]:
    engine = create_engine_for(environment, dsn, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as s:
            row = s.execute(text("SELECT current_user, current_database(), current_setting('application_name')")).one()
            assert SequenceRepository(s).get_sequence(27).steps_to_one == 111
            return tuple(row)  # type: ignore[return-value]
    finally:
        engine.dispose()


@pytest.mark.parametrize(("environment", "role"), [("prod", "py_reader"), ("qa", "py_writer"), ("uat", "py_admin"),
                                                    ("sandbox", "py_writer")])
def test_dsn_per_environment(monkeypatch: pytest.MonkeyPatch, database: str, environment: str, role: str) -> None:
    for name in ("PROD", "QA", "UAT", "SANDBOX"):
        monkeypatch.delenv(f"COLLATZ_DSN_{name}", raising=False)
    monkeypatch.setenv(f"COLLATZ_DSN_{environment.upper()}", role_conninfo(role))
    assert whoami(environment) == (role, TEST_DB, "collatz_ext")
    monkeypatch.setenv("COLLATZ_ENV", environment)
    assert whoami()[0] == role


def test_missing_environment_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLATZ_DSN_UAT", raising=False)
    with pytest.raises(ConfigurationError) as info:
        create_engine_for("uat")
    assert "COLLATZ_DSN_UAT" in info.value.message and ".pgpass" in (info.value.hint or "")


def test_libpq_variables(monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    params = conninfo_to_dict(role_conninfo("py_reader"))
    for name in ("COLLATZ_ENV", "COLLATZ_DSN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGHOST", str(params["host"]))
    monkeypatch.setenv("PGPORT", str(params["port"]))
    monkeypatch.setenv("PGUSER", "py_reader")
    monkeypatch.setenv("PGDATABASE", TEST_DB)
    assert resolve_dsn() == ""
    assert whoami() == ("py_reader", TEST_DB, "collatz_ext")


def test_uri_dsn_and_explicit_dsn_wins(monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    params = conninfo_to_dict(role_conninfo("py_writer"))
    host = str(params["host"]).replace("/", "%2F")
    uri = f"postgresql://py_writer@{host}:{params['port']}/{TEST_DB}"
    monkeypatch.setenv("COLLATZ_DSN_QA", role_conninfo("py_reader"))
    assert whoami("qa", dsn=uri)[0] == "py_writer"
