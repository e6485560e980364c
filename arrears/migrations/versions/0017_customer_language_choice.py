"""customers: when the customer chose their language themselves (issue #14 §4)

Revision ID: 0017_customer_language_choice
Revises: 0016_ranges_state_index
Create Date: 2026-12-05 01:20:00

A language the customer chooses in the portal is theirs: the customers feed, which carries the
bank's record of the language, no longer replaces it (arrears.portfolio.loading).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0017_customer_language_choice"
down_revision: str | None = "0016_ranges_state_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column(
                "language_chosen_at",
                arrears.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="chosen by the customer (portal): the feed no longer replaces the language",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("language_chosen_at")
