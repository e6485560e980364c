"""The batch, export and report commands end to end on a SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from arrears.batch.cli import render, resolve_dates
from arrears.batch.summary import BucketLine, DaySummary
from arrears.cases.service import CaseChanges
from arrears.clock import FixedClock
from arrears.config import get_settings
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.scoring.batch_scorer import DayScores
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "arrears.db"
    monkeypatch.setenv("ARREARS_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    insert_book(engine, *facts_of(generated_book(200, seed=2)))
    engine.dispose()
    yield path
    get_settings.cache_clear()


def test_default_date_is_yesterday_in_the_bank_zone() -> None:
    late_utc = FixedClock(datetime(2024, 6, 1, 17, 0, tzinfo=UTC))  # already 2 June in Shanghai
    assert resolve_dates(None, None, None, late_utc, "Asia/Shanghai") == [date(2024, 6, 1)]
    assert resolve_dates(None, None, None, late_utc, "America/New_York") == [date(2024, 5, 31)]
    assert resolve_dates(None, date(2024, 1, 30), date(2024, 2, 1), late_utc, "UTC") == [
        date(2024, 1, 30),
        date(2024, 1, 31),
        date(2024, 2, 1),
    ]


def test_the_summary_reads_in_the_users_language_with_the_same_figures() -> None:
    day = DaySummary(
        as_of=date(2024, 2, 3),
        accounts=1234,
        delinquent=56,
        entries=7,
        cures=3,
        rolls={"forward": 2},
        buckets=[BucketLine("M1", "CNY", 56, 1_234_567_89, 98_765_43)],
        cases=CaseChanges(opened=5, updated=1, closed=2),
        elapsed_seconds=0.5,
        scores=DayScores("cure", "cure v1", 1234, {"A": 1000, "B": 234}),
    )
    shown = {}
    for language in ("en", "zh-CN"):
        console = Console(record=True, width=200)
        render([day], console, language)
        shown[language] = console.export_text()
    assert "Accounts by bucket, as of 2024-02-03" in shown["en"] and "cures" in shown["en"]
    assert "账龄分布，截至 2024-02-03" in shown["zh-CN"] and "出催" in shown["zh-CN"]
    assert "Accounts" not in shown["zh-CN"] and "账龄" not in shown["en"]
    for figure in ("1,234", "1234567.89", "98765.43", "A: 1,000  B: 234", "cure v1", "0.50"):
        assert figure in shown["en"] and figure in shown["zh-CN"], figure
    digits = [re.findall(r"[0-9][0-9,.:]*", shown[language]) for language in ("en", "zh-CN")]
    assert digits[0] == digits[1]


def test_run_export_and_roll_rates_from_the_command_line(database: Path, tmp_path: Path) -> None:
    from arrears.cli import app

    runner = CliRunner(env={"ARREARS_LANGUAGE": "en"})
    ran = runner.invoke(app, ["batch", "run", "--from", "2024-02-01", "--to", "2024-02-03", "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert "as of 2024-02-03" in ran.output and "Accounts by bucket" in ran.output
    rebuilt = runner.invoke(app, ["report", "rebuild-totals", "--from", "2024-02-02"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2024-02-02 totals rebuilt" in rebuilt.output and "2 snapshot dates" in rebuilt.output

    out = tmp_path / "s.csv"
    exported = runner.invoke(app, ["delinquency", "export", "--as-of", "2024-02-03", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 201

    png = tmp_path / "r.png"
    report = runner.invoke(
        app, ["report", "roll-rates", "--from", "2024-02-01", "--to", "2024-02-03", "--png", str(png)]
    )
    assert report.exit_code == 0, report.output
    assert "Roll rates" in report.output and png.exists()

    missing = runner.invoke(app, ["delinquency", "export", "--as-of", "2023-01-01", "--out", str(out)])
    assert missing.exit_code == 2 and "no snapshot" in missing.output


def test_a_second_run_while_another_process_holds_the_store_stops_with_the_lock_message(
    database: Path,
) -> None:
    import subprocess
    import sys

    from arrears.cli import app

    store = database.parent / "arrears.db.batch.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(store)!r}); print('open'); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        ran = CliRunner().invoke(app, ["batch", "run", "--as-of", "2024-02-01", "--quiet"])
    finally:
        holder.communicate("")
    assert ran.exit_code == 3, ran.output
    assert "Another batch run is in progress" in ran.output and "另一个批处理正在运行" in ran.output
    assert str(store) in ran.output.replace("\n", "")
