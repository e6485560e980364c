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

import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
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
from arrears.db.arrow import insert_arrow
from arrears.delinquency.models import SnapshotDate
from arrears.portfolio.models import Account, AccountProductChange, Payment, PaymentDayChange, PaymentDayTotal
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

# The changes of the ranges of the window ([start, day]) joined to each account's range on day: a
# range counts from the day it began (or the window's start) to the day it ended. Formatted with
# the ranges read (every account's, or the moved accounts' staged in MOVED_RANGES), the names of
# the two dates' parameters and the product each range is counted under.
ROLL_CHANGES_SQL = """
WITH past AS (
    SELECT r.valid_from, r.valid_to, r.bucket AS from_bucket, n.bucket AS to_bucket,
           r.currency, {product} AS product, r.outstanding_amount
    FROM {ranges} r
    JOIN {ranges} n ON n.account_id = r.account_id
        AND n.valid_from <= :{day} AND (n.valid_to IS NULL OR n.valid_to > :{day}){join}
    WHERE r.valid_from <= :{day} AND (r.valid_to IS NULL OR r.valid_to > :{start})
)
SELECT CASE WHEN valid_from < :{start} THEN :{start} ELSE valid_from END AS since,
       from_bucket, to_bucket, currency, product,
       COUNT(*) AS accounts, SUM(outstanding_amount) AS balance
FROM past
GROUP BY CASE WHEN valid_from < :{start} THEN :{start} ELSE valid_from END,
         from_bucket, to_bucket, currency, product
UNION ALL
SELECT valid_to, from_bucket, to_bucket, currency, product, -COUNT(*), -SUM(outstanding_amount)
FROM past WHERE valid_to <= :{day}
GROUP BY valid_to, from_bucket, to_bucket, currency, product
"""

CURRENT_PRODUCT = "COALESCE(a.product, '')"
WITH_PRODUCT = "\n    LEFT JOIN accounts a ON a.account_id = r.account_id"

# The rows summed into the night's cells; the changes before the window's start fold into it.
ROLL_CELLS_SQL = """
INSERT INTO roll_day_cells
    (as_of, since, from_bucket, to_bucket, currency, product, accounts, balance)
SELECT :as_of, CASE WHEN since < :start THEN :start ELSE since END,
       from_bucket, to_bucket, currency, product, SUM(accounts), SUM(balance)
FROM ({changes}) AS changes
GROUP BY CASE WHEN since < :start THEN :start ELSE since END, from_bucket, to_bucket, currency, product
HAVING SUM(accounts) <> 0 OR SUM(balance) <> 0
"""

COUNTED_SQL = ROLL_CELLS_SQL.format(
    changes=ROLL_CHANGES_SQL.format(
        ranges="delinquency_ranges", day="as_of", start="start", product=CURRENT_PRODUCT, join=WITH_PRODUCT
    )
)
"""Every account's changes, counted from the ranges."""

MOVED = "tmp_roll_moved"
"""The accounts whose contribution a carried night takes off and adds again."""
MOVED_RANGES = "tmp_roll_moved_ranges"
"""Their ranges of both nights' windows, each with the product the previous night counted it
under (``product_was``) and today's (``product``): read once from the ranges, by their index."""

# (CROSS JOIN: SQLite walks the moved accounts and searches each one's ranges by the index; with a
# plain join it may scan every range, the temporary table having no statistics.)
STAGE_MOVED_RANGES_SQL = f"""
INSERT INTO {MOVED_RANGES}
SELECT r.account_id, r.valid_from, r.valid_to, r.bucket, r.bucket_rank, r.currency,
       r.outstanding_amount, r.overdue_amount, {CURRENT_PRODUCT},
       CASE WHEN m.moved THEN COALESCE(m.product_was, '') ELSE {CURRENT_PRODUCT} END
FROM {MOVED} m CROSS JOIN delinquency_ranges r
LEFT JOIN accounts a ON a.account_id = r.account_id
WHERE r.account_id = m.account_id
  AND r.valid_from <= :as_of AND (r.valid_to IS NULL OR r.valid_to > :previous_start)
"""

CARRIED_SQL = ROLL_CELLS_SQL.format(
    changes=" UNION ALL ".join(
        (
            "SELECT since, from_bucket, to_bucket, currency, product, accounts, balance "
            "FROM roll_day_cells WHERE as_of = :previous",
            "SELECT since, from_bucket, to_bucket, currency, product, -accounts, -balance FROM ("
            + ROLL_CHANGES_SQL.format(
                ranges=MOVED_RANGES, day="previous", start="previous_start", product="r.product_was", join=""
            )
            + ") AS taken_off",
            "SELECT * FROM ("
            + ROLL_CHANGES_SQL.format(
                ranges=MOVED_RANGES, day="as_of", start="start", product="r.product", join=""
            )
            + ") AS added",
        )
    )
)
"""The previous night's cells, less the moved accounts' contribution then (under the product it
was counted under), plus theirs now."""

# One moved account's range on a day, under the product its night counted it.
MOVED_ON_DAY_SQL = f"""
SELECT r.bucket, r.currency, r.{{product}} AS product, {{rank}} AS bucket_rank, {{sign}} AS accounts,
       {{sign}} * r.outstanding_amount AS outstanding, {{sign}} * r.overdue_amount AS overdue
FROM {MOVED_RANGES} r
WHERE r.valid_from <= :{{day}} AND (r.valid_to IS NULL OR r.valid_to > :{{day}})
"""

CARRIED_BUCKETS_SQL = f"""
INSERT INTO bucket_day_totals
    (as_of, bucket, currency, product, bucket_rank, accounts, outstanding, overdue)
SELECT :as_of, bucket, currency, product, MIN(bucket_rank), SUM(accounts), SUM(outstanding), SUM(overdue)
FROM (
    SELECT bucket, currency, product, bucket_rank, accounts, outstanding, overdue
    FROM bucket_day_totals WHERE as_of = :previous
    UNION ALL
    {MOVED_ON_DAY_SQL.format(product="product_was", rank="CAST(NULL AS INTEGER)", sign="-1", day="previous")}
    UNION ALL
    {MOVED_ON_DAY_SQL.format(product="product", rank="r.bucket_rank", sign="1", day="as_of")}
) AS totals
GROUP BY bucket, currency, product
HAVING SUM(accounts) <> 0
"""
"""The previous night's bucket totals, less the moved accounts' ranges then, plus theirs now
(BUCKET_TOTALS_SQL's rows: a bucket's rank is the one its accounts' ranges hold, which the bucket
table of the rules gives; a taken-off range keeps the rank it was counted with, hence NULL)."""

CARRY_SHARE = 0.25
"""A night carries the previous one's cells when fewer accounts than this share moved; beyond it,
counting every account is cheaper than taking off and adding back most of them."""


def _dated(sql: str, *names: str) -> Any:
    return text(sql).bindparams(*(bindparam(name, type_=Date) for name in names))


def window_start(as_of: date) -> date:
    """The earliest from-date a night's roll cells serve."""
    return as_of - timedelta(days=WINDOW_DAYS - 1)


def write_night(
    connection: Connection, as_of: date, moved: pa.Table | None = None, since: date | None = None
) -> list[date]:
    """Write (or rewrite) the totals of the snapshot date ``as_of``, and the roll cells of the
    stored snapshot dates after it that reach back to it. Returns the dates rewritten.

    ``moved``: the accounts (an ``account_id`` column) whose state on ``as_of`` differs from the
    one on ``since``, the latest snapshot date before it, when the batch knows them. A new night
    then carries the cells of ``since`` forward (``CARRIED_SQL``) when few accounts moved,
    instead of counting every account's window again, and its bucket totals with them."""
    later = list(
        connection.scalars(
            select(SnapshotDate.as_of)
            .where(SnapshotDate.as_of > as_of, SnapshotDate.as_of < as_of + timedelta(days=WINDOW_DAYS))
            .order_by(SnapshotDate.as_of)
        )
    )
    noted = connection.execute(select(func.max(AccountProductChange.id))).scalar_one()
    if later or not _carry_roll(connection, as_of, moved, since, noted):
        _write_buckets(connection, as_of)
        for day in [as_of, *later]:
            _write_roll(connection, day)
    _clear_product_notes(connection, [as_of, *later], noted)
    write_payments(connection, as_of)
    write_contacts(connection, as_of)
    return [as_of, *later]


def rebuild(connection: Connection, dates: Iterable[date]) -> int:
    """Rewrite the totals of ``dates`` (snapshot dates): the backfill of nights run before the
    tables existed. Returns how many dates. The payments' totals are written up to the last."""
    noted = connection.execute(select(func.max(AccountProductChange.id))).scalar_one()
    written = list(dates)
    for day in written:
        _write_buckets(connection, day)
        _write_roll(connection, day)
    if written:
        _clear_product_notes(connection, written, noted)
        write_payments(connection, max(written))
        write_contacts(connection, max(written))
    return len(written)


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
    connection.execute(_dated(COUNTED_SQL, "as_of", "start"), {"as_of": as_of, "start": window_start(as_of)})


def _carry_roll(
    connection: Connection, as_of: date, moved: pa.Table | None, since: date | None, noted: int | None
) -> bool:
    """Write the roll cells and the bucket totals of ``as_of`` from those of ``since`` when both
    are stored and few accounts moved (``CARRY_SHARE`` of that night's); False when they must be
    counted."""
    if moved is None or since is None or since >= as_of or not _has_cells(connection, since):
        return False
    accounts = connection.execute(
        select(func.coalesce(func.sum(BucketDayTotal.accounts), 0)).where(BucketDayTotal.as_of == since)
    ).scalar_one()
    if not accounts or moved.num_rows > CARRY_SHARE * int(accounts):
        return False
    _stage_moved(connection, moved, noted)
    _stage_moved_ranges(connection, as_of, window_start(since))
    connection.execute(delete(BucketDayTotal).where(BucketDayTotal.as_of == as_of))
    connection.execute(_dated(CARRIED_BUCKETS_SQL, "as_of", "previous"), {"as_of": as_of, "previous": since})
    connection.execute(delete(RollDayCell).where(RollDayCell.as_of == as_of))
    connection.execute(
        _dated(CARRIED_SQL, "as_of", "start", "previous", "previous_start"),
        {
            "as_of": as_of,
            "start": window_start(as_of),
            "previous": since,
            "previous_start": window_start(since),
        },
    )
    connection.execute(text(f"DROP TABLE {MOVED_RANGES}"))
    connection.execute(text(f"DROP TABLE {MOVED}"))
    return True


def _stage_moved(connection: Connection, moved: pa.Table, noted: int | None) -> None:
    """The accounts whose state moved, and those noted as moved to another product (up to the
    note ``noted``), each once; a noted one with the product it had (its earliest note's)."""
    table = Table(
        MOVED,
        MetaData(),
        Column("account_id", String(64), primary_key=True),
        Column("moved", Boolean, nullable=False),
        Column("product_was", String(32)),
        prefixes=["TEMPORARY"],
    )
    for name in (MOVED_RANGES, MOVED):  # ones a rolled-back night left
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    table.create(connection)
    ids = moved.column("account_id")
    insert_arrow(
        connection,
        MOVED,
        pa.table(
            {
                "account_id": ids,
                "moved": pa.array([False] * len(ids), pa.bool_()),
                "product_was": pa.nulls(len(ids), pa.string()),
            }
        ),
    )
    if noted is not None:
        _add_noted(connection, table, noted)


def _stage_moved_ranges(connection: Connection, as_of: date, previous_start: date) -> None:
    """MOVED_RANGES: the moved accounts' ranges from the previous night's window start to ``as_of``."""
    Table(
        MOVED_RANGES,
        MetaData(),
        Column("account_id", String(64), primary_key=True),
        Column("valid_from", Date, primary_key=True),
        Column("valid_to", Date),
        Column("bucket", String(16), nullable=False),
        Column("bucket_rank", Integer, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("outstanding_amount", BigInteger, nullable=False),
        Column("overdue_amount", BigInteger, nullable=False),
        Column("product", String(32), nullable=False),
        Column("product_was", String(32), nullable=False),
        prefixes=["TEMPORARY"],
    ).create(connection)
    connection.execute(
        _dated(STAGE_MOVED_RANGES_SQL, "as_of", "previous_start"),
        {"as_of": as_of, "previous_start": previous_start},
    )


def _add_noted(connection: Connection, table: Table, noted: int) -> None:
    notes = AccountProductChange
    earliest = (
        select(func.min(notes.id)).where(notes.id <= noted).group_by(notes.account_id).scalar_subquery()
    )
    connection.execute(
        delete(table).where(table.c.account_id.in_(select(notes.account_id).where(notes.id <= noted)))
    )
    first = select(notes.account_id, literal(True), notes.product_was).where(notes.id.in_(earliest))
    connection.execute(insert(table).from_select(["account_id", "moved", "product_was"], first))


def _has_cells(connection: Connection, as_of: date) -> bool:
    return (
        connection.execute(select(RollDayCell.as_of).where(RollDayCell.as_of == as_of).limit(1)).first()
        is not None
    )


def _clear_product_notes(connection: Connection, written: list[date], noted: int | None) -> None:
    """Once the latest night's cells are written again, counting every moved account under its
    product of today, the notes read before (up to ``noted``) have served."""
    latest = connection.execute(select(func.max(SnapshotDate.as_of))).scalar_one()
    if noted is not None and latest in written:
        connection.execute(delete(AccountProductChange).where(AccountProductChange.id <= noted))
