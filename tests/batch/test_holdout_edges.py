"""Hold-out check of the nightly batch from the command line (issue #3).

A small hand-made feed with the edge cases of the delinquency definitions
(docs/batch.md) goes through ``arrears import``, ``arrears batch run`` and
``arrears delinquency export`` on DuckDB (SQLite and PostgreSQL) and on
Spark; every exported row is compared with an expectation worked out by hand
from the definitions, the arithmetic beside it. A run killed with SIGKILL
through the CLI, then rerun, ends with the same exports.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest import MonkeyPatch
from sqlalchemy import Engine
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import get_settings
from tests.conftest import command_line_url

ROOT = Path(__file__).resolve().parents[2]
D1, D2, D3 = "2024-05-30", "2024-05-31", "2024-06-01"
DATES = (D1, D2, D3)
HEADER = [
    "account_id",
    "customer_id",
    "as_of",
    "dpd",
    "bucket",
    "overdue_amount",
    "currency",
    "roll",
]

CUSTOMERS = """customer_id,name,country,timezone,language
C1,张伟,CN,Asia/Shanghai,zh-CN
C2,李娜,CN,Asia/Shanghai,zh-CN
C3,山田太郎,JP,Asia/Tokyo,ja-JP
C4,王芳,CN,Asia/Shanghai,zh-CN
C5,John Smith,US,America/New_York,en-US
C6,刘洋,CN,Asia/Shanghai,zh-CN
C7,陈静,CN,Asia/Shanghai,zh-CN
"""
ACCOUNTS = """account_id,customer_id,product,currency,opened_on,status
A01,C6,personal_loan,CNY,2024-02-01,active
A02,C2,credit_card,CNY,2023-01-01,active
A03,C1,personal_loan,CNY,2024-02-15,active
A04,C4,personal_loan,CNY,2024-03-20,active
A05,C4,personal_loan,CNY,2024-04-01,active
A06,C6,credit_card,CNY,2023-06-01,active
A07,C5,auto_loan,USD,2024-02-01,active
A08,C5,credit_card,USD,2023-01-01,active
A09,C3,mortgage,JPY,2024-03-25,active
A10,C3,personal_loan,JPY,2024-04-10,active
A11,C4,personal_loan,CNY,2023-12-15,closed
A12,C1,credit_card,USD,2024-01-01,active
A13,C2,personal_loan,CNY,2024-05-20,active
A14,C7,personal_loan,CNY,2023-09-01,active
A15,C7,sme_loan,CNY,2023-11-02,active
"""
INSTALLMENTS = """account_id,seq,due_date,amount_due
A01,1,2024-03-30,1000.00
A01,2,2024-04-30,1000.00
A01,3,2024-05-30,1000.00
A01,4,2024-06-30,1000.00
A02,1,2024-04-10,500.00
A02,2,2024-05-10,500.00
A02,3,2024-06-10,500.00
A03,1,2024-03-15,1234.56
A03,2,2024-04-15,1234.56
A03,3,2024-05-15,1234.56
A03,4,2024-06-15,1234.56
A04,1,2024-04-20,800.00
A04,2,2024-05-20,800.00
A05,1,2024-05-01,600.00
A06,1,2024-05-05,300.00
A06,2,2024-05-05,700.00
A07,1,2024-03-01,200.00
A07,2,2024-04-01,200.00
A07,3,2024-05-01,200.00
A08,1,2024-05-20,500.00
A08,2,2024-04-20,500.00
A08,3,2024-05-25,100.00
A08,4,2024-05-25,50.00
A09,1,2024-04-25,50000
A09,2,2024-05-25,50000
A09,3,2024-06-25,50000
A10,1,2024-05-10,30000
A10,2,2024-06-10,30000
A11,1,2024-01-15,5000.00
A12,1,2024-05-15,35.00
A12,2,2024-06-15,35.00
A13,1,2024-06-20,1500.00
A14,1,2023-10-01,2000.00
A15,1,2023-12-02,900.00
"""
PAYMENTS = """payment_id,account_id,paid_on,amount,channel,reverses
P01,A01,2024-03-30,1000.00,bank,
P02,A01,2024-04-30,1000.00,bank,
P03,A01,2024-06-01,1000.00,bank,
P04,A02,2024-04-10,500.00,wechat_pay,
P05,A02,2024-05-12,300.00,wechat_pay,
P06,A03,2024-03-15,4000.00,bank,
P07,A04,2024-04-20,800.00,bank,
P08,A04,2024-05-20,800.00,bank,
R08,A04,2024-05-22,800.00,bank,P08
P09,A05,2024-05-01,600.00,alipay,
R09,A05,2024-05-31,600.00,alipay,P09
P10,A06,2024-05-05,700.00,bank,
P11,A07,2024-05-31,200.00,ach,
P12,A08,2024-04-20,500.00,ach,
P13,A08,2024-05-25,100.00,ach,
P14,A09,2024-04-25,50000,bank,
P15,A09,2024-05-25,20000,bank,
P16,A10,2024-05-09,45000,bank,
P17,A11,2024-01-15,4000.00,bank,
P18,A12,2024-05-14,35.00,card,
P19,A12,2024-06-05,35.00,card,
P20,A15,2023-12-02,100.00,bank,
"""
FEED = {
    "customers.csv": CUSTOMERS,
    "accounts.csv": ACCOUNTS,
    "installments.csv": INSTALLMENTS,
    "payments.csv": PAYMENTS,
}

# account: (customer, currency, (D1, D2, D3)), each (dpd, bucket, overdue,
# roll). D1 = 05-30, D2 = 05-31, D3 = 06-01. "due<D" is the sum due before D,
# "paid" the net paid with paid_on <= D.
EXPECTED: dict[str, tuple[str, str, tuple[tuple[int, str, str, str], ...]]]
EXPECTED = {
    # Installment due on D1; P03 dated D3 (after D1, D2).
    # D1: due<D 1000+1000=2000, paid 2000 -> 0; 05-30 is due on D: dpd 0
    # D2: due<D 3000, paid 2000 -> 1000 short on seq3: 05-31-05-30 = 1
    # D3: paid 3000 (P03 counts) -> 0: M1 -> M0 cured
    "A01": (
        "C6",
        "CNY",
        (
            (0, "M0", "0.00", "new"),
            (1, "M1", "1000.00", "forward"),
            (0, "M0", "0.00", "cured"),
        ),
    ),
    # Partial payment: due<D 500+500=1000, paid 500+300=800 -> 200.00;
    # seq2 (05-10) short: 05-30-05-10 = 20, then 21, 22
    "A02": (
        "C2",
        "CNY",
        (
            (20, "M1", "200.00", "new"),
            (21, "M1", "200.00", "same"),
            (22, "M1", "200.00", "same"),
        ),
    ),
    # Over-payment: due<D 3 x 1234.56 = 3703.68 <= 4000.00 paid -> 0,
    # 296.32 prepays seq4 (06-15)
    "A03": (
        "C1",
        "CNY",
        (
            (0, "M0", "0.00", "new"),
            (0, "M0", "0.00", "same"),
            (0, "M0", "0.00", "same"),
        ),
    ),
    # Payment P08 reversed by R08 (05-22, before D1): net 800+800-800=800;
    # due<D 1600 -> 800.00; seq2 (05-20) short: 10, 11, 12
    "A04": (
        "C4",
        "CNY",
        (
            (10, "M1", "800.00", "new"),
            (11, "M1", "800.00", "same"),
            (12, "M1", "800.00", "same"),
        ),
    ),
    # Reversal R09 dated D2: on D1 it does not count, net 600 = due -> 0;
    # D2: net 600-600=0 -> 600.00, seq1 (05-01): 05-31-05-01 = 30 (M1);
    # D3: 31 -> M2
    "A05": (
        "C4",
        "CNY",
        (
            (0, "M0", "0.00", "new"),
            (30, "M1", "600.00", "forward"),
            (31, "M2", "600.00", "forward"),
        ),
    ),
    # Two installments due 05-05 (seq1 300, seq2 700), paid 700: seq1
    # covered, seq2 400 of 700 -> 300.00; dpd 05-30-05-05 = 25, 26, 27
    "A06": (
        "C6",
        "CNY",
        (
            (25, "M1", "300.00", "new"),
            (26, "M1", "300.00", "same"),
            (27, "M1", "300.00", "same"),
        ),
    ),
    # Nothing paid till P11 on D2. D1: due<D 600 -> 600.00, oldest 03-01:
    # 05-30-03-01 = 90 (M3). D2: 200 covers seq1 -> 400.00, oldest 04-01:
    # 05-31-04-01 = 60 (M2, back). D3: 06-01-04-01 = 61 (M3, forward)
    "A07": (
        "C5",
        "USD",
        (
            (90, "M3", "600.00", "new"),
            (60, "M2", "400.00", "back"),
            (61, "M3", "400.00", "forward"),
        ),
    ),
    # Due-date order disagrees with seq: seq2 04-20, seq1 05-20, seq3/seq4
    # 05-25. Paid 500+100=600: seq2 (04-20) covered, seq1 gets 100 -> short;
    # dpd 05-30-05-20 = 10 (seq order would give 04-20: 40).
    # due<D 500+500+100+50=1150 - 600 = 550.00
    "A08": (
        "C5",
        "USD",
        (
            (10, "M1", "550.00", "new"),
            (11, "M1", "550.00", "same"),
            (12, "M1", "550.00", "same"),
        ),
    ),
    # JPY partial: due<D 50000+50000=100000, paid 50000+20000=70000
    # -> 30000 (no minor units); seq2 (05-25) short: 5, 6, 7
    "A09": (
        "C3",
        "JPY",
        (
            (5, "M1", "30000", "new"),
            (6, "M1", "30000", "same"),
            (7, "M1", "30000", "same"),
        ),
    ),
    # JPY over-payment: due<D 30000, paid 45000 -> 0 (15000 prepays seq2)
    "A10": (
        "C3",
        "JPY",
        (
            (0, "M0", "0", "new"),
            (0, "M0", "0", "same"),
            (0, "M0", "0", "same"),
        ),
    ),
    # Closed account with a shortfall: the definitions do not look at
    # status. due<D 5000, paid 4000 -> 1000.00; 05-30-01-15 = 136 (M5)
    "A11": (
        "C4",
        "CNY",
        (
            (136, "M5", "1000.00", "new"),
            (137, "M5", "1000.00", "same"),
            (138, "M5", "1000.00", "same"),
        ),
    ),
    # Paid on time (05-14 for 05-15); P19 is dated 06-05, after every D
    "A12": (
        "C1",
        "USD",
        (
            (0, "M0", "0.00", "new"),
            (0, "M0", "0.00", "same"),
            (0, "M0", "0.00", "same"),
        ),
    ),
    # Nothing due yet (first installment 06-20): due<D 0 -> 0
    "A13": (
        "C2",
        "CNY",
        (
            (0, "M0", "0.00", "new"),
            (0, "M0", "0.00", "same"),
            (0, "M0", "0.00", "same"),
        ),
    ),
    # Never paid: 2000.00, 05-30-2023-10-01 = 242 (M7+), 243, 244
    "A14": (
        "C7",
        "CNY",
        (
            (242, "M7+", "2000.00", "new"),
            (243, "M7+", "2000.00", "same"),
            (244, "M7+", "2000.00", "same"),
        ),
    ),
    # 900 due 2023-12-02, paid 100 -> 800.00; 05-30-12-02 = 180 (M6),
    # 181 (M7+, forward), 182
    "A15": (
        "C7",
        "CNY",
        (
            (180, "M6", "800.00", "new"),
            (181, "M7+", "800.00", "forward"),
            (182, "M7+", "800.00", "same"),
        ),
    ),
}

runner = CliRunner()


def expected_rows(day: str) -> list[dict[str, str]]:
    index = DATES.index(day)
    rows = []
    for account, (customer, currency, results) in sorted(EXPECTED.items()):
        dpd, bucket, overdue, roll = results[index]
        rows.append(
            {
                "account_id": account,
                "customer_id": customer,
                "as_of": day,
                "dpd": str(dpd),
                "bucket": bucket,
                "overdue_amount": overdue,
                "currency": currency,
                "roll": roll,
            }
        )
    return rows


def read_export(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text_ = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text_))
    rows = sorted(reader, key=lambda row: row["account_id"])
    return list(reader.fieldnames or []), rows


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def write_feed(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def use_database(monkeypatch: MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ARREARS_DATABASE_URL", url)
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    monkeypatch.delenv("ARREARS_BATCH_STORE", raising=False)
    monkeypatch.delenv("ARREARS_DELINQUENCY_RULES", raising=False)
    get_settings.cache_clear()


def export_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for day in DATES:
        paths[day] = out / f"{day}.csv"
        cli("delinquency", "export", "--as-of", day, "--out", str(paths[day]))
    return paths


def assert_matches_definitions(paths: dict[str, Path]) -> None:
    for day, path in paths.items():
        header, rows = read_export(path)
        assert header == HEADER
        expected = expected_rows(day)
        assert len(rows) == len(expected), day
        for got, want in zip(rows, expected, strict=True):
            assert got == want, f"as of {day}"


@pytest.fixture
def database(engine: Engine, monkeypatch: MonkeyPatch) -> Iterator[Engine]:
    """The migrated database of the conftest (SQLite or PostgreSQL)."""
    use_database(monkeypatch, command_line_url(engine))
    yield engine
    get_settings.cache_clear()


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: MonkeyPatch) -> Iterator[Path]:
    """A fresh SQLite file, schema created by ``arrears db upgrade``."""
    path = tmp_path / "db" / "arrears.db"
    path.parent.mkdir()
    use_database(monkeypatch, f"sqlite:///{path}")
    cli("db", "upgrade")
    yield path
    get_settings.cache_clear()


def test_duckdb_exports_match_the_definitions(
    database: Engine,
    tmp_path: Path,
) -> None:
    # exit status 0 (checked by cli): every row of the feed was stored
    cli("import", str(write_feed(tmp_path / "feed", FEED)))
    for day in DATES:  # one night after the other: the store carries state
        cli("batch", "run", "--as-of", day, "--quiet")
    assert_matches_definitions(export_all(tmp_path / "out"))


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_backfill_exports_are_byte_identical_to_duckdb(
    sqlite_file: Path, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    feed = write_feed(tmp_path / "feed", FEED)
    cli("import", str(feed))
    for day in DATES:
        cli("batch", "run", "--as-of", day, "--quiet")
    by_duckdb = export_all(tmp_path / "duckdb")

    spark_db = tmp_path / "spark" / "arrears.db"
    spark_db.parent.mkdir()
    use_database(monkeypatch, f"sqlite:///{spark_db}")
    cli("db", "upgrade")
    cli("import", str(feed))
    env = {**os.environ, "ARREARS_DATABASE_URL": f"sqlite:///{spark_db}"}
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "arrears",
            "batch",
            "run",
            "--from",
            D1,
            "--to",
            D3,
            "--engine",
            "spark",
            "--quiet",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    by_spark = export_all(tmp_path / "spark_out")
    for day in DATES:
        assert by_spark[day].read_bytes() == by_duckdb[day].read_bytes(), day
    assert_matches_definitions(by_spark)


RULES = """buckets:
  - {name: M0, low: 0, high: 0}
  - {name: M1, low: 1, high: 30}
  - {name: M2+, low: 31}
materiality: {JPY: 100, CNY: 500}
default_materiality: 0
"""
MATERIALITY_FEED = {
    "customers.csv": "customer_id,name\nC8,周敏\n",
    "accounts.csv": "account_id,customer_id,product,currency,opened_on\n"
    + "".join(
        f"{a},C8,personal_loan,{c},2024-01-01\n"
        for a, c in [
            ("B1", "JPY"),
            ("B2", "JPY"),
            ("B3", "CNY"),
            ("B4", "USD"),
            ("B5", "CNY"),
            ("B6", "CNY"),
        ]
    ),
    "installments.csv": """account_id,seq,due_date,amount_due
B1,1,2024-05-01,1000
B1,2,2024-05-01,50
B2,1,2024-05-01,1000
B3,1,2024-04-01,1000.00
B3,2,2024-05-01,1000.00
B4,1,2024-05-01,10.00
B5,1,2024-04-01,3.00
B5,2,2024-05-01,100.00
B6,1,2024-04-01,100.00
""",
    "payments.csv": """payment_id,account_id,paid_on,amount
Q1,B1,2024-05-01,940
Q2,B2,2024-05-01,899
Q3,B3,2024-05-01,1995.00
Q4,B4,2024-05-01,9.99
""",
}
# As of D1 (05-30) with JPY 100, CNY 500 minor units, USD 0 (default).
MATERIALITY_EXPECTED = {
    # Tie on 05-01 (seq1 1000, seq2 50), paid 940 in seq order: seq1
    # short 60, seq2 short 50, both <= 100 -> not overdue, dpd 0; overdue
    # amount ignores the threshold: 1050-940 = 110. (seq2 first would
    # leave seq1 short 110 > 100: dpd 29.)
    "B1": ("0", "M0", "110", "JPY"),
    # 1000 - 899 = 101 > 100 -> overdue: 05-30-05-01 = 29
    "B2": ("29", "M1", "101", "JPY"),
    # 2000.00 - 1995.00: seq2 short 500 minor units, not above 500 -> dpd 0
    "B3": ("0", "M0", "5.00", "CNY"),
    # USD threshold 0: 10.00 - 9.99 = 1 minor unit > 0 -> 29
    "B4": ("29", "M1", "0.01", "USD"),
    # Nothing paid: seq1 (04-01) short 300 <= 500, not overdue; seq2
    # (05-01) short 10000 > 500: dpd 29 not 59; overdue 3.00+100.00
    "B5": ("29", "M1", "103.00", "CNY"),
    # 100.00 unpaid since 04-01: 59 days, in the custom open bucket M2+
    "B6": ("59", "M2+", "100.00", "CNY"),
}


def test_materiality_and_bucket_table_from_a_rules_file(
    sqlite_file: Path,
    tmp_path: Path,
) -> None:
    cli("import", str(write_feed(tmp_path / "feed", MATERIALITY_FEED)))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    cli("batch", "run", "--as-of", D1, "--rules", str(rules), "--quiet")
    out = tmp_path / "m.csv"
    cli("delinquency", "export", "--as-of", D1, "--out", str(out))
    header, rows = read_export(out)
    assert header == HEADER
    got = {
        r["account_id"]: (
            r["dpd"],
            r["bucket"],
            r["overdue_amount"],
            r["currency"],
        )
        for r in rows
    }
    assert got == MATERIALITY_EXPECTED
    others = {(r["customer_id"], r["as_of"], r["roll"]) for r in rows}
    assert others == {("C8", D1, "new")}


# A child that runs ``arrears batch run`` as the command line does, and
# stops, just before the commit that would first make the date's snapshot
# visible, until it is killed.
KILLED_CHILD = """
import sys, time
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.engine import Engine

marker, day = Path(sys.argv[1]), sys.argv[2]


@event.listens_for(Engine, "commit")
def stop_before_commit(connection):
    cursor = connection.connection.cursor()
    cursor.execute(
        "SELECT count(*) FROM delinquency_snapshots WHERE as_of = ?", (day,)
    )
    if cursor.fetchone()[0]:
        marker.write_text("written, not committed")
        time.sleep(120)


from arrears.cli import main

sys.argv = ["arrears", "batch", "run", "--as-of", day, "--quiet"]
main()
"""
TABLES = {
    "delinquency_snapshots": "as_of, account_id",
    "cases": "case_id",
    "case_accounts": "case_id, account_id",
    "batch_runs": "as_of",
}


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(
                f"SELECT * FROM {table} ORDER BY {order}",
            ).fetchall()
            for table, order in TABLES.items()
        }


def test_batch_run_killed_with_sigkill_then_rerun(
    sqlite_file: Path,
    tmp_path: Path,
) -> None:
    cli("import", str(write_feed(tmp_path / "feed", FEED)))
    cli("batch", "run", "--as-of", D1, "--quiet")
    before = dump(sqlite_file)
    assert before["cases"] and before["delinquency_snapshots"]

    marker = tmp_path / "reached"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(marker), D2],
        env={**os.environ, "ARREARS_DATABASE_URL": f"sqlite:///{sqlite_file}"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if child.poll() is not None:
            assert child.stderr is not None
            pytest.fail("the run ended first: " + child.stderr.read().decode())
        assert time.monotonic() < deadline, "never reached the kill point"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    assert dump(sqlite_file) == before
    for day in (D2, D3):  # the rerun, then the next night
        cli("batch", "run", "--as-of", day, "--quiet")
    assert_matches_definitions(export_all(tmp_path / "out"))
