"""channels, what comes back: SMS receipts and replies, delivery on the contact record, pay-now

Revision ID: 0011_channels_returns
Revises: 0010_channels
Create Date: 2026-12-04 17:05:00

One block per part (``_<part>_upgrade`` / ``_<part>_downgrade``), as in 0010.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0011_channels_returns"
down_revision: str | None = "0010_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _receipts_upgrade()
    _paynow_upgrade()


def downgrade() -> None:
    _paynow_downgrade()
    _receipts_downgrade()


def _receipts_upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "provider_params",
                sa.JSON(),
                nullable=True,
                comment="the template's parameters at the provider (an SMS template's), rendered when queued",
            )
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery",
                sa.String(length=16),
                nullable=True,
                comment="a message's delivery as its receipt told: delivered, failed, bounced",
            )
        )
        batch_op.add_column(
            sa.Column(
                "delivery_at",
                arrears.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="when the receipt told it",
            )
        )


def _receipts_downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("delivery_at")
        batch_op.drop_column("delivery")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("provider_params")


def _paynow_upgrade() -> None:
    with op.batch_alter_table("pay_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "message_id", sa.Integer(), nullable=True, comment="the reminder that carries it, if one"
            )
        )
        batch_op.add_column(sa.Column("cancelled_at", arrears.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_pay_links_message_id"), ["message_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_pay_links_message_id_outbox_messages"), "outbox_messages", ["message_id"], ["id"]
        )


def _paynow_downgrade() -> None:
    with op.batch_alter_table("pay_links", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pay_links_message_id_outbox_messages"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pay_links_message_id"))
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("message_id")
