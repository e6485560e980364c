"""The operational database: engine, sessions, declarative base and portable column types.

The same schema runs on SQLite (embedded default) and PostgreSQL (production). Instants are
stored UTC-aware on both; naive values are refused on the way in, also on SQLite, which has
no time zone type of its own. The caller owns the transaction: a request, a CLI command or a
batch step commits; services only flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    Numeric,
    String,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from arrears.clock import ensure_aware
from arrears.errors import BusyError, InvalidInputError, UnavailableError, echo
from arrears.i18n import N_

if TYPE_CHECKING:
    from arrears.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes, always returns UTC-aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = ensure_aware(value)
        # SQLite keeps text; store UTC without an offset so that text order is time order.
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A rate or ratio kept exact: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric(18, 8)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 8, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


MinorUnits = BigInteger
"""Booked money: integer minor units, always beside a ``currency`` column."""


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """An engine for a SQLite file or a PostgreSQL server, configured the same way everywhere.

    ``busy_timeout``: seconds a SQLite statement waits for a file another process holds. No
    directory is created: a SQLite file's directory must exist (commands open the database
    through :func:`open_database`, which says so)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000)))
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
    return engine


def _sqlite_begin_before_savepoint(connection: Any, _name: str) -> None:
    """The driver (pysqlite) opens a transaction only before a statement that writes: a SAVEPOINT
    issued first would be a transaction of its own, committed by its RELEASE, beyond the
    caller's rollback (work half written). Open the transaction first: the savepoint nests in it.
    (SQLite would open it as deferred either way, so nothing else changes.)"""
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = 30000) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")  # first: the next pragma may wait
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def open_database(settings: Settings | None = None, *, create: bool = False) -> Iterator[Engine]:
    """The operational database named by the settings, disposed of when the block ends.

    Every command opens the database this way. A database that cannot be used is said in a
    domain error instead of a driver's traceback: one never upgraded (or behind the code) is
    an :class:`~arrears.errors.UnavailableError` saying to run ``arrears db upgrade``; a SQLite
    file another process holds past the busy timeout, a :class:`~arrears.errors.BusyError`.
    ``create`` (``arrears db upgrade``) allows a new SQLite file, in a directory that exists,
    and skips the schema check.
    """
    if settings is None:
        from arrears.config import get_settings

        settings = get_settings()
    url = make_url(settings.database_url)
    _check_file(url, create)
    engine = make_engine(settings.database_url, busy_timeout=settings.sqlite_busy_timeout)
    try:
        try:
            if not create:
                _check_schema(engine, url)
            else:
                with engine.connect():
                    pass
        except OperationalError as error:
            raise _unusable(error, url) from None
        try:
            yield engine
        except OperationalError as error:
            if _is_busy(error):
                raise _unusable(error, url) from None
            raise
    finally:
        engine.dispose()


def shown(url: URL) -> str:
    """A database URL as messages show it: without its password."""
    return url.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database or "")


def _check_file(url: URL, create: bool) -> None:
    path = _sqlite_file(url)
    if path is None:
        return
    if create and not path.parent.is_dir():
        raise InvalidInputError(
            N_(
                "the directory {directory} of the database does not exist: create it first, "
                "or set ARREARS_DATABASE_URL to a file in a directory that does"
            ),
            directory=echo(path.parent),
        )
    if not create and not path.exists():
        raise UnavailableError(
            N_("there is no database at {path}: run `arrears db upgrade` to create it"), path=echo(path)
        )


def _check_schema(engine: Engine, url: URL) -> None:
    from arrears.db.migrate import code_revisions, database_revisions

    current, wanted = database_revisions(engine), code_revisions()
    if current == wanted:
        return
    if not current:
        raise UnavailableError(
            N_("the database {database} has no tables yet: run `arrears db upgrade` first"),
            database=shown(url),
        )
    raise UnavailableError(
        N_(
            "the database {database} is at revision {current}, this version of Arrears needs {wanted}: "
            "run `arrears db upgrade` first"
        ),
        database=shown(url),
        current=",".join(sorted(current)),
        wanted=",".join(sorted(wanted)),
    )


def _is_busy(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


def _unusable(error: OperationalError, url: URL) -> BusyError | UnavailableError:
    if _is_busy(error):
        return BusyError(
            N_(
                "the database {database} is locked by another process: wait for it to finish "
                "and run again (ARREARS_SQLITE_BUSY_TIMEOUT says how long to wait)"
            ),
            database=shown(url),
        )
    reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    return UnavailableError(
        N_("the database {database} cannot be used: {reason}"), database=shown(url), reason=echo(reason)
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
