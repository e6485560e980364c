"""One SparkSession for the whole test session (the JVM takes ~15 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from arrears.delinquency.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(memory_limit="1GB", threads=1)
    yield engine
    engine.close()
