"""batch: delinquency snapshots, batch runs, cases and case accounts

Revision ID: 0003_batch
Revises: 0001_portfolio
Create Date: 2026-11-22 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0003_batch"
down_revision: str | None = "0001_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delinquency_snapshots",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="the account's status on that date"
        ),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column(
            "bucket_rank", sa.Integer(), nullable=False, comment="0 = current, then the bucket table's order"
        ),
        sa.Column("overdue_amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column(
            "outstanding_amount",
            sa.BigInteger(),
            nullable=False,
            comment="minor units, schedule less net paid",
        ),
        sa.Column("roll", sa.String(length=8), nullable=False, comment="new, same, forward, back or cured"),
        sa.PrimaryKeyConstraint("as_of", "account_id", name=op.f("pk_delinquency_snapshots")),
    )
    op.create_index(
        op.f("ix_delinquency_snapshots_customer_id_as_of"),
        "delinquency_snapshots",
        ["customer_id", "as_of"],
        unique=False,
    )
    op.create_table(
        "batch_runs",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="succeeded or failed"),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("delinquent", sa.Integer(), nullable=False),
        sa.Column("cases_opened", sa.Integer(), nullable=False),
        sa.Column("cases_closed", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_batch_runs")),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open or closed"),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column(
            "close_reason", sa.String(length=16), nullable=True, comment="cured, paid_off or written_off"
        ),
        sa.Column("worst_dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False, comment="bucket of the worst DPD"),
        sa.Column(
            "overdue_total",
            sa.BigInteger(),
            nullable=False,
            comment="minor units of `currency`: overdue of the case's accounts in that currency",
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="currency of the account with the worst DPD",
        ),
        sa.Column("account_count", sa.Integer(), nullable=False),
        sa.Column(
            "updated_on", sa.Date(), nullable=False, comment="as-of date of the batch that last touched it"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_cases_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
    )
    op.create_index(
        "uq_cases_open_customer",
        "cases",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(op.f("ix_cases_status_updated_on"), "cases", ["status", "updated_on"], unique=False)
    op.create_table(
        "case_accounts",
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("delinquent", sa.Boolean(), nullable=False, comment="active and past the first bucket"),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("overdue_amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_case_accounts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_accounts_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "account_id", name=op.f("pk_case_accounts")),
    )


def downgrade() -> None:
    op.drop_table("case_accounts")
    op.drop_index(op.f("ix_cases_status_updated_on"), table_name="cases")
    op.drop_index("uq_cases_open_customer", table_name="cases")
    op.drop_table("cases")
    op.drop_table("batch_runs")
    op.drop_index(op.f("ix_delinquency_snapshots_customer_id_as_of"), table_name="delinquency_snapshots")
    op.drop_table("delinquency_snapshots")
