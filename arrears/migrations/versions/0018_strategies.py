"""strategies: versioned documents, where each case stands, the nights evaluated and the actions
chosen (issue #15 §1, §2)

Revision ID: 0018_strategies
Revises: 0017_customer_language_choice
Create Date: 2026-12-05 07:06:47
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0018_strategies"
down_revision: str | None = "0017_customer_language_choice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_segments",
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False, comment="the strategy's code"),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column(
            "arm", sa.String(length=130), nullable=False, comment="experiment:arm, empty outside experiments"
        ),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_segments_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_segments")),
    )
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column(
            "number", sa.Integer(), nullable=False, comment="1, 2, … within the code: the version people name"
        ),
        sa.Column("document", sa.Text(), nullable=False, comment="the YAML as written"),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="SHA-256 of the document"),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="draft, approved, rejected or retired"
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("drafted_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("drafted_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=True, comment="the first night it chooses actions"),
        sa.Column("version", sa.Integer(), nullable=False, comment="1 when written, one more on each change"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_strategies_decided_by_users")),
        sa.ForeignKeyConstraint(["drafted_by"], ["users.id"], name=op.f("fk_strategies_drafted_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("code", "number", name=op.f("uq_strategies_code_number")),
    )
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_strategies_status_active_from"), ["status", "active_from"], unique=False
        )

    op.create_table(
        "strategy_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False, comment="case, segment, entry, day, action"),
        sa.Column("as_of", sa.Date(), nullable=False, comment="the night that chose it"),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column(
            "arm", sa.String(length=130), nullable=False, comment="experiment:arm, empty outside experiments"
        ),
        sa.Column("path", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False, comment="the day in the segment the step is for"),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False, comment="template, window, queue, agency…"),
        sa.Column(
            "planned_at",
            arrears.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="when it is to happen (a window's start)",
        ),
        sa.Column("window_end", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("needs_confirmation", sa.Boolean(), nullable=False),
        sa.Column(
            "verdict", sa.String(length=8), nullable=True, comment="the gate's: allow, block or review"
        ),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False, comment="the gate's reasons, in every language"),
        sa.Column("next_allowed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("why", sa.JSON(), nullable=False, comment="facts matched, score and reason"),
        sa.Column("decided_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_strategy_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_strategy_actions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_strategy_actions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_strategy_actions_strategy_id_strategies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_actions")),
        sa.UniqueConstraint("key", name=op.f("uq_strategy_actions_key")),
    )
    with op.batch_alter_table("strategy_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_strategy_actions_as_of_action"), ["as_of", "action"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_strategy_actions_case_id_as_of"), ["case_id", "as_of"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_strategy_actions_status_planned_at"), ["status", "planned_at"], unique=False
        )

    op.create_table(
        "strategy_runs",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("finished_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_strategy_runs_strategy_id_strategies")
        ),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_strategy_runs")),
    )

    op.create_table(
        "experiment_members",
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=64), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_experiment_members_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name=op.f("fk_experiment_members_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_experiment_members_strategy_id_strategies")
        ),
        sa.PrimaryKeyConstraint("experiment", "case_id", name=op.f("pk_experiment_members")),
    )
    with op.batch_alter_table("experiment_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experiment_members_experiment_entered_on"),
            ["experiment", "entered_on"],
            unique=False,
        )

    op.create_table(
        "experiment_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column(
            "outcome", sa.String(length=16), nullable=False, comment="promote, keep_champion or extend"
        ),
        sa.Column("arm", sa.String(length=64), nullable=True, comment="the arm promoted"),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False, comment="the report the decision rested on"),
        sa.Column("decided_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_experiment_decisions_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_decisions")),
    )
    with op.batch_alter_table("experiment_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiment_decisions_experiment"), ["experiment"], unique=False)


def downgrade() -> None:
    op.drop_table("experiment_decisions")
    op.drop_table("experiment_members")
    op.drop_table("strategy_runs")
    with op.batch_alter_table("strategy_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strategy_actions_status_planned_at"))
        batch_op.drop_index(batch_op.f("ix_strategy_actions_case_id_as_of"))
        batch_op.drop_index(batch_op.f("ix_strategy_actions_as_of_action"))

    op.drop_table("strategy_actions")
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strategies_status_active_from"))

    op.drop_table("strategies")
    op.drop_table("case_segments")
