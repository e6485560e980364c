"""The dashboard's daily totals: written in the night's transaction, read by the dashboard.

Each night's rows are computed in the database from the snapshot's ranges (INSERT … SELECT, one
statement per table), never row by row in Python; a night written again replaces its rows. A
night written before a stored one (a backfill) changes the state on its date, which the roll
cells of the later nights read: theirs are rebuilt too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Date, bindparam, delete, select, text

from arrears.delinquency.models import SnapshotDate
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
    return [as_of, *later]


def rebuild(connection: Connection, dates: Iterable[date]) -> int:
    """Rewrite the totals of ``dates`` (snapshot dates): the backfill of nights run before the
    tables existed. Returns how many dates."""
    done = 0
    for day in dates:
        _write_buckets(connection, day)
        _write_roll(connection, day)
        done += 1
    return done


def _write_buckets(connection: Connection, as_of: date) -> None:
    connection.execute(delete(BucketDayTotal).where(BucketDayTotal.as_of == as_of))
    connection.execute(_dated(BUCKET_TOTALS_SQL, "as_of"), {"as_of": as_of})


def _write_roll(connection: Connection, as_of: date) -> None:
    connection.execute(delete(RollDayCell).where(RollDayCell.as_of == as_of))
    connection.execute(
        _dated(ROLL_CELLS_SQL, "as_of", "start"), {"as_of": as_of, "start": window_start(as_of)}
    )
