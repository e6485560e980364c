"""The dashboard's payment totals (arrears.reports.totals.write_payments): the collections figure
read from the nightly totals and today's payments equals the figure counted from the payments,
on SQLite and PostgreSQL, before any night, after one, and after the writes of the day that
change days the totals cover (a backdated payment, a late reversal, an import changing a stored
payment's day and amount, an account changing product), until and after the next night."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, case, func, insert, select, update
from sqlalchemy.orm import Session

from arrears.portfolio import loading
from arrears.portfolio.feeds import ACCOUNTS, PAYMENTS
from arrears.portfolio.models import (
    Account,
    Customer,
    ImportStatus,
    Payment,
    PaymentDayChange,
    PaymentDayTotal,
)
from arrears.portfolio.repository import insert_import_log
from arrears.reports import dashboard, totals
from arrears.reports.dashboard import CollectedDay

FIRST = date(2026, 10, 1)
NIGHT = date(2026, 10, 20)
TODAY = date(2026, 10, 23)
NOW = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
PRODUCTS = (None, "credit_card", "personal_loan", "auto_loan")


def reference(engine: Engine, first: date, last: date, product: str | None) -> list[CollectedDay]:
    """The figure counted from the payments (the dashboard's query before the totals)."""
    signed = case((Payment.reverses.is_(None), Payment.amount), else_=-Payment.amount)
    query = select(
        Payment.paid_on,
        Payment.currency,
        func.coalesce(func.sum(signed), 0),
        func.sum(case((Payment.reverses.is_(None), 1), else_=0)),
    ).where(Payment.paid_on >= first, Payment.paid_on <= last)
    if product is not None:
        query = query.where(
            Payment.account_id.in_(select(Account.account_id).where(Account.product == product))
        )
    query = query.group_by(Payment.paid_on, Payment.currency).order_by(Payment.paid_on, Payment.currency)
    with Session(engine) as session:
        return [CollectedDay(d, c, int(a), int(n or 0)) for d, c, a, n in session.execute(query)]


def figure(engine: Engine, first: date, last: date, product: str | None) -> list[CollectedDay]:
    with Session(engine) as session:
        return dashboard.collected(session, first, last, product)


def assert_equal_to_the_payments(engine: Engine) -> None:
    periods = [(FIRST, TODAY), (FIRST + timedelta(days=5), NIGHT), (NIGHT, TODAY), (TODAY, TODAY)]
    for first, last in periods:
        for product in PRODUCTS:
            expected = reference(engine, first, last, product)
            assert figure(engine, first, last, product) == expected, (first, last, product)
    assert reference(engine, FIRST, TODAY, None)


@pytest.fixture
def book(engine: Engine) -> Engine:
    """60 accounts of two products in two currencies, 400 payments over the 23 days to today and
    40 reversals of them, some on a later day."""
    rng = random.Random(14)
    with engine.begin() as connection:
        connection.execute(
            insert(Customer),
            [
                {"customer_id": f"C{i}", "name": f"c{i}", "language": "zh-CN", "country": "CN"}
                for i in range(60)
            ],
        )
        accounts = [
            {
                "account_id": f"A{i}",
                "customer_id": f"C{i}",
                "product": "credit_card" if i % 3 == 0 else "personal_loan",
                "currency": "USD" if i % 7 == 0 else "CNY",
                "opened_on": date(2025, 1, 1),
            }
            for i in range(60)
        ]
        connection.execute(insert(Account), accounts)
        payments: list[dict[str, Any]] = []
        for k in range(400):
            account = accounts[rng.randrange(60)]
            payments.append(
                {
                    "payment_id": f"P{k}",
                    "account_id": account["account_id"],
                    "paid_on": FIRST + timedelta(days=rng.randrange(23)),
                    "currency": account["currency"],
                    "amount": rng.randrange(1, 10**9),
                    "reverses": None,
                }
            )
        for k, original in enumerate(rng.sample(payments, 40)):
            payments.append(
                {
                    **original,
                    "payment_id": f"R{k}",
                    "paid_on": min(TODAY, original["paid_on"] + timedelta(days=rng.randrange(3))),
                    "reverses": original["payment_id"],
                }
            )
        connection.execute(insert(Payment), payments)
    return engine


def stored_days(engine: Engine) -> set[date]:
    with engine.connect() as connection:
        return set(connection.scalars(select(PaymentDayTotal.paid_on)))


def notes(engine: Engine) -> list[date]:
    with engine.connect() as connection:
        return sorted(connection.scalars(select(PaymentDayChange.paid_on)))


def store(engine: Engine, kind: Any, columns: str, rows: list[tuple[Any, ...]]) -> loading.StoreCounts:
    """Rows through the importer's store (as an import or a posting of the day does)."""
    with duckdb.connect() as db, engine.begin() as connection:
        db.execute(f"CREATE TABLE good ({columns})")
        db.executemany(f"INSERT INTO good VALUES ({', '.join('?' * len(rows[0]))})", rows)
        log = {
            "kind": kind.name,
            "file_name": "test",
            "checksum": "0" * 64,
            "status": ImportStatus.STORED.value,
            "rows_read": len(rows),
            "started_at": NOW,
            "finished_at": NOW,
            "imported_by": "test",
        }
        return loading.store(connection, kind, db, insert_import_log(connection, log))


PAYMENT_COLUMNS = (
    "payment_id VARCHAR, account_id VARCHAR, paid_on DATE, currency VARCHAR, amount BIGINT, reverses VARCHAR"
)


def test_before_any_night_every_day_is_read_from_the_payments(book: Engine) -> None:
    assert stored_days(book) == set()
    assert_equal_to_the_payments(book)


def test_a_night_writes_the_days_up_to_its_date_and_today_is_read_live(book: Engine) -> None:
    with book.begin() as connection:
        totals.write_payments(connection, NIGHT)
    days = stored_days(book)
    assert days and max(days) <= NIGHT and min(days) == FIRST
    assert_equal_to_the_payments(book)
    # the covered days are read from the totals, the later ones from the payments: a total
    # changed by hand shows (on a covered day), a payment of today shows too
    with book.begin() as connection:
        connection.execute(
            update(PaymentDayTotal)
            .where(
                PaymentDayTotal.paid_on == FIRST,
                PaymentDayTotal.currency == "CNY",
                PaymentDayTotal.product == "personal_loan",
            )
            .values(amount=PaymentDayTotal.amount + 1)
        )
    [first_day] = [d for d in figure(book, FIRST, FIRST, None) if d.currency == "CNY"]
    [counted] = [d for d in reference(book, FIRST, FIRST, None) if d.currency == "CNY"]
    assert first_day.amount == counted.amount + 1


def test_writes_of_the_day_on_covered_days_are_read_live_until_the_next_night(book: Engine) -> None:
    with book.begin() as connection:
        totals.write_payments(connection, NIGHT)
    assert notes(book) == []
    backdated = FIRST + timedelta(days=3)
    moved_from, moved_to = FIRST + timedelta(days=6), FIRST + timedelta(days=9)
    with book.connect() as connection:
        stored = connection.execute(
            select(Payment.payment_id, Payment.account_id, Payment.currency, Payment.amount).where(
                Payment.paid_on == moved_from, Payment.reverses.is_(None)
            )
        ).first()
        reversed_ = connection.execute(
            select(Payment.payment_id, Payment.account_id, Payment.currency, Payment.amount, Payment.paid_on)
            .where(Payment.reverses.is_(None), Payment.paid_on < NIGHT)
            .where(~Payment.payment_id.in_(select(Payment.reverses).where(Payment.reverses.is_not(None))))
        ).first()
    assert stored is not None and reversed_ is not None
    counts = store(
        book,
        PAYMENTS,
        PAYMENT_COLUMNS,
        [
            ("LATE-1", "A1", backdated, "CNY", 123_456, None),  # a payment of 3 weeks ago, posted today
            (
                "LATE-R",
                reversed_[1],
                reversed_[4],
                reversed_[2],
                reversed_[3],
                reversed_[0],
            ),  # a late reversal
            (stored[0], stored[1], moved_to, stored[2], stored[3] + 7, None),  # an import corrects one
        ],
    )
    assert (counts.stored, counts.updated) == (2, 1)
    assert set(notes(book)) == {backdated, reversed_[4], moved_from, moved_to}
    assert_equal_to_the_payments(book)
    # an account moves to another product: the days of its payments are noted
    with book.connect() as connection:
        days_of_a2 = set(connection.scalars(select(Payment.paid_on).where(Payment.account_id == "A2")))
    store(book, ACCOUNTS, "account_id VARCHAR, product VARCHAR", [("A2", "auto_loan")])
    assert days_of_a2 <= set(notes(book))
    assert figure(book, FIRST, TODAY, "auto_loan")
    assert_equal_to_the_payments(book)
    # an import of the same rows again notes the days but changes no figure
    store(book, ACCOUNTS, "account_id VARCHAR, product VARCHAR", [("A2", "auto_loan")])
    assert_equal_to_the_payments(book)

    with book.begin() as connection:  # the next night rewrites the noted days and clears the notes
        cleared = totals.write_payments(connection, TODAY)
    assert cleared > 0 and notes(book) == []
    assert max(stored_days(book)) == TODAY
    assert_equal_to_the_payments(book)
    with book.begin() as connection:  # a rerun changes nothing
        totals.write_payments(connection, TODAY)
    assert_equal_to_the_payments(book)


def test_a_note_is_cleared_only_by_a_night_reaching_its_day(book: Engine) -> None:
    with book.begin() as connection:
        totals.write_payments(connection, NIGHT)
    later = TODAY + timedelta(days=2)  # a payment dated after the night's date (and today)
    store(book, PAYMENTS, PAYMENT_COLUMNS, [("F-1", "A1", later, "CNY", 500, None)])
    store(book, PAYMENTS, PAYMENT_COLUMNS, [("F-2", "A1", FIRST, "CNY", 700, None)])
    assert notes(book) == [FIRST, later]
    with book.begin() as connection:  # a backfill night, before the latest total
        totals.write_payments(connection, NIGHT - timedelta(days=5))
    assert notes(book) == [later]  # FIRST rewritten; the later day is still read live
    assert max(stored_days(book)) <= NIGHT
    assert figure(book, later, later, None) == [CollectedDay(later, "CNY", 500, 1)]
    assert_equal_to_the_payments(book)


def test_the_nights_totals_step_writes_the_payments_totals(book: Engine) -> None:
    with book.begin() as connection:
        totals.write_night(connection, NIGHT)
    assert max(stored_days(book)) <= NIGHT
    assert FIRST in stored_days(book)
    with book.begin() as connection:
        totals.rebuild(connection, [NIGHT, TODAY])
    assert max(stored_days(book)) == TODAY
    assert_equal_to_the_payments(book)
