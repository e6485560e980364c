"""Queries of the batch: the portfolio in bulk, snapshots and run records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, delete, func, insert, select, text, update

from arrears.batch.bulk import insert_arrow, read_arrow
from arrears.batch.models import RUN_SUCCEEDED, BatchRun
from arrears.delinquency.definition import quote
from arrears.delinquency.frames import (
    ACCOUNTS_SCHEMA,
    INSTALLMENTS_SCHEMA,
    PAYMENTS_SCHEMA,
    PREVIOUS_SCHEMA,
    PortfolioFrames,
)
from arrears.delinquency.models import DelinquencySnapshot

SNAPSHOT_TABLE = DelinquencySnapshot.__tablename__
STORED_SNAPSHOT_COLUMNS = [c.name for c in DelinquencySnapshot.__table__.columns]


def read_portfolio(connection: Connection, where: str = "") -> PortfolioFrames:
    """The columns of accounts, installments and payments the definition reads, in bulk;
    ``where`` (an SQL condition on columns all three tables have: account_id, import_id) reads
    some rows only."""
    condition = f" WHERE {where}" if where else ""
    payments = read_arrow(
        connection,
        # '' for "no reversal" keeps the column's type the same in every batch a driver reads
        f"SELECT payment_id, account_id, paid_on, amount, COALESCE(reverses, '') FROM payments{condition}",
        PAYMENTS_SCHEMA,
        committed_table="payments",
    )
    reverses = payments.column("reverses")
    payments = payments.set_column(
        4, "reverses", pc.if_else(pc.equal(reverses, ""), pa.scalar(None, pa.string()), reverses)
    )
    return PortfolioFrames.of(
        read_arrow(
            connection,
            f"SELECT account_id, customer_id, currency, status, opened_on FROM accounts{condition}",
            ACCOUNTS_SCHEMA,
            committed_table="accounts",
        ),
        read_arrow(
            connection,
            f"SELECT account_id, seq, due_date, amount_due FROM installments{condition}",
            INSTALLMENTS_SCHEMA,
            committed_table="installments",
        ),
        payments,
    )


PART_ACCOUNTS = 1_000_000
"""Accounts read at a time when the whole portfolio is read: memory stays that of one part."""


def read_portfolio_parts(
    connection: Connection, part_accounts: int = PART_ACCOUNTS
) -> Iterator[PortfolioFrames]:
    """The whole portfolio in parts of ``part_accounts`` accounts, by ranges of account_id: every
    row of an account (a reversal included, it belongs to its payment's account) in one part."""
    starts = [
        row[0]
        for row in connection.execute(
            text(
                "SELECT account_id FROM (SELECT account_id, row_number() OVER (ORDER BY account_id) AS n "
                "FROM accounts) AS numbered WHERE n % :size = 1 ORDER BY account_id"
            ),
            {"size": part_accounts},
        )
    ]
    if len(starts) <= 1:
        yield read_portfolio(connection)
        return
    for index, start in enumerate(starts):
        where = f"account_id >= {quote(start)}"
        if index + 1 < len(starts):
            where += f" AND account_id < {quote(starts[index + 1])}"
        yield read_portfolio(connection, where)


def previous_run_date(connection: Connection, as_of: date) -> date | None:
    """The latest succeeded batch date before ``as_of``: its snapshot is what roll compares with."""
    return connection.execute(
        select(func.max(BatchRun.as_of)).where(BatchRun.as_of < as_of, BatchRun.status == RUN_SUCCEEDED)
    ).scalar()


def read_buckets(connection: Connection, as_of: date) -> pa.Table:
    """The buckets of an earlier, committed date (read before this run writes anything)."""
    sql = f"SELECT account_id, bucket FROM {SNAPSHOT_TABLE} WHERE as_of = '{as_of.isoformat()}'"
    return read_arrow(connection, sql, PREVIOUS_SCHEMA, committed_table=SNAPSHOT_TABLE)


def read_snapshot(connection: Connection, as_of: date, schema: pa.Schema) -> pa.Table:
    columns = ", ".join(schema.names)
    sql = f"SELECT {columns} FROM {SNAPSHOT_TABLE} WHERE as_of = '{as_of.isoformat()}' ORDER BY account_id"
    return read_arrow(connection, sql, schema)


def replace_snapshot(connection: Connection, as_of: date, snapshot: pa.Table) -> None:
    """One snapshot per account per date: what a rerun wrote before is replaced, in bulk."""
    connection.execute(delete(DelinquencySnapshot).where(DelinquencySnapshot.as_of == as_of))
    insert_arrow(connection, SNAPSHOT_TABLE, snapshot.select(STORED_SNAPSHOT_COLUMNS))


def record_run(
    connection: Connection,
    as_of: date,
    *,
    status: str,
    engine: str,
    counts: dict[str, int],
    started_at: datetime,
    finished_at: datetime,
    error: str | None = None,
) -> int:
    """Write the run's row, counting attempts; one row per as-of date. Returns this attempt's number."""
    values = {
        "status": status,
        "engine": engine,
        "accounts": counts.get("accounts", 0),
        "delinquent": counts.get("delinquent", 0),
        "cases_opened": counts.get("cases_opened", 0),
        "cases_closed": counts.get("cases_closed", 0),
        "started_at": started_at,
        "finished_at": finished_at,
        "error": None if error is None else error[:2000],
    }
    attempts = connection.execute(select(BatchRun.attempts).where(BatchRun.as_of == as_of)).scalar()
    if attempts is None:
        connection.execute(insert(BatchRun).values(as_of=as_of, attempts=1, **values))
        return 1
    connection.execute(
        update(BatchRun).where(BatchRun.as_of == as_of).values(attempts=attempts + 1, **values)
    )
    return int(attempts) + 1


def run_attempts(connection: Connection, as_of: date) -> int:
    """How many times the date has been run (its latest attempt's number)."""
    return int(connection.execute(select(BatchRun.attempts).where(BatchRun.as_of == as_of)).scalar_one())


def snapshot_dates(connection: Connection, first: date, last: date) -> list[date]:
    rows = connection.execute(
        text(
            f"SELECT DISTINCT as_of FROM {SNAPSHOT_TABLE} WHERE as_of BETWEEN :first AND :last ORDER BY as_of"
        ),
        {"first": first, "last": last},
    )
    return [row[0] if isinstance(row[0], date) else date.fromisoformat(row[0]) for row in rows]
