"""dashboard totals: accounts per bucket and roll cells per snapshot date (issue #14 §3)

Revision ID: 0013_dashboard_totals
Revises: 0012_portal_codes
Create Date: 2026-12-04 21:40:00

Written by the nightly batch from the night's snapshot; the dashboard reads them instead of the
snapshot's ranges. Nights run before this migration: ``arrears report rebuild-totals``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_dashboard_totals"
down_revision: str | None = "0012_portal_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bucket_day_totals",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("bucket_rank", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.BigInteger(), nullable=False),
        sa.Column("outstanding", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("overdue", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.PrimaryKeyConstraint("as_of", "bucket", "currency", "product", name=op.f("pk_bucket_day_totals")),
    )
    op.create_table(
        "roll_day_cells",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("from_bucket", sa.String(length=16), nullable=False),
        sa.Column("to_bucket", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("accounts", sa.BigInteger(), nullable=False),
        sa.Column(
            "balance", sa.BigInteger(), nullable=False, comment="minor units: outstanding at the from date"
        ),
        sa.PrimaryKeyConstraint(
            "as_of",
            "since",
            "from_bucket",
            "to_bucket",
            "currency",
            "product",
            name=op.f("pk_roll_day_cells"),
        ),
    )


def downgrade() -> None:
    op.drop_table("roll_day_cells")
    op.drop_table("bucket_day_totals")
