"""SequenceRepository: thin calls of collatz_ext's SQL API on the caller's Session.

Every method is one call of a SQL function (``collatz.save_sequence``, ...). The database
computes and checks every value; nothing here computes a sequence. The repository never
commits or rolls back: transactions belong to the caller::

    with Session(engine) as session, session.begin():      # commits at the end
        repo = SequenceRepository(session)
        repo.save_sequence(27, with_steps=True)
        repo.analyze_range(1, 10**6)

A failed call raises a :class:`~collatz_ext.errors.CollatzError` subclass; the transaction
is then aborted and must be rolled back (leaving the ``with`` block does it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from .errors import NullNotAllowed, translate_errors
from .models import AnalysisResultModel, CollatzSequenceModel, ExperimentModel

OnConflict = Literal["skip", "upsert", "error"]
T = TypeVar("T")


@dataclass(frozen=True)
class SequenceInfo:
    """What ``collatz.get_sequence`` returns: the stored row, or (stored=False) the computed one."""

    number: int
    sequence_length: int
    steps_to_one: int
    max_value: Decimal
    created_at: datetime | None
    stored: bool


@dataclass(frozen=True)
class Term:
    """One term of a sequence: what ``collatz.sequence_steps_computed`` holds per step."""

    step_number: int
    value: Decimal
    operation_type: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One keyset page. ``next_after`` is the ``after_number`` of the next page, None after the last."""

    items: list[T]
    next_after: int | None

    @property
    def has_next(self) -> bool:
        return self.next_after is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


_SAVE = text("SELECT * FROM collatz.save_sequence(CAST(:n AS bigint), CAST(:with_steps AS boolean))")
_GET = text("SELECT * FROM collatz.get_sequence(CAST(:n AS bigint), CAST(:cache AS boolean))")
# The stored sequence's terms from the computed relation (stored steps or not); a number
# that is not stored gets collatz_sequence's. One statement either way.
_TERMS = text(
    "SELECT c.step_number, c.value, c.operation_type FROM collatz.sequence_steps_computed c"
    " JOIN collatz.collatz_sequences s ON s.id = c.sequence_id WHERE s.number = CAST(:n AS bigint)"
    " UNION ALL SELECT CAST(q.step_number AS integer), q.value, q.operation_type"
    " FROM collatz.collatz_sequence(CAST(:n AS bigint)) q"
    " WHERE NOT EXISTS (SELECT 1 FROM collatz.collatz_sequences s WHERE s.number = CAST(:n AS bigint))"
    " ORDER BY 1"
)
_BATCH = text(
    "SELECT collatz.batch_save_sequences(CAST(:numbers AS bigint[]), CAST(:with_steps AS boolean),"
    " CAST(:on_conflict AS text))"
)
_FIND = text(
    "SELECT * FROM collatz.find_sequences_in_range(CAST(:start_number AS bigint), CAST(:end_number AS bigint),"
    " CAST(:page_size AS integer), CAST(:after_number AS bigint), CAST(:min_length AS bigint),"
    " CAST(:max_length AS bigint))"
)
_ANALYZE = text(
    "SELECT * FROM collatz.analyze_range(CAST(:start_number AS bigint), CAST(:end_number AS bigint),"
    " CAST(:experiment_id AS bigint))"
)
_CREATE_EXPERIMENT = text(
    "SELECT collatz.create_experiment(CAST(:name AS text), CAST(:description AS text), CAST(:parameters AS jsonb))"
).bindparams(bindparam("parameters", type_=JSONB))
_RECORD_RESULTS = text(
    "SELECT * FROM collatz.record_experiment_results(CAST(:experiment_id AS bigint), CAST(:results AS jsonb))"
).bindparams(bindparam("results", type_=JSONB))
_HEALTH = text("SELECT collatz.collatz_health()::text")


def _not_null(caller: str, **values: Any) -> None:
    # save_sequence and get_sequence are STRICT in SQL: NULL in gives a NULL row or no row,
    # not an error. Refused here with the SQLSTATE the other functions use for NULL.
    for name, value in values.items():
        if value is None:
            raise NullNotAllowed(
                f"{caller}: {name} must not be NULL",
                sqlstate="22004",
                hint=f"collatz.{caller} is STRICT: NULL in gives NULL out; pass a number.",
            )


class SequenceRepository:
    """The collatz_ext SQL API for application code, on a Session the caller owns."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- sequences ---------------------------------------------------------------------

    def save_sequence(self, n: int, with_steps: bool = False) -> CollatzSequenceModel:
        """Store n (and its steps if asked) unless stored already; returns the stored row."""
        _not_null("save_sequence", n=n, with_steps=with_steps)
        stmt = select(CollatzSequenceModel).from_statement(_SAVE).execution_options(populate_existing=True)
        with translate_errors():
            row: CollatzSequenceModel = self.session.scalars(stmt, {"n": n, "with_steps": with_steps}).one()
        return row

    def get_sequence(self, n: int, cache: bool = False) -> SequenceInfo:
        """The stored row of n, or its computed values (stored=False); cache=True stores it first."""
        _not_null("get_sequence", n=n, cache=cache)
        with translate_errors():
            row = self.session.execute(_GET, {"n": n, "cache": cache}).one()
        return SequenceInfo(**row._asdict())

    def get_terms(self, n: int) -> list[Term]:
        """Every term of n from step 0, whether or not its steps (or n itself) are stored:
        computed when read, and equal to the stored steps where there are any."""
        if n is None:
            raise NullNotAllowed("get_terms: n must not be NULL", sqlstate="22004", hint="Pass a number.")
        with translate_errors():
            rows = self.session.execute(_TERMS, {"n": n}).all()
        return [Term(*row) for row in rows]

    def batch_save_sequences(
        self, numbers: Sequence[int], with_steps: bool = False, on_conflict: OnConflict = "skip"
    ) -> int:
        """Store the numbers in one statement; returns the rows written.

        on_conflict: 'skip' keeps stored rows, 'upsert' rewrites them, 'error' refuses the
        whole batch (AlreadyStored) if any is stored.
        """
        params = {"numbers": None if numbers is None else list(numbers), "with_steps": with_steps,
                  "on_conflict": on_conflict}
        with translate_errors():
            return int(self.session.execute(_BATCH, params).scalar_one())

    def find_sequences_in_range(
        self,
        start: int,
        end: int,
        page_size: int = 100,
        after_number: int | None = None,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> Page[CollatzSequenceModel]:
        """One keyset page of the stored sequences of [start, end], in number order.

        Pass ``page.next_after`` as ``after_number`` for the next page; it is None once a
        page comes back short (a full last page is followed by an empty one).
        """
        stmt = select(CollatzSequenceModel).from_statement(_FIND).execution_options(populate_existing=True)
        params = {"start_number": start, "end_number": end, "page_size": page_size, "after_number": after_number,
                  "min_length": min_length, "max_length": max_length}
        with translate_errors():
            items = list(self.session.scalars(stmt, params))
        full = page_size is not None and len(items) == page_size
        return Page(items=items, next_after=items[-1].number if full and items else None)

    def iter_pages(
        self, start: int, end: int, page_size: int = 1000, **filters: int | None
    ) -> Iterator[Page[CollatzSequenceModel]]:
        """Every keyset page of [start, end] (non-empty pages only)."""
        after: int | None = None
        while True:
            page = self.find_sequences_in_range(start, end, page_size, after, **filters)
            if page.items:
                yield page
            if page.next_after is None:
                return
            after = page.next_after

    def iter_sequences_in_range(
        self, start: int, end: int, page_size: int = 1000, **filters: int | None
    ) -> Iterator[CollatzSequenceModel]:
        """Every stored sequence of [start, end], fetched page by page."""
        for page in self.iter_pages(start, end, page_size, **filters):
            yield from page.items

    # -- analyses and experiments ------------------------------------------------------

    def analyze_range(self, start: int, end: int, experiment_id: int | None = None) -> AnalysisResultModel:
        """Analyse [start, end] in this transaction; returns the stored analysis_results row."""
        stmt = select(AnalysisResultModel).from_statement(_ANALYZE).execution_options(populate_existing=True)
        with translate_errors():
            result: AnalysisResultModel = self.session.scalars(
                stmt, {"start_number": start, "end_number": end, "experiment_id": experiment_id}
            ).one()
        return result

    def create_experiment(
        self, name: str, description: str | None = None, parameters: dict[str, Any] | None = None
    ) -> ExperimentModel:
        """Create an experiment; returns it (its id is ``.id``)."""
        params = {"name": name, "description": description, "parameters": {} if parameters is None else parameters}
        with translate_errors():
            experiment_id = self.session.execute(_CREATE_EXPERIMENT, params).scalar_one()
            return self.session.get_one(ExperimentModel, experiment_id, populate_existing=True)

    def record_experiment_results(self, experiment_id: int, results: dict[str, Any]) -> ExperimentModel:
        """Merge a JSON object into the experiment's results (given keys replace stored ones)."""
        stmt = select(ExperimentModel).from_statement(_RECORD_RESULTS).execution_options(populate_existing=True)
        with translate_errors():
            experiment: ExperimentModel = self.session.scalars(
                stmt, {"experiment_id": experiment_id, "results": results}
            ).one()
        return experiment

    # -- health ------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``collatz.collatz_health()`` as a dict (numbers with a fraction as exact Decimal)."""
        with translate_errors():
            report = self.session.execute(_HEALTH).scalar_one()
        result: dict[str, Any] = json.loads(report, parse_float=Decimal)
        return result


__all__ = ["OnConflict", "Page", "SequenceInfo", "SequenceRepository"]
