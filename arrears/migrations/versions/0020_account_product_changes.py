"""the accounts whose product changed since the roll cells were written (issue #15 §2: the night
carries the dashboard's roll cells forward from the previous night instead of recounting the
window)

Revision ID: 0020_account_product_changes
Revises: 0019_strategy_results
Create Date: 2026-12-05 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_account_product_changes"
down_revision: str | None = "0019_strategy_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_product_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("product_was", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_product_changes")),
    )
    op.create_index(op.f("ix_account_product_changes_account_id"), "account_product_changes", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_product_changes_account_id"), table_name="account_product_changes")
    op.drop_table("account_product_changes")
