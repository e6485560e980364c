"""A night carries the previous night's roll cells forward (arrears.reports.totals.CARRIED_SQL):
its cells are those a count of every account's window gives on that night, night after night,
across the window's start moving past old ranges, accounts moving to another product between
nights, a rerun and a backfill. (A night's cells count each account under its product on that
night: an older night's differ from a count made after a later move.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Connection, Engine, select, update

from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.feeds import ACCOUNTS
from arrears.portfolio.models import Account, AccountProductChange
from arrears.reports import totals
from arrears.reports.models import BucketDayTotal, RollDayCell
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book
from tests.reports.test_payment_totals import store

RULES = DelinquencyRules()
# Monthly for fifteen months: the last nights' windows no longer reach the first ones.
NIGHTS = [date(2024 + (m // 12), m % 12 + 1, 28) for m in range(0, 15)]


def cells_of(connection: Connection, day: date) -> list[Any]:
    table = RollDayCell.__table__
    rows = connection.execute(select(table).where(table.c.as_of == day).order_by(*table.primary_key))
    return list(rows)


def counted(engine: Engine, day: date) -> list[Any]:
    """The cells of ``day`` counted from every account's window (then rolled back)."""
    with engine.connect() as connection, connection.begin() as transaction:
        totals._write_roll(connection, day)
        rows = cells_of(connection, day)
        transaction.rollback()
    return rows


def stored(engine: Engine, day: date) -> list[Any]:
    with engine.connect() as connection:
        return cells_of(connection, day)


def move_products(engine: Engine, accounts: list[str], product: str) -> None:
    """Accounts to another product through the importer's store, as a day's feed does."""
    store(engine, ACCOUNTS, "account_id VARCHAR, product VARCHAR", [(a, product) for a in accounts])


@pytest.fixture
def carries(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every night carries when it can (whatever share of accounts moved); what each night did."""
    monkeypatch.setattr(totals, "CARRY_SHARE", 1.0)
    done: list[bool] = []
    carry: Callable[..., bool] = totals._carry_roll

    def recorded(*args: Any) -> bool:
        done.append(carry(*args))
        return done[-1]

    monkeypatch.setattr(totals, "_carry_roll", recorded)
    return done


@pytest.fixture
def book(engine: Engine) -> Engine:
    insert_book(engine, *facts_of(generated_book(240, seed=21)))
    with engine.begin() as connection:
        connection.execute(
            update(Account)
            .where(Account.account_id.in_(select(Account.account_id).limit(80)))
            .values(product="card")
        )
    return engine


def test_carried_nights_equal_a_count_of_every_account(
    book: Engine, duck: DuckDBEngine, clock: FixedClock, carries: list[bool]
) -> None:
    for number, night in enumerate(NIGHTS):
        if number in (3, 9):  # some accounts change product between nights, one of them twice
            move_products(book, ["A0000001", "A0000100", "A0000200"], f"auto_{number}")
            move_products(book, ["A0000001"], "mortgage")
            with book.connect() as connection:
                assert connection.execute(select(AccountProductChange.id)).all()
        run_batch(book, [night], duck, RULES, clock)
        assert stored(book, night) == counted(book, night), night
        assert stored(book, night)
    assert carries[0] is False  # the first night has nothing to carry
    assert all(carries[1:]), carries
    with book.connect() as connection:
        assert connection.execute(select(AccountProductChange.id)).all() == []  # the notes served


def test_after_a_rerun_and_a_backfill_the_next_night_still_equals_a_count(
    book: Engine, duck: DuckDBEngine, clock: FixedClock, carries: list[bool]
) -> None:
    run_batch(book, NIGHTS[:4], duck, RULES, clock)
    move_products(book, ["A0000002", "A0000003"], "auto")
    run_batch(book, [NIGHTS[3]], duck, RULES, clock)  # the latest night again: counted
    between = date(2024, 2, 14)
    run_batch(book, [between], duck, RULES, clock)  # a night between stored ones: later ones counted
    for night in (between, *NIGHTS[1:4]):  # the cells count each account under its product then
        assert stored(book, night) == counted(book, night), night
    move_products(book, ["A0000002"], "card")
    run_batch(book, [NIGHTS[4]], duck, RULES, clock)
    assert carries[-1] is True
    assert stored(book, NIGHTS[4]) == counted(book, NIGHTS[4])


def test_a_night_where_most_accounts_moved_is_counted(
    book: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    run_batch(book, NIGHTS[:2], duck, RULES, clock)
    with book.connect() as connection, connection.begin() as transaction:
        everyone = pa.table({"account_id": [a for (a,) in connection.execute(select(Account.account_id))]})
        assert not totals._carry_roll(connection, NIGHTS[1], everyone, NIGHTS[0], None)
        few = everyone.slice(0, 5)
        assert totals._carry_roll(connection, NIGHTS[1], few, NIGHTS[0], None)
        assert not totals._carry_roll(connection, NIGHTS[1], few, None, None)  # no night before
        assert not totals._carry_roll(connection, NIGHTS[1], few, NIGHTS[1], None)  # a rerun
        transaction.rollback()


def buckets_of(connection: Connection, day: date) -> list[Any]:
    table = BucketDayTotal.__table__
    rows = connection.execute(select(table).where(table.c.as_of == day).order_by(*table.primary_key))
    return list(rows)


def counted_buckets(engine: Engine, day: date) -> list[Any]:
    """The bucket totals of ``day`` counted from every account's range (then rolled back)."""
    with engine.connect() as connection, connection.begin() as transaction:
        totals._write_buckets(connection, day)
        rows = buckets_of(connection, day)
        transaction.rollback()
    return rows


def test_carried_bucket_totals_equal_a_count_of_every_account(
    book: Engine, duck: DuckDBEngine, clock: FixedClock, carries: list[bool]
) -> None:
    for number, night in enumerate(NIGHTS[:8]):
        if number in (2, 5):  # accounts change product between nights, one of them twice
            move_products(book, ["A0000001", "A0000100", "A0000200"], f"auto_{number}")
            move_products(book, ["A0000001"], "mortgage")
        run_batch(book, [night], duck, RULES, clock)
        with book.connect() as connection:
            carried = buckets_of(connection, night)
        assert carried and carried == counted_buckets(book, night), night
    assert carries[0] is False and all(carries[1:]), carries
    run_batch(book, [NIGHTS[7]], duck, RULES, clock)  # the latest night again: counted
    assert carries[-1] is False
    run_batch(book, [NIGHTS[8]], duck, RULES, clock)
    assert carries[-1] is True
    with book.connect() as connection:
        assert buckets_of(connection, NIGHTS[8]) == counted_buckets(book, NIGHTS[8])
