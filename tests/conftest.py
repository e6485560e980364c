"""Shared fixtures: an operational database built by the migrations, on SQLite and PostgreSQL.

Every test that takes ``engine`` runs twice, once per database. PostgreSQL comes from
``ARREARS_TEST_POSTGRES_URL``; without it those variants skip, saying why. Each PostgreSQL test
gets a schema of its own, so tests may run in parallel against one server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.delinquency.engines import DuckDBEngine

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


@pytest.fixture
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no schema yet) of the kind the test is parametrised with."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        engine = _sqlite_engine(tmp_path)
        yield engine
        engine.dispose()
        return
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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
