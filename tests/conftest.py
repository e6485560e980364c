"""Shared fixtures: an operational database built by the migrations, on SQLite and PostgreSQL.

Every test that takes ``engine`` runs twice, once per database. PostgreSQL comes from
``ARREARS_TEST_POSTGRES_URL``; without it those variants skip, saying why. Each PostgreSQL test
gets a schema of its own, so tests may run in parallel against one server.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text

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


@contextmanager
def database(kind: str, directory: Path) -> Iterator[Engine]:
    """An empty database of ``kind`` (sqlite: a file in ``directory``; postgresql: a schema of its
    own), dropped afterwards. The fixtures below use it; a module-scoped fixture may too."""
    if kind == "sqlite":
        engine = _sqlite_engine(directory)
        yield engine
        engine.dispose()
        return
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def command_line_url(engine: Engine) -> str:
    """The URL a command run in the test (ARREARS_DATABASE_URL) reaches ``engine``'s database
    with: on PostgreSQL, with the test's own schema on its search path."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


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
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no schema yet) of the kind the test is parametrised with."""
    with database(getattr(request, "param", "sqlite"), tmp_path) as engine:
        yield engine


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """A database built by the migrations."""
    upgrade(bare_engine)
    return bare_engine


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the database once on SQLite and once on PostgreSQL."""
    if "bare_engine" in metafunc.fixturenames and not any(
        m.name == "parametrize" and "bare_engine" in m.args[0] for m in metafunc.definition.iter_markers()
    ):
        metafunc.parametrize("bare_engine", DATABASES, indirect=True)


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
def spark() -> Iterator[Any]:
    """One SparkSession for the whole test session (the JVM takes ~15 s to start)."""
    from arrears.delinquency.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
