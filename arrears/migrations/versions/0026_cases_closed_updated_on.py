"""the cases' index on (status, updated_on) becomes an index of the closed cases' updated_on: each
night moves every open case's updated_on (its DPD grows in place), so the old index had 1.4M
entries deleted and inserted again every night at 10M accounts, for reads that scan the open cases
anyway; the closed cases' dates never move, and a rerun of a night finds the cases it closed by
this index (issue #15 §2: the 10M night within 3 minutes)

Revision ID: 0026_cases_closed_updated_on
Revises: 0025_sqlite_instants_as_written
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_cases_closed_updated_on"
down_revision: str | None = "0025_sqlite_instants_as_written"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED = sa.text("status = 'closed'")


def upgrade() -> None:
    op.drop_index("ix_cases_status_updated_on", table_name="cases")
    op.create_index(
        "ix_cases_closed_updated_on",
        "cases",
        ["updated_on"],
        sqlite_where=CLOSED,
        postgresql_where=CLOSED,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_closed_updated_on", table_name="cases")
    op.create_index("ix_cases_status_updated_on", "cases", ["status", "updated_on"])
