"""snapshot ranges: the delinquency snapshot as validity ranges, the snapshot dates, a view of the old layout; case events

Revision ID: 0007_snapshot_ranges
Revises: 0006_access
Create Date: 2026-12-04 11:20:00

The rows of ``delinquency_snapshots`` (one per account per date) become ranges: consecutive
snapshot dates on which an account's state (everything but the DPD, which is derived from the
oldest overdue due date) is the same make one row of ``delinquency_ranges``. The old table is
replaced by a view of the same name and columns. The downgrade expands the ranges back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_snapshot_ranges"
down_revision: str | None = "0006_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = (
    "customer_id",
    "currency",
    "status",
    "overdue_since",
    "bucket",
    "bucket_rank",
    "overdue_amount",
    "outstanding_amount",
    "roll",
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _days_between(later: str, earlier: str) -> str:
    if _postgres():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _days_before(day: str, days: str) -> str:
    if _postgres():
        return f"({day} - {days})"
    return f"date({day}, '-' || {days} || ' days')"


def _same(left: str, right: str) -> str:
    return f"{left} IS NOT DISTINCT FROM {right}" if _postgres() else f"{left} IS {right}"


def view_sql() -> str:
    dpd = _days_between("d.as_of", "r.overdue_since")
    return (
        "CREATE VIEW delinquency_snapshots AS "
        "SELECT d.as_of, r.account_id, r.customer_id, r.currency, r.status, "
        f"COALESCE({dpd}, 0) AS dpd, r.bucket, r.bucket_rank, r.overdue_amount, "
        "r.outstanding_amount, r.roll "
        "FROM snapshot_dates AS d JOIN delinquency_ranges AS r "
        "ON r.valid_from <= d.as_of AND (r.valid_to IS NULL OR r.valid_to > d.as_of)"
    )


def upgrade() -> None:
    op.create_table(
        "delinquency_ranges",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False, comment="the first snapshot date"),
        sa.Column(
            "valid_to",
            sa.Date(),
            nullable=True,
            comment="the first snapshot date it no longer holds; none: still valid",
        ),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="the account's status"),
        sa.Column(
            "overdue_since",
            sa.Date(),
            nullable=True,
            comment="due date of the oldest overdue installment: DPD = as-of date minus it; none: DPD 0",
        ),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column(
            "bucket_rank", sa.Integer(), nullable=False, comment="0 = current, then the bucket table's order"
        ),
        sa.Column("overdue_amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column(
            "outstanding_amount",
            sa.BigInteger(),
            nullable=False,
            comment="minor units, schedule less net paid",
        ),
        sa.Column("roll", sa.String(length=8), nullable=False, comment="new, same, forward, back or cured"),
        sa.PrimaryKeyConstraint("account_id", "valid_from", name=op.f("pk_delinquency_ranges")),
    )
    op.create_table(
        "snapshot_dates",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_snapshot_dates")),
    )
    op.execute("INSERT INTO snapshot_dates (as_of) SELECT DISTINCT as_of FROM delinquency_snapshots")
    # Gaps and islands: a row starts a range unless the account's row of the previous snapshot
    # date holds the same state; a range ends at the next snapshot date after its last one.
    since = f"CASE WHEN s.dpd > 0 THEN {_days_before('s.as_of', 's.dpd')} END"
    unchanged = " AND ".join(_same(f"LAG({c}) OVER w", c) for c in STATE)
    columns = ", ".join(STATE)
    op.execute(
        f"""
        INSERT INTO delinquency_ranges (account_id, valid_from, valid_to, {columns})
        WITH numbered AS (
            SELECT as_of, ROW_NUMBER() OVER (ORDER BY as_of) AS n FROM snapshot_dates
        ),
        dated AS (
            SELECT s.account_id, s.as_of, d.n, s.customer_id, s.currency, s.status, {since} AS overdue_since,
                   s.bucket, s.bucket_rank, s.overdue_amount, s.outstanding_amount, s.roll
            FROM delinquency_snapshots AS s JOIN numbered AS d ON d.as_of = s.as_of
        ),
        marked AS (
            SELECT dated.*,
                   CASE WHEN LAG(n) OVER w = n - 1 AND {unchanged} THEN 0 ELSE 1 END AS starts
            FROM dated
            WINDOW w AS (PARTITION BY account_id ORDER BY as_of)
        ),
        islands AS (
            SELECT marked.*, SUM(starts) OVER (PARTITION BY account_id ORDER BY as_of) AS island
            FROM marked
        ),
        ranges AS (
            SELECT account_id, island, MIN(as_of) AS valid_from, MAX(n) AS last_n
            FROM islands GROUP BY account_id, island
        )
        SELECT r.account_id, r.valid_from, e.as_of, {", ".join(f"i.{c}" for c in STATE)}
        FROM ranges AS r
        JOIN islands AS i ON i.account_id = r.account_id AND i.as_of = r.valid_from
        LEFT JOIN numbered AS e ON e.n = r.last_n + 1
        """
    )
    op.drop_index(op.f("ix_delinquency_snapshots_customer_id_as_of"), table_name="delinquency_snapshots")
    op.drop_table("delinquency_snapshots")
    op.execute(view_sql())
    _case_events_upgrade()


def _case_events_upgrade() -> None:
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False, comment="the business date it happened on"),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="opened, reopened, bucket_changed, cured, closed, account_joined or account_left",
        ),
        sa.Column("from_bucket", sa.String(length=16), nullable=True),
        sa.Column("to_bucket", sa.String(length=16), nullable=True),
        sa.Column(
            "account_id", sa.String(length=64), nullable=True, comment="the account that joined or left"
        ),
        sa.Column("as_of", sa.Date(), nullable=False, comment="as-of date of the batch run that wrote it"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name=op.f("fk_case_events_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_as_of"), "case_events", ["as_of"], unique=False)
    op.create_index(
        op.f("ix_case_events_case_id_occurred_on"), "case_events", ["case_id", "occurred_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_events_case_id_occurred_on"), table_name="case_events")
    op.drop_index(op.f("ix_case_events_as_of"), table_name="case_events")
    op.drop_table("case_events")
    op.execute("DROP VIEW delinquency_snapshots")
    op.create_table(
        "delinquency_snapshots",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="the account's status on that date"
        ),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column(
            "bucket_rank", sa.Integer(), nullable=False, comment="0 = current, then the bucket table's order"
        ),
        sa.Column("overdue_amount", sa.BigInteger(), nullable=False, comment="minor units"),
        sa.Column(
            "outstanding_amount",
            sa.BigInteger(),
            nullable=False,
            comment="minor units, schedule less net paid",
        ),
        sa.Column("roll", sa.String(length=8), nullable=False, comment="new, same, forward, back or cured"),
        sa.PrimaryKeyConstraint("as_of", "account_id", name=op.f("pk_delinquency_snapshots")),
    )
    op.create_index(
        op.f("ix_delinquency_snapshots_customer_id_as_of"),
        "delinquency_snapshots",
        ["customer_id", "as_of"],
        unique=False,
    )
    dpd = _days_between("d.as_of", "r.overdue_since")
    op.execute(
        "INSERT INTO delinquency_snapshots (as_of, account_id, customer_id, status, currency, dpd, bucket, "
        "bucket_rank, overdue_amount, outstanding_amount, roll) "
        f"SELECT d.as_of, r.account_id, r.customer_id, r.status, r.currency, COALESCE({dpd}, 0), r.bucket, "
        "r.bucket_rank, r.overdue_amount, r.outstanding_amount, r.roll "
        "FROM snapshot_dates AS d JOIN delinquency_ranges AS r "
        "ON r.valid_from <= d.as_of AND (r.valid_to IS NULL OR r.valid_to > d.as_of)"
    )
    op.drop_table("snapshot_dates")
    op.drop_table("delinquency_ranges")
