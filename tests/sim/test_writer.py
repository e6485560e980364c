"""Parquet row groups gather several chunks; the CSV's dates and numbers read as Arrow writes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from arrears.sim import FeedFormat, PortfolioSpec, generate_portfolio
from arrears.sim.text import iso_dates, small_int_text
from arrears.sim.writer import KINDS


def test_parquet_gathers_small_chunks_into_one_row_group_per_file(tmp_path: Path) -> None:
    spec = PortfolioSpec(customers=1_000, seed=2, as_of=date(2026, 11, 21), chunk_customers=100)
    report = generate_portfolio(spec, tmp_path, FeedFormat.PARQUET)
    for kind in KINDS:
        metadata = pq.ParquetFile(tmp_path / f"{kind}.parquet").metadata
        assert metadata.num_row_groups == 1
        assert metadata.num_rows == report.rows[kind]


def test_dates_and_small_numbers_become_the_text_arrow_casts_them_to() -> None:
    days = pa.array([date(1969, 12, 31), date(2026, 2, 28), date(2000, 2, 29), date(2026, 2, 28)])
    assert iso_dates(days).to_pylist() == ["1969-12-31", "2026-02-28", "2000-02-29", "2026-02-28"]
    numbers = pa.array([360, 1, 12, 0], pa.int32())
    assert small_int_text(numbers).to_pylist() == ["360", "1", "12", "0"]
    large = pa.array([5, 123_456], pa.int32())
    assert small_int_text(large).to_pylist() == ["5", "123456"]
    with_null = pa.array([None, 2], pa.int32())
    assert small_int_text(with_null).to_pylist() == [None, "2"]
