"""``arrears sim portfolio`` as a user runs it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from arrears.cli import app
from arrears.sim import PortfolioSpec, generate_tables
from arrears.sim.profile import BEHAVIOUR_NAMES
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


def test_truth_lists_each_customers_drawn_behaviour(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    result = runner.invoke(
        app,
        [
            "sim",
            "portfolio",
            "--customers",
            "80",
            "--seed",
            "4",
            "--out",
            str(tmp_path / "feed"),
            "--as-of",
            "2026-11-21",
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.stdout
    _, behaviour = generate_tables(PortfolioSpec(80, 4, date(2026, 11, 21)))
    rows = [line.split(",") for line in truth.read_text(encoding="utf-8").splitlines()[1:]]
    customers = [
        line.split(",")[0].strip('"')
        for line in (tmp_path / "feed" / "customers.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    assert [r[0] for r in rows] == customers
    assert [r[1] for r in rows] == [BEHAVIOUR_NAMES[b] for b in behaviour]
    assert "truth" not in {p.stem for p in (tmp_path / "feed").iterdir()}  # not a feed file
