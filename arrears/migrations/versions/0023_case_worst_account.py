"""each case names its worst account (the one whose bucket and currency it takes), so that the
night's queues and strategy read its product by key instead of ranking every open case's
accounts again (issue #15 §2: the 10M night within 3 minutes)

Revision ID: 0023_case_worst_account
Revises: 0022_simulation_runs
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_case_worst_account"
down_revision: str | None = "0022_simulation_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORST_FIRST = """
UPDATE cases SET worst_account_id = (
    SELECT ca.account_id FROM case_accounts ca
    WHERE ca.case_id = cases.case_id
    ORDER BY ca.dpd DESC, ca.overdue_amount DESC, ca.account_id
    LIMIT 1
)
"""
"""The cases step's order (arrears.cases.service, ``worst_first``), for the cases already there."""


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "worst_account_id",
                sa.String(length=100),
                nullable=True,
                comment="the account with the worst DPD (then the largest overdue, then the smallest id), "
                "whose bucket and currency the case takes; the queues and the strategy read its product",
            )
        )
    op.execute(WORST_FIRST)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("worst_account_id")
