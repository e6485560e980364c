"""Queries of cases: the cases a date works on, and applying the batch's plan in place, in bulk.

Functions over the caller's connection; none commits. Nothing here deletes a case: a case's id
lasts its whole life (see :mod:`arrears.cases.models`).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from sqlalchemy import Connection, func, select, text

from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.db.arrow import insert_arrow, read_arrow

CANDIDATE_CASES_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("customer_id", pa.string()), ("opened_on", pa.date32())]
)
MEMBERS_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("account_id", pa.string()), ("joined_on", pa.date32())]
)
CASE_COLUMNS = [c.name for c in Case.__table__.columns]
CASE_ACCOUNT_COLUMNS = [c.name for c in CaseAccount.__table__.columns]
CASE_KEY = ("case_id",)
CASE_ACCOUNT_KEY = ("case_id", "account_id")
CASE_FIGURES = [c for c in CASE_COLUMNS if c not in ("case_id", "customer_id", "opened_on")]
CASE_ACCOUNT_FIGURES = [c for c in CASE_ACCOUNT_COLUMNS if c not in CASE_ACCOUNT_KEY]


def latest_case_date(connection: Connection) -> date | None:
    """The last as-of date the batch applied to cases."""
    return connection.execute(select(func.max(Case.updated_on))).scalar()


def read_candidates(connection: Connection, as_of: date) -> tuple[pa.Table, pa.Table]:
    """The cases open at the start of ``as_of`` and their accounts.

    Those are the open cases and, when ``as_of`` is run again, the cases that its first run
    closed (they carry ``updated_on = as_of``): the rerun decides again whether they close.
    """
    where = "status = :open OR (status = :closed AND updated_on = :as_of)"
    params = {"open": str(CaseStatus.OPEN), "closed": str(CaseStatus.CLOSED), "as_of": as_of}
    cases = read_arrow(
        connection,
        f"SELECT case_id, customer_id, opened_on FROM cases WHERE {where}",
        CANDIDATE_CASES_SCHEMA,
        params,
    )
    members = read_arrow(
        connection,
        "SELECT m.case_id, m.account_id, m.joined_on FROM case_accounts m "
        f"JOIN cases ON cases.case_id = m.case_id WHERE {where}",
        MEMBERS_SCHEMA,
        params,
    )
    return cases, members


def apply_plan(
    connection: Connection,
    new_cases: pa.Table,
    changed_cases: pa.Table,
    members: pa.Table,
    left: pa.Table,
) -> None:
    """Write the batch's plan in place: insert new cases and accounts, update the others' figures,
    and take out the accounts that a rerun of the date no longer finds in their case (``left``)."""
    insert_arrow(connection, "cases", new_cases.select(CASE_COLUMNS))
    _update_from(connection, "cases", changed_cases.select(CASE_COLUMNS), CASE_KEY, CASE_FIGURES)
    is_new = members.column("is_new")
    insert_arrow(connection, "case_accounts", members.filter(is_new).select(CASE_ACCOUNT_COLUMNS))
    kept = members.filter(pa.compute.invert(is_new)).select(CASE_ACCOUNT_COLUMNS)
    _update_from(connection, "case_accounts", kept, CASE_ACCOUNT_KEY, CASE_ACCOUNT_FIGURES)
    if left.num_rows:
        _stage(connection, "tmp_case_accounts_left", left.select(list(CASE_ACCOUNT_KEY)), CASE_ACCOUNT_KEY)
        connection.execute(
            text(
                "DELETE FROM case_accounts WHERE EXISTS (SELECT 1 FROM tmp_case_accounts_left t "
                "WHERE t.case_id = case_accounts.case_id AND t.account_id = case_accounts.account_id)"
            )
        )
        connection.execute(text("DROP TABLE tmp_case_accounts_left"))


def _update_from(
    connection: Connection, table: str, rows: pa.Table, key: tuple[str, ...], columns: list[str]
) -> None:
    """UPDATE ``table`` from ``rows`` by ``key`` in one statement, through a temporary table."""
    if rows.num_rows == 0:
        return
    staged = f"tmp_{table}_changes"
    _stage(connection, staged, rows, key)
    assignments = ", ".join(f"{c} = {staged}.{c}" for c in columns)
    matches = " AND ".join(f"{table}.{c} = {staged}.{c}" for c in key)
    connection.execute(text(f"UPDATE {table} SET {assignments} FROM {staged} WHERE {matches}"))
    connection.execute(text(f"DROP TABLE {staged}"))


def _stage(connection: Connection, name: str, rows: pa.Table, key: tuple[str, ...]) -> None:
    """A temporary table keyed by ``key``, with the columns (and SQL types) of ``rows``' namesakes
    in the case tables, holding ``rows``."""
    types = {c.name: c.type.compile(connection.dialect) for c in Case.__table__.columns}
    types.update({c.name: c.type.compile(connection.dialect) for c in CaseAccount.__table__.columns})
    columns = ", ".join(f"{column} {types[column]}" for column in rows.schema.names)
    primary_key = ", ".join(key)
    connection.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns}, PRIMARY KEY ({primary_key}))"))
    insert_arrow(connection, name, rows)


# --- Queries other contexts ask of cases (scoring's nightly step). ---------------------------


def read_open_case_accounts(connection: Connection) -> pa.Table:
    """The accounts of the open cases (case_id, account_id, joined_on), in the caller's
    transaction: it sees the cases the batch has just applied."""
    return read_arrow(
        connection,
        "SELECT m.case_id, m.account_id, m.joined_on FROM case_accounts AS m "
        "JOIN cases AS c ON c.case_id = m.case_id WHERE c.status = :open",
        MEMBERS_SCHEMA,
        {"open": str(CaseStatus.OPEN)},
    )
