"""night indexes: case accounts by account, payments by the day paid, a case's assignments

Revision ID: 0009_night_indexes
Revises: 0008_casework
Create Date: 2026-12-04 14:10:00

The nightly batch plans only the cases of the accounts whose state changed: finding the open
case that holds each of them needs ``case_accounts`` by ``account_id`` (its primary key begins
with ``case_id``). The queues' step looks for the night's progress on the cases among the
payments of a few days: ``payments`` by ``paid_on``. The case timeline reads a case's whole
assignment history (the index on ``case_id`` held only the current assignment).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_night_indexes"
down_revision: str | None = "0008_casework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_accounts_account_id", "case_accounts", ["account_id"])
    op.create_index("ix_payments_paid_on", "payments", ["paid_on"])
    op.create_index("ix_case_assignments_case_id_assigned_at", "case_assignments", ["case_id", "assigned_at"])


def downgrade() -> None:
    op.drop_index("ix_case_assignments_case_id_assigned_at", table_name="case_assignments")
    op.drop_index("ix_payments_paid_on", table_name="payments")
    op.drop_index("ix_case_accounts_account_id", table_name="case_accounts")
