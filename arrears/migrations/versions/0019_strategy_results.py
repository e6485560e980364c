"""strategy results: the call tasks of the collectors' work lists (from the night's call
actions), and what a confirmed serious step made (issue #15 §2)

Revision ID: 0019_strategy_results
Revises: 0018_strategies
Create Date: 2026-12-05 12:09:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0019_strategy_results"
down_revision: str | None = "0018_strategies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False, comment="the strategy's action it carries out"),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "due_on", sa.Date(), nullable=False, comment="the business day of the call (the action day)"
        ),
        sa.Column("window_start", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "best",
            sa.Boolean(),
            nullable=False,
            comment="the step asked for the customer's best time (window: best)",
        ),
        sa.Column(
            "team_id",
            sa.Integer(),
            nullable=True,
            comment="the team of the step's queue: works it while no collector holds the case",
        ),
        sa.Column("why", sa.JSON(), nullable=False, comment="the strategy step's reason (as on the action)"),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open or done"),
        sa.Column("contact_id", sa.Integer(), nullable=True, comment="the contact that did it"),
        sa.Column("done_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["strategy_actions.id"], name=op.f("fk_call_tasks_action_id_strategy_actions")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_call_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_call_tasks_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_call_tasks_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"], name=op.f("fk_call_tasks_done_by_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_call_tasks_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_tasks")),
        sa.UniqueConstraint("action_id", name=op.f("uq_call_tasks_action_id")),
    )
    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_tasks_case_id_due_on"), ["case_id", "due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_tasks_due_on_window_end"), ["due_on", "window_end"], unique=False
        )

    with op.batch_alter_table("strategy_actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "visit_id", sa.Integer(), nullable=True, comment="the field visit its confirmation planned"
            )
        )
        batch_op.add_column(
            sa.Column(
                "placement_ids",
                sa.JSON(),
                nullable=True,
                comment="the placements its confirmation made (one per account of the case)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "case_event_id",
                sa.Integer(),
                nullable=True,
                comment="the case event of the legal referral its confirmation recorded",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("strategy_actions", schema=None) as batch_op:
        batch_op.drop_column("case_event_id")
        batch_op.drop_column("placement_ids")
        batch_op.drop_column("visit_id")

    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_tasks_due_on_window_end"))
        batch_op.drop_index(batch_op.f("ix_call_tasks_case_id_due_on"))

    op.drop_table("call_tasks")
