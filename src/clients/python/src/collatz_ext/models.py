"""SQLAlchemy 2.0 ORM models of collatz_ext's tables (schema ``collatz``).

The tables are created by ``CREATE EXTENSION collatz_ext``; never ``metadata.create_all()``.

What may be written, and how:

* ``CollatzSequenceModel``, ``SequenceStepModel`` and ``ExperimentModel`` accept ORM writes
  from a role with the ``write`` level (its data columns only; ids and ``created_at`` come
  from the database). Every row is still checked there: a wrong ``steps_to_one``,
  ``max_value`` or term is refused with :class:`~collatz_ext.errors.CheckViolation`. The
  usual way to store sequences is :class:`~collatz_ext.repository.SequenceRepository`,
  which lets the database compute every value.
* ``AnalysisResultModel``, ``PerformanceMetricModel`` and ``PipelineRunModel`` are
  read-only: only the extension's functions write those tables (no role may INSERT or
  UPDATE them). A flush that would write one raises
  :class:`~collatz_ext.errors.ReadOnlyModelError` before any SQL is sent. Write them
  through the repository (``analyze_range``) or the pipeline procedures.

Peaks and terms are ``numeric`` in SQL and exact ``Decimal`` in Python (past 2^64 too).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, MetaData, Numeric, Text, event, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship, synonym

from .errors import ReadOnlyModelError

SCHEMA = "collatz"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class ReadOnly:
    """Mixin of the models whose tables only the extension's functions write."""


class CollatzSequenceModel(Base):
    """One stored sequence per number (``collatz.collatz_sequences``)."""

    __tablename__ = "collatz_sequences"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    sequence_length: Mapped[int] = mapped_column(BigInteger)
    max_value: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))
    steps_to_one: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    steps: Mapped[list[SequenceStepModel]] = relationship(
        back_populates="sequence",
        order_by="SequenceStepModel.step_number",
        cascade="all, delete-orphan",
        passive_deletes=True,  # ON DELETE CASCADE in the database
    )
    # Every term, whether or not the steps are stored (collatz.sequence_steps_computed):
    # ``steps`` holds what is stored, ``terms`` the whole sequence, computed when read.
    terms: Mapped[list[SequenceTermModel]] = relationship(
        primaryjoin="foreign(SequenceTermModel.sequence_id) == CollatzSequenceModel.id",
        order_by="SequenceTermModel.step_number",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return (
            f"CollatzSequenceModel(number={self.number}, sequence_length={self.sequence_length}, "
            f"steps_to_one={self.steps_to_one}, max_value={self.max_value})"
        )


class SequenceStepModel(Base):
    """One term of a stored sequence (``collatz.sequence_steps``); step 0 is the number."""

    __tablename__ = "sequence_steps"

    sequence_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("collatz_sequences.id", ondelete="CASCADE"), primary_key=True
    )
    step_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))
    operation_type: Mapped[str] = mapped_column(Text)  # start, odd (3n+1 applied), even (n/2 applied)

    sequence: Mapped[CollatzSequenceModel] = relationship(back_populates="steps")

    def __repr__(self) -> str:
        return (
            f"SequenceStepModel(step_number={self.step_number}, value={self.value}, "
            f"operation_type={self.operation_type!r})"
        )


class SequenceTermModel(ReadOnly, Base):
    """One term of a stored sequence, computed when read (``collatz.sequence_steps_computed``):
    the columns of ``SequenceStepModel``, for every step of every stored sequence, stored or not."""

    __tablename__ = "sequence_steps_computed"
    read_only_hint = "It is a view of computed terms; store steps with SequenceRepository.save_sequence(n, with_steps=True)."

    sequence_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    step_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))
    operation_type: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"SequenceTermModel(step_number={self.step_number}, value={self.value}, "
            f"operation_type={self.operation_type!r})"
        )


class ExperimentModel(Base):
    """A named experiment with JSON parameters and results (``collatz.experiments``)."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # View-only: an analysis is attached by analyze_range(..., experiment_id=...), never by the ORM.
    analyses: Mapped[list[AnalysisResultModel]] = relationship(
        back_populates="experiment", order_by="AnalysisResultModel.id", viewonly=True
    )
    runs: Mapped[list[PipelineRunModel]] = relationship(
        back_populates="experiment", order_by="PipelineRunModel.id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"ExperimentModel(id={self.id}, name={self.name!r})"


class AnalysisResultModel(ReadOnly, Base):
    """One analysed range: its longest sequence and highest peak (read-only)."""

    __tablename__ = "analysis_results"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    start_range: Mapped[int] = mapped_column(BigInteger)
    end_range: Mapped[int] = mapped_column(BigInteger)
    longest_sequence: Mapped[int] = mapped_column(BigInteger)
    longest_sequence_length: Mapped[int] = mapped_column(BigInteger)
    highest_peak: Mapped[int] = mapped_column(BigInteger)
    highest_peak_value: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))
    numbers_analyzed: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[float]
    analysis_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    experiment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("experiments.id", ondelete="SET NULL"))

    experiment: Mapped[ExperimentModel | None] = relationship(back_populates="analyses", viewonly=True)

    def __repr__(self) -> str:
        return (
            f"AnalysisResultModel(id={self.id}, range=[{self.start_range}, {self.end_range}], "
            f"longest={self.longest_sequence}:{self.longest_sequence_length}, "
            f"peak={self.highest_peak}:{self.highest_peak_value})"
        )


class PerformanceMetricModel(ReadOnly, Base):
    """One executed operation's time, rows and memory (read-only).

    The SQL column is ``recorded_at``; ``timestamp`` (the seed design's name) is a synonym,
    usable in queries too: ``select(PerformanceMetricModel).order_by(PerformanceMetricModel.timestamp)``.
    """

    __tablename__ = "performance_metrics"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_type: Mapped[str] = mapped_column(Text)
    execution_time: Mapped[float]  # milliseconds
    rows_processed: Mapped[int] = mapped_column(BigInteger)
    memory_usage: Mapped[int | None] = mapped_column(BigInteger)  # bytes
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    context: Mapped[dict[str, Any]] = mapped_column(JSONB)

    timestamp: Mapped[datetime] = synonym("recorded_at")

    def __repr__(self) -> str:
        return (
            f"PerformanceMetricModel(id={self.id}, operation_type={self.operation_type!r}, "
            f"execution_time={self.execution_time})"
        )


class PipelineRunModel(ReadOnly, Base):
    """A run of sp_batch_insert_sequences or sp_analyze_range (read-only; see v_pipeline_progress)."""

    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    operation_type: Mapped[str] = mapped_column(Text)
    start_range: Mapped[int] = mapped_column(BigInteger)
    end_range: Mapped[int] = mapped_column(BigInteger)
    next_number: Mapped[int | None] = mapped_column(BigInteger)
    rows_done: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    partial: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    experiment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("experiments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(Text)
    backend_pid: Mapped[int | None]
    elapsed_ms: Mapped[float]
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(Text)

    experiment: Mapped[ExperimentModel | None] = relationship(back_populates="runs", viewonly=True)


def _refuse_write(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    raise ReadOnlyModelError(
        f"{type(target).__name__} is read-only: collatz.{target.__tablename__} is written only by the "
        "extension's functions",
        hint=getattr(type(target), "read_only_hint",
                     "Use SequenceRepository.analyze_range (or the pipeline procedures); no role may INSERT or UPDATE it."),
    )


for _model in (AnalysisResultModel, PerformanceMetricModel, PipelineRunModel, SequenceTermModel):
    for _event in ("before_insert", "before_update"):
        event.listen(_model, _event, _refuse_write)

__all__ = [
    "AnalysisResultModel",
    "Base",
    "CollatzSequenceModel",
    "ExperimentModel",
    "PerformanceMetricModel",
    "PipelineRunModel",
    "ReadOnly",
    "SCHEMA",
    "SequenceStepModel",
    "SequenceTermModel",
]
