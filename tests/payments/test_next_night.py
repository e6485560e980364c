"""Payments posted during the day and the next night, on SQLite and PostgreSQL: a small book
imported as feed files, a night, payments posted over HTTP, then the next day's feed carrying
the same payments and the next night. The feed finds them stored and unchanged, the night's
store reads the posting exactly once, and the night's figures count each payment once; a
reversal posted during the day puts back what the next night finds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from arrears.batch.orchestrator import run_batch
from arrears.batch.store import sync
from arrears.cases.models import Case, CaseAccount
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from tests.api.conftest import API_NOW, Api
from tests.batch.test_batch_run import stored_snapshot
from tests.payments.desk import TODAY, core_system, payment, post
from tests.portfolio.feedkit import run_import, write_feed

YESTERDAY = date(2026, 11, 20)
RULES = DelinquencyRules()

BOOK = {
    "customers.csv": "customer_id,name\nK1,客户甲\nK2,客户乙\n",
    "accounts.csv": (
        "account_id,customer_id,product,currency,opened_on\n"
        "B1,K1,personal_loan,CNY,2026-01-01\n"
        "B2,K2,personal_loan,CNY,2026-01-01\n"
    ),
    "installments.csv": (
        "account_id,seq,due_date,amount_due\n"
        "B1,1,2026-10-01,1000.00\n"
        "B1,2,2026-11-01,1000.00\n"
        "B2,1,2026-10-15,500.00\n"
    ),
}
THE_DAYS_FEED = {
    "payments.csv": (
        "payment_id,account_id,paid_on,amount,channel,reverses\n"
        "PD-1,B1,2026-11-21,500.00,bank,\n"
        "PD-2,B2,2026-11-21,500.00,bank,\n"
    )
}


def night(engine: Engine, store_file: Path, as_of: date) -> None:
    store = DuckDBEngine(memory_limit="500MB", threads=1, database=store_file)
    try:
        run_batch(engine, [as_of], store, RULES, FixedClock(API_NOW))
    finally:
        store.close()


def case_figures(engine: Engine) -> dict[str, tuple[str, int, int]]:
    """customer → (case status, overdue total, the account's overdue) of their latest case."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Case.customer_id, Case.status, Case.overdue_total, CaseAccount.overdue_amount)
            .join(CaseAccount, CaseAccount.case_id == Case.case_id)
            .order_by(Case.opened_on)
        )
        return {row[0]: (row[1], int(row[2]), int(row[3])) for row in rows}


def test_the_next_nights_feed_with_the_same_payments_changes_no_figure(api: Api, tmp_path: Path) -> None:
    engine, store_file = api.engine, tmp_path / "batch.duckdb"
    assert not [o for o in run_import(engine, write_feed(tmp_path / "book", BOOK)) if o.rejected]
    night(engine, store_file, YESTERDAY)
    assert case_figures(engine) == {"K1": ("open", 200_000, 200_000), "K2": ("open", 50_000, 50_000)}

    answer = post(core_system(api), payment("PD-1", "B1", "500.00"), payment("PD-2", "B2", "500.00"))
    assert answer.status_code == 200, answer.text
    assert case_figures(engine) == {"K1": ("open", 150_000, 150_000), "K2": ("open", 0, 0)}

    [outcome] = run_import(engine, write_feed(tmp_path / "the-day", THE_DAYS_FEED))
    assert (outcome.stored, outcome.updated, outcome.unchanged, outcome.rejected) == (0, 0, 2, 0)

    night(engine, store_file, TODAY)
    snapshot = stored_snapshot(engine, TODAY)
    assert (snapshot["B1"][6], snapshot["B2"][6]) == (150_000, 0)  # each payment counted once
    # the night, not the day, closes the case paid in full; the other keeps the day's figures
    assert case_figures(engine) == {"K1": ("open", 150_000, 150_000), "K2": ("closed", 0, 0)}

    store = DuckDBEngine(memory_limit="500MB", threads=1, database=store_file)
    try:
        with engine.connect() as connection:
            again = sync(store, connection)
    finally:
        store.close()
    assert (again.full, again.imports) == (False, 0)  # the posting was applied once, and only once


THE_DAYS_FEED_WITH_A_REVERSAL = {
    "payments.csv": (
        "payment_id,account_id,paid_on,amount,channel,reverses\n"
        "PD-1,B1,2026-11-21,500.00,bank,\n"
        "RD-1,B1,2026-11-21,500.00,bank,PD-1\n"
    )
}


def test_the_next_nights_feed_with_the_same_reversal_changes_no_figure(api: Api, tmp_path: Path) -> None:
    engine, store_file = api.engine, tmp_path / "batch.duckdb"
    assert not [o for o in run_import(engine, write_feed(tmp_path / "book", BOOK)) if o.rejected]
    night(engine, store_file, YESTERDAY)
    client = core_system(api)
    assert post(client, payment("PD-1", "B1", "500.00")).status_code == 200
    assert case_figures(engine)["K1"] == ("open", 150_000, 150_000)

    answer = post(client, payment("RD-1", "B1", "500.00", reverses="PD-1"))

    assert answer.status_code == 200, answer.text
    the_day = case_figures(engine)
    assert the_day["K1"] == ("open", 200_000, 200_000)
    [outcome] = run_import(engine, write_feed(tmp_path / "the-day", THE_DAYS_FEED_WITH_A_REVERSAL))
    assert (outcome.stored, outcome.updated, outcome.unchanged, outcome.rejected) == (0, 0, 2, 0)
    night(engine, store_file, TODAY)
    assert stored_snapshot(engine, TODAY)["B1"][6] == 200_000
    assert case_figures(engine) == the_day  # the night finds what the day put back
