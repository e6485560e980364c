"""``arrears sim portfolio`` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from arrears.cli import app
from arrears.sim.writer import KINDS

runner = CliRunner()


def test_writes_the_five_kinds_as_parquet(tmp_path: Path) -> None:
    out = tmp_path / "book"
    result = runner.invoke(
        app,
        [
            "sim",
            "portfolio",
            "--customers",
            "40",
            "--seed",
            "3",
            "--out",
            str(out),
            "--format",
            "parquet",
            "--as-of",
            "2026-11-21",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{kind}.parquet" for kind in KINDS)
    assert pq.read_table(out / "customers.parquet").num_rows == 40
    assert "40 customers as of 2026-11-21 (seed 3)" in result.stdout


def test_history_months_bounds_the_opening_dates(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "sim",
            "portfolio",
            "--customers",
            "60",
            "--out",
            str(tmp_path),
            "--as-of",
            "2026-11-21",
            "--history-months",
            "6",
        ],
    )
    assert result.exit_code == 0, result.stdout
    lines = (tmp_path / "accounts.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert lines and all(line.split(",")[4] >= "2026-05-01" for line in lines)


def test_a_bad_as_of_date_is_refused_in_both_languages(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["sim", "portfolio", "--out", str(tmp_path), "--as-of", "21/11/2026"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output and "日期" in result.output
    assert not any(tmp_path.iterdir())
