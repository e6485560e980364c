"""Fetching the stored rows a feed file refers to, into DuckDB, in bulk.

Only the keys the file names are looked up (in chunks), so a file of a thousand rows does not
read a portfolio of millions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, String, Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from arrears.portfolio.feeds import FeedKind
from arrears.portfolio.models import Account, Customer, Payment

SQLITE_CHUNK = 5_000
POSTGRES_CHUNK = 100_000


def register_references(
    db: duckdb.DuckDBPyConnection, connection: Connection, kind: FeedKind, raw: str
) -> None:
    """Register ref_customers, ref_accounts and ref_payments for the keys the file names."""
    customers, accounts, payments = (_table(model) for model in (Customer, Account, Payment))
    customer_ids = _distinct(db, raw, "customer_id") if "customer_id" in kind.column_names else []
    account_ids = _distinct(db, raw, "account_id") if "account_id" in kind.column_names else []
    reversed_ids = _distinct(db, raw, "reverses") if kind.name == "payments" else []

    found = _fetch(connection, [customers.c.customer_id], customers.c.customer_id, customer_ids)
    _register(db, "ref_customers", ["customer_id"], found)
    account_columns = [accounts.c.account_id, accounts.c.customer_id, accounts.c.currency]
    found = _fetch(connection, account_columns, accounts.c.account_id, account_ids)
    _register(db, "ref_accounts", ["account_id", "customer_id", "currency"], found)
    # The payments reversed, and any stored reversal of them.
    payment_columns = [payments.c.payment_id, payments.c.account_id, payments.c.amount, payments.c.reverses]
    found = _fetch(connection, payment_columns, payments.c.payment_id, reversed_ids)
    found += _fetch(connection, payment_columns, payments.c.reverses, reversed_ids)
    _register(
        db,
        "ref_payments",
        ["payment_id", "account_id", "amount", "reverses"],
        list(set(found)),
        types={"amount": pa.int64()},
    )


def _table(model: type[object]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _distinct(db: duckdb.DuckDBPyConnection, raw: str, column: str) -> list[str]:
    query = f'SELECT DISTINCT trim("{column}") FROM "{raw}" WHERE nullif(trim("{column}"), \'\') IS NOT NULL'
    return [row[0] for row in db.execute(query).fetchall()]


def _fetch(
    connection: Connection,
    columns: Sequence[ColumnElement[Any]],
    key: ColumnElement[Any],
    keys: list[str],
) -> list[tuple[Any, ...]]:
    """Rows whose key is among ``keys``, asked for in chunks."""
    postgres = connection.dialect.name == "postgresql"
    chunk_size = POSTGRES_CHUNK if postgres else SQLITE_CHUNK
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), chunk_size):
        chunk = keys[start : start + chunk_size]
        # One array parameter on PostgreSQL; SQLite takes a list of placeholders.
        condition = key == any_(bindparam("keys", chunk, type_=ARRAY(String))) if postgres else key.in_(chunk)
        rows.extend(tuple(row) for row in connection.execute(select(*columns).where(condition)))
    return rows


def _register(
    db: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[str],
    rows: list[tuple[Any, ...]],
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
