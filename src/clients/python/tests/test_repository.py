"""Every repository method against the real extension, checked with the Python reference."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import collatz_reference as ref
from collatz_ext import (
    InvalidNumber,
    NullNotAllowed,
    AnalysisResultModel,
    CollatzSequenceModel,
    ExperimentModel,
    PerformanceMetricModel,
    SequenceRepository,
    SequenceStepModel,
    SequenceTermModel,
)

BIG = 12327829503  # its peak passes 2^64


def assert_exact(row: CollatzSequenceModel) -> None:
    expected = ref.stats(row.number)
    assert (row.sequence_length, row.steps_to_one, row.max_value) == (
        expected.sequence_length, expected.steps_to_one, expected.max_value)
    assert isinstance(row.max_value, Decimal)


def assert_steps_exact(row: CollatzSequenceModel) -> None:
    assert [s.step_number for s in row.steps] == list(range(row.sequence_length))
    assert [s.value for s in row.steps] == [Decimal(v) for v in ref.terms(row.number)]
    assert [s.operation_type for s in row.steps] == ref.operations(row.number)
    assert all(isinstance(s.value, Decimal) for s in row.steps)


def test_reference_is_right() -> None:
    # Quoted values (README): 27 has 111 steps and peaks at 9232.
    assert ref.stats(27) == ref.Stats(27, 112, 111, Decimal(9232))
    assert ref.stats(1) == ref.Stats(1, 1, 0, Decimal(1))
    assert ref.operations(6) == ["start", "even", "odd", "even", "odd", "even", "even", "even", "even"]


def test_save_sequence_with_steps_and_relationships(writer: Engine) -> None:
    with Session(writer) as s, s.begin():
        row = SequenceRepository(s).save_sequence(27, with_steps=True)
        assert isinstance(row, CollatzSequenceModel) and row.id is not None and row.created_at is not None
        assert_exact(row)
        assert_steps_exact(row)
        assert all(step.sequence is row for step in row.steps)
        again = SequenceRepository(s).save_sequence(27)  # stored already: the same row back
        assert again.id == row.id
    with Session(writer) as s:
        stored = s.scalars(select(CollatzSequenceModel)).all()
        assert [r.number for r in stored] == [27]
        steps = s.scalars(select(SequenceStepModel).order_by(SequenceStepModel.step_number)).all()
        assert len(steps) == 112 and steps[0].sequence.number == 27


def test_peak_past_2_64_is_exact(writer: Engine) -> None:
    expected = ref.stats(BIG)
    assert expected.max_value > 2**64
    with Session(writer) as s, s.begin():
        repo = SequenceRepository(s)
        row = repo.save_sequence(BIG, with_steps=True)
        assert row.max_value == expected.max_value == Decimal("20722398914405051728")
        assert_exact(row)
        assert_steps_exact(row)
        assert max(step.value for step in row.steps) == expected.max_value
        info = repo.get_sequence(BIG)
        assert info.stored and info.max_value == expected.max_value and isinstance(info.max_value, Decimal)
        # Computed, not stored: still exact.
        computed = repo.get_sequence(BIG + 2)
        assert not computed.stored and computed.max_value == ref.stats(BIG + 2).max_value


def test_get_sequence_computed_stored_and_cached(writer: Engine, reader: Engine) -> None:
    with Session(reader) as s:
        info = SequenceRepository(s).get_sequence(97)
        assert not info.stored and info.created_at is None
        assert (info.number, info.sequence_length, info.steps_to_one, info.max_value) == (
            97, *[getattr(ref.stats(97), f) for f in ("sequence_length", "steps_to_one", "max_value")])
    with Session(writer) as s, s.begin():
        cached = SequenceRepository(s).get_sequence(97, cache=True)
        assert cached.stored and cached.created_at is not None
    with Session(reader) as s:
        info = SequenceRepository(s).get_sequence(97)
        assert info.stored and info.steps_to_one == ref.stats(97).steps_to_one


def test_batch_save_sequences(writer: Engine) -> None:
    numbers = [5, 3, 3, 871, 77031, 1]
    with Session(writer) as s, s.begin():
        repo = SequenceRepository(s)
        assert repo.batch_save_sequences(numbers) == 5  # distinct numbers
        assert repo.batch_save_sequences([1, 2, 3]) == 1  # only 2 is new under skip
        assert repo.batch_save_sequences([2, 3], on_conflict="upsert") == 2
        assert repo.batch_save_sequences([]) == 0
        assert repo.batch_save_sequences(list(range(10, 60)), with_steps=True) == 50
    with Session(writer) as s:
        rows = s.scalars(select(CollatzSequenceModel).order_by(CollatzSequenceModel.number)).all()
        assert [r.number for r in rows] == sorted({1, 2, 3, 5, 871, 77031, *range(10, 60)})
        for r in rows:
            assert_exact(r)
            if 10 <= r.number < 60:
                assert_steps_exact(r)
            else:
                assert r.steps == []
        metrics = s.scalars(select(PerformanceMetricModel).where(PerformanceMetricModel.operation_type == "batch_save")
                            .order_by(PerformanceMetricModel.timestamp)).all()
        assert len(metrics) == 5 and metrics[0].timestamp == metrics[0].recorded_at
        assert metrics[0].rows_processed == 5


def test_terms_whether_stored_or_not(writer: Engine, reader: Engine) -> None:
    # 27 stored with its steps, 97 and BIG without, 871 not stored at all: every term of
    # each, against the Python walk, from get_terms and the ORM's terms relationship.
    with Session(writer) as s, s.begin():
        repo = SequenceRepository(s)
        repo.save_sequence(27, with_steps=True)
        repo.batch_save_sequences([97, BIG])
    with Session(reader) as s:
        repo = SequenceRepository(s)
        for n in (27, 97, BIG, 871):
            terms = repo.get_terms(n)
            assert [t.step_number for t in terms] == list(range(ref.stats(n).sequence_length))
            assert [t.value for t in terms] == [Decimal(v) for v in ref.terms(n)]
            assert [t.operation_type for t in terms] == ref.operations(n)
        rows = {r.number: r for r in s.scalars(select(CollatzSequenceModel))}
        for n in (27, 97, BIG):
            assert [t.value for t in rows[n].terms] == [Decimal(v) for v in ref.terms(n)]
            assert [t.operation_type for t in rows[n].terms] == ref.operations(n)
        assert [(t.step_number, t.value, t.operation_type) for t in rows[27].terms] == [
            (st.step_number, st.value, st.operation_type) for st in rows[27].steps]
        assert rows[97].steps == [] and len(rows[97].terms) == 119
        assert max(t.value for t in rows[BIG].terms) == rows[BIG].max_value  # past 2^64, exact
        with pytest.raises(NullNotAllowed):
            repo.get_terms(None)  # type: ignore[arg-type]
        with pytest.raises(InvalidNumber):
            repo.get_terms(0)


def test_terms_are_read_only(writer: Engine) -> None:
    from collatz_ext import ReadOnlyModelError

    with Session(writer) as s, s.begin():
        s.add(SequenceTermModel(sequence_id=1, step_number=0, value=Decimal(1), operation_type="start"))
        with pytest.raises(ReadOnlyModelError):
            s.flush()


def test_keyset_pages_visit_every_row_once(writer: Engine, reader: Engine) -> None:
    stored = sorted({n * n % 4000 + 1 for n in range(1, 3000)} | {1, 4000})
    with Session(writer) as s, s.begin():
        SequenceRepository(s).batch_save_sequences(stored)
    with Session(reader) as s:
        repo = SequenceRepository(s)
        seen: list[int] = []
        after = None
        pages = 0
        while True:
            page = repo.find_sequences_in_range(1, 4000, page_size=37, after_number=after)
            pages += 1
            assert len(page) <= 37
            seen.extend(r.number for r in page)
            if not page.has_next:
                break
            after = page.next_after
        assert seen == stored  # every row once, in order
        assert pages == len(stored) // 37 + 1
        assert [r.number for r in repo.iter_sequences_in_range(1, 4000, page_size=100)] == stored
        in_part = [n for n in stored if 100 <= n <= 2000]
        assert [r.number for p in repo.iter_pages(100, 2000, page_size=50) for r in p] == in_part
        # A page size that divides the row count: the last full page is followed by an empty one.
        exact = repo.find_sequences_in_range(1, 4000, page_size=len(stored))
        assert exact.has_next and repo.find_sequences_in_range(1, 4000, len(stored), exact.next_after).items == []
        # Length filters.
        long_ones = list(repo.iter_sequences_in_range(1, 4000, page_size=10, min_length=100))
        assert [r.number for r in long_ones] == [n for n in stored if ref.stats(n).sequence_length >= 100]
        for r in long_ones:
            assert_exact(r)


def test_analyze_range_and_experiments(writer: Engine, reader: Engine) -> None:
    with Session(writer) as s, s.begin():
        repo = SequenceRepository(s)
        exp = repo.create_experiment("py-small-ranges", "ranges below 10^4", {"upper": 3000})
        assert isinstance(exp, ExperimentModel) and exp.parameters == {"upper": 3000} and exp.results is None
        result = repo.analyze_range(1, 3000, experiment_id=exp.id)
        assert isinstance(result, AnalysisResultModel)
        longest, length, peak, peak_value = ref.analyze(1, 3000)
        assert (result.longest_sequence, result.longest_sequence_length, result.highest_peak,
                result.highest_peak_value) == (longest, length, peak, peak_value)
        assert result.numbers_analyzed == 3000 and result.experiment_id == exp.id
        plain = repo.analyze_range(BIG - 100, BIG + 100)
        assert (plain.longest_sequence, plain.longest_sequence_length, plain.highest_peak,
                plain.highest_peak_value) == ref.analyze(BIG - 100, BIG + 100)
        assert plain.highest_peak_value > 2**64 and plain.experiment is None
        updated = repo.record_experiment_results(exp.id, {"note": "checked", "upper": 3000})
        assert updated.results is not None and updated.results["note"] == "checked"
        # The latest analysis is the extension's, in v_experiments, not a key of the results
        # the write level may edit.
        assert "last_analysis" not in updated.results
        latest = s.scalar(text("SELECT (last_analysis ->> 'analysis_id')::bigint FROM collatz.v_experiments "
                               "WHERE experiment_id = :id"), {"id": exp.id})
        assert latest == result.id
        exp_id, result_id = exp.id, result.id
    with Session(reader) as s:
        exp = s.get_one(ExperimentModel, exp_id)
        assert [a.id for a in exp.analyses] == [result_id]
        assert exp.analyses[0].experiment is exp
        assert s.scalar(select(func.count()).select_from(AnalysisResultModel)) == 2
        metrics = s.scalars(select(PerformanceMetricModel.operation_type)).all()
        assert metrics.count("analyze_range") == 2


def test_health(reader: Engine, database: str) -> None:
    with psycopg.connect(database) as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext'").fetchone()
    with Session(reader) as s:
        health = SequenceRepository(s).health()
    assert version is not None and health["version"] == version[0]
    assert "collatz_sequences" in health["tables"] and "collatz.threads" in health["settings"]


def test_rollback_leaves_nothing(writer: Engine, database: str, tmp_path: object) -> None:
    from collatz_ext import import_rows

    with Session(writer) as s:
        with s.begin():
            repo = SequenceRepository(s)
            repo.save_sequence(27, with_steps=True)
            repo.batch_save_sequences(range(1, 500), with_steps=True)
            exp = repo.create_experiment("py-rolled-back")
            repo.analyze_range(1, 1000, experiment_id=exp.id)
            import_rows(s, [{"number": n} for n in range(1000, 1100)])
            repo.get_sequence(5000, cache=True)
            assert s.scalar(select(func.count()).select_from(CollatzSequenceModel)) == 600  # 27 is in 1..499
            s.rollback()
    with psycopg.connect(database) as conn:
        for table in ("collatz_sequences", "sequence_steps", "experiments", "analysis_results",
                      "performance_metrics", "pipeline_runs"):
            count = conn.execute(f"SELECT count(*) FROM collatz.{table}").fetchone()
            assert count == (0,), table
        summary = conn.execute("SELECT total_sequences FROM collatz.v_sequence_summary").fetchone()
        assert summary in ((0,), (None,))


def test_orm_writes_are_checked_by_the_database(writer: Engine) -> None:
    from collatz_ext import CheckViolation, ReadOnlyModelError, translate_errors

    # A true row may be written through the ORM; the database still checks it.
    with Session(writer) as s, s.begin():
        s.add(CollatzSequenceModel(number=27, sequence_length=112, steps_to_one=111, max_value=Decimal(9232)))
    with Session(writer) as s, s.begin():
        s.add(CollatzSequenceModel(number=28, sequence_length=113, steps_to_one=112, max_value=Decimal(28)))
        with pytest.raises(CheckViolation) as info, translate_errors():
            s.flush()
        assert info.value.sqlstate == "23514"
        s.rollback()
    # Read-only models are refused before any SQL is sent.
    with Session(writer) as s, s.begin():
        s.add(AnalysisResultModel(start_range=1, end_range=1, longest_sequence=1, longest_sequence_length=1,
                                  highest_peak=1, highest_peak_value=Decimal(1), numbers_analyzed=1, duration_ms=0.0))
        with pytest.raises(ReadOnlyModelError):
            s.flush()
        s.rollback()
    with Session(writer) as s, s.begin():
        SequenceRepository(s).analyze_range(1, 10)
    with Session(writer) as s, s.begin():
        analysis = s.scalars(select(AnalysisResultModel)).one()
        analysis.duration_ms = 0.0
        with pytest.raises(ReadOnlyModelError):
            s.flush()
        s.rollback()
