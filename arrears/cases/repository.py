"""Queries of cases: open cases and their accounts in bulk, undoing a date, applying changes in bulk."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from sqlalchemy import Connection, delete, func, select, text, update

from arrears.cases.models import CASE_OPEN, Case, CaseAccount
from arrears.db.arrow import insert_arrow, read_arrow

OPEN_CASES_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("customer_id", pa.string()), ("opened_on", pa.date32())]
)
MEMBERS_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("account_id", pa.string()), ("joined_on", pa.date32())]
)
CASE_COLUMNS = [c.name for c in Case.__table__.columns]
CASE_ACCOUNT_COLUMNS = [c.name for c in CaseAccount.__table__.columns]
_UPDATED = [c for c in CASE_COLUMNS if c not in ("case_id", "customer_id", "opened_on")]


def latest_case_date(connection: Connection) -> date | None:
    """The last as-of date the batch applied to cases."""
    return connection.execute(select(func.max(Case.updated_on))).scalar()


def undo_date(connection: Connection, as_of: date) -> None:
    """Take back what the batch of ``as_of`` did to cases, before that date is applied again."""
    opened = select(Case.case_id).where(Case.opened_on == as_of).scalar_subquery()
    connection.execute(delete(CaseAccount).where(CaseAccount.case_id.in_(opened)))
    connection.execute(delete(Case).where(Case.opened_on == as_of))
    connection.execute(delete(CaseAccount).where(CaseAccount.joined_on == as_of))
    connection.execute(
        update(Case)
        .where(Case.closed_on == as_of)
        .values(status=CASE_OPEN, closed_on=None, close_reason=None)
    )


def read_open_cases(connection: Connection) -> tuple[pa.Table, pa.Table]:
    cases = read_arrow(
        connection,
        f"SELECT case_id, customer_id, opened_on FROM cases WHERE status = '{CASE_OPEN}'",
        OPEN_CASES_SCHEMA,
    )
    members = read_arrow(
        connection,
        "SELECT m.case_id, m.account_id, m.joined_on FROM case_accounts m "
        f"JOIN cases c ON c.case_id = m.case_id WHERE c.status = '{CASE_OPEN}'",
        MEMBERS_SCHEMA,
    )
    return cases, members


def apply_changes(
    connection: Connection, new_cases: pa.Table, changed_cases: pa.Table, members: pa.Table
) -> None:
    """Insert new cases, update the open ones and rewrite the accounts of every case touched, in bulk."""
    insert_arrow(connection, "cases", new_cases.select(CASE_COLUMNS))
    if changed_cases.num_rows:
        _bulk_update_cases(connection, changed_cases)
        connection.execute(
            text("DELETE FROM case_accounts WHERE case_id IN (SELECT case_id FROM tmp_case_changes)")
        )
        connection.execute(text("DROP TABLE tmp_case_changes"))
    insert_arrow(connection, "case_accounts", members.select(CASE_ACCOUNT_COLUMNS))


def _bulk_update_cases(connection: Connection, changed: pa.Table) -> None:
    connection.execute(
        text(
            "CREATE TEMPORARY TABLE tmp_case_changes (case_id VARCHAR(100) PRIMARY KEY, status VARCHAR(16), "
            "closed_on DATE, close_reason VARCHAR(16), worst_dpd INTEGER, bucket VARCHAR(16), "
            "overdue_total BIGINT, currency VARCHAR(3), account_count INTEGER, updated_on DATE)"
        )
    )
    insert_arrow(connection, "tmp_case_changes", changed.select(["case_id", *_UPDATED]))
    assignments = ", ".join(f"{c} = tmp_case_changes.{c}" for c in _UPDATED)
    connection.execute(
        text(
            f"UPDATE cases SET {assignments} FROM tmp_case_changes "
            "WHERE cases.case_id = tmp_case_changes.case_id"
        )
    )


def count_by_status(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(Case.status, func.count()).group_by(Case.status)).tuples()
    return dict(rows.all())


# --- Queries other contexts ask of cases (scoring's nightly step). ---------------------------


def read_open_case_accounts(connection: Connection) -> pa.Table:
    """The accounts of the open cases (case_id, account_id, joined_on), in the caller's
    transaction: it sees the cases the batch has just applied."""
    return read_arrow(
        connection,
        "SELECT m.case_id, m.account_id, m.joined_on FROM case_accounts AS m "
        "JOIN cases AS c ON c.case_id = m.case_id WHERE c.status = :open",
        MEMBERS_SCHEMA,
        {"open": CASE_OPEN},
    )
