"""Fetching the stored rows a feed file refers to, into DuckDB, in bulk.

Only the keys the file names are looked up (in chunks, by :mod:`arrears.portfolio.repository`),
so a file of a thousand rows does not read a portfolio of millions. Registered:
``ref_customers`` (with their country, the region of their telephone numbers), ``ref_accounts``,
``ref_payments`` (the payments reversed and their reversals), ``ref_final`` (the file's payments
that are stored as part of a reversal), ``ref_totals`` (each account's stored sum of installments
or payments) and ``ref_amounts`` (the stored amounts of the few accounts the file could take past
``MAX_AMOUNT``).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection

from arrears.portfolio.feeds import MAX_AMOUNT, FeedKind
from arrears.portfolio.repository import (
    account_currencies,
    account_totals,
    customer_countries,
    final_payments,
    reversals_of,
    stored_amounts,
)


def register_references(
    db: duckdb.DuckDBPyConnection, connection: Connection, kind: FeedKind, raw: str
) -> None:
    """Register ref_customers, ref_accounts and ref_payments for the keys the file names."""
    customer_ids = _distinct(db, raw, "customer_id") if "customer_id" in kind.column_names else []
    account_ids = _distinct(db, raw, "account_id") if "account_id" in kind.column_names else []
    reversed_ids = _distinct(db, raw, "reverses") if kind.name == "payments" else []

    _register(db, "ref_customers", ["customer_id", "country"], customer_countries(connection, customer_ids))
    _register(
        db,
        "ref_accounts",
        ["account_id", "customer_id", "currency"],
        account_currencies(connection, account_ids),
    )
    _register(
        db,
        "ref_payments",
        ["payment_id", "account_id", "amount", "reverses"],
        reversals_of(connection, reversed_ids),
        types={"amount": pa.int64()},
    )
    if kind.name == "payments":
        _register(
            db,
            "ref_final",
            ["payment_id", "account_id", "paid_on", "amount", "reverses", "partner"],
            final_payments(connection, _distinct(db, raw, "payment_id")),
            types={"paid_on": pa.date32(), "amount": pa.int64()},
        )
    if kind.currency_from_account:
        _register_totals(db, connection, kind, raw, account_ids)


def _register_totals(
    db: duckdb.DuckDBPyConnection, connection: Connection, kind: FeedKind, raw: str, account_ids: list[str]
) -> None:
    """ref_totals: each account's stored sum; ref_amounts: the stored amounts, by key, of the
    accounts whose stored sum and the file's amounts could together pass ``MAX_AMOUNT``."""
    amount = "amount_due" if kind.name == "installments" else "amount"
    totals = account_totals(connection, kind.table, account_ids)
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
    rows = stored_amounts(connection, kind.table, suspects)
    _register(db, "ref_amounts", ["account_id", "key", "amount"], rows, types={"amount": pa.int64()})


def _distinct(db: duckdb.DuckDBPyConnection, raw: str, column: str) -> list[str]:
    query = f'SELECT DISTINCT trim("{column}") FROM "{raw}" WHERE nullif(trim("{column}"), \'\') IS NOT NULL'
    return [row[0] for row in db.execute(query).fetchall()]


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
