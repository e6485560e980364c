"""Queries of cases: the cases a date works on, and applying the batch's plan in place, in bulk.

Functions over the caller's connection; none commits. Nothing here deletes a case: a case's id
lasts its whole life (see :mod:`arrears.cases.models`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, and_, delete, func, or_, select, text
from sqlalchemy.orm import Session

from arrears.auth.models import Agency, Team, User
from arrears.cases.models import (
    BATCH_EVENT_KINDS,
    Case,
    CaseAccount,
    CaseAssignment,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Placement,
)
from arrears.cases.scope import active_placements, current_assignments
from arrears.db.arrow import insert_arrow, read_arrow
from arrears.portfolio.models import Account

CANDIDATE_CASES_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("customer_id", pa.string()),
        ("opened_on", pa.date32()),
        ("bucket", pa.string()),
    ]
)
MEMBERS_SCHEMA = pa.schema(
    [("case_id", pa.string()), ("account_id", pa.string()), ("joined_on", pa.date32())]
)
NOT_THE_SNAPSHOTS = frozenset({"broken_promises"})
"""Columns of ``cases`` another nightly step writes (the promises' evaluation), not the case step."""
CASE_COLUMNS = [c.name for c in Case.__table__.columns if c.name not in NOT_THE_SNAPSHOTS]
CASE_ACCOUNT_COLUMNS = [c.name for c in CaseAccount.__table__.columns]
CASE_KEY = ("case_id",)
CASE_ACCOUNT_KEY = ("case_id", "account_id")
CASE_FIGURES = [c for c in CASE_COLUMNS if c not in ("case_id", "customer_id", "opened_on")]
CASE_ACCOUNT_FIGURES = [c for c in CASE_ACCOUNT_COLUMNS if c not in CASE_ACCOUNT_KEY]


def latest_case_date(connection: Connection) -> date | None:
    """The last as-of date the batch applied to cases."""
    return connection.execute(select(func.max(Case.updated_on))).scalar()


def read_candidates(
    connection: Connection, as_of: date, customers: pa.Array | None = None
) -> tuple[pa.Table, pa.Table]:
    """The cases open at the start of ``as_of`` (of ``customers`` only, when given) and their
    accounts.

    Those are the open cases and, when ``as_of`` is run again, the cases that its first run
    closed (they carry ``updated_on = as_of``): the rerun decides again whether they close.
    """
    where = "(status = :open OR (status = :closed AND updated_on = :as_of))"
    params = {"open": str(CaseStatus.OPEN), "closed": str(CaseStatus.CLOSED), "as_of": as_of}
    if customers is not None:  # a night after the cases' latest date: no case closed on as_of yet
        _stage_keys(connection, "tmp_plan_customers", "customer_id", customers)
        # status = open alone, so that the partial index on the open cases' customer finds each
        # one (with the OR, SQLite would scan every case for each customer)
        where = "status = :open AND cases.customer_id IN (SELECT customer_id FROM tmp_plan_customers)"
        params = {"open": str(CaseStatus.OPEN)}
    cases = read_arrow(
        connection,
        f"SELECT case_id, customer_id, opened_on, bucket FROM cases WHERE {where}",
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
    if customers is not None:
        connection.execute(text("DROP TABLE tmp_plan_customers"))
    return cases, members


def customers_to_plan(connection: Connection, changed: pa.Table) -> pa.Array:
    """The customers whose cases a night must plan: those of the accounts whose state changed
    (``changed``: account_id, present, customer_id), and those whose open case holds one of
    them (an account that left the feed, or changed customer)."""
    _stage_keys(connection, "tmp_changed_accounts", "account_id", changed.column("account_id"))
    holding = connection.execute(
        text(
            # from the changed accounts to their cases, by the index on account_id: SQLite's own
            # choice (every open case, probing each for every changed account) is quadratic
            "SELECT DISTINCT c.customer_id FROM tmp_changed_accounts AS t "
            "CROSS JOIN case_accounts AS m CROSS JOIN cases AS c "
            "WHERE m.account_id = t.account_id AND c.case_id = m.case_id AND c.status = :open"
        ),
        {"open": str(CaseStatus.OPEN)},
    ).scalars()
    found = pa.array(list(holding), pa.string())
    connection.execute(text("DROP TABLE tmp_changed_accounts"))
    present = changed.filter(changed.column("present")).column("customer_id")
    return pa.compute.unique(pa.chunked_array([*present.chunks, found], pa.string()).combine_chunks())


def move_on(connection: Connection, since: date, as_of: date) -> int:
    """The open cases last planned on ``since`` and not planned again: nothing changed in their
    accounts but the date, so their DPD and their accounts' DPD grow by the days elapsed (a DPD
    of 0 stays 0), in place. Returns how many cases."""
    params = {"open": str(CaseStatus.OPEN), "since": since, "as_of": as_of, "days": (as_of - since).days}
    connection.execute(
        text(
            "UPDATE case_accounts SET dpd = dpd + :days WHERE dpd > 0 AND case_id IN "
            "(SELECT case_id FROM cases WHERE status = :open AND updated_on = :since)"
        ),
        params,
    )
    moved = connection.execute(
        text(
            "UPDATE cases SET worst_dpd = CASE WHEN worst_dpd > 0 THEN worst_dpd + :days ELSE worst_dpd END, "
            "updated_on = :as_of WHERE status = :open AND updated_on = :since"
        ),
        params,
    )
    return int(moved.rowcount or 0)


EARLIER_EVENTS_SCHEMA = pa.schema([("case_id", pa.string()), ("from_bucket", pa.string())])


def take_back_events(connection: Connection, as_of: date) -> pa.Table:
    """Delete the events a run of ``as_of`` wrote (a rerun writes them again); returns the buckets
    its bucket moves and closures started from (case_id, from_bucket): the cases' buckets before
    the date, which the first run overwrote."""
    moves = [str(k) for k in (CaseEventKind.BUCKET_CHANGED, CaseEventKind.CURED, CaseEventKind.CLOSED)]
    earlier = read_arrow(
        connection,
        "SELECT case_id, from_bucket FROM case_events WHERE as_of = :as_of AND kind IN :moves",
        EARLIER_EVENTS_SCHEMA,
        {"as_of": as_of, "moves": moves},
    )
    # a person's events (a legal referral) are not the batch's to take back
    connection.execute(
        delete(CaseEvent).where(CaseEvent.as_of == as_of, CaseEvent.kind.in_(BATCH_EVENT_KINDS))
    )
    return earlier


def customers_with_cases_before(connection: Connection, customers: pa.Array, as_of: date) -> pa.Array:
    """Those of ``customers`` who had a case opened before ``as_of``."""
    _stage_keys(connection, "tmp_event_customers", "customer_id", customers)
    found = connection.execute(
        text(
            "SELECT DISTINCT customer_id FROM cases WHERE opened_on < :as_of "
            "AND customer_id IN (SELECT customer_id FROM tmp_event_customers)"
        ),
        {"as_of": as_of},
    ).scalars()
    result = pa.array(list(found), pa.string())
    connection.execute(text("DROP TABLE tmp_event_customers"))
    return result


EVENT_COLUMNS = ["case_id", "occurred_on", "kind", "from_bucket", "to_bucket", "account_id", "as_of"]


def write_events(connection: Connection, events: pa.Table, as_of: date) -> None:
    """Insert the date's case events, in bulk."""
    if events.num_rows == 0:
        return
    day = pa.array([as_of] * events.num_rows, pa.date32())
    rows = events.append_column("occurred_on", day).append_column("as_of", day)
    insert_arrow(connection, CaseEvent.__tablename__, rows.select(EVENT_COLUMNS))


def _stage_keys(connection: Connection, name: str, column: str, keys: pa.Array | pa.ChunkedArray) -> None:
    """A temporary table ``name`` of distinct text keys in ``column``."""
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {name} ({column} VARCHAR(100) PRIMARY KEY)"))
    unique = pa.compute.unique(keys)
    insert_arrow(connection, name, pa.table({column: unique}))


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


# Reading cases for a person (the API). ``visible`` is the caller's scope from
# arrears.cases.scope, in the same WHERE clause as everything else: lists paginate over the rows
# the caller sees, and a case out of scope is not found like one that does not exist.


@dataclass(frozen=True)
class CaseFilters:
    """What a case list is narrowed to; None: not narrowed. Amounts in minor units of
    ``currency`` (a balance filter keeps only the cases whose overdue is in that currency)."""

    status: str | None = None
    bucket: str | None = None
    dpd_min: int | None = None
    dpd_max: int | None = None
    team_id: int | None = None
    collector_id: int | None = None
    product: str | None = None
    currency: str | None = None
    balance_min: int | None = None
    balance_max: int | None = None


@dataclass(frozen=True)
class CaseRow:
    case: Case
    team_id: int | None
    collector_id: int | None


CaseKey = tuple[int, str]
"""A case's place in a list: (worst_dpd, case_id), sorted worst DPD first, then by id."""


def _narrowed(filters: CaseFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Case.status == filters.status)
    if filters.bucket is not None:
        conditions.append(Case.bucket == filters.bucket)
    if filters.dpd_min is not None:
        conditions.append(Case.worst_dpd >= filters.dpd_min)
    if filters.dpd_max is not None:
        conditions.append(Case.worst_dpd <= filters.dpd_max)
    if filters.team_id is not None:
        conditions.append(CaseAssignment.team_id == filters.team_id)
    if filters.collector_id is not None:
        conditions.append(CaseAssignment.collector_id == filters.collector_id)
    if filters.product is not None:
        holding = (
            select(CaseAccount.case_id)
            .join(Account, Account.account_id == CaseAccount.account_id)
            .where(Account.product == filters.product)
        )
        conditions.append(Case.case_id.in_(holding))
    if filters.balance_min is not None or filters.balance_max is not None:
        conditions.append(Case.currency == filters.currency)
    if filters.balance_min is not None:
        conditions.append(Case.overdue_total >= filters.balance_min)
    if filters.balance_max is not None:
        conditions.append(Case.overdue_total <= filters.balance_max)
    return conditions


def list_cases(
    session: Session,
    visible: ColumnElement[bool],
    filters: CaseFilters,
    *,
    limit: int,
    after: CaseKey | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> list[CaseRow]:
    """Up to ``limit`` visible cases after ``after``, worst DPD first then by id, each with its
    current assignment. ``also``: further filters on ``cases`` (e.g. another context's subquery).

    The assignments are joined only to filter on them; otherwise they are read for the page's
    cases alone: an outer join over every visible case would cost more than the sort."""
    query = select(Case).where(visible, *_narrowed(filters), *also)
    if filters.team_id is not None or filters.collector_id is not None:
        query = query.join(
            CaseAssignment, and_(CaseAssignment.case_id == Case.case_id, current_assignments())
        )
    if after is not None:
        dpd, case_id = after
        query = query.where(or_(Case.worst_dpd < dpd, and_(Case.worst_dpd == dpd, Case.case_id > case_id)))
    query = query.order_by(Case.worst_dpd.desc(), Case.case_id).limit(limit)
    cases = list(session.execute(query).scalars())
    held = session.execute(
        select(CaseAssignment.case_id, CaseAssignment.team_id, CaseAssignment.collector_id).where(
            CaseAssignment.case_id.in_([case.case_id for case in cases]), current_assignments()
        )
    ).all()
    assigned = {case_id: (team, collector) for case_id, team, collector in held}
    return [CaseRow(case, *assigned.get(case.case_id, (None, None))) for case in cases]


def visible_case(session: Session, case_id: str, visible: ColumnElement[bool]) -> Case | None:
    """The case, if it exists and ``visible`` holds for it."""
    return session.execute(select(Case).where(Case.case_id == case_id, visible)).scalar_one_or_none()


def cases_by_id(session: Session, case_ids: Collection[str]) -> dict[str, Case]:
    """The cases of ``case_ids`` that exist, by id, for the system (no scope: no person asks)."""
    return {case.case_id: case for case in session.scalars(select(Case).where(Case.case_id.in_(case_ids)))}


def accounts_of_case(
    session: Session, case_id: str, visible: ColumnElement[bool]
) -> list[tuple[CaseAccount, str]]:
    """The case's accounts that ``visible`` (a filter on accounts) holds for, each with its
    product; the worst first."""
    query = (
        select(CaseAccount, Account.product)
        .join(Account, Account.account_id == CaseAccount.account_id)
        .where(CaseAccount.case_id == case_id, visible)
        .order_by(CaseAccount.dpd.desc(), CaseAccount.account_id)
    )
    return [(member, product) for member, product in session.execute(query).all()]


@dataclass(frozen=True)
class AssignmentRow:
    assignment: CaseAssignment
    team_code: str
    team_name: str
    collector_name: str | None


def current_assignment_of(session: Session, case_id: str) -> AssignmentRow | None:
    """Who works the case now: its current assignment, with the team's and collector's names."""
    query = (
        select(CaseAssignment, Team.code, Team.name, User.username)
        .join(Team, Team.id == CaseAssignment.team_id)
        .outerjoin(User, User.id == CaseAssignment.collector_id)
        .where(CaseAssignment.case_id == case_id, current_assignments())
    )
    found = session.execute(query).first()
    return AssignmentRow(*found) if found is not None else None


def placements_in_force(
    session: Session, account_ids: Sequence[str], today: date, *, agency_id: int | None = None
) -> list[tuple[Placement, str]]:
    """The placements of ``account_ids`` in force on ``today`` (of one agency, if given), each
    with the agency's name."""
    if not account_ids:
        return []
    query = (
        select(Placement, Agency.name)
        .join(Agency, Agency.id == Placement.agency_id)
        .where(Placement.account_id.in_(list(account_ids)), active_placements(today))
        .order_by(Placement.account_id, Placement.id)
    )
    if agency_id is not None:
        query = query.where(Placement.agency_id == agency_id)
    return [(placement, name) for placement, name in session.execute(query).all()]
