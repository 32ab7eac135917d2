"""Engines per environment, and retries on connection loss (never on a data error).

Where the connection settings come from, in order:

1. ``dsn=`` given to :func:`create_engine_for` (a libpq keyword string or a URI);
2. ``COLLATZ_DSN_<ENVIRONMENT>`` for ``environment=`` (or ``$COLLATZ_ENV``), e.g.
   ``COLLATZ_DSN_PROD``, ``COLLATZ_DSN_QA``, ``COLLATZ_DSN_UAT``, ``COLLATZ_DSN_SANDBOX``;
3. ``COLLATZ_DSN``;
4. nothing: libpq's own variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGDATABASE``,
   ``PGSERVICE``, ...).

Passwords never belong in code or in a DSN kept in a repository: libpq reads them from
``~/.pgpass`` (or ``PGPASSFILE``), a service file, or ``PGPASSWORD``.
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

import psycopg
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import Engine, create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from .errors import CollatzError, ConfigurationError, exception_class

ENVIRONMENTS = ("prod", "qa", "uat", "sandbox")

T = TypeVar("T")
P = ParamSpec("P")


def resolve_dsn(environment: str | None = None, dsn: str | None = None) -> str:
    """The libpq connection string for an environment ('' means: libpq's PG* variables)."""
    if dsn is not None:
        return dsn
    environment = environment or os.environ.get("COLLATZ_ENV") or None
    if environment:
        name = f"COLLATZ_DSN_{environment.upper()}"
        value = os.environ.get(name)
        if not value:
            raise ConfigurationError(
                f"no connection settings for environment {environment!r}: {name} is not set",
                hint=f"Export {name}='host=... dbname=... user=...' (the password goes in ~/.pgpass).",
            )
        return value
    return os.environ.get("COLLATZ_DSN", "")


def create_engine_for(
    environment: str | None = None,
    dsn: str | None = None,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    pool_recycle: int = 1800,
    pool_pre_ping: bool = True,
    application_name: str = "collatz_ext",
    connect_args: dict[str, Any] | None = None,
    **engine_kwargs: Any,
) -> Engine:
    """A pooled SQLAlchemy engine (psycopg 3) for an environment or a DSN.

    ``pool_pre_ping`` checks each connection as it leaves the pool, so one broken by a
    server restart or ``pg_terminate_backend`` is replaced rather than handed out.
    ``connect_args`` go to ``psycopg.connect`` (e.g. ``{"prepare_threshold": None}`` behind
    PgBouncer's transaction pooling); anything else goes to ``sqlalchemy.create_engine``.
    """
    args: dict[str, Any] = {"application_name": application_name}
    args.update(conninfo_to_dict(resolve_dsn(environment, dsn)))
    args.update(connect_args or {})
    return create_engine(
        "postgresql+psycopg://",
        connect_args=args,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping,
        **engine_kwargs,
    )


def _sqlstate(exc: BaseException) -> str | None:
    if isinstance(exc, CollatzError):
        return exc.sqlstate
    err = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(err, psycopg.Error):
        return err.sqlstate or err.diag.sqlstate
    return None


def is_retryable(exc: BaseException) -> bool:
    """Whether the failed work may be run again: the connection was lost, not the data refused.

    True for class 08 (connection exception), 57P01 (admin_shutdown: a terminated backend),
    57P02 (crash_shutdown), 57P03 (cannot_connect_now: the server is restarting), a libpq
    error without SQLSTATE on a broken connection, and 40001/40P01 (serialization failure,
    deadlock: PostgreSQL rolled the transaction back). Never for a data error (22xxx), a
    constraint (23xxx), a privilege or syntax error (42xxx) or anything else.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # look through `raise ... from` chains
        seen.add(id(exc))
        sqlstate = _sqlstate(exc)
        if sqlstate is not None:
            return exception_class(sqlstate).retryable
        if isinstance(exc, CollatzError):
            return exc.retryable
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        err = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
        if isinstance(err, psycopg.OperationalError):
            return True  # no SQLSTATE: libpq lost the connection or could not make one
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def _sleep_for(attempt: int, backoff: float, max_backoff: float) -> float:
    """Exponential backoff with jitter: about backoff * 2^(attempt-1), at most max_backoff."""
    delay: float = min(max_backoff, backoff * (2 ** (attempt - 1)))
    return delay * (0.5 + random.random() / 2)


def run_in_transaction(
    engine: Engine,
    fn: Callable[[Session], T],
    *,
    attempts: int = 5,
    backoff: float = 0.1,
    max_backoff: float = 5.0,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run ``fn(session)`` in one transaction, committed at the end; retry on connection loss.

    Each attempt gets a new Session and a new transaction, so a failed attempt leaves
    nothing behind and the next one starts over. Data errors are raised at once. The
    retried work must be safe to redo from the start (the repository's writes are: stored
    rows are skipped). One case no client can decide: the connection breaking during
    COMMIT, when the server may or may not have committed; idempotent work is safe there too.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            with Session(engine) as session, session.begin():
                return fn(session)
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(_sleep_for(attempt, backoff, max_backoff))
    raise AssertionError("unreachable")


@overload
def retrying(fn: Callable[P, T]) -> Callable[P, T]: ...


@overload
def retrying(
    *, attempts: int = 5, backoff: float = 0.1, max_backoff: float = 5.0
) -> Callable[[Callable[P, T]], Callable[P, T]]: ...


def retrying(
    fn: Callable[P, T] | None = None,
    *,
    attempts: int = 5,
    backoff: float = 0.1,
    max_backoff: float = 5.0,
) -> Callable[P, T] | Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator: call again with exponential backoff when :func:`is_retryable` says so.

    For functions that open their own connection or Session and transaction, so that each
    call starts afresh. ``@retrying`` or ``@retrying(attempts=3, backoff=0.5)``.
    """

    def decorate(f: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            for attempt in range(1, attempts + 1):
                try:
                    return f(*args, **kwargs)
                except Exception as exc:
                    if attempt == attempts or not is_retryable(exc):
                        raise
                    time.sleep(_sleep_for(attempt, backoff, max_backoff))
            raise AssertionError("unreachable")

        return wrapper

    return decorate(fn) if fn is not None else decorate


__all__ = ["ENVIRONMENTS", "create_engine_for", "is_retryable", "resolve_dsn", "retrying", "run_in_transaction"]
