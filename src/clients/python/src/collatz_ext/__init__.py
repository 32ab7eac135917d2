"""Python data access for collatz_ext: ORM models, a repository, connections, bulk paths."""

from .bulk import ImportResult, Rejection, export_sequences, import_file, import_lines, import_rows, rows_to_lines
from .connection import create_engine_for, is_retryable, resolve_dsn, retrying, run_in_transaction
from .errors import *  # noqa: F403 -- the exception classes
from .errors import __all__ as _error_names
from .models import (
    AnalysisResultModel,
    Base,
    CollatzSequenceModel,
    ExperimentModel,
    PerformanceMetricModel,
    PipelineRunModel,
    SequenceStepModel,
    SequenceTermModel,
)
from .repository import Page, SequenceInfo, SequenceRepository, Term

__version__ = "0.1.0"

__all__ = [
    "AnalysisResultModel",
    "Base",
    "CollatzSequenceModel",
    "ExperimentModel",
    "ImportResult",
    "Page",
    "PerformanceMetricModel",
    "PipelineRunModel",
    "Rejection",
    "SequenceInfo",
    "SequenceRepository",
    "SequenceStepModel",
    "SequenceTermModel",
    "Term",
    "create_engine_for",
    "export_sequences",
    "import_file",
    "import_lines",
    "import_rows",
    "is_retryable",
    "resolve_dsn",
    "retrying",
    "rows_to_lines",
    "run_in_transaction",
    *_error_names,
]
