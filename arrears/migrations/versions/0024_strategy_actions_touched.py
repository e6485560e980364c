"""the index of the strategy's actions by night and action also holds the case, so that the
fairness report finds the cases each night contacted or escalated in the index alone instead of
reading every action's row (issue #15 §2: the 10M night within 3 minutes)

Revision ID: 0024_strategy_actions_touched
Revises: 0023_case_worst_account
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_strategy_actions_touched"
down_revision: str | None = "0023_case_worst_account"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_strategy_actions_as_of_action", table_name="strategy_actions")
    op.create_index(
        "ix_strategy_actions_as_of_action_case_id", "strategy_actions", ["as_of", "action", "case_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_strategy_actions_as_of_action_case_id", table_name="strategy_actions")
    op.create_index("ix_strategy_actions_as_of_action", "strategy_actions", ["as_of", "action"])
