"""The portfolio as Arrow frames: one schema per frame, declared here once.

Every reader and writer of these columns (the portfolio's repository, the delinquency
engines, the batch store, the scoring inputs, the generator's book) takes its schema from
here, or a part of it (``arrears.db.arrow.columns_of``). Pure Arrow: no database code.
"""

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
"""The accounts as the delinquency definition reads them."""
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
ACCOUNT_TERMS_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("product", pa.string()),
        ("currency", pa.string()),
        ("opened_on", pa.date32()),
        ("credit_limit", pa.int64()),
    ]
)
"""The accounts' terms, as scoring's features read them."""
CUSTOMER_BIRTHS_SCHEMA = pa.schema([("customer_id", pa.string()), ("birth_date", pa.date32())])
"""The customers' birth dates, as scoring's features read them."""


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
