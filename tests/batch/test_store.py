"""The batch store: a night after an import reads only that import, and its snapshot still equals
the definitions; a store that does not match the database starts again from a full read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine

from arrears.batch.orchestrator import run_batch
from arrears.batch.store import sync
from arrears.batch.summary import DaySummary
from arrears.clock import FixedClock
from arrears.db import make_engine
from arrears.db.migrate import upgrade
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import AccountFact, InstallmentFact, PaymentFact, reference_snapshot
from arrears.delinquency.rules import DelinquencyRules
from arrears.money import format_major
from arrears.portfolio.repository import read_portfolio, read_portfolio_parts
from tests.batch.test_batch_run import stored_snapshot
from tests.delinquency.portfolios import START, facts_of, generated_book
from tests.portfolio.feedkit import run_import, write_feed

RULES = DelinquencyRules(materiality={"JPY": 100})
DAY = START + timedelta(days=40)
NEXT_DAY = DAY + timedelta(days=1)

Book = tuple[list[AccountFact], list[InstallmentFact], list[PaymentFact]]


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def feed_of(part: Book, currency: dict[str, str]) -> dict[str, str]:
    """Accounts, installments and payments as feed files (amounts in major units), with the
    customers of the accounts; empty files left out."""
    accounts, installments, payments = part
    files = {
        "customers.csv": _csv(
            ["customer_id", "name"], sorted({(a.customer_id, f"客户 {a.customer_id}") for a in accounts})
        ),
        "accounts.csv": _csv(
            ["account_id", "customer_id", "product", "currency", "opened_on", "principal", "status"],
            [
                (a.account_id, a.customer_id, "personal_loan", a.currency, "2022-01-01", "1", a.status)
                for a in accounts
            ],
        ),
        "installments.csv": _csv(
            ["account_id", "seq", "due_date", "amount_due"],
            [
                (
                    i.account_id,
                    i.seq,
                    i.due_date.isoformat(),
                    format_major(i.amount_due, currency[i.account_id]),
                )
                for i in installments
            ],
        ),
        "payments.csv": _csv(
            ["payment_id", "account_id", "paid_on", "amount", "reverses"],
            [
                (
                    p.payment_id,
                    p.account_id,
                    p.paid_on.isoformat(),
                    format_major(p.amount, currency[p.account_id]),
                    p.reverses or "",
                )
                for p in payments
            ],
        ),
    }
    return {name: text for name, text in files.items() if text.count("\n") > 1}


def import_facts(engine: Engine, folder: Path, part: Book, whole: Book) -> None:
    """Import ``part`` of the ``whole`` book as feed files; every row must be stored."""
    currency = {a.account_id: a.currency for a in whole[0]}
    outcomes = run_import(engine, write_feed(folder, feed_of(part, currency)))
    assert [o.path.name for o in outcomes if o.rejected] == []


def the_next_days_feed(book: Book) -> tuple[Book, Book]:
    """What the core banking system sends the next morning, and the whole book after it:
    payments of the day, a backdated payment, a reversal, a rescheduled installment, a closed
    account and a new account with its schedule."""
    accounts, installments, payments = book
    new_account = AccountFact("A9999999", accounts[0].customer_id, "CNY", "active")
    changed_accounts = [replace(accounts[3], status="closed"), new_account]
    new_installments = [
        replace(installments[5], amount_due=installments[5].amount_due + 777),
        InstallmentFact(new_account.account_id, 1, DAY - timedelta(days=20), 50_000),
        InstallmentFact(new_account.account_id, 2, NEXT_DAY + timedelta(days=10), 50_000),
    ]
    original = next(
        p for p in payments if p.reverses is None and not any(r.reverses == p.payment_id for r in payments)
    )
    new_payments = [
        PaymentFact(f"N{i:04d}", a.account_id, NEXT_DAY, 10_000 + i) for i, a in enumerate(accounts[10:40:3])
    ]
    new_payments += [
        PaymentFact("N-BACKDATED", accounts[20].account_id, DAY - timedelta(days=15), 123_456),
        PaymentFact("N-REVERSAL", original.account_id, NEXT_DAY, original.amount, original.payment_id),
    ]
    delta: Book = (changed_accounts, new_installments, new_payments)
    changed_ids = {a.account_id for a in changed_accounts}
    replaced = {(i.account_id, i.seq) for i in new_installments}
    after: Book = (
        [a for a in accounts if a.account_id not in changed_ids] + changed_accounts,
        [i for i in installments if (i.account_id, i.seq) not in replaced] + new_installments,
        payments + new_payments,
    )
    return delta, after


def assert_reference(engine: Engine, book: Book, day: date, previous: dict[str, str] | None) -> None:
    expected = reference_snapshot(*book, day, RULES, previous)
    stored = stored_snapshot(engine, day)
    assert set(stored) == set(expected)
    for account_id, row in expected.items():
        assert stored[account_id][4:] == (
            row.dpd,
            row.bucket,
            row.overdue_amount,
            row.outstanding_amount,
            row.roll,
        ), account_id


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "batch.duckdb"


def open_store(path: Path) -> Iterator[DuckDBEngine]:
    store = DuckDBEngine(memory_limit="500MB", threads=1, database=path)
    try:
        yield store
    finally:
        store.close()


def run_night(engine: Engine, clock: FixedClock, store_file: Path, day: date) -> DaySummary:
    """The batch of ``day`` with the store opened for it, as a nightly process does."""
    for store in open_store(store_file):
        [summary] = run_batch(engine, [day], store, RULES, clock)
    return summary


def test_the_night_after_an_import_restages_only_its_accounts_and_equals_the_definitions(
    engine: Engine, clock: FixedClock, store_file: Path, tmp_path: Path
) -> None:
    book = facts_of(generated_book(60, seed=5))
    import_facts(engine, tmp_path / "feed-1", book, book)
    for store in open_store(store_file):  # the first night, in a process of its own
        run_batch(engine, [DAY], store, RULES, clock)
    assert_reference(engine, book, DAY, None)

    delta, after = the_next_days_feed(book)
    import_facts(engine, tmp_path / "feed-2", delta, after)
    for store in open_store(store_file):  # the next night: only the new import is read
        with engine.connect() as connection:
            outcome = sync(store, connection)
        touched = (
            {a.account_id for a in delta[0]}
            | {i.account_id for i in delta[1]}
            | {p.account_id for p in delta[2]}
        )
        assert (outcome.full, outcome.imports, outcome.dirty) == (
            False,
            4,
            len(touched),
        )  # customers, accounts, installments, payments
        assert outcome.rows == sum(len(part) for part in delta)
        carried = store.carried()
        assert carried is not None and carried.as_of == DAY
        [summary] = run_batch(engine, [NEXT_DAY], store, RULES, clock)
    previous = {account_id: row[5] for account_id, row in stored_snapshot(engine, DAY).items()}
    assert_reference(engine, after, NEXT_DAY, previous)
    # synced above; the run itself found nothing new
    assert any("0 imports" in note for note in summary.notes)


def test_a_night_that_restaged_most_accounts_compacts_the_store_after_it(
    engine: Engine, clock: FixedClock, store_file: Path, tmp_path: Path
) -> None:
    book = facts_of(generated_book(40, seed=3))
    import_facts(engine, tmp_path / "feed-1", book, book)
    run_night(engine, clock, store_file, DAY)
    accounts = book[0]
    paid = [PaymentFact(f"Q{n:04d}", a.account_id, NEXT_DAY, 1_000 + n) for n, a in enumerate(accounts)]
    after: Book = (book[0], book[1], book[2] + paid)
    import_facts(engine, tmp_path / "feed-2", ([], [], paid), after)
    for store in open_store(store_file):
        [summary] = run_batch(engine, [NEXT_DAY], store, RULES, clock)
        superseded = store.connection.execute("SELECT count(*) FROM superseded").fetchall()
        generations = store.connection.execute(
            "SELECT DISTINCT gen FROM schedule UNION SELECT DISTINCT gen FROM ledger"
        ).fetchall()
    assert summary.notes[-1].startswith("store compacted")
    assert superseded == [(0,)] and generations == [(1,)]
    previous = {a: row[5] for a, row in stored_snapshot(engine, DAY).items()}
    assert_reference(engine, after, NEXT_DAY, previous)
    third = NEXT_DAY + timedelta(days=5)
    run_night(engine, clock, store_file, third)  # carried on from the compacted store
    previous = {a: row[5] for a, row in stored_snapshot(engine, NEXT_DAY).items()}
    assert_reference(engine, after, third, previous)


def test_the_roll_from_the_carried_state_equals_the_roll_from_the_stored_snapshot(
    engine: Engine, clock: FixedClock, store_file: Path, tmp_path: Path
) -> None:
    book = facts_of(generated_book(60, seed=8))
    import_facts(engine, tmp_path / "feed", book, book)
    days = [DAY + timedelta(days=n) for n in (0, 9, 40)]
    for day in days:
        run_night(engine, clock, store_file, day)
    previous = None
    for day in days:
        assert_reference(engine, book, day, previous)
        previous = {account_id: row[5] for account_id, row in stored_snapshot(engine, day).items()}
    # the store's written states, kept by applying each night's changes, are the last snapshot's
    latest = stored_snapshot(engine, days[-1])
    for store in open_store(store_file):
        written = store.connection.execute(
            "SELECT account_id, customer_id, currency, status, bucket, overdue_amount, outstanding_amount, "
            "roll FROM written"
        ).fetchall()
        pending = store.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('written_changes', 'written_next')"
        ).fetchall()
    assert pending == [(0,)] and len(written) == len(latest) > 0
    assert {row[0]: row[1:] for row in written} == {a: (*row[1:4], *row[5:]) for a, row in latest.items()}


def test_a_store_of_another_database_starts_again_from_a_full_read(
    engine: Engine, clock: FixedClock, store_file: Path, tmp_path: Path
) -> None:
    first = facts_of(generated_book(30, seed=1))
    import_facts(engine, tmp_path / "feed-a", first, first)
    for store in open_store(store_file):
        run_batch(engine, [DAY], store, RULES, clock)

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    second = facts_of(generated_book(40, seed=2))
    import_facts(other, tmp_path / "feed-b", second, second)
    try:
        for store in open_store(store_file):
            with other.connect() as connection:
                assert sync(store, connection).full
            run_batch(other, [NEXT_DAY], store, RULES, clock)
        assert_reference(other, second, NEXT_DAY, None)
    finally:
        other.dispose()


def test_the_whole_portfolio_is_read_in_parts_holding_whole_accounts(engine: Engine, tmp_path: Path) -> None:
    book = facts_of(generated_book(50, seed=4))
    import_facts(engine, tmp_path / "feed", book, book)
    with engine.connect() as connection:
        whole = read_portfolio(connection)
        parts = list(read_portfolio_parts(connection, part_accounts=7))
    assert [part.accounts.num_rows for part in parts] == [7] * 7 + [1]
    keys = {"accounts": ["account_id"], "installments": ["account_id", "seq"], "payments": ["payment_id"]}
    for name, key in keys.items():
        joined = pa.concat_tables([getattr(part, name) for part in parts])
        in_order = [(column, "ascending") for column in key]
        assert joined.sort_by(in_order).to_pylist() == getattr(whole, name).sort_by(in_order).to_pylist()
    owners = [set(part.accounts["account_id"].to_pylist()) for part in parts]
    for part, accounts in zip(parts, owners, strict=True):
        assert set(part.installments["account_id"].to_pylist()) <= accounts
        assert set(part.payments["account_id"].to_pylist()) <= accounts
