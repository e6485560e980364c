"""Queries of the reports: aggregates over other contexts' tables, read only.

Module-level functions taking the caller's ``Connection``, values bound as parameters, never
committing (see arrears.portfolio.repository).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

# The snapshot is stored as validity ranges (arrears.delinquency.models): an account's rows at
# the two dates are the ranges covering each; the second is found by the key (account_id, valid_from).
ROLL_CELLS_SQL = """
SELECT a.bucket, b.bucket, COUNT(*), SUM(a.outstanding_amount)
FROM delinquency_ranges a
JOIN delinquency_ranges b ON b.account_id = a.account_id
    AND b.valid_from <= :last AND (b.valid_to IS NULL OR b.valid_to > :last)
WHERE a.valid_from <= :first AND (a.valid_to IS NULL OR a.valid_to > :first) {currency_filter}
GROUP BY a.bucket, b.bucket
"""


def roll_cells(
    connection: Connection,
    first: date,
    last: date,
    currency: str | None = None,
    *,
    product: str | None = None,
) -> list[tuple[str, str, int, int | None]]:
    """(bucket at ``first``, bucket at ``last``, accounts, their outstanding at ``first``) for
    every pair of buckets an account moved between; only accounts in ``currency`` and of
    ``product`` when given."""
    params: dict[str, Any] = {"first": first, "last": last}
    currency_filter = ""
    if currency is not None:
        currency_filter = "AND a.currency = :currency"
        params["currency"] = currency
    if product is not None:
        currency_filter += " AND a.account_id IN (SELECT account_id FROM accounts WHERE product = :product)"
        params["product"] = product
    rows = connection.execute(text(ROLL_CELLS_SQL.format(currency_filter=currency_filter)), params)
    return [(source, target, int(count), balance) for source, target, count, balance in rows]
