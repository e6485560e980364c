"""The warehouse export: columns, decimal strings in each currency's decimals, CSV and Parquet."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.export import EXPORT_COLUMNS, ExportError, export_snapshot
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import insert_book

AS_OF = date(2024, 2, 1)
ACCOUNTS = [
    AccountFact("CNY-1", "K1", "CNY", "active"),
    AccountFact("JPY-1", "K1", "JPY", "active"),
    AccountFact("BHD-1", "K2", "BHD", "active"),
    AccountFact("CNY-2", "K3", "CNY", "active"),
]
INSTALLMENTS = [
    InstallmentFact("CNY-1", 1, date(2024, 1, 10), 123_456),
    InstallmentFact("JPY-1", 1, date(2024, 1, 10), 50_000),
    InstallmentFact("BHD-1", 1, date(2024, 1, 10), 1_005),
    InstallmentFact("CNY-2", 1, date(2024, 1, 10), 100),
]
PAYMENTS = [
    PaymentFact("P1", "CNY-1", date(2024, 1, 10), 100_000),
    PaymentFact("P2", "CNY-2", date(2024, 1, 9), 95),
]


@pytest.fixture
def exported_db(engine: Engine, duck: DuckDBEngine, clock: FixedClock) -> Engine:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    run_batch(engine, [AS_OF], duck, DelinquencyRules(), clock)
    return engine


EXPECTED = {
    "BHD-1": ["BHD-1", "K2", "2024-02-01", "22", "M1", "1.005", "BHD", "new"],
    "CNY-1": ["CNY-1", "K1", "2024-02-01", "22", "M1", "234.56", "CNY", "new"],
    "CNY-2": ["CNY-2", "K3", "2024-02-01", "22", "M1", "0.05", "CNY", "new"],
    "JPY-1": ["JPY-1", "K1", "2024-02-01", "22", "M1", "50000", "JPY", "new"],
}


def test_csv_export_has_the_contract_columns_and_decimal_strings(exported_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "snapshot.csv"
    with exported_db.connect() as connection:
        assert export_snapshot(connection, AS_OF, out) == 4
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert {row[0]: row for row in rows[1:]} == EXPECTED


def test_parquet_export_keeps_amounts_as_strings(exported_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "snapshot.parquet"
    with exported_db.connect() as connection:
        export_snapshot(connection, AS_OF, out)
    table = pq.read_table(out)
    assert tuple(table.schema.names) == EXPORT_COLUMNS
    assert str(table.schema.field("overdue_amount").type) == "string"
    by_account = {row["account_id"]: row for row in table.to_pylist()}
    assert by_account["BHD-1"]["overdue_amount"] == "1.005"
    assert by_account["JPY-1"]["as_of"] == AS_OF and by_account["JPY-1"]["dpd"] == 22


def test_export_refuses_a_date_without_snapshot_and_unknown_file_types(
    exported_db: Engine, tmp_path: Path
) -> None:
    with exported_db.connect() as connection:
        with pytest.raises(ExportError, match="no snapshot as of 2024-02-02"):
            export_snapshot(connection, date(2024, 2, 2), tmp_path / "x.csv")
        with pytest.raises(ExportError, match=r"\.csv or \.parquet"):
            export_snapshot(connection, AS_OF, tmp_path / "x.xlsx")
