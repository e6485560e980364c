"""Columnar frames the engines read and return: the portfolio in, the snapshot out (Arrow)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

ACCOUNTS_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("currency", pa.string()),
        ("status", pa.string()),
        ("opened_on", pa.date32()),  # an account is in the snapshots from this date on
    ]
)
INSTALLMENTS_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("seq", pa.int64()),
        ("due_date", pa.date32()),
        ("amount_due", pa.int64()),
    ]
)
PAYMENTS_SCHEMA = pa.schema(
    [
        ("payment_id", pa.string()),
        ("account_id", pa.string()),
        ("paid_on", pa.date32()),
        ("amount", pa.int64()),
        ("reverses", pa.string()),
    ]
)
PREVIOUS_SCHEMA = pa.schema([("account_id", pa.string()), ("bucket", pa.string())])
SNAPSHOT_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("currency", pa.string()),
        ("status", pa.string()),
        ("dpd", pa.int32()),
        ("bucket", pa.string()),
        ("bucket_rank", pa.int32()),
        ("overdue_amount", pa.int64()),
        ("outstanding_amount", pa.int64()),
        ("roll", pa.string()),
        ("previous_rank", pa.int32()),
    ]
)


@dataclass(frozen=True, slots=True)
class PortfolioFrames:
    """The columns of the portfolio the delinquency definition reads."""

    accounts: pa.Table
    installments: pa.Table
    payments: pa.Table

    @classmethod
    def of(cls, accounts: pa.Table, installments: pa.Table, payments: pa.Table) -> PortfolioFrames:
        """The frames in their schemas; accounts without ``opened_on`` count as opened long ago."""
        if "opened_on" not in accounts.column_names:
            accounts = accounts.append_column("opened_on", pa.nulls(accounts.num_rows, pa.date32()))
        return cls(
            conform(accounts, ACCOUNTS_SCHEMA),
            conform(installments, INSTALLMENTS_SCHEMA),
            conform(payments, PAYMENTS_SCHEMA),
        )


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table's columns in the schema's order and types (string views and int32 included)."""
    return pa.table([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def empty_previous() -> pa.Table:
    return PREVIOUS_SCHEMA.empty_table()
