"""Fetching the stored rows a feed file refers to, into DuckDB, in bulk.

Only the keys the file names are looked up (in chunks), so a file of a thousand rows does not
read a portfolio of millions. Registered: ``ref_customers`` (with their country, the region of
their telephone numbers), ``ref_accounts``, ``ref_payments`` (the payments reversed and their
reversals), ``ref_final`` (the file's payments that are stored as part of a reversal),
``ref_totals`` (each account's stored sum of installments or payments) and ``ref_amounts`` (the
stored amounts of the few accounts the file could take past ``MAX_AMOUNT``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, String, Table, any_, bindparam, cast, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from arrears.portfolio.feeds import MAX_AMOUNT, FeedKind
from arrears.portfolio.models import Account, Customer, Installment, Payment

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

    found = _fetch(
        connection, [customers.c.customer_id, customers.c.country], customers.c.customer_id, customer_ids
    )
    _register(db, "ref_customers", ["customer_id", "country"], found)
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
    if kind.name == "payments":
        _register_final(db, connection, _distinct(db, raw, "payment_id"))
    if kind.currency_from_account:
        _register_totals(db, connection, kind, raw, account_ids)


def _register_final(db: duckdb.DuckDBPyConnection, connection: Connection, payment_ids: list[str]) -> None:
    """ref_final: the file's payments stored as a reversal, or reversed by a stored one, each with
    its partner in the reversal."""
    payments = _table(Payment)
    stored = [payments.c.payment_id, payments.c.account_id, payments.c.paid_on, payments.c.amount]
    reversals = _fetch(
        connection,
        [*stored, payments.c.reverses, payments.c.reverses.label("partner")],
        payments.c.payment_id,
        payment_ids,
        payments.c.reverses.is_not(None),
    )
    partners = dict(
        _fetch(connection, [payments.c.reverses, payments.c.payment_id], payments.c.reverses, payment_ids)
    )
    reversed_rows = _fetch(connection, [*stored, payments.c.reverses], payments.c.payment_id, list(partners))
    rows = reversals + [(*row, partners[row[0]]) for row in reversed_rows]
    _register(
        db,
        "ref_final",
        ["payment_id", "account_id", "paid_on", "amount", "reverses", "partner"],
        rows,
        types={"paid_on": pa.date32(), "amount": pa.int64()},
    )


def _register_totals(
    db: duckdb.DuckDBPyConnection, connection: Connection, kind: FeedKind, raw: str, account_ids: list[str]
) -> None:
    """ref_totals: each account's stored sum; ref_amounts: the stored amounts, by key, of the
    accounts whose stored sum and the file's amounts could together pass ``MAX_AMOUNT``."""
    if kind.name == "installments":
        table, amount, key, only = _table(Installment), "amount_due", "seq", None
    else:
        table, amount, key, only = _table(Payment), "amount", "payment_id", "reverses"
    counted = true() if only is None else table.c[only].is_(None)
    totals = _fetch(
        connection,
        [table.c.account_id, func.sum(table.c[amount])],
        table.c.account_id,
        account_ids,
        counted,
        group_by=table.c.account_id,
    )
    totals = [(account, int(total or 0)) for account, total in totals]
    _register(db, "ref_totals", ["account_id", "total"], totals, types={"total": pa.int64()})
    amount_text = f'abs(try_cast(trim(f."{amount}") AS DECIMAL(38, 4)))'
    suspects = [
        row[0]
        for row in db.execute(f"""
            SELECT a.account_id FROM "{raw}" f
            JOIN ref_accounts a ON a.account_id = trim(f.account_id)
            JOIN currencies c ON c.code = a.currency
            LEFT JOIN ref_totals t ON t.account_id = a.account_id
            GROUP BY a.account_id
            HAVING coalesce(any_value(t.total), 0)
                   + sum(coalesce({amount_text}, 0) * CAST(10 ** c.exp AS BIGINT)) > {MAX_AMOUNT}
            """).fetchall()
    ]
    _register(db, "ref_suspects", ["account_id"], [(account,) for account in suspects])
    rows = _fetch(
        connection,
        [table.c.account_id, cast(table.c[key], String), table.c[amount]],
        table.c.account_id,
        suspects,
        counted,
    )
    _register(db, "ref_amounts", ["account_id", "key", "amount"], rows, types={"amount": pa.int64()})


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
    where: ColumnElement[bool] | None = None,
    group_by: ColumnElement[Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows whose key is among ``keys`` (and ``where`` holds), asked for in chunks."""
    postgres = connection.dialect.name == "postgresql"
    chunk_size = POSTGRES_CHUNK if postgres else SQLITE_CHUNK
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), chunk_size):
        chunk = keys[start : start + chunk_size]
        # One array parameter on PostgreSQL; SQLite takes a list of placeholders.
        condition = key == any_(bindparam("keys", chunk, type_=ARRAY(String))) if postgres else key.in_(chunk)
        query = select(*columns).where(condition)
        if where is not None:
            query = query.where(where)
        if group_by is not None:
            query = query.group_by(group_by)
        rows.extend(tuple(row) for row in connection.execute(query))
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
