"""Shared fixtures: an operational database built by the migrations, on SQLite and PostgreSQL.

Every test that takes ``engine`` runs twice, once per database. PostgreSQL comes from
``ARREARS_TEST_POSTGRES_URL``; without it those variants skip, saying why. Each PostgreSQL test
gets a database of its own, so tests may run in parallel against one server.

The migrations run once per process and kind, into a template; each test's database is a copy
of it (SQLite: the file copied; PostgreSQL: ``CREATE DATABASE … TEMPLATE``, some 50 ms where
running the migrations takes 0.9 s). ``bare_engine`` (no schema yet) is for the migrations' own
tests.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import settings
from sqlalchemy import Engine, make_url, text

from arrears.api.observability import JsonFormatter
from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.delinquency.engines import DuckDBEngine
from tests.log_check import scan

# No per-example deadline: a test asserts what the code does, never how fast it is on a busy
# machine (timings are the benchmarks' business); CI runs two workers on two cores.
settings.register_profile("arrears", deadline=None)
settings.load_profile("arrears")

# The commands' output is read as text at the width the tests' COLUMNS asks for, when they run.
# A Console made while COLUMNS is set keeps that width for good, and the xdist workers start with
# COLUMNS=80: unset here, before any test module imports a command, each Console reads the width
# when it prints. Told the output is no terminal, Rich never takes it for a dumb one (FORCE_COLOR
# with TERM=dumb), where it ignores COLUMNS and prints 80 wide.
os.environ.pop("COLUMNS", None)
os.environ["TTY_COMPATIBLE"] = "0"

POSTGRES_URL = os.environ.get("ARREARS_TEST_POSTGRES_URL")
NO_POSTGRES = "ARREARS_TEST_POSTGRES_URL is not set: PostgreSQL variants skip (CI sets it)"

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[pytest.mark.postgres, pytest.mark.skipif(POSTGRES_URL is None, reason=NO_POSTGRES)],
    ),
]


def _sqlite_engine(directory: Path) -> Engine:
    return make_engine(f"sqlite:///{directory / 'arrears.db'}")


_TEMPLATES: dict[str, str] = {}
"""This process's migrated templates: the SQLite file's path, the PostgreSQL database's name."""


def _template(kind: str) -> str:
    """The migrated template of ``kind``, made (and dropped at exit) once per process."""
    if kind not in _TEMPLATES:
        _TEMPLATES[kind] = _sqlite_template() if kind == "sqlite" else _postgres_template()
    return _TEMPLATES[kind]


def _sqlite_template() -> str:
    directory = Path(tempfile.mkdtemp(prefix="arrears-test-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    engine = _sqlite_engine(directory)
    upgrade(engine)
    engine.dispose()  # the last connection closed: the WAL is folded into the file
    return str(directory / "arrears.db")


@cache
def _postgres_admin() -> Engine:
    """The server's own database, where this process creates and drops the tests' databases."""
    assert POSTGRES_URL is not None
    return make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _postgres_database(name: str) -> Engine:
    assert POSTGRES_URL is not None
    return make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))


def _postgres_template() -> str:
    name = f"arrears_template_{uuid.uuid4().hex[:12]}"
    with _postgres_admin().connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    atexit.register(_drop_database, name)
    engine = _postgres_database(name)
    upgrade(engine)
    engine.dispose()  # a template must have no connection when it is copied
    return name


def _drop_database(name: str) -> None:
    with _postgres_admin().connect() as connection:
        # FORCE: a test's leftover connection (a killed command's, say) must not keep it alive
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def database(kind: str, directory: Path, migrated: bool = True) -> Iterator[Engine]:
    """A database of ``kind`` (sqlite: a file in ``directory``; postgresql: a database of its
    own) built by the migrations, or empty (``migrated`` False); dropped afterwards. The
    fixtures below use it; a module-scoped fixture may too."""
    if kind == "sqlite":
        if migrated:
            shutil.copyfile(_template(kind), directory / "arrears.db")
        engine = _sqlite_engine(directory)
        yield engine
        engine.dispose()
        return
    name = f"arrears_test_{uuid.uuid4().hex[:12]}"
    # WAL_LOG (PostgreSQL 15): the small template copied through the WAL, with no checkpoint
    copy = f' TEMPLATE "{_template(kind)}" STRATEGY WAL_LOG' if migrated else ""
    with _postgres_admin().connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    engine = _postgres_database(name)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_database(name)


def command_line_url(engine: Engine) -> str:
    """The URL a command run in the test (ARREARS_DATABASE_URL) reaches ``engine``'s database
    with."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def command_line_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """``engine``'s database as the commands a test runs reach it, their messages in English."""
    from arrears.config import get_settings

    monkeypatch.setenv("ARREARS_DATABASE_URL", command_line_url(engine))
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """The kind of database the test is parametrised with (see :func:`pytest_generate_tests`)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def bare_engine(database_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no schema yet) of the kind the test is parametrised with."""
    with database(database_kind, tmp_path, migrated=False) as engine:
        yield engine


@pytest.fixture
def engine(database_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A database built by the migrations (a copy of this process's migrated template)."""
    with database(database_kind, tmp_path) as engine:
        yield engine


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the database once on SQLite and once on PostgreSQL."""
    if "database_kind" in metafunc.fixturenames and not any(
        m.name == "parametrize" and "database_kind" in m.args[0] for m in metafunc.definition.iter_markers()
    ):
        metafunc.parametrize("database_kind", DATABASES, indirect=True)


@pytest.fixture
def clock() -> FixedClock:
    """The batch's clock: 2024-06-01 02:00 UTC (10:00 in Shanghai)."""
    return FixedClock(datetime(2024, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def duck() -> Iterator[DuckDBEngine]:
    """The DuckDB snapshot engine, kept small: the tests run two at a time on two cores."""
    engine = DuckDBEngine(memory_limit="1GB", threads=1)
    yield engine
    engine.close()


# --- the whole run's log: no personal data in it --------------------------------------------------
#
# Every record of the "arrears" loggers (a request line, an error, anything the code logs) goes to
# a file per process (per xdist worker), written by the server's own JSON formatter but WITHOUT
# its masking filter: the check is that the code logs no personal data, not that the filter
# hides it. At the end the controller scans the files for anything shaped like a national id, a
# phone number or an e-mail address (the sample books' values all are) and fails the run, naming
# the file and line, if one is there.

_LOG_DIR = pytest.StashKey[Path]()
_LOG_HANDLER = pytest.StashKey[logging.Handler]()
_LOG_DIR_INPUT = "arrears_log_dir"


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        directory, name = Path(tempfile.mkdtemp(prefix="arrears-test-log-")), "main"
    else:
        directory, name = Path(workerinput[_LOG_DIR_INPUT]), str(workerinput["workerid"])
    handler = logging.FileHandler(directory / f"{name}.log", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("arrears")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    config.stash[_LOG_DIR] = directory
    config.stash[_LOG_HANDLER] = handler


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """xdist: tell each worker where the controller's log directory is."""
    node.workerinput[_LOG_DIR_INPUT] = str(node.config.stash[_LOG_DIR])  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    handler = session.config.stash.get(_LOG_HANDLER, None)
    if handler is None:
        return
    logging.getLogger("arrears").removeHandler(handler)
    handler.close()
    if hasattr(session.config, "workerinput"):
        return  # the controller scans every worker's file once all have finished
    directory = session.config.stash[_LOG_DIR]
    findings = scan(sorted(directory.glob("*.log")))
    if not findings:
        shutil.rmtree(directory, ignore_errors=True)
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "personal data in the test run's log: the run fails", red=True, bold=True)
        for finding in findings[:20]:
            reporter.write_line(str(finding))
        reporter.write_line(f"{len(findings)} in all; the logs are kept in {directory}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def served_app() -> Iterator[tuple[FastAPI, str]]:
    """One app served by uvicorn on loopback per test process, and its base URL; the ``api``
    fixture (tests/api/conftest.py) binds it to each test's database. A new app per test would
    analyse its routes again on their first requests, about a second of every API test."""
    from arrears.api.app import create_app
    from arrears.config import load_settings
    from tests.api.conftest import serving

    app = create_app(load_settings(database_url="sqlite://", language="en"))
    with serving(app) as url:
        yield app, url


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One SparkSession for the whole test session (the JVM takes ~15 s to start)."""
    from arrears.delinquency.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
