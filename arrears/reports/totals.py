"""The dashboard's daily totals: written in the night's transaction, read by the dashboard.

Each night's rows are computed in the database from the snapshot's ranges (INSERT … SELECT, one
statement per table), never row by row in Python; a night written again replaces its rows. A
night written before a stored one (a backfill) changes the state on its date, which the roll
cells of the later nights read: theirs are rebuilt too.

The payments' totals (``payment_day_totals``) are kept differently: payments arrive during the
day, late, backdated, and an import may change a stored one. Every write of payments (the
importer and the postings of the day, both ``arrears.portfolio.loading.store``) notes the days
paid it touches in ``payment_day_changes`` (and an account whose product changes, the days of its
payments), in its own transaction. The totals cover the days up to their latest (``MAX(paid_on)``)
but the noted ones; the dashboard reads the others (today's, the noted) from the payments, in the
same statement. A night rewrites the days after the latest up to its date and the noted days,
then clears the notes it read, and only those: a note written meanwhile stays, and its day is
read from the payments until the next night.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)

from arrears.contacts.models import Contact, ContactDayChange, ContactDayTotal, Direction
from arrears.delinquency.models import SnapshotDate
from arrears.portfolio.models import Account, Payment, PaymentDayChange, PaymentDayTotal
from arrears.reports.models import BucketDayTotal, RollDayCell

WINDOW_DAYS = 366
"""How far back a night's roll cells reach: the dashboard's longest period (``MAX_DAYS``)."""

BUCKET_TOTALS_SQL = """
INSERT INTO bucket_day_totals
    (as_of, bucket, currency, product, bucket_rank, accounts, outstanding, overdue)
SELECT :as_of, r.bucket, r.currency, COALESCE(a.product, ''), MIN(r.bucket_rank), COUNT(*),
       SUM(r.outstanding_amount), SUM(r.overdue_amount)
FROM delinquency_ranges r LEFT JOIN accounts a ON a.account_id = r.account_id
WHERE r.valid_from <= :as_of AND (r.valid_to IS NULL OR r.valid_to > :as_of)
GROUP BY r.bucket, r.currency, COALESCE(a.product, '')
"""

# The ranges of the window ([start, as_of]) joined to each account's range on as_of: a range
# counts from the day it began (or the window's start) to the day it ended.
ROLL_CELLS_SQL = """
INSERT INTO roll_day_cells
    (as_of, since, from_bucket, to_bucket, currency, product, accounts, balance)
WITH past AS (
    SELECT r.valid_from, r.valid_to, r.bucket AS from_bucket, n.bucket AS to_bucket,
           r.currency, COALESCE(a.product, '') AS product, r.outstanding_amount
    FROM delinquency_ranges r
    JOIN delinquency_ranges n ON n.account_id = r.account_id
        AND n.valid_from <= :as_of AND (n.valid_to IS NULL OR n.valid_to > :as_of)
    LEFT JOIN accounts a ON a.account_id = r.account_id
    WHERE r.valid_from <= :as_of AND (r.valid_to IS NULL OR r.valid_to > :start)
), changes AS (
    SELECT CASE WHEN valid_from < :start THEN :start ELSE valid_from END AS since,
           from_bucket, to_bucket, currency, product,
           COUNT(*) AS accounts, SUM(outstanding_amount) AS balance
    FROM past
    GROUP BY CASE WHEN valid_from < :start THEN :start ELSE valid_from END,
             from_bucket, to_bucket, currency, product
    UNION ALL
    SELECT valid_to, from_bucket, to_bucket, currency, product, -COUNT(*), -SUM(outstanding_amount)
    FROM past WHERE valid_to <= :as_of
    GROUP BY valid_to, from_bucket, to_bucket, currency, product
)
SELECT :as_of, since, from_bucket, to_bucket, currency, product, SUM(accounts), SUM(balance)
FROM changes
GROUP BY since, from_bucket, to_bucket, currency, product
HAVING SUM(accounts) <> 0 OR SUM(balance) <> 0
"""


def _dated(sql: str, *names: str) -> Any:
    return text(sql).bindparams(*(bindparam(name, type_=Date) for name in names))


def window_start(as_of: date) -> date:
    """The earliest from-date a night's roll cells serve."""
    return as_of - timedelta(days=WINDOW_DAYS - 1)


def write_night(connection: Connection, as_of: date) -> list[date]:
    """Write (or rewrite) the totals of the snapshot date ``as_of``, and the roll cells of the
    stored snapshot dates after it that reach back to it. Returns the dates rewritten."""
    later = list(
        connection.scalars(
            select(SnapshotDate.as_of)
            .where(SnapshotDate.as_of > as_of, SnapshotDate.as_of < as_of + timedelta(days=WINDOW_DAYS))
            .order_by(SnapshotDate.as_of)
        )
    )
    _write_buckets(connection, as_of)
    for day in [as_of, *later]:
        _write_roll(connection, day)
    write_payments(connection, as_of)
    write_contacts(connection, as_of)
    return [as_of, *later]


def rebuild(connection: Connection, dates: Iterable[date]) -> int:
    """Rewrite the totals of ``dates`` (snapshot dates): the backfill of nights run before the
    tables existed. Returns how many dates. The payments' totals are written up to the last."""
    done = 0
    last: date | None = None
    for day in dates:
        _write_buckets(connection, day)
        _write_roll(connection, day)
        last = day if last is None else max(last, day)
        done += 1
    if last is not None:
        write_payments(connection, last)
        write_contacts(connection, last)
    return done


CHUNK = 500
"""Days or notes bound in one statement at most (SQLite's limit of bound values)."""


def signed_amount() -> ColumnElement[int]:
    """A payment's amount, a reversal's taken off."""
    return case((Payment.reverses.is_(None), Payment.amount), else_=-Payment.amount)


def paid() -> ColumnElement[int]:
    """1 for a payment, 0 for a reversal."""
    return case((Payment.reverses.is_(None), 1), else_=0)


def write_payments(connection: Connection, as_of: date) -> int:
    """Rewrite the payments' totals of the days after the latest stored one up to ``as_of``
    (every day up to it the first time) and of the noted days up to the later of the two; clear
    the notes read. Returns how many notes were cleared."""
    return _write_noted(
        connection,
        as_of,
        PaymentDayChange,
        PaymentDayChange.paid_on,
        PaymentDayTotal.paid_on,
        _write_payment_days,
    )


def write_contacts(connection: Connection, as_of: date) -> int:
    """The same for the outbound contacts' totals (``contact_day_totals``)."""
    return _write_noted(
        connection,
        as_of,
        ContactDayChange,
        ContactDayChange.started_on,
        ContactDayTotal.started_on,
        _write_contact_days,
    )


Days = Callable[[Any], ColumnElement[bool]]
"""The days to rewrite, as a condition on a table's day column."""


def _write_noted(
    connection: Connection,
    as_of: date,
    changes: Any,
    noted_day: Any,
    total_day: Any,
    write: Callable[[Connection, Days], None],
) -> int:
    notes = connection.execute(select(changes.id, noted_day)).all()
    latest = connection.execute(select(func.max(total_day))).scalar_one()
    bound = as_of if latest is None else max(latest, as_of)
    if latest is None:
        write(connection, lambda day: day <= as_of)
    elif as_of > latest:
        write(connection, lambda day: and_(day > latest, day <= as_of))
    noted = [] if latest is None else sorted({day for _, day in notes if day <= latest})
    for start in range(0, len(noted), CHUNK):
        days = noted[start : start + CHUNK]
        write(connection, lambda day, days=days: day.in_(days))  # type: ignore[misc]
    cleared = sorted(note for note, day in notes if day <= bound)
    for start in range(0, len(cleared), CHUNK):
        connection.execute(delete(changes).where(changes.id.in_(cleared[start : start + CHUNK])))
    return len(cleared)


def _write_payment_days(connection: Connection, days: Days) -> None:
    connection.execute(delete(PaymentDayTotal).where(days(PaymentDayTotal.paid_on)))
    product = func.coalesce(Account.product, literal(""))
    rows = (
        select(
            Payment.paid_on,
            Payment.currency,
            product,
            cast(func.sum(signed_amount()), BigInteger),
            cast(func.sum(paid()), BigInteger),
        )
        .select_from(Payment)
        .outerjoin(Account, Account.account_id == Payment.account_id)
        .where(days(Payment.paid_on))
        .group_by(Payment.paid_on, Payment.currency, product)
    )
    connection.execute(
        insert(PaymentDayTotal).from_select(["paid_on", "currency", "product", "amount", "payments"], rows)
    )


def _write_contact_days(connection: Connection, days: Days) -> None:
    connection.execute(delete(ContactDayTotal).where(days(ContactDayTotal.started_on)))
    team = func.coalesce(Contact.team_id, literal(0))
    collector = func.coalesce(Contact.recorded_by, literal(0))
    rows = (
        select(Contact.started_on, team, collector, Contact.disposition, cast(func.count(), BigInteger))
        .where(Contact.direction == Direction.OUTBOUND, days(Contact.started_on))
        .group_by(Contact.started_on, team, collector, Contact.disposition)
    )
    connection.execute(
        insert(ContactDayTotal).from_select(
            ["started_on", "team_id", "recorded_by", "disposition", "contacts"], rows
        )
    )


def _write_buckets(connection: Connection, as_of: date) -> None:
    connection.execute(delete(BucketDayTotal).where(BucketDayTotal.as_of == as_of))
    connection.execute(_dated(BUCKET_TOTALS_SQL, "as_of"), {"as_of": as_of})


def _write_roll(connection: Connection, as_of: date) -> None:
    connection.execute(delete(RollDayCell).where(RollDayCell.as_of == as_of))
    connection.execute(
        _dated(ROLL_CELLS_SQL, "as_of", "start"), {"as_of": as_of, "start": window_start(as_of)}
    )
