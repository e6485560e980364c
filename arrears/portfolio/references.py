"""Fetching the stored rows a feed file refers to, into DuckDB, in bulk.

Only the keys the file names are looked up (in chunks), so a file of a thousand rows does not
read a portfolio of millions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Table, or_, select

from arrears.portfolio.feeds import FeedKind
from arrears.portfolio.models import Account, Customer, Payment

LOOKUP_CHUNK = 5_000


def register_references(
    db: duckdb.DuckDBPyConnection, connection: Connection, kind: FeedKind, raw: str
) -> None:
    """Register ref_customers, ref_accounts and ref_payments for the keys the file names."""
    customer_ids = _distinct(db, raw, "customer_id") if "customer_id" in kind.column_names else []
    account_ids = _distinct(db, raw, "account_id") if "account_id" in kind.column_names else []
    reversed_ids = _distinct(db, raw, "reverses") if kind.name == "payments" else []

    customers = Customer.__table__
    accounts = Account.__table__
    payments = Payment.__table__
    assert isinstance(customers, Table) and isinstance(accounts, Table) and isinstance(payments, Table)
    _register(
        db,
        "ref_customers",
        ["customer_id"],
        _fetch(connection, [customers.c.customer_id], customers.c.customer_id, customer_ids),
    )
    _register(
        db,
        "ref_accounts",
        ["account_id", "customer_id", "currency"],
        _fetch(
            connection,
            [accounts.c.account_id, accounts.c.customer_id, accounts.c.currency],
            accounts.c.account_id,
            account_ids,
        ),
    )
    payment_columns = [payments.c.payment_id, payments.c.account_id, payments.c.amount, payments.c.reverses]
    rows: list[Sequence[object]] = []
    for chunk in _chunks(reversed_ids):
        query = select(*payment_columns).where(
            or_(payments.c.payment_id.in_(chunk), payments.c.reverses.in_(chunk))
        )
        rows.extend(connection.execute(query).all())
    _register(
        db,
        "ref_payments",
        ["payment_id", "account_id", "amount", "reverses"],
        rows,
        types={"amount": pa.int64()},
    )


def _distinct(db: duckdb.DuckDBPyConnection, raw: str, column: str) -> list[str]:
    query = f'SELECT DISTINCT trim("{column}") FROM "{raw}" WHERE nullif(trim("{column}"), \'\') IS NOT NULL'
    return [row[0] for row in db.execute(query).fetchall()]


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), LOOKUP_CHUNK):
        yield keys[start : start + LOOKUP_CHUNK]


def _fetch(
    connection: Connection, columns: list[object], key: object, keys: list[str]
) -> list[Sequence[object]]:
    rows: list[Sequence[object]] = []
    for chunk in _chunks(keys):
        rows.extend(connection.execute(select(*columns).where(key.in_(chunk))).all())  # type: ignore[attr-defined, call-overload]
    return rows


def _register(
    db: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[str],
    rows: list[Sequence[object]],
    types: dict[str, pa.DataType] | None = None,
) -> None:
    types = types or {}
    table = pa.table(
        {
            column: pa.array([row[i] for row in rows], types.get(column, pa.string()))
            for i, column in enumerate(columns)
        }
    )
    db.register(name, table)
