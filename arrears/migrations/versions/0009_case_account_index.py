"""case accounts by account: the case an account is in, found without scanning every case

Revision ID: 0009_case_account_index
Revises: 0008_casework
Create Date: 2026-12-04 14:10:00

The nightly batch plans only the cases of the accounts whose state changed; finding the open
case that holds each of them needs ``case_accounts`` by ``account_id`` (its primary key begins
with ``case_id``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_case_account_index"
down_revision: str | None = "0008_casework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_accounts_account_id", "case_accounts", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_case_accounts_account_id", table_name="case_accounts")
