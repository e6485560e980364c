"""``arrears import`` and ``arrears portfolio summary`` as a user runs them: exit codes and output."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import get_settings
from arrears.db import make_engine
from tests.portfolio.feedkit import GOOD_FEED, counts, write_feed

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ARREARS_DATABASE_URL", url)
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield url
    get_settings.cache_clear()


def test_version_and_help_document_the_exit_statuses() -> None:
    assert runner.invoke(app, ["--version"]).stdout.startswith("arrears ")
    text = runner.invoke(app, ["import", "--help"], env={"COLUMNS": "200"}).stdout
    assert "Exit status" in text and "3 some rows rejected" in text and "2 a file could not be read" in text


def test_exit_0_when_everything_is_stored_then_summary(database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(write_feed(tmp_path / "feed", GOOD_FEED))])
    assert result.exit_code == 0, result.stdout
    summary = runner.invoke(app, ["portfolio", "summary"], env={"COLUMNS": "200"})
    assert summary.exit_code == 0
    assert "personal_loan" in summary.stdout and "2120.00" in summary.stdout  # A1's two installments
    assert "30000000.00" not in summary.stdout and "30000000 " in summary.stdout  # JPY without decimals


def test_exit_3_when_some_rows_are_rejected(database: str, tmp_path: Path) -> None:
    bad = GOOD_FEED["customers.csv"] + "C3,,,,,,,\n"
    result = runner.invoke(
        app, ["import", str(write_feed(tmp_path, {"customers.csv": bad}))], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 3
    assert "1 row(s) rejected" in result.stdout and (tmp_path / "customers.csv.rejects.csv").exists()
    assert counts(make_engine(database))["customers"] == 2


def test_exit_2_when_a_file_cannot_be_read(database: str, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    result = runner.invoke(app, ["import", str(tmp_path / "customers.csv")])
    assert result.exit_code == 2
    unknown = runner.invoke(app, ["import", str(tmp_path / "ledger.csv")])
    assert unknown.exit_code == 2 and "--kind" in unknown.stdout


def test_a_killed_import_leaves_the_database_as_before(database: str, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(write_feed(tmp_path / "feed", GOOD_FEED))])
    before = counts(make_engine(database))
    rows = 300_000
    big = tmp_path / "big" / "installments.csv"
    big.parent.mkdir()
    with big.open("w") as stream:
        stream.write("account_id,seq,due_date,amount_due\n")
        stream.writelines(f"A1,{seq},2030-01-01,10.00\n" for seq in range(10, 10 + rows))
    process = subprocess.Popen(
        [sys.executable, "-m", "arrears", "import", str(big)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    after = counts(make_engine(database))
    # Killed mid-way the file is absent; had it finished first, it would be there whole.
    assert after["installments"] in (before["installments"], before["installments"] + rows)
    assert {k: v for k, v in after.items() if k != "installments"} == {
        k: v for k, v in before.items() if k != "installments"
    }


def test_a_directory_with_a_file_of_unknown_kind_imports_the_others(database: str, tmp_path: Path) -> None:
    files = {**GOOD_FEED, "readme.csv": "a,b\n1,2\n"}
    result = runner.invoke(app, ["import", str(write_feed(tmp_path / "feed", files))], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "cannot tell which kind of feed readme.csv holds" in result.stdout
    assert counts(make_engine(database)) == {
        "customers": 2,
        "contact_points": 3,
        "accounts": 3,
        "installments": 4,
        "payments": 4,
    }


def test_a_header_or_a_value_of_100_kb_is_refused_at_once_and_echoed_cut(
    database: str, tmp_path: Path
) -> None:
    huge = "x" * 100_000
    files = {
        "customers.csv": f"customer_id,name,{huge}\nC1,a,b\n",
        "accounts.csv": f"account_id,customer_id,product,currency,opened_on\nA1,C1,{huge},CNY,2025-01-01\n",
    }
    feed = write_feed(tmp_path / "feed", files)
    result = runner.invoke(app, ["import", str(feed)], env={"COLUMNS": "400"})
    assert result.exit_code == 3  # the most severe of 2 (customers unreadable) and 3 (a row rejected)
    assert "a column name of the header is longer than 200 characters" in " ".join(result.stdout.split())
    assert len(result.stdout) < 5_000
    (line,) = list(csv.DictReader((feed / "accounts.csv.rejects.csv").open(encoding="utf-8")))
    assert line["value"] == huge  # the value itself is kept, the reason repeats it cut
    assert len(line["reason"]) < 400 and "…(+99800)" in line["reason"]


def test_a_piped_summary_cuts_no_amount_and_no_name(database: str, tmp_path: Path) -> None:
    accounts = "account_id,customer_id,product,currency,opened_on,principal\n" + "".join(
        f"B{i},C1,sme_loan,CNY,2025-01-01,9999999999999.99\n" for i in range(10_000)
    )
    feed = write_feed(
        tmp_path / "feed", {"customers.csv": GOOD_FEED["customers.csv"], "accounts.csv": accounts}
    )
    assert runner.invoke(app, ["import", str(feed)]).exit_code == 0
    # 10,000 accounts near 10^15 minor units: their sum passes what SQLite's integer sum holds.
    summary = runner.invoke(app, ["portfolio", "summary"], env={"COLUMNS": "40"})
    assert summary.exit_code == 0, summary.output
    assert "99999999999999900.00" in summary.stdout and "sme_loan" in summary.stdout
    assert "…" not in summary.stdout
