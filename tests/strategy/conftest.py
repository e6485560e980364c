"""One SparkSession for the whole test session (the JVM takes ~15 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from arrears.delinquency.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
