"""Cases opened, updated and closed by the batch, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select, text

from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case, CaseAccount
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact
from arrears.delinquency.rules import DelinquencyRules
from tests.batch.book import insert_book

ACCOUNTS = [
    AccountFact("A", "K1", "CNY", "active"),
    AccountFact("B", "K1", "JPY", "active"),
    AccountFact("C", "K2", "CNY", "active"),
    AccountFact("D", "K3", "CNY", "active"),
    AccountFact("E", "K4", "CNY", "active"),
]
INSTALLMENTS = [
    InstallmentFact("A", 1, date(2024, 1, 10), 1_000),
    InstallmentFact("B", 1, date(2024, 1, 20), 5_000),
    InstallmentFact("C", 1, date(2024, 1, 10), 1_000),
    InstallmentFact("D", 1, date(2024, 1, 10), 1_000),
    InstallmentFact("E", 1, date(2024, 1, 10), 1_000),
    InstallmentFact("E", 2, date(2024, 3, 10), 1_000),
]
PAYMENTS = [
    PaymentFact("PA", "A", date(2024, 2, 5), 1_000),
    PaymentFact("PC", "C", date(2024, 1, 10), 1_000),
    PaymentFact("PD", "D", date(2024, 2, 1), 1_000),
    PaymentFact("PE", "E", date(2024, 2, 1), 1_000),
]


def cases(engine: Engine) -> dict[str, tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Case.customer_id,
                Case.case_id,
                Case.status,
                Case.close_reason,
                Case.worst_dpd,
                Case.bucket,
                Case.overdue_total,
                Case.currency,
                Case.account_count,
                Case.closed_on,
            ).order_by(Case.status != "open", Case.case_id)  # a closed case is read after an open one
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def members(engine: Engine, case_id: str) -> dict[str, tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CaseAccount.account_id, CaseAccount.delinquent, CaseAccount.dpd, CaseAccount.joined_on
            ).where(CaseAccount.case_id == case_id)
        )
        return {row[0]: (bool(row[1]), row[2], row[3]) for row in rows}


def run(engine: Engine, day: date, clock: FixedClock) -> None:
    duck = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        run_batch(engine, [day], duck, DelinquencyRules(), clock)
    finally:
        duck.close()


def test_case_lifecycle(engine: Engine, clock: FixedClock) -> None:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)

    run(engine, date(2024, 1, 15), clock)
    opened = cases(engine)
    assert set(opened) == {"K1", "K3", "K4"}  # K2 paid on time
    k1 = opened["K1"]
    assert k1[:2] == ("C-K1-20240115", "open")
    assert k1[3:9] == (5, "M1", 1_000, "CNY", 1, None)

    run(engine, date(2024, 1, 25), clock)
    k1 = cases(engine)["K1"]
    assert k1[0] == "C-K1-20240115"  # the same case, updated
    assert k1[3:8] == (15, "M1", 1_000, "CNY", 2)
    assert members(engine, "C-K1-20240115") == {
        "A": (True, 15, date(2024, 1, 15)),
        "B": (True, 5, date(2024, 1, 25)),
    }

    run(engine, date(2024, 2, 2), clock)
    after = cases(engine)
    assert after["K3"][1:3] == ("closed", "paid_off")  # D owes nothing more
    assert after["K4"][1:3] == ("closed", "cured")  # E is current but still owes March
    assert after["K3"][8] == date(2024, 2, 2)
    assert after["K1"][1] == "open"

    run(engine, date(2024, 2, 6), clock)
    k1 = cases(engine)["K1"]
    assert k1[1] == "open"
    assert k1[3:8] == (17, "M1", 5_000, "JPY", 2)  # A cured; the worst account is now B, in yen
    assert members(engine, "C-K1-20240115")["A"] == (False, 0, date(2024, 1, 15))

    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET status = 'charged_off' WHERE account_id = 'B'"))
    run(engine, date(2024, 2, 7), clock)
    k1 = cases(engine)["K1"]
    assert k1[1:3] == ("closed", "written_off")

    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET status = 'active' WHERE account_id = 'B'"))
    run(engine, date(2024, 2, 8), clock)
    with engine.connect() as connection:
        k1_cases = connection.execute(
            text("SELECT case_id, status FROM cases WHERE customer_id = 'K1' ORDER BY case_id")
        ).all()
    assert [tuple(r) for r in k1_cases] == [("C-K1-20240115", "closed"), ("C-K1-20240208", "open")]


def test_an_earlier_date_rerun_leaves_cases_as_they_are(engine: Engine, clock: FixedClock) -> None:
    insert_book(engine, ACCOUNTS, INSTALLMENTS, PAYMENTS)
    run(engine, date(2024, 1, 15), clock)
    run(engine, date(2024, 2, 2), clock)
    before = cases(engine)
    duck = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        [summary] = run_batch(engine, [date(2024, 1, 15)], duck, DelinquencyRules(), clock)
    finally:
        duck.close()
    assert cases(engine) == before
    assert summary.notes and "2024-02-02" in summary.notes[0]
