"""compliance: the audit table of the contact gate's decisions

Revision ID: 0002_compliance
Revises: 0001_portfolio
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0002_compliance"
down_revision: str | None = "0001_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("decided_at", arrears.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "customer_id", sa.String(length=64), nullable=True, comment="the customer the request is about"
        ),
        sa.Column("pack", sa.String(length=16), nullable=False, comment="cn, us-regf or uk-fca"),
        sa.Column(
            "pack_version",
            sa.String(length=64),
            nullable=False,
            comment="the pack's version, +tenant when tightened",
        ),
        sa.Column("decision", sa.String(length=8), nullable=False, comment="allow, block or review"),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False, comment="rule id and messages in zh-CN and en"),
        sa.Column("next_allowed_at", arrears.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("tightened", sa.JSON(), nullable=False, comment="the bank's tightening of the pack"),
        sa.Column(
            "requested_by",
            sa.String(length=100),
            nullable=True,
            comment="the path that asked: strategy, collector ...",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_decisions")),
    )
    with op.batch_alter_table("compliance_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_decisions_customer_id_decided_at"),
            ["customer_id", "decided_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_compliance_decisions_decision"), ["decision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compliance_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_decisions_decision"))
        batch_op.drop_index(batch_op.f("ix_compliance_decisions_customer_id_decided_at"))
    op.drop_table("compliance_decisions")
