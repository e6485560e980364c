"""A book with amounts near the importer's bound and identifiers a spreadsheet would run: the
rows that would overflow are rejected at import, and the night, the summary and the export run."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest import MonkeyPatch
from sqlalchemy import Engine
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import get_settings
from arrears.portfolio.feeds import MAX_AMOUNT
from tests.conftest import command_line_url

runner = CliRunner()
HALF = f"{MAX_AMOUNT // 2 // 100}.00"  # CNY: half the bound per installment or payment
FEED = {
    "customers.csv": 'customer_id,name\n"=HYPERLINK(""http://evil.example"",""x"")",=cmd\nC2,李四\n',
    "accounts.csv": "account_id,customer_id,product,currency,opened_on\n"
    '"=A1","=HYPERLINK(""http://evil.example"",""x"")",personal_loan,CNY,2024-01-01\n'
    "A2,C2,personal_loan,CNY,2024-01-01\n",
    "installments.csv": "account_id,seq,due_date,amount_due\n"
    + "".join(f"=A1,{seq},2024-0{seq}-01,{HALF}\n" for seq in (1, 2, 3))  # the third would overflow
    + "".join(f"A2,{seq},2024-0{seq}-01,{HALF}\n" for seq in (1, 2)),
    "payments.csv": "payment_id,account_id,paid_on,amount\n"
    + "".join(f"P{i},A2,2024-0{i}-02,{HALF}\n" for i in (1, 2, 3)),  # the third would overflow
}


@pytest.fixture
def database(engine: Engine, monkeypatch: MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("ARREARS_DATABASE_URL", command_line_url(engine))
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    monkeypatch.delenv("ARREARS_BATCH_STORE", raising=False)
    monkeypatch.delenv("ARREARS_DELINQUENCY_RULES", raising=False)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_night_the_summary_and_the_export_run_on_a_book_near_the_bound(
    database: Engine, tmp_path: Path
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    for name, content in FEED.items():
        (feed / name).write_text(content, encoding="utf-8")
    imported = runner.invoke(app, ["import", str(feed)], env={"COLUMNS": "200"})
    assert imported.exit_code == 3, imported.output
    for name, row in (("installments.csv", "3"), ("payments.csv", "3")):
        (line,) = list(csv.DictReader((feed / f"{name}.rejects.csv").open(encoding="utf-8")))
        assert (line["row"], line["reason"].split(":")[0]) == (row, line["column"])
    _run("batch", "run", "--as-of", "2024-04-15", "--quiet")
    summary = _run("portfolio", "summary")
    assert f"{MAX_AMOUNT // 100 * 2}.00" in summary  # both accounts' schedules, each at the bound
    out = tmp_path / "snapshot.csv"
    _run("delinquency", "export", "--as-of", "2024-04-15", "--out", str(out))
    rows = {row["account_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == {"'=A1", "A2"}  # a formula is neutralised, a plain id is not
    assert rows["'=A1"]["customer_id"].startswith("'=HYPERLINK(")
    assert rows["'=A1"]["overdue_amount"] == f"{MAX_AMOUNT // 100}.00"
    assert (rows["A2"]["overdue_amount"], rows["A2"]["dpd"]) == ("0.00", "0")
