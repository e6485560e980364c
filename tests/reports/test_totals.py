"""The dashboard's daily totals (arrears.reports.totals): written by the nightly batch, equal to
a recount from the snapshot, rewritten by a rerun, and giving the dashboard the same figures as
the queries over the snapshot's ranges did."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from arrears.batch.orchestrator import run_batch
from arrears.clock import FixedClock
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.models import DelinquencySnapshot, SnapshotDate
from arrears.delinquency.rules import DelinquencyRules
from arrears.portfolio.models import Account
from arrears.reports import dashboard, repository, totals
from arrears.reports.dashboard import BucketPoint
from arrears.reports.models import BucketDayTotal, RollDayCell
from tests.batch.book import insert_book
from tests.delinquency.portfolios import facts_of, generated_book

RULES = DelinquencyRules()
NIGHTS = [date(2024, 1, 31), date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 31)]

# The dashboard's query before the totals (counted from the snapshot's ranges): the reference.
OLD_BUCKETS_SQL = """
WITH changes AS (
    SELECT valid_from AS day, bucket_rank, bucket, currency,
           COUNT(*) AS accounts, SUM(outstanding_amount) AS outstanding
    FROM delinquency_ranges WHERE valid_from <= :last {product_filter}
    GROUP BY valid_from, bucket_rank, bucket, currency
    UNION ALL
    SELECT valid_to, bucket_rank, bucket, currency, -COUNT(*), -SUM(outstanding_amount)
    FROM delinquency_ranges WHERE valid_to <= :last {product_filter}
    GROUP BY valid_to, bucket_rank, bucket, currency
)
SELECT s.as_of, c.bucket, c.currency, SUM(c.accounts), SUM(c.outstanding)
FROM snapshot_dates s JOIN changes c ON c.day <= s.as_of
WHERE s.as_of IN :dates
GROUP BY s.as_of, c.bucket_rank, c.bucket, c.currency
HAVING SUM(c.accounts) <> 0
ORDER BY s.as_of, c.bucket_rank, c.currency
"""


def old_bucket_points(session: Session, dates: list[date], product: str | None) -> list[BucketPoint]:
    params: dict[str, Any] = {"last": max(dates), "dates": dates}
    product_filter = ""
    if product is not None:
        product_filter = "AND account_id IN (SELECT account_id FROM accounts WHERE product = :product)"
        params["product"] = product
    query = text(OLD_BUCKETS_SQL.format(product_filter=product_filter)).bindparams(
        bindparam("dates", expanding=True)
    )
    return [
        BucketPoint(d if isinstance(d, date) else date.fromisoformat(d), b, c, int(n), int(s or 0))
        for d, b, c, n, s in session.execute(query, params)
    ]


@pytest.fixture
def nights(engine: Engine, duck: DuckDBEngine, clock: FixedClock) -> Engine:
    insert_book(engine, *facts_of(generated_book(300, seed=14)))
    with engine.begin() as connection:  # two products, so that the filter means something
        connection.execute(
            update(Account)
            .where(Account.account_id.in_(select(Account.account_id).limit(100)))
            .values(product="card")
        )
    for night in NIGHTS:
        run_batch(engine, [night], duck, RULES, clock)
    return engine


def recount(engine: Engine, day: date) -> Counter[tuple[str, str, str]]:
    """Accounts, outstanding and overdue per bucket, currency and product, from the snapshot."""
    with Session(engine) as session:
        product = {row[0]: row[1] for row in session.execute(select(Account.account_id, Account.product))}
        rows = session.execute(
            select(
                DelinquencySnapshot.account_id,
                DelinquencySnapshot.bucket,
                DelinquencySnapshot.currency,
                DelinquencySnapshot.outstanding_amount,
                DelinquencySnapshot.overdue_amount,
            ).where(DelinquencySnapshot.as_of == day)
        )
        counts: Counter[tuple[str, str, str]] = Counter()
        for account, bucket, currency, outstanding, overdue in rows:
            key = (bucket, currency, product.get(account, ""))
            counts[(*key, "accounts")] += 1  # type: ignore[index]
            counts[(*key, "outstanding")] += outstanding  # type: ignore[index]
            counts[(*key, "overdue")] += overdue  # type: ignore[index]
        return +counts


def stored(engine: Engine, day: date) -> Counter[tuple[str, str, str]]:
    with Session(engine) as session:
        counts: Counter[tuple[str, str, str]] = Counter()
        for row in session.scalars(select(BucketDayTotal).where(BucketDayTotal.as_of == day)):
            key = (row.bucket, row.currency, row.product)
            counts[(*key, "accounts")] += row.accounts  # type: ignore[index]
            counts[(*key, "outstanding")] += row.outstanding  # type: ignore[index]
            counts[(*key, "overdue")] += row.overdue  # type: ignore[index]
        return +counts


def cells(engine: Engine, first: date, last: date, product: str | None = None) -> dict[tuple[str, str], int]:
    with Session(engine) as session:
        return dashboard.roll_between(session, first, last, RULES, product).cells


def reference_cells(
    engine: Engine, first: date, last: date, product: str | None = None
) -> dict[tuple[str, str], int]:
    with engine.connect() as connection:
        return {(s, t): n for s, t, n, _ in repository.roll_cells(connection, first, last, product=product)}


def test_bucket_totals_equal_a_recount_from_the_snapshot(nights: Engine) -> None:
    for night in NIGHTS:
        expected = recount(nights, night)
        assert expected, night
        assert stored(nights, night) == expected, night


def test_roll_cells_equal_the_roll_rate_report_for_every_pair(nights: Engine) -> None:
    moved = 0
    for i, last in enumerate(NIGHTS):
        for first in NIGHTS[: i + 1]:
            for product in (None, "card", "personal_loan"):
                expected = reference_cells(nights, first, last, product)
                assert cells(nights, first, last, product) == expected, (first, last, product)
                moved += sum(n for (s, t), n in expected.items() if s != t)
    assert moved > 0  # the book moves between buckets: the comparison is not of diagonals only


def test_dashboard_figures_unchanged(nights: Engine) -> None:
    with Session(nights) as session:
        for product in (None, "card", "nothing"):
            new = dashboard.bucket_points(session, NIGHTS, product)
            assert new == old_bucket_points(session, NIGHTS, product), product
        assert dashboard.bucket_points(session, NIGHTS, None)
        assert dashboard.bucket_points(session, NIGHTS[1:3], None) == old_bucket_points(
            session, NIGHTS[1:3], None
        )


def test_a_rerun_replaces_its_rows(nights: Engine, duck: DuckDBEngine, clock: FixedClock) -> None:
    def snapshot_of_tables() -> tuple[list[Any], list[Any]]:
        with nights.connect() as connection:
            buckets = connection.execute(
                select(BucketDayTotal.__table__).order_by(*BucketDayTotal.__table__.primary_key)
            ).all()
            roll = connection.execute(
                select(RollDayCell.__table__).order_by(*RollDayCell.__table__.primary_key)
            ).all()
            return list(buckets), list(roll)

    before = snapshot_of_tables()
    run_batch(nights, [NIGHTS[-1]], duck, RULES, clock)
    run_batch(nights, [NIGHTS[2]], duck, RULES, clock)  # an older night again: later ones rebuilt
    assert snapshot_of_tables() == before


def test_a_night_written_between_stored_ones_rebuilds_the_later_roll_cells(
    nights: Engine, duck: DuckDBEngine, clock: FixedClock
) -> None:
    between = date(2024, 3, 5)
    run_batch(nights, [between], duck, RULES, clock)
    assert recount(nights, between) == stored(nights, between)
    for last in (NIGHTS[-2], NIGHTS[-1]):
        assert cells(nights, between, last) == reference_cells(nights, between, last)
        assert cells(nights, between, last)


def test_rebuild_backfills_nights_run_before_the_tables(nights: Engine) -> None:
    with nights.begin() as connection:
        expected_buckets = connection.execute(
            select(BucketDayTotal.__table__).order_by(*BucketDayTotal.__table__.primary_key)
        ).all()
        expected_roll = connection.execute(
            select(RollDayCell.__table__).order_by(*RollDayCell.__table__.primary_key)
        ).all()
        connection.execute(delete(BucketDayTotal))
        connection.execute(delete(RollDayCell))
    with nights.begin() as connection:
        dates = list(connection.scalars(select(SnapshotDate.as_of).order_by(SnapshotDate.as_of)))
        assert totals.rebuild(connection, dates) == len(NIGHTS)
    with nights.connect() as connection:
        assert (
            connection.execute(
                select(BucketDayTotal.__table__).order_by(*BucketDayTotal.__table__.primary_key)
            ).all()
            == expected_buckets
        )
        assert (
            connection.execute(
                select(RollDayCell.__table__).order_by(*RollDayCell.__table__.primary_key)
            ).all()
            == expected_roll
        )


def test_a_first_date_beyond_the_window_is_counted_from_the_ranges(nights: Engine) -> None:
    far = NIGHTS[0] + timedelta(days=totals.WINDOW_DAYS)
    assert totals.window_start(far) > NIGHTS[0]
    # no roll cells stored for `far`: counted from the ranges (still open there), as the report does
    assert cells(nights, NIGHTS[0], far) == reference_cells(nights, NIGHTS[0], far)
    assert cells(nights, NIGHTS[0], far)
