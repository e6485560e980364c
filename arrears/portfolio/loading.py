"""Storing validated feed rows in the operational database, in bulk.

The good rows go into a temporary staging table first (arrears.db.arrow, streamed from DuckDB:
PostgreSQL COPY; SQLite executemany), then two set-based statements apply them: an UPDATE of
the stored rows whose values differ and an INSERT of the rows not stored yet. Rows equal to
what is stored are not written at all, so re-importing a file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)

from arrears.db import Base
from arrears.db.arrow import CHUNK_ROWS, insert_arrow
from arrears.portfolio import models  # noqa: F401  (the portfolio's tables in Base.metadata)
from arrears.portfolio.feeds import FeedKind
from arrears.portfolio.models import AccountProductChange, PaymentDayChange


@dataclass(frozen=True)
class StoreCounts:
    stored: int
    updated: int
    unchanged: int


def store(
    connection: Connection, kind: FeedKind, db: duckdb.DuckDBPyConnection, import_id: int
) -> StoreCounts:
    """Upsert DuckDB table ``good`` into the kind's table; say how many rows were new or changed."""
    target = Base.metadata.tables[kind.table]
    names = [name for name in _good_columns(db) if name in target.c]
    stage = _stage_table(target, names, kind)
    stage.create(connection)
    try:
        _fill(connection, stage, names, db)
        return _apply(connection, target, stage, kind, names, import_id)
    finally:
        stage.drop(connection)


CHOSEN_BY_THE_CUSTOMER = {"customers": {"language": "language_chosen_at"}}
"""Per table, the columns a customer set themselves (in the portal), with the column saying so:
the feed's value no longer replaces theirs."""


def _good_columns(db: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in db.execute("SELECT column_name FROM (DESCRIBE good)").fetchall()]


def _stage_table(target: Table, names: list[str], kind: FeedKind) -> Table:
    columns = [Column(name, target.c[name].type) for name in names]
    return Table(f"stage_{kind.table}", MetaData(), *columns, prefixes=["TEMPORARY"])


def _fill(connection: Connection, stage: Table, names: list[str], db: duckdb.DuckDBPyConnection) -> None:
    quoted = ", ".join(f'"{name}"' for name in names)
    rows = db.sql(f"SELECT {quoted} FROM good").to_arrow_reader(CHUNK_ROWS)
    insert_arrow(connection, stage.name, rows)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {stage.name}")


def _apply(
    connection: Connection, target: Table, stage: Table, kind: FeedKind, names: list[str], import_id: int
) -> StoreCounts:
    same_key = and_(*[target.c[k] == stage.c[k] for k in kind.key])
    # A column with a default is never emptied: no value keeps the stored one (a new row: the default).
    defaults = {c.name: c.default for c in kind.columns if c.default is not None and c.name in names}
    incoming: dict[str, ColumnElement[Any]] = {
        n: func.coalesce(stage.c[n], target.c[n]) if n in defaults else stage.c[n]
        for n in names
        if n not in kind.key
    }
    for name, chosen_at in CHOSEN_BY_THE_CUSTOMER.get(kind.table, {}).items():
        if name in incoming:
            incoming[name] = case((target.c[chosen_at].is_not(None), target.c[name]), else_=incoming[name])
    changed = or_(*[target.c[n].is_distinct_from(value) for n, value in incoming.items()])
    is_new = ~exists(select(literal(1)).select_from(target).where(same_key))
    _note_payment_days(connection, target, stage, kind, incoming, same_key)
    if kind.table == "accounts" and "product" in incoming:
        _note_product_moves(connection, target, stage, incoming["product"], same_key)
    total = _count(connection, select(func.count()).select_from(stage))
    new = _count(connection, select(func.count()).select_from(stage).where(is_new))
    updated = _count(
        connection, select(func.count()).select_from(stage.join(target, same_key)).where(changed)
    )
    if updated:
        values: dict[str, ColumnElement[Any] | int] = dict(incoming)
        values["import_id"] = import_id
        connection.execute(update(target).where(same_key, changed).values(values))
    if new:
        inserted = [
            func.coalesce(stage.c[n], literal(defaults[n], target.c[n].type)) if n in defaults else stage.c[n]
            for n in names
        ]
        source = select(*inserted, literal(import_id)).where(is_new)
        connection.execute(insert(target).from_select([*names, "import_id"], source))
    return StoreCounts(stored=new, updated=updated, unchanged=total - new - updated)


def _note_payment_days(
    connection: Connection,
    target: Table,
    stage: Table,
    kind: FeedKind,
    incoming: dict[str, ColumnElement[Any]],
    same_key: ColumnElement[bool],
) -> None:
    """Note the days paid whose figures the write may change (the dashboard's payment totals,
    arrears.reports.totals), before it: of payments, the days of the rows given and the stored
    days of the rows they replace; of accounts, the days of the payments of an account new or of
    another product."""
    if kind.table == "payments" and "paid_on" in stage.c:
        given = select(stage.c.paid_on).where(stage.c.paid_on.is_not(None))
        replaced = select(target.c.paid_on).select_from(stage.join(target, same_key))
        note_payment_days(connection, union(given, replaced))  # type: ignore[arg-type]
    elif kind.table == "accounts" and "product" in incoming:
        same_product = (
            select(literal(1)).select_from(target).where(same_key, target.c.product == incoming["product"])
        )
        moved = select(stage.c.account_id).where(~exists(same_product))
        payments = Base.metadata.tables["payments"]
        days = select(payments.c.paid_on).where(payments.c.account_id.in_(moved)).distinct()
        note_payment_days(connection, days)


def _note_product_moves(
    connection: Connection,
    target: Table,
    stage: Table,
    product: ColumnElement[Any],
    same_key: ColumnElement[bool],
) -> None:
    """Note the stored accounts the write moves to another product, with the product they had
    (the night's roll cells, arrears.reports.totals, take their old contribution off under it)."""
    moved = (
        select(target.c.account_id, target.c.product)
        .select_from(stage.join(target, same_key))
        .where(target.c.product.is_distinct_from(product))
    )
    connection.execute(insert(AccountProductChange).from_select(["account_id", "product_was"], moved))


def _count(connection: Connection, query: object) -> int:
    return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def note_payment_days(connection: Connection, days: Select[Any]) -> None:
    """Note the days paid ``days`` selects (one column of dates) as changed since the totals:
    in the transaction of the write that changed them."""
    connection.execute(insert(PaymentDayChange).from_select(["paid_on"], days))
