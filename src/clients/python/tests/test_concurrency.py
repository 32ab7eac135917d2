"""The pool under 200 threads, and a backend killed mid-work that the retry finishes exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

import collatz_reference as ref
from collatz_ext import (
    CollatzSequenceModel,
    ConnectionLost,
    InvalidNumber,
    SequenceInfo,
    SequenceRepository,
    create_engine_for,
    is_retryable,
    retrying,
    run_in_transaction,
)
from conftest import role_conninfo

THREADS = 200
UPPER = 3000  # every write of the stress test stays in [1, UPPER]


@pytest.fixture()
def pool_of_20(database: str) -> Iterator[Engine]:
    engine = create_engine_for(dsn=role_conninfo("py_writer"), pool_size=20, max_overflow=0, pool_timeout=600)
    try:
        yield engine
    finally:
        engine.dispose()


def get_sequence_of(n: int) -> Callable[[Session], SequenceInfo]:
    return lambda s: SequenceRepository(s).get_sequence(n)


def check_all_exact(engine: Engine, with_steps: set[int]) -> int:
    with Session(engine) as s:
        rows = s.scalars(select(CollatzSequenceModel).order_by(CollatzSequenceModel.number)).all()
        for row in rows:
            expected = ref.stats(row.number)
            assert (row.sequence_length, row.steps_to_one, row.max_value) == (
                expected.sequence_length, expected.steps_to_one, expected.max_value), row.number
            if row.number in with_steps:
                assert [st.value for st in row.steps] == [Decimal(v) for v in ref.terms(row.number)]
                assert [st.operation_type for st in row.steps] == ref.operations(row.number)
        return len(rows)


def test_pool_of_20_under_200_threads(pool_of_20: Engine, database: str) -> None:
    errors: list[BaseException] = []
    checked_out: list[int] = []
    start = threading.Barrier(THREADS)
    steps_for = {n for n in range(1, UPPER + 1) if n % 97 == 0}

    def operation(i: int, kind: int) -> None:
        if kind == 0:  # batch_save of overlapping ranges
            lo = (i * 37) % (UPPER - 400) + 1
            numbers = list(range(lo, lo + 400))
            written = run_in_transaction(pool_of_20, lambda s: SequenceRepository(s).batch_save_sequences(numbers))
            assert 0 <= written <= 400
        elif kind == 1:  # save_sequence, some with steps
            n = (i * 131) % UPPER + 1
            run_in_transaction(pool_of_20, lambda s: SequenceRepository(s).save_sequence(n))
            m = sorted(steps_for)[i % len(steps_for)]
            row = run_in_transaction(pool_of_20,
                                     lambda s: SequenceRepository(s).save_sequence(m, with_steps=True).number)
            assert row == m
        elif kind == 2:  # get_sequence, stored or not: always the true values
            for n in ((i * 17) % UPPER + 1, UPPER + i):
                info = run_in_transaction(pool_of_20, get_sequence_of(n))
                assert info.steps_to_one == ref.stats(n).steps_to_one and info.max_value == ref.stats(n).max_value
        else:  # keyset pages over a range others are writing
            lo = (i * 53) % (UPPER - 500) + 1

            def read_pages(s: Session) -> list[int]:
                return [r.number for r in SequenceRepository(s).iter_sequences_in_range(lo, lo + 500, page_size=64)]

            numbers = run_in_transaction(pool_of_20, read_pages)
            assert numbers == sorted(set(numbers)) and all(lo <= n <= lo + 500 for n in numbers)

    def worker(i: int) -> None:
        try:
            start.wait()
            for r in range(4):  # each thread does each kind once, in its own order
                operation(i, (i + r) % 4)
                checked_out.append(pool_of_20.pool.checkedout())  # type: ignore[attr-defined]
        except BaseException as exc:  # noqa: BLE001 -- every failure is collected and reported
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(checked_out) == 4 * THREADS and max(checked_out) <= 20
    assert pool_of_20.pool.size() == 20  # type: ignore[attr-defined]

    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT number) FROM collatz.collatz_sequences").fetchone()
        stepped = {n for (n,) in conn.execute(
            "SELECT DISTINCT s.number FROM collatz.collatz_sequences s JOIN collatz.sequence_steps st"
            " ON st.sequence_id = s.id")}
    assert rows is not None and rows[0] == rows[1] > 0
    assert stepped <= steps_for and stepped
    assert check_all_exact(pool_of_20, stepped) == rows[0]


def test_terminated_backend_is_retried_and_the_work_done_once(database: str) -> None:
    engine = create_engine_for(dsn=role_conninfo("py_writer"), pool_size=2, max_overflow=0)
    first_part, second_part = list(range(1, 1001)), list(range(1001, 2001))
    attempts: list[int] = []
    retried: list[BaseException] = []
    blocker = psycopg.connect(database)  # superuser, in a transaction that holds 1500 uncommitted
    blocker.execute("SELECT collatz.save_sequence(1500)")

    def work(s: Session) -> int:
        repo = SequenceRepository(s)
        attempts.append(s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        written = repo.batch_save_sequences(first_part, with_steps=True)
        # The first attempt waits here on 1500 (the blocker's uncommitted row) until killed.
        return written + repo.batch_save_sequences(second_part)

    result: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            result.append(run_in_transaction(engine, work, attempts=5, backoff=0.05,
                                             on_retry=lambda attempt, exc: retried.append(exc)))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        with psycopg.connect(database, autocommit=True) as su:
            victim = None
            for _ in range(6000):  # until the worker waits on the lock, inside its transaction
                row = su.execute(
                    "SELECT pid FROM pg_stat_activity WHERE usename = 'py_writer' AND datname = current_database()"
                    " AND state = 'active' AND wait_event_type = 'Lock' AND query LIKE '%batch_save_sequences%'"
                ).fetchone()
                if row:
                    victim = row[0]
                    break
                time.sleep(0.01)
            assert victim is not None and attempts and victim == attempts[0]
            assert su.execute("SELECT pg_terminate_backend(%s)", (victim,)).fetchone() == (True,)
    finally:
        blocker.rollback()  # 1500 is free again for the retry
        blocker.close()
    worker.join(timeout=300)
    assert not worker.is_alive()
    engine.dispose()

    assert failures == []
    assert len(retried) == 1 and is_retryable(retried[0])
    assert isinstance(retried[0], ConnectionLost) and retried[0].sqlstate == "57P01"
    assert len(attempts) == 2 and attempts[0] != attempts[1]
    assert result == [2000]  # the retry wrote everything: nothing of the killed attempt had survived
    with psycopg.connect(database) as conn:
        counts = conn.execute("SELECT count(*), count(DISTINCT number), min(number), max(number)"
                              " FROM collatz.collatz_sequences").fetchone()
        steps = conn.execute("SELECT count(*), count(DISTINCT (sequence_id, step_number))"
                             " FROM collatz.sequence_steps").fetchone()
        metrics = conn.execute("SELECT count(*) FROM collatz.performance_metrics"
                               " WHERE operation_type = 'batch_save'").fetchone()
    assert counts == (2000, 2000, 1, 2000)
    expected_steps = sum(len(ref.terms(n)) for n in first_part)
    assert steps == (expected_steps, expected_steps)
    assert metrics == (2,)  # one metric row per batch of the attempt that committed
    check_engine = create_engine_for(dsn=role_conninfo("py_writer"))
    try:
        assert check_all_exact(check_engine, set(first_part)) == 2000
    finally:
        check_engine.dispose()


def test_data_errors_are_never_retried(writer: Engine) -> None:
    calls: list[int] = []

    def bad(s: Session) -> None:
        calls.append(1)
        SequenceRepository(s).save_sequence(0)

    with pytest.raises(InvalidNumber):
        run_in_transaction(writer, bad, attempts=5, backoff=0.01)
    assert calls == [1]

    @retrying(attempts=4, backoff=0.01)
    def flaky() -> int:
        calls.append(2)
        if calls.count(2) < 3:
            raise ConnectionLost("terminating connection due to administrator command", sqlstate="57P01")
        with Session(writer) as s:
            return int(s.execute(text("SELECT collatz.collatz_steps(27)")).scalar_one())

    assert flaky() == 111 and calls.count(2) == 3
