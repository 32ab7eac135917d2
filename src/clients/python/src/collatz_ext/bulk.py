"""Bulk paths: import through COPY into the extension's staging, export to CSV or JSON Lines.

Import (in the caller's transaction, all of it or nothing)::

    SELECT collatz.import_open();                              -- empties this session's staging
    COPY pg_temp.collatz_import_lines (line) FROM STDIN        -- one row per line, untouched
    SELECT * FROM collatz.import_sequences(format, on_error, on_conflict, dry_run);

Every line is recomputed by the database; a wrong one is refused with its line number and
reason (``on_error='stop'``: :class:`~collatz_ext.errors.BadImportFile` and nothing loaded;
``'ignore'``: the rest is loaded and :attr:`ImportResult.rejections` lists the refused lines).

Export streams ``collatz.export_sequences_csv`` / ``export_sequences_jsonl`` through a
server-side cursor into a file, a batch of lines at a time.

``progress`` is a callable ``progress(done, total)`` (total None when unknown), ``True``
for a tqdm bar when tqdm is installed, or None.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from .errors import translate_errors

Format = Literal["csv", "json"]
OnError = Literal["stop", "ignore"]
OnConflict = Literal["skip", "upsert", "error"]
ProgressCallback = Callable[[int, int | None], None]
Progress = ProgressCallback | bool | None
Row = Mapping[str, Any] | Sequence[Any] | int

#: The fields a sequence row may have, in the order CSV lines are written.
FIELDS = ("number", "sequence_length", "steps_to_one", "max_value", "steps")
DEFAULT_FIELDS = ("number", "sequence_length", "steps_to_one", "max_value")


@dataclass(frozen=True)
class Rejection:
    line_number: int
    reason: str
    line: str


@dataclass(frozen=True)
class ImportResult:
    """What ``collatz.import_sequences`` reports, and the refused lines (on_error='ignore')."""

    lines: int
    valid: int
    loaded: int
    already_stored: int
    rejected: int
    steps_loaded: int
    rejections: list[Rejection] = field(default_factory=list)


class _Progress:
    """Calls the user's callback, or drives a tqdm bar, every `every` items and at the end."""

    def __init__(self, progress: Progress, total: int | None, desc: str, every: int = 1000) -> None:
        self.callback: ProgressCallback | None = None
        self.bar: Any = None
        self.every = every
        self.done = 0
        self.total = total
        if callable(progress):
            self.callback = progress
        elif progress:
            try:
                from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
            except ImportError:  # tqdm is optional: no bar then
                pass
            else:
                self.bar = tqdm(total=total, desc=desc, unit="lines")

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None and self.done % self.every < n:
            self.callback(self.done, self.total)

    def close(self) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.bar is not None:
            self.bar.close()


def _number_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _steps_text(steps: Any) -> str:
    return "{" + ",".join(_number_text(v) for v in steps) + "}"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            return float(value)  # not an integer: the database refuses it with its reason
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def _as_mapping(row: Row, fields: Sequence[str]) -> Mapping[str, Any]:
    if isinstance(row, Mapping):
        return row
    if isinstance(row, int):
        return {"number": row}
    return dict(zip(fields, row, strict=True))


def rows_to_lines(rows: Iterable[Row], format: Format = "csv", fields: Sequence[str] | None = None) -> Iterator[str]:
    """Lines of an import file for rows given as dicts, tuples (in ``fields`` order) or plain numbers.

    CSV: a header naming ``fields`` (default: the keys of the first dict, or number,
    sequence_length, steps_to_one, max_value), then one line per row; ``steps`` is written
    as ``{27,82,41,...}``. JSON: one object per row. Missing values are left out (the
    database computes them without checking).
    """
    it = iter(rows)
    try:
        first = next(it)
    except StopIteration:
        return
    if fields is None:
        if isinstance(first, Mapping):
            fields = [f for f in FIELDS if f in first] + [f for f in first if f not in FIELDS]
        elif isinstance(first, int):
            fields = ["number"]
        else:
            fields = list(FIELDS[: len(first)])
    if format == "csv":
        yield ",".join(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="")
    for row in _chain(first, it):
        values = _as_mapping(row, fields)
        unknown = [k for k in values if k not in fields]
        if unknown:
            raise ValueError(f"row {row!r} has fields {unknown} that the first row (or fields=) does not name")
        if format == "json":
            yield json.dumps({k: _json_value(v) for k, v in values.items() if v is not None})
            continue
        cells = []
        for name in fields:
            value = values.get(name)
            if value is None:
                cells.append("")
            elif name == "steps":
                cells.append(_steps_text(value))
            else:
                cells.append(_number_text(value))
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        yield buffer.getvalue()


def _chain(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def _file_lines(path: Path) -> Iterator[str]:
    with path.open("r", encoding="utf-8", newline="") as f:
        for line in f:
            yield line.rstrip("\r\n")


def _format_of(path: Path) -> Format:
    return "json" if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else "csv"


def import_lines(
    session: Session,
    lines: Iterable[str],
    format: Format = "csv",
    *,
    on_error: OnError = "stop",
    on_conflict: OnConflict = "skip",
    dry_run: bool = False,
    progress: Progress = None,
    total: int | None = None,
) -> ImportResult:
    """Stage ``lines`` with COPY and import them, in the session's transaction (not committed)."""
    bar = _Progress(progress, total, "import")
    with translate_errors():
        session.execute(text("SELECT collatz.import_open()"))
        raw: psycopg.Connection[Any] = session.connection().connection.driver_connection  # type: ignore[assignment]
        with raw.cursor() as cur:
            with cur.copy("COPY pg_temp.collatz_import_lines (line) FROM STDIN") as copy:
                for line in lines:
                    copy.write_row((line,))
                    bar.step()
        bar.close()
        row = session.execute(
            text(
                "SELECT * FROM collatz.import_sequences(CAST(:format AS text), CAST(:on_error AS text),"
                " CAST(:on_conflict AS text), CAST(:dry_run AS boolean))"
            ),
            {"format": format, "on_error": on_error, "on_conflict": on_conflict, "dry_run": dry_run},
        ).one()
        rejections: list[Rejection] = []
        if row.rejected:
            rejections = [
                Rejection(r.line_number, r.reason, r.line)
                for r in session.execute(text("SELECT * FROM collatz.import_rejections() ORDER BY line_number"))
            ]
    return ImportResult(
        lines=row.lines, valid=row.valid, loaded=row.loaded, already_stored=row.already_stored,
        rejected=row.rejected, steps_loaded=row.steps_loaded, rejections=rejections,
    )


def import_rows(
    session: Session,
    rows: Iterable[Row],
    format: Format = "csv",
    *,
    fields: Sequence[str] | None = None,
    on_error: OnError = "stop",
    on_conflict: OnConflict = "skip",
    dry_run: bool = False,
    progress: Progress = None,
) -> ImportResult:
    """Import rows from a Python iterable (dicts, tuples or numbers); see :func:`rows_to_lines`."""
    total = len(rows) + (format == "csv") if isinstance(rows, Sequence) else None
    return import_lines(
        session, rows_to_lines(rows, format, fields), format,
        on_error=on_error, on_conflict=on_conflict, dry_run=dry_run, progress=progress, total=total,
    )


def import_file(
    session: Session,
    path: str | os.PathLike[str],
    format: Format | None = None,
    *,
    on_error: OnError = "stop",
    on_conflict: OnConflict = "skip",
    dry_run: bool = False,
    progress: Progress = None,
) -> ImportResult:
    """Import a CSV (with header) or JSON Lines file (format from the suffix unless given)."""
    path = Path(path)
    return import_lines(
        session, _file_lines(path), format or _format_of(path),
        on_error=on_error, on_conflict=on_conflict, dry_run=dry_run, progress=progress,
    )


def export_sequences(
    session: Session,
    path: str | os.PathLike[str],
    start: int,
    end: int,
    format: Literal["csv", "jsonl"] | None = None,
    *,
    fields: Sequence[str] | None = None,
    header: bool = True,
    with_steps: bool = False,
    progress: Progress = None,
    fetch_size: int = 10000,
) -> int:
    """Write the stored sequences of [start, end] to a file; returns the lines written.

    CSV (``collatz.export_sequences_csv``) takes ``fields`` (id, number, sequence_length,
    steps_to_one, max_value, created_at, steps) and ``header``; JSON Lines
    (``collatz.export_sequences_jsonl``) takes ``with_steps``. The lines are streamed through
    a server-side cursor, ``fetch_size`` at a time, in the session's transaction.
    """
    path = Path(path)
    format = format or ("jsonl" if _format_of(path) == "json" else "csv")
    if format == "csv":
        query = (
            "SELECT line FROM collatz.export_sequences_csv(%(start)s::bigint, %(end)s::bigint,"
            " %(fields)s::text[], %(header)s::boolean) AS line"
        )
        params: dict[str, Any] = {"start": start, "end": end, "fields": list(fields or DEFAULT_FIELDS),
                                  "header": header}
    elif format == "jsonl":
        query = (
            "SELECT line FROM collatz.export_sequences_jsonl(%(start)s::bigint, %(end)s::bigint,"
            " %(steps)s::boolean) AS line"
        )
        params = {"start": start, "end": end, "steps": with_steps}
    else:
        raise ValueError(f"unknown export format {format!r}: use csv or jsonl")
    bar = _Progress(progress, None, "export")
    with translate_errors():
        raw: psycopg.Connection[Any] = session.connection().connection.driver_connection  # type: ignore[assignment]
        with raw.cursor(name="collatz_ext_export") as cur, path.open("w", encoding="utf-8", newline="") as out:
            cur.itersize = fetch_size
            cur.execute(query, params)
            for (line,) in cur:
                out.write(line)
                out.write("\n")
                bar.step()
    bar.close()
    return bar.done


__all__ = [
    "FIELDS",
    "ImportResult",
    "Rejection",
    "export_sequences",
    "import_file",
    "import_lines",
    "import_rows",
    "rows_to_lines",
]
