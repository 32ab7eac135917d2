"""Import through COPY into the staging, export through a server-side cursor, round trips."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

import collatz_reference as ref
from collatz_ext import (
    BadImportFile,
    CollatzSequenceModel,
    SequenceRepository,
    export_sequences,
    import_file,
    import_rows,
    rows_to_lines,
)

BIG = 12327829503


def stored(engine: Engine) -> list[tuple[int, int, int, Decimal, list[Decimal]]]:
    with Session(engine) as s:
        rows = s.scalars(select(CollatzSequenceModel).order_by(CollatzSequenceModel.number)).all()
        return [(r.number, r.sequence_length, r.steps_to_one, r.max_value, [st.value for st in r.steps]) for r in rows]


def with_terms(engine: Engine) -> list[tuple[int, int, int, Decimal, list[Decimal]]]:
    """Each stored row with every term of its sequence (``terms``: computed, whether or not stored)."""
    with Session(engine) as s:
        rows = s.scalars(select(CollatzSequenceModel).order_by(CollatzSequenceModel.number)).all()
        return [(r.number, r.sequence_length, r.steps_to_one, r.max_value, [t.value for t in r.terms]) for r in rows]


def stored_steps(engine: Engine) -> dict[int, list[Decimal]]:
    """The steps stored for each number that has any."""
    with Session(engine) as s:
        rows = s.scalars(select(CollatzSequenceModel)).all()
        return {r.number: [st.value for st in r.steps] for r in rows if r.steps}


def reference_row(n: int, with_steps: bool = False) -> tuple[int, int, int, Decimal, list[Decimal]]:
    s = ref.stats(n)
    steps = [Decimal(v) for v in ref.terms(n)] if with_steps else []
    return (n, s.sequence_length, s.steps_to_one, s.max_value, steps)


def test_rows_to_lines() -> None:
    assert list(rows_to_lines([3, 5])) == ["number", "3", "5"]
    assert list(rows_to_lines([(27, 112, 111, Decimal(9232))])) == [
        "number,sequence_length,steps_to_one,max_value", "27,112,111,9232"]
    assert list(rows_to_lines([{"number": 3, "steps": [3, 10, 5]}])) == ["number,steps", '3,"{3,10,5}"']
    assert list(rows_to_lines([{"number": BIG, "max_value": Decimal("20722398914405051728")}], "json")) == [
        '{"number": 12327829503, "max_value": 20722398914405051728}']
    with pytest.raises(ValueError, match="colour"):
        list(rows_to_lines([{"number": 1}, {"number": 2, "colour": "red"}]))


def test_import_from_iterable_of_dicts_and_tuples(writer: Engine) -> None:
    calls: list[tuple[int, int | None]] = []
    with Session(writer) as s, s.begin():
        dicts = [{"number": n, "sequence_length": ref.stats(n).sequence_length, "max_value": ref.stats(n).max_value}
                 for n in range(1, 2501)]
        result = import_rows(s, dicts, progress=lambda done, total: calls.append((done, total)))
        assert (result.lines, result.valid, result.loaded, result.rejected) == (2500, 2500, 2500, 0)
        tuples = [(n, ref.stats(n).sequence_length, ref.stats(n).steps_to_one, ref.stats(n).max_value)
                  for n in (2400, 2600, BIG)]
        result = import_rows(s, tuples, on_conflict="skip")
        assert (result.loaded, result.already_stored) == (2, 1)
        with_steps = [{"number": n, "steps": ref.terms(n)} for n in (3000, 3001)]
        result = import_rows(s, with_steps, format="json")
        assert result.loaded == 2 and result.steps_loaded == len(ref.terms(3000)) + len(ref.terms(3001))
    assert calls[-1] == (2501, 2501) and calls[0] == (1000, 2501)  # header + 2500 lines
    rows = stored(writer)
    expected_numbers = [*range(1, 2501), 2600, 3000, 3001, BIG]
    assert [r[0] for r in rows] == expected_numbers
    assert rows == [reference_row(n, with_steps=n in (3000, 3001)) for n in expected_numbers]


def test_import_wrong_line_stop_loads_nothing_ignore_loads_the_rest(writer: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sequences.csv"
    lines = ["number,sequence_length,steps_to_one,max_value"]
    lines += [f"{n},{ref.stats(n).sequence_length},{ref.stats(n).steps_to_one},{ref.stats(n).max_value}"
              for n in range(1, 51)]
    lines[28] = "28,113,112,9232"  # line 29 of the file: 28's sequence has 19 terms
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")  # CRLF reads the same

    with Session(writer) as s, s.begin():
        with pytest.raises(BadImportFile) as info:
            import_file(s, path, on_error="stop")
        err = info.value
        assert err.sqlstate == "22P04" and "1 of 50 lines rejected, nothing loaded" in err.message
        assert err.detail and "line 29: sequence_length: 113 is wrong" in err.detail and err.hint
        s.rollback()
    assert stored(writer) == []

    with Session(writer) as s, s.begin():
        result = import_file(s, path, on_error="ignore")
        assert (result.lines, result.valid, result.loaded, result.rejected) == (50, 49, 49, 1)
        assert [(r.line_number, r.line) for r in result.rejections] == [(29, "28,113,112,9232")]
        assert "sequence_length" in result.rejections[0].reason
    assert stored(writer) == [reference_row(n) for n in range(1, 51) if n != 28]


def test_import_jsonl_file_and_dry_run(writer: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sequences.jsonl"
    path.write_text("".join(json.dumps({"number": n, "steps_to_one": ref.stats(n).steps_to_one}) + "\n"
                            for n in range(100, 200)) + '{"number": 0}\n', encoding="utf-8")
    with Session(writer) as s, s.begin():
        result = import_file(s, path, on_error="ignore", dry_run=True)
        assert (result.lines, result.valid, result.loaded, result.rejected) == (101, 100, 0, 1)
        assert result.rejections[0].line_number == 101
    assert stored(writer) == []
    with Session(writer) as s, s.begin():
        assert import_file(s, path, on_error="ignore", progress=True).loaded == 100
    assert stored(writer) == [reference_row(n) for n in range(100, 200)]


def _export_both(engine: Engine, directory: Path, name: str) -> tuple[str, str]:
    csv_path, jsonl_path = directory / f"{name}.csv", directory / f"{name}.jsonl"
    counts: list[int] = []
    with Session(engine) as s, s.begin():
        n_csv = export_sequences(s, csv_path, 1, 2**40, fields=["number", "sequence_length", "steps_to_one",
                                                                "max_value", "steps"], fetch_size=7)
        n_jsonl = export_sequences(s, jsonl_path, 1, 2**40, with_steps=True, progress=lambda d, t: counts.append(d))
    assert n_csv == n_jsonl + 1 and counts[-1] == n_jsonl
    return csv_path.read_text(encoding="utf-8"), jsonl_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_import_round_trip_is_identical(writer: Engine, admin: Engine, tmp_path: Path, fmt: str) -> None:
    numbers = [*range(1, 300), 871, 77031, BIG]
    with Session(writer) as s, s.begin():
        repo = SequenceRepository(s)
        repo.batch_save_sequences(numbers[:150], with_steps=True)
        repo.batch_save_sequences(numbers[150:])
    before = with_terms(writer)
    assert sorted(stored_steps(writer)) == sorted(numbers[:150])
    first_csv, first_jsonl = _export_both(writer, tmp_path, "first")
    assert first_csv.count("\n") == len(numbers) + 1 and first_jsonl.count("\n") == len(numbers)
    assert "20722398914405051728" in first_csv and "20722398914405051728" in first_jsonl

    with Session(admin) as s, s.begin():
        s.execute(text("DELETE FROM collatz.collatz_sequences"))
    assert stored(writer) == []
    with Session(writer) as s, s.begin():
        result = import_file(s, tmp_path / f"first.{fmt}")
        assert (result.loaded, result.rejected) == (len(numbers), 0)

    after = with_terms(writer)
    assert after == before
    assert after == [reference_row(n, with_steps=True) for n in numbers]
    # The export carried every term, computed where none were stored, and the import stored
    # what it was given: now every sequence has its steps stored.
    assert stored_steps(writer) == {n: [Decimal(v) for v in ref.terms(n)] for n in numbers}
    again_csv, again_jsonl = _export_both(writer, tmp_path, "again")
    assert again_csv == first_csv
    # JSON Lines always carry id and created_at, which a new row gets anew; all else is identical.
    assert without_ids(again_jsonl) == without_ids(first_jsonl)


def without_ids(jsonl: str) -> list[dict[str, object]]:
    objects = [json.loads(line) for line in jsonl.splitlines()]
    for o in objects:
        assert isinstance(o.pop("id"), int) and o.pop("created_at")
    return objects
