"""call transcripts checked turn by turn, and reviewers' verdicts on the checker's findings
(issue #16 §2: conversation quality assurance)

Revision ID: 0021_call_transcripts
Revises: 0020_account_product_changes
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from arrears.db import UTCDateTime

revision: str = "0021_call_transcripts"
down_revision: str | None = "0020_account_product_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_transcripts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "collector_id", sa.Integer(), nullable=True, comment="who made the call (the contact's recorder)"
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "week",
            sa.Date(),
            nullable=False,
            comment="the Monday of the call's business day (scores per week)",
        ),
        sa.Column("language", sa.String(length=16), nullable=True, comment="as the speech-to-text gave it"),
        sa.Column("source", sa.String(length=8), nullable=False, comment="file or api"),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column(
            "score",
            sa.Integer(),
            nullable=False,
            comment="100 less each finding's weight by severity, at least 0",
        ),
        sa.Column(
            "checked_with", sa.String(length=200), nullable=False, comment="the conduct rules' version"
        ),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column(
            "sample_band", sa.String(length=16), nullable=True, comment="the score band it was drawn from"
        ),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True, comment="none: the system"),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_call_transcripts_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"], ["users.id"], name=op.f("fk_call_transcripts_collector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_call_transcripts_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name=op.f("fk_call_transcripts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_call_transcripts_imported_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_call_transcripts_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_call_transcripts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_transcripts")),
    )
    op.create_index(op.f("ix_call_transcripts_contact_id"), "call_transcripts", ["contact_id"], unique=True)
    op.create_index(
        op.f("ix_call_transcripts_review_state_week"),
        "call_transcripts",
        ["review_state", "week"],
        unique=False,
    )
    op.create_index(
        op.f("ix_call_transcripts_week_collector_id"),
        "call_transcripts",
        ["week", "collector_id"],
        unique=False,
    )
    op.create_table(
        "qa_verdicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, comment="the turn"),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_qa_verdicts_reviewed_by_users")),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["call_transcripts.id"],
            name=op.f("fk_qa_verdicts_transcript_id_call_transcripts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_verdicts")),
        sa.UniqueConstraint(
            "transcript_id", "seq", "category", name=op.f("uq_qa_verdicts_transcript_id_seq_category")
        ),
    )
    op.create_index(
        op.f("ix_qa_verdicts_category_verdict"), "qa_verdicts", ["category", "verdict"], unique=False
    )
    op.create_table(
        "transcript_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, comment="the turn's place in the call, from 1"),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "findings",
            sa.JSON(),
            nullable=False,
            comment="category, rule, rule_ids, severity, start, end, evidence",
        ),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["call_transcripts.id"],
            name=op.f("fk_transcript_turns_transcript_id_call_transcripts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_turns")),
        sa.UniqueConstraint("transcript_id", "seq", name=op.f("uq_transcript_turns_transcript_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("transcript_turns")
    op.drop_index(op.f("ix_qa_verdicts_category_verdict"), table_name="qa_verdicts")
    op.drop_table("qa_verdicts")
    op.drop_index(op.f("ix_call_transcripts_week_collector_id"), table_name="call_transcripts")
    op.drop_index(op.f("ix_call_transcripts_review_state_week"), table_name="call_transcripts")
    op.drop_index(op.f("ix_call_transcripts_contact_id"), table_name="call_transcripts")
    op.drop_table("call_transcripts")
