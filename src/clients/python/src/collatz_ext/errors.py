"""Python exceptions for the SQLSTATEs that collatz_ext raises.

The extension reports every refusal with a message that names the function and the value,
a hint, and a SQLSTATE. :func:`translate` turns a driver error (psycopg, or SQLAlchemy's
wrapper around it) into the matching :class:`CollatzError` subclass, keeping all three.
The repository and the bulk paths translate for you; wrap your own ORM flushes in
:func:`translate_errors` to get the same exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import exc as sa_exc


class CollatzError(Exception):
    """Base class: something the database refused, with its message, hint and SQLSTATE."""

    #: Whether the failed work may simply be run again (see connection.run_in_transaction).
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        hint: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        text = self.message
        if self.sqlstate:
            text = f"[{self.sqlstate}] {text}"
        if self.detail:
            text += f"\nDETAIL: {self.detail}"
        if self.hint:
            text += f"\nHINT: {self.hint}"
        return text


class ConfigurationError(CollatzError):
    """No connection settings for the requested environment (raised before connecting)."""


class ReadOnlyModelError(CollatzError):
    """An ORM write to a table that only the extension's functions may write."""


# Class 22: data exceptions -- a bad argument.
class InvalidArgument(CollatzError):
    """A value the function does not accept (SQLSTATE class 22)."""


class InvalidNumber(InvalidArgument):
    """22023: n <= 0, not an integer, not finite, an inverted range, an unknown option."""


class NumberOutOfRange(InvalidArgument):
    """22003: a number beyond bigint, or a float too large to be exact."""


class NullNotAllowed(InvalidArgument):
    """22004: NULL where a value is needed."""


class InvalidText(InvalidArgument):
    """22P02: text that is not a value of the type (e.g. 'abc' as a bigint)."""


class BadImportFile(InvalidArgument):
    """22P04: an import with refused lines (on_error='stop'), or a bad CSV header."""


# Class 23: integrity constraint violations.
class IntegrityViolation(CollatzError):
    """A constraint refused the write (SQLSTATE class 23)."""


class UniqueViolation(IntegrityViolation):
    """23505: already stored (on_conflict='error'), or a duplicate experiment name."""


#: The name the repository's callers think in.
AlreadyStored = UniqueViolation


class ForeignKeyViolation(IntegrityViolation):
    """23503: e.g. an experiment id that does not exist."""


class CheckViolation(IntegrityViolation):
    """23514: a row that is not the true one (the exactness checks), a blank name, ..."""


class InsufficientPrivilege(CollatzError):
    """42501: the role's access level (read, write, admin) does not cover this."""


class OutOfMemory(CollatzError):
    """53200: a memo table the machine cannot allocate (lower collatz.memo_mb)."""


class ProgramLimitExceeded(CollatzError):
    """54000: a range or a number beyond the extension's limits, a setting above its cap."""


class NothingStaged(CollatzError):
    """55000: import_sequences without import_open in this session."""


class LockNotAvailable(CollatzError):
    """55P03: a run at work in another backend, or lock_timeout expired."""


class QueryCanceled(CollatzError):
    """57014: statement_timeout or pg_cancel_backend stopped the statement."""


# Transient: the work did not happen and may be run again.
class ConnectionLost(CollatzError):
    """08xxx, 57P01-57P03: the connection broke, the backend was terminated, the server restarts."""

    retryable = True


class TransactionConflict(CollatzError):
    """40001 / 40P01: serialization failure or deadlock; the transaction was rolled back."""

    retryable = True


_BY_SQLSTATE: dict[str, type[CollatzError]] = {
    "22023": InvalidNumber,
    "22003": NumberOutOfRange,
    "22004": NullNotAllowed,
    "22P02": InvalidText,
    "22P04": BadImportFile,
    "23505": UniqueViolation,
    "23503": ForeignKeyViolation,
    "23514": CheckViolation,
    "42501": InsufficientPrivilege,
    "53200": OutOfMemory,
    "54000": ProgramLimitExceeded,
    "55000": NothingStaged,
    "55P03": LockNotAvailable,
    "57014": QueryCanceled,
    "57P01": ConnectionLost,  # admin_shutdown: pg_terminate_backend, a fast shutdown
    "57P02": ConnectionLost,  # crash_shutdown
    "57P03": ConnectionLost,  # cannot_connect_now: the server is starting or restarting
    "40001": TransactionConflict,
    "40P01": TransactionConflict,
}

_BY_CLASS: dict[str, type[CollatzError]] = {
    "08": ConnectionLost,
    "22": InvalidArgument,
    "23": IntegrityViolation,
}


def exception_class(sqlstate: str | None) -> type[CollatzError]:
    """The exception class for a SQLSTATE (by code, then by class, else CollatzError)."""
    if not sqlstate:
        return CollatzError
    return _BY_SQLSTATE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2]) or CollatzError


def _driver_error(exc: BaseException) -> psycopg.Error | None:
    if isinstance(exc, psycopg.Error):
        return exc
    if isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, psycopg.Error):
        return exc.orig
    return None


def translate(exc: BaseException) -> CollatzError | None:
    """The CollatzError for a driver error, or None when exc is not one."""
    if isinstance(exc, CollatzError):
        return exc
    err = _driver_error(exc)
    if err is None:
        return None
    diag: Any = err.diag
    sqlstate = err.sqlstate or diag.sqlstate
    message = diag.message_primary or str(err).strip() or type(err).__name__
    cls = exception_class(sqlstate)
    broken = isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    if cls is CollatzError and (broken or (sqlstate is None and isinstance(err, psycopg.OperationalError))):
        # No SQLSTATE at all: libpq lost the server ("server closed the connection unexpectedly").
        cls = ConnectionLost
    return cls(message, sqlstate=sqlstate, hint=diag.message_hint, detail=diag.message_detail)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise driver errors inside the block as CollatzError subclasses (chained)."""
    try:
        yield
    except (psycopg.Error, sa_exc.DBAPIError) as exc:
        translated = translate(exc)
        if translated is None:
            raise
        raise translated from exc


__all__ = [
    "AlreadyStored",
    "BadImportFile",
    "CheckViolation",
    "CollatzError",
    "ConfigurationError",
    "ConnectionLost",
    "ForeignKeyViolation",
    "InsufficientPrivilege",
    "IntegrityViolation",
    "InvalidArgument",
    "InvalidNumber",
    "InvalidText",
    "LockNotAvailable",
    "NothingStaged",
    "NullNotAllowed",
    "NumberOutOfRange",
    "OutOfMemory",
    "ProgramLimitExceeded",
    "QueryCanceled",
    "ReadOnlyModelError",
    "TransactionConflict",
    "UniqueViolation",
    "exception_class",
    "translate",
    "translate_errors",
]
