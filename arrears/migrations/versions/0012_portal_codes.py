"""portal: the customer's one-time sign-in codes

Revision ID: 0012_portal_codes
Revises: 0011_channels_returns
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0012_portal_codes"
down_revision: str | None = "0011_channels_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "account_id",
            sa.String(length=64),
            nullable=False,
            comment="the account number as the customer typed it",
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64),
            nullable=True,
            comment="none: not an account of ours, nothing sent",
        ),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True, comment="HMAC-SHA256 of the code"),
        sa.Column("requested_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed", sa.Integer(), nullable=False, comment="wrong codes given against it"),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_portal_codes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_messages.id"], name=op.f("fk_portal_codes_message_id_outbox_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_codes")),
    )
    op.create_index("ix_portal_codes_account_requested", "portal_codes", ["account_id", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_codes_account_requested", table_name="portal_codes")
    op.drop_table("portal_codes")
