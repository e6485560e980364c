"""dashboard: payments per day paid, currency and product, outbound contacts per day, team,
collector and disposition, and the days changed since of each; the
indexes of the batch's flows and the promises' outcomes (issue #14 §3)

Revision ID: 0014_payment_totals
Revises: 0013_dashboard_totals
Create Date: 2026-12-05 00:20:00

Written by the nightly batch; the dashboard reads them instead of the payments for the days they
cover. Empty after the upgrade (the dashboard reads every day from the payments) until the next
night or ``arrears report rebuild-totals``. The entries and cures read the period's events of
three kinds (``case_events`` by ``kind, occurred_on``: an index-only scan, not every event ever), the
promises' figure the period's settled promises (``promises`` by ``status, closed_on``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_payment_totals"
down_revision: str | None = "0013_dashboard_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_day_totals",
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="minor units: payments less reversals"),
        sa.Column("payments", sa.BigInteger(), nullable=False, comment="payments, reversals not counted"),
        sa.PrimaryKeyConstraint("paid_on", "currency", "product", name=op.f("pk_payment_day_totals")),
    )
    op.create_table(
        "payment_day_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_day_changes")),
    )
    op.create_index(op.f("ix_payment_day_changes_paid_on"), "payment_day_changes", ["paid_on"])
    op.create_table(
        "contact_day_totals",
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False, comment="teams.id; 0: none"),
        sa.Column("recorded_by", sa.Integer(), nullable=False, comment="users.id; 0: the system"),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("contacts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "started_on", "team_id", "recorded_by", "disposition", name=op.f("pk_contact_day_totals")
        ),
    )
    op.create_table(
        "contact_day_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_day_changes")),
    )
    op.create_index(op.f("ix_contact_day_changes_started_on"), "contact_day_changes", ["started_on"])
    op.create_index("ix_case_events_kind_occurred_on", "case_events", ["kind", "occurred_on"])
    op.create_index("ix_promises_status_closed_on", "promises", ["status", "closed_on"])


def downgrade() -> None:
    op.drop_index("ix_promises_status_closed_on", table_name="promises")
    op.drop_index("ix_case_events_kind_occurred_on", table_name="case_events")
    op.drop_index(op.f("ix_contact_day_changes_started_on"), table_name="contact_day_changes")
    op.drop_table("contact_day_changes")
    op.drop_table("contact_day_totals")
    op.drop_index(op.f("ix_payment_day_changes_paid_on"), table_name="payment_day_changes")
    op.drop_table("payment_day_changes")
    op.drop_table("payment_day_totals")
