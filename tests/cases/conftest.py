from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(memory_limit="1GB", threads=1)
    yield engine
    engine.close()
