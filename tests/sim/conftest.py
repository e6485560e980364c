"""One generated feed shared by the contract and behaviour tests (several chunks, default profile)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from arrears.sim import PortfolioSpec, generate_portfolio
from arrears.sim.generator import generate_tables
from tests.sim.reference import read_feed

AS_OF = date(2026, 11, 21)
SPEC = PortfolioSpec(customers=3_000, seed=11, as_of=AS_OF, chunk_customers=1_000)


@pytest.fixture(scope="session")
def feed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("feed")
    generate_portfolio(SPEC, directory)
    return directory


@pytest.fixture(scope="session")
def feed(feed_dir: Path) -> dict[str, list[dict[str, str]]]:
    return read_feed(feed_dir)


@pytest.fixture(scope="session")
def behaviour() -> npt.NDArray[np.int8]:
    """Each customer's drawn behaviour (the generator's hidden truth), in customer order."""
    return generate_tables(SPEC)[1]
