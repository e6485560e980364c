"""portfolio: index the import that last wrote each account, installment and payment

The batch store reads only the rows of imports it has not applied yet (arrears.batch.store).

Revision ID: 0005_import_watermark
Revises: 0001_portfolio
Create Date: 2026-11-22 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_import_watermark"
down_revision: str | None = "0001_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("accounts", "installments", "payments")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_import_id"), table, ["import_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_import_id"), table_name=table)
