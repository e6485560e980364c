"""simulation runs kept: ``arrears sim strategy --record`` stores who ran it, the two documents,
the plan and the comparison, shown again by ``arrears sim runs``, the API and the pages (issue #15
§6)

Revision ID: 0022_simulation_runs
Revises: 0021_call_transcripts
Create Date: 2026-12-05 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.db

revision: str = "0022_simulation_runs"
down_revision: str | None = "0021_call_transcripts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORED_VERSION = "the stored version with the same text, if any"


def _strategy(role: str) -> list[sa.Column[object]]:
    return [
        sa.Column(
            f"{role}_name", sa.String(length=64), nullable=False, comment="the document's strategy code"
        ),
        sa.Column(f"{role}_strategy_id", sa.Integer(), nullable=True, comment=STORED_VERSION),
        sa.Column(f"{role}_digest", sa.String(length=64), nullable=False, comment="SHA-256 of the document"),
        sa.Column(f"{role}_document", sa.Text(), nullable=False, comment="the YAML as simulated"),
    ]


def upgrade() -> None:
    op.create_table(
        "simulation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "ran_at", arrears.db.UTCDateTime(timezone=True), nullable=False, comment="when the run finished"
        ),
        sa.Column("ran_by", sa.Integer(), nullable=True),
        sa.Column(
            "ran_by_name",
            sa.String(length=100),
            nullable=False,
            comment="the actor as the audit trail names it (system:<user> on the command line)",
        ),
        *_strategy("champion"),
        *_strategy("challenger"),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("first_night", sa.Date(), nullable=False),
        sa.Column(
            "seconds", sa.Numeric(precision=12, scale=3), nullable=False, comment="elapsed, both strategies"
        ),
        sa.Column(
            "result",
            sa.JSON(),
            nullable=False,
            comment="the comparison: exact means, intervals, collected per day (see stored.py)",
        ),
        sa.ForeignKeyConstraint(["ran_by"], ["users.id"], name=op.f("fk_simulation_runs_ran_by_users")),
        sa.ForeignKeyConstraint(
            ["champion_strategy_id"],
            ["strategies.id"],
            name=op.f("fk_simulation_runs_champion_strategy_id_strategies"),
        ),
        sa.ForeignKeyConstraint(
            ["challenger_strategy_id"],
            ["strategies.id"],
            name=op.f("fk_simulation_runs_challenger_strategy_id_strategies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_runs")),
    )


def downgrade() -> None:
    op.drop_table("simulation_runs")
