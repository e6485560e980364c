"""on SQLite, the instants the night wrote in bulk (the strategy's actions and the call tasks made
from them) are stored as every other instant is: UTC text without an offset, to the microsecond
("2026-12-08 01:00:00.000000"). Bulk writes had left Python's default form ("2026-12-08
01:00:00+00:00"), which sorts before the same instant written by the ORM, so a comparison at the
very second could go the wrong way. PostgreSQL keeps timestamptz and is not touched.

Revision ID: 0025_sqlite_instants_as_written
Revises: 0024_strategy_actions_touched
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_sqlite_instants_as_written"
down_revision: str | None = "0024_strategy_actions_touched"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITTEN_IN_BULK = {
    "strategy_actions": ("planned_at", "window_end", "next_allowed_at"),
    "call_tasks": ("window_start", "window_end"),
}
"""The columns the night filled through ``insert_arrow`` (call tasks copy the actions' windows)."""


def as_written(column: str) -> str:
    """'2026-12-08 01:00:00+00:00' → '2026-12-08 01:00:00.000000'; '…:00.000005+00:00' → '…:00.000005'."""
    return (
        f"substr({column}, 1, 19) || CASE WHEN substr({column}, 20, 1) = '.' "
        f"THEN substr({column}, 20, 7) ELSE '.000000' END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in WRITTEN_IN_BULK.items():
        for column in columns:
            op.execute(f"UPDATE {table} SET {column} = {as_written(column)} WHERE {column} LIKE '%+00:00'")


def downgrade() -> None:
    """Nothing to undo: the older code reads both forms."""
