"""channels: the outbox, its events, message templates

Revision ID: 0010_channels
Revises: 0009_night_indexes
Create Date: 2026-12-04 14:45:58

One block per part of the channels context (``_<part>_upgrade`` / ``_<part>_downgrade``), so that
each part's tables read together.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0010_channels"
down_revision: str | None = "0009_night_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _templates_upgrade()
    _outbox_upgrade()
    _payments_upgrade()
    _letters_upgrade()
    _paylinks_upgrade()


def downgrade() -> None:
    _paylinks_downgrade()
    _letters_downgrade()
    _payments_downgrade()
    _outbox_downgrade()
    _templates_downgrade()


def _templates_upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="e.g. promise_reminder"),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, … per code, channel and language"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True, comment="e-mail and letter"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("late_policy", sa.String(length=8), nullable=False),
        sa.Column(
            "valid_hours",
            sa.Integer(),
            nullable=True,
            comment="a message of it expires this long after it was queued; none: never",
        ),
        sa.Column(
            "settings",
            sa.JSON(),
            nullable=True,
            comment="per channel: the SMS provider's template code, a letter's layout …",
        ),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("retired_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_message_templates_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_message_templates_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint(
            "code",
            "channel",
            "language",
            "number",
            name=op.f("uq_message_templates_code_channel_language_number"),
        ),
    )
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_templates_code_channel_status"),
            ["code", "channel", "status"],
            unique=False,
        )
        batch_op.create_index(
            "uq_message_templates_approved",
            ["code", "channel", "language"],
            unique=True,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )


def _templates_downgrade() -> None:
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_index("uq_message_templates_approved")
        batch_op.drop_index(batch_op.f("ix_message_templates_code_channel_status"))
    op.drop_table("message_templates")


def _outbox_upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False, comment="one message per key"),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column(
            "purpose",
            sa.String(length=32),
            nullable=False,
            comment="what caused it: manual, promise_reminder, plan_reminder, broken_promise, …",
        ),
        sa.Column("case_id", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "contact_point_id",
            sa.Integer(),
            nullable=True,
            comment="the phone or e-mail; none for a letter to the address",
        ),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False, comment="as rendered when queued"),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="not sent before",
        ),
        sa.Column(
            "not_after",
            arrears.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="expires when not sent by then",
        ),
        sa.Column(
            "late_policy",
            sa.String(length=8),
            nullable=False,
            comment="wait or expire, when the gate puts it off",
        ),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("stop_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            nullable=True,
            comment="the contact record of the send or of the refusal",
        ),
        sa.Column("created_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True, comment="none: the system"),
        sa.Column("sent_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "settled_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="when it reached a final state",
        ),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_outbox_messages_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_outbox_messages_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_outbox_messages_contact_point_id_contact_points"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_outbox_messages_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_outbox_messages_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_templates.id"],
            name=op.f("fk_outbox_messages_template_id_message_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_case_id_created_at"), ["case_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_customer_id_created_at"),
            ["customer_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_provider_provider_message_id"),
            ["provider", "provider_message_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_state_channel_next_attempt_at"),
            ["state", "channel", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="the state entered, or attempt, receipt, reply",
        ),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column(
            "provider_event_id",
            sa.String(length=200),
            nullable=True,
            comment="a receipt's own id: the same receipt twice is taken once",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_messages.id"], name=op.f("fk_message_events_message_id_outbox_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
        sa.UniqueConstraint("provider_event_id", name=op.f("uq_message_events_provider_event_id")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_events_message_id_at"), ["message_id", "at"], unique=False
        )


def _outbox_downgrade() -> None:
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_events_message_id_at"))

    op.drop_table("message_events")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_state_channel_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_provider_provider_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_customer_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_case_id_created_at"))

    op.drop_table("outbox_messages")


def _payments_upgrade() -> None:
    # a payment posted during the day rests its case in next case until the end of that day
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "skip_until",
                arrears.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="next case passes the case over until then (a payment posted during the day: "
                "the end of that business day)",
            )
        )


def _payments_downgrade() -> None:
    with op.batch_alter_table("case_queues", schema=None) as batch_op:
        batch_op.drop_column("skip_until")


def _letters_upgrade() -> None:
    # a permanent e-mail bounce marks its contact point: the outbox's worker stops messages to it
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "invalid_at",
                arrears.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="found not to work (a permanent e-mail bounce): the outbox sends nothing to it",
            )
        )
        batch_op.add_column(
            sa.Column(
                "invalid_reason", sa.String(length=200), nullable=True, comment="why, e.g. bounce 5.1.1"
            )
        )


def _letters_downgrade() -> None:
    with op.batch_alter_table("contact_points", schema=None) as batch_op:
        batch_op.drop_column("invalid_reason")
        batch_op.drop_column("invalid_at")


def _paylinks_upgrade() -> None:
    op.create_table(
        "pay_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the token, hex"),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False, comment="accounts.account_id"),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units, fixed when issued"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "provider_reference",
            sa.String(length=64),
            nullable=False,
            comment="the merchant's order number at the provider (out_trade_no)",
        ),
        sa.Column("status", sa.String(length=16), nullable=False, comment="issued, used, expired, cancelled"),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_pay_links_case_id_cases")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_pay_links_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_links")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_pay_links_provider_reference")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pay_links_token_hash")),
    )
    with op.batch_alter_table("pay_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_links_case_id"), ["case_id"], unique=False)

    op.create_table(
        "pending_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "trade_no",
            sa.String(length=64),
            nullable=False,
            comment="the provider's trade number: one confirmation taken once",
        ),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False, comment="accounts.account_id"),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "paid_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="the provider's gmt_payment",
        ),
        sa.Column("received_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="pending, confirmed"),
        sa.Column(
            "payment_id",
            sa.String(length=64),
            nullable=True,
            comment="the core system's posted payment that confirmed it",
        ),
        sa.Column("confirmed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_pending_payments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["pay_links.id"], name=op.f("fk_pending_payments_link_id_pay_links")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_payments")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_pending_payments_payment_id")),
        sa.UniqueConstraint("trade_no", name=op.f("uq_pending_payments_trade_no")),
    )
    with op.batch_alter_table("pending_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_payments_link_id"), ["link_id"], unique=False)


def _paylinks_downgrade() -> None:
    with op.batch_alter_table("pending_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_payments_link_id"))
    op.drop_table("pending_payments")
    with op.batch_alter_table("pay_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_links_case_id"))
    op.drop_table("pay_links")
