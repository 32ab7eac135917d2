"""Each SQLSTATE the extension raises arrives as the Python exception that names it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import psycopg.errors
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import collatz_ext as cx
from collatz_ext import SequenceRepository
from conftest import role_conninfo


def call(engine: Engine, fn: Callable[[SequenceRepository], Any], setup: str | None = None) -> cx.CollatzError:
    """Runs fn in a transaction that must fail; returns the CollatzError."""
    with Session(engine) as s, s.begin():
        if setup:
            s.execute(text(setup))
        with pytest.raises(cx.CollatzError) as info:
            fn(SequenceRepository(s))
        s.rollback()
    return info.value


@pytest.mark.parametrize(
    ("fn", "expected", "sqlstate", "words"),
    [
        (lambda r: r.save_sequence(0), cx.InvalidNumber, "22023", "must be a positive integer, got 0"),
        (lambda r: r.get_sequence(-5), cx.InvalidNumber, "22023", "got -5"),
        (lambda r: r.find_sequences_in_range(10, 1), cx.InvalidNumber, "22023", "the range is inverted"),
        (lambda r: r.analyze_range(10, 1), cx.InvalidNumber, "22023", "the range is inverted"),
        (lambda r: r.find_sequences_in_range(1, 10, page_size=0), cx.InvalidNumber, "22023", "page_size"),
        (lambda r: r.batch_save_sequences([1, -2]), cx.InvalidNumber, "22023", "got -2"),
        (lambda r: r.batch_save_sequences([1], on_conflict="merge"), cx.InvalidNumber, "22023",
         "unknown conflict strategy"),
        (lambda r: r.save_sequence(2**63), cx.NumberOutOfRange, "22003", "out of range"),
        (lambda r: r.find_sequences_in_range(None, 10), cx.NullNotAllowed, "22004", "must not be NULL"),
        (lambda r: r.batch_save_sequences(None), cx.NullNotAllowed, "22004", "must not be NULL"),
        (lambda r: r.save_sequence(None), cx.NullNotAllowed, "22004", "must not be NULL"),
        (lambda r: r.analyze_range(1, 10**13), cx.ProgramLimitExceeded, "54000", "above the limit"),
        (lambda r: r.analyze_range(1, 10, experiment_id=999999), cx.ForeignKeyViolation, "23503", "does not exist"),
        (lambda r: r.create_experiment("   "), cx.CheckViolation, "23514", "experiments_name_not_blank"),
        (lambda r: r.record_experiment_results(1, []), cx.InvalidNumber, "22023", "must be a JSON object"),
    ],
)
def test_sqlstate_to_exception(writer: Engine, fn: Callable[[SequenceRepository], Any],
                               expected: type[cx.CollatzError], sqlstate: str, words: str) -> None:
    err = call(writer, fn)
    assert type(err) is expected
    assert err.sqlstate == sqlstate
    assert words in err.message
    assert isinstance(err, cx.CollatzError) and not err.retryable
    if sqlstate in ("22023", "22004", "54000", "23503"):
        assert err.hint  # the extension gives a hint with each of these


def test_experiment_name_taken_is_already_stored(writer: Engine) -> None:
    with Session(writer) as s, s.begin():
        SequenceRepository(s).create_experiment("py-taken")
    err = call(writer, lambda r: r.create_experiment("py-taken"))
    assert isinstance(err, cx.UniqueViolation) and isinstance(err, cx.AlreadyStored) and err.sqlstate == "23505"


def test_on_conflict_error_is_already_stored(writer: Engine) -> None:
    with Session(writer) as s, s.begin():
        SequenceRepository(s).batch_save_sequences([1, 2, 3])
    err = call(writer, lambda r: r.batch_save_sequences([3, 4], on_conflict="error"))
    assert isinstance(err, cx.AlreadyStored) and "already stored" in err.message
    assert "Nothing was written" in (err.hint or "")


def test_reader_writing_is_insufficient_privilege(reader: Engine) -> None:
    for fn in (lambda r: r.save_sequence(27), lambda r: r.batch_save_sequences([1, 2]),
               lambda r: r.analyze_range(1, 10), lambda r: r.create_experiment("py-reader"),
               lambda r: r.get_sequence(27, cache=True)):
        err = call(reader, fn)
        assert isinstance(err, cx.InsufficientPrivilege) and err.sqlstate == "42501"
    # A reader may read.
    with Session(reader) as s:
        assert SequenceRepository(s).get_sequence(27).steps_to_one == 111


def test_writer_cannot_write_computed_tables(writer: Engine) -> None:
    with Session(writer) as s, s.begin():
        with pytest.raises(cx.InsufficientPrivilege), cx.translate_errors():
            s.execute(text("INSERT INTO collatz.performance_metrics (operation_type, execution_time) VALUES ('x', 1)"))
        s.rollback()


def test_statement_timeout_is_query_canceled(writer: Engine) -> None:
    err = call(writer, lambda r: r.analyze_range(1, 10**11), setup="SET LOCAL statement_timeout = '200ms'")
    assert isinstance(err, cx.QueryCanceled) and err.sqlstate == "57014"
    # The pool's connection is healthy afterwards.
    with Session(writer) as s:
        assert SequenceRepository(s).get_sequence(27).steps_to_one == 111


def test_lock_timeout_is_lock_not_available(writer: Engine, database: str) -> None:
    # The superuser stores 27 and keeps its transaction open; the writer's insert of 27 waits.
    holder = psycopg.connect(database)
    try:
        holder.execute("SELECT collatz.save_sequence(27)")
        err = call(writer, lambda r: r.save_sequence(27), setup="SET LOCAL lock_timeout = '100ms'")
        assert isinstance(err, cx.LockNotAvailable) and err.sqlstate == "55P03"
    finally:
        holder.rollback()
        holder.close()


def test_import_without_staging_is_nothing_staged(database: str) -> None:
    # A new connection: a pooled one keeps its staging table (and lines) from earlier imports.
    with psycopg.connect(role_conninfo("py_writer")) as conn:
        with pytest.raises(cx.NothingStaged) as info, cx.translate_errors():
            conn.execute("SELECT * FROM collatz.import_sequences('csv')")
    assert info.value.sqlstate == "55000" and info.value.hint and "import_open" in info.value.hint


def test_mapping_of_every_listed_sqlstate() -> None:
    # The table itself, for the states no test above can provoke on purpose (53200, ...).
    expected = {
        "22023": cx.InvalidNumber, "22003": cx.NumberOutOfRange, "22004": cx.NullNotAllowed,
        "22P02": cx.InvalidText, "22P04": cx.BadImportFile, "22012": cx.InvalidArgument,
        "23505": cx.UniqueViolation, "23514": cx.CheckViolation, "23503": cx.ForeignKeyViolation,
        "23502": cx.IntegrityViolation, "42501": cx.InsufficientPrivilege, "53200": cx.OutOfMemory,
        "54000": cx.ProgramLimitExceeded, "55000": cx.NothingStaged, "55P03": cx.LockNotAvailable,
        "57014": cx.QueryCanceled, "57P01": cx.ConnectionLost, "57P03": cx.ConnectionLost,
        "08006": cx.ConnectionLost, "40001": cx.TransactionConflict, "40P01": cx.TransactionConflict,
        "42883": cx.CollatzError, "XX000": cx.CollatzError,
    }
    for sqlstate, cls in expected.items():
        driver_error = psycopg.errors.lookup(sqlstate)("some message")
        translated = cx.translate(driver_error)
        assert type(translated) is cls, sqlstate
        assert translated.sqlstate == sqlstate
        assert cx.is_retryable(driver_error) == (sqlstate[:2] in ("08", "40") or sqlstate in ("57P01", "57P03"))
    assert cx.translate(ValueError("x")) is None
    assert cx.translate(psycopg.OperationalError("server closed the connection unexpectedly")).__class__ \
        is cx.ConnectionLost


def test_concurrent_failures_do_not_leak_between_threads(writer: Engine) -> None:
    # Errors raised in many threads at once each carry their own message.
    errors: dict[int, cx.CollatzError] = {}

    def work(i: int) -> None:
        with Session(writer) as s, s.begin():
            try:
                SequenceRepository(s).save_sequence(-i)
            except cx.CollatzError as e:
                errors[i] = e
                s.rollback()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(errors) == list(range(1, 9))
    assert all(f"got -{i}" in e.message for i, e in errors.items())
