"""The case lifecycle, set-based, from one delinquency snapshot.

- An account is delinquent when it is active and past the first bucket (M0).
- A customer with a delinquent account and no open case gets a case opened that day.
- An open case takes in every delinquent account of its customer; an account stays in the
  case until the case closes. Each run updates the case: worst DPD and its bucket, the number
  of accounts, and the overdue total in the currency of the worst account.
- A case none of whose accounts is delinquent any more is closed, with the reason:
  written_off when one of its accounts is charged off; paid_off when every account is
  closed or owes nothing more; cured otherwise.

Cases last (see :mod:`arrears.cases.models`): a run updates them in place and never deletes one.
Running a date again decides again what its first run decided, from the cases open at the start
of that date: a case it closed may stay open, an account that joined that day may leave its case,
and a case opened that day whose customer turns out not delinquent is closed that day (it may
already carry work), not deleted. Running the same date on the same data twice gives the same
database.

Only what changed is written. A night that follows the cases' latest date is given the
accounts whose snapshot state changed (the ranges' changes, :mod:`arrears.delinquency.ranges`):
only the cases of their customers are planned and written (opened, moved, closed, accounts
joining). Every other open case changes by its date alone: its DPD and its accounts' DPD grow by
the days elapsed (a state that did not change keeps its oldest overdue due date), in two
UPDATE statements inside the database, no row staged. A rerun of the latest date, or a night
without the changes, plans every open case as before.

Each date also writes its batch events (``case_events``, the case timeline): opened (reopened
for a customer who had a case before), bucket_changed, cured (closed because cured), closed
(paid off or written off), account_joined, account_left. A rerun of the date replaces them.

The plan is computed in DuckDB over Arrow (never a Python loop over cases); applying it is
bulk SQL on the caller's connection. The service never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from arrears.cases import repository
from arrears.cases.models import CaseEventKind, CaseStatus, CloseReason
from arrears.portfolio.models import AccountStatus


@dataclass(frozen=True, slots=True)
class CaseChanges:
    opened: int
    updated: int
    closed: int
    skipped_reason: str | None = None


PLAN_SQL = """
CREATE TEMP TABLE delinquent AS
    SELECT account_id, customer_id FROM snapshot WHERE status = '{active}' AND bucket_rank > 0;
CREATE TEMP TABLE all_cases AS
    SELECT c.case_id, c.customer_id, c.opened_on, false AS is_new,
           CASE WHEN c.opened_on < DATE '{as_of}' THEN COALESCE(e.from_bucket, c.bucket) END
               AS previous_bucket
    FROM candidates AS c LEFT JOIN earlier_events AS e USING (case_id)
    UNION ALL
    SELECT 'C-' || customer_id || '-' || strftime(DATE '{as_of}', '%Y%m%d'), customer_id, DATE '{as_of}',
           true, NULL
    FROM (SELECT DISTINCT customer_id FROM delinquent)
    WHERE customer_id NOT IN (SELECT customer_id FROM candidates);
-- Accounts that joined before the date stay; the date's delinquent accounts join. A case that
-- a rerun finds no account for keeps those its first run gave it, and so closes.
CREATE TEMP TABLE member_ids AS
    WITH planned AS (
        SELECT case_id, account_id, min(joined_on) AS joined_on FROM (
            SELECT case_id, account_id, joined_on FROM members WHERE joined_on < DATE '{as_of}'
            UNION ALL
            SELECT c.case_id, d.account_id, DATE '{as_of}'
            FROM delinquent d JOIN all_cases c USING (customer_id)
        ) GROUP BY case_id, account_id
    )
    SELECT * FROM planned
    UNION ALL
    SELECT case_id, account_id, joined_on FROM members
    WHERE case_id NOT IN (SELECT case_id FROM planned);
CREATE TEMP TABLE left_members AS
    SELECT case_id, account_id FROM members
    WHERE (case_id, account_id) NOT IN (SELECT (case_id, account_id) FROM member_ids);
CREATE TEMP TABLE member_rows AS
    SELECT m.case_id, m.account_id, m.joined_on,
           (m.case_id, m.account_id) NOT IN (SELECT (case_id, account_id) FROM members) AS is_new,
           (s.status = '{active}' AND s.bucket_rank > 0) AS delinquent,
           s.dpd, s.bucket, s.bucket_rank, s.overdue_amount, s.outstanding_amount, s.currency,
           s.status AS account_status,
           row_number() OVER (PARTITION BY m.case_id
                              ORDER BY s.dpd DESC, s.overdue_amount DESC, m.account_id) AS worst_first
    FROM member_ids m JOIN snapshot s USING (account_id);
CREATE TEMP TABLE case_rows AS
    WITH per_case AS (
        SELECT m.case_id,
               bool_or(m.delinquent) AS still_delinquent,
               bool_or(m.account_status = '{charged_off}') AS any_written_off,
               bool_and(m.account_status = '{account_closed}' OR m.outstanding_amount = 0) AS all_paid_off,
               CAST(max(m.dpd) AS INTEGER) AS worst_dpd,
               CAST(count(*) AS INTEGER) AS account_count
        FROM member_rows m GROUP BY m.case_id
    ),
    worst AS (SELECT case_id, account_id, bucket, currency FROM member_rows WHERE worst_first = 1),
    totals AS (
        SELECT m.case_id, CAST(sum(m.overdue_amount) AS BIGINT) AS overdue_total
        FROM member_rows m JOIN worst w ON w.case_id = m.case_id AND w.currency = m.currency
        GROUP BY m.case_id
    )
    SELECT c.case_id, c.customer_id,
           CASE WHEN p.still_delinquent THEN '{open}' ELSE '{closed}' END AS status,
           c.opened_on,
           CASE WHEN p.still_delinquent THEN NULL ELSE DATE '{as_of}' END AS closed_on,
           CASE WHEN p.still_delinquent THEN NULL
                WHEN p.any_written_off THEN '{written_off}'
                WHEN p.all_paid_off THEN '{paid_off}'
                ELSE '{cured}' END AS close_reason,
           p.worst_dpd, w.bucket, t.overdue_total, w.currency, w.account_id AS worst_account_id,
           p.account_count,
           DATE '{as_of}' AS updated_on, c.is_new
    FROM all_cases c
    JOIN per_case p USING (case_id)
    JOIN worst w USING (case_id)
    JOIN totals t USING (case_id);
-- The date's batch events: what the date did to each case it planned.
CREATE TEMP TABLE events AS
    SELECT e.*, c.customer_id FROM (
    SELECT case_id, '{ev_opened}' AS kind, CAST(NULL AS VARCHAR) AS from_bucket, bucket AS to_bucket,
           CAST(NULL AS VARCHAR) AS account_id
    FROM case_rows WHERE opened_on = DATE '{as_of}'
    UNION ALL
    SELECT r.case_id, CASE WHEN r.close_reason = '{cured}' THEN '{ev_cured}' ELSE '{ev_closed}' END,
           c.previous_bucket, r.bucket, NULL
    FROM case_rows AS r JOIN all_cases AS c USING (case_id) WHERE r.status = '{closed}'
    UNION ALL
    SELECT r.case_id, '{ev_bucket}', c.previous_bucket, r.bucket, NULL
    FROM case_rows AS r JOIN all_cases AS c USING (case_id)
    WHERE r.status = '{open}' AND r.opened_on < DATE '{as_of}' AND c.previous_bucket IS DISTINCT FROM r.bucket
    UNION ALL
    SELECT m.case_id, '{ev_joined}', NULL, NULL, m.account_id
    FROM member_rows AS m JOIN all_cases AS c USING (case_id)
    WHERE m.joined_on = DATE '{as_of}' AND c.opened_on < DATE '{as_of}'
    UNION ALL
    SELECT l.case_id, '{ev_left}', NULL, NULL, l.account_id
    FROM left_members AS l JOIN members AS m USING (case_id, account_id)
    WHERE m.joined_on < DATE '{as_of}'
    ) AS e JOIN all_cases AS c USING (case_id);
"""

EVENTS_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("kind", pa.string()),
        ("from_bucket", pa.string()),
        ("to_bucket", pa.string()),
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class Plan:
    new_cases: pa.Table
    """Cases to insert."""
    changed: pa.Table
    """The candidate cases' new figures."""
    accounts: pa.Table
    """The accounts of every case planned (``is_new`` for those to insert)."""
    left: pa.Table
    """Accounts that leave their case."""
    events: pa.Table
    """The date's batch events of the cases planned (``EVENTS_SCHEMA``)."""


def plan(
    snapshot: pa.Table,
    candidates: pa.Table,
    members: pa.Table,
    as_of: date,
    earlier_events: pa.Table | None = None,
) -> Plan:
    """The date's plan for the candidate cases (open at the start of the date, with their bucket)
    and the delinquent customers of ``snapshot`` without one, as Arrow tables.
    ``earlier_events``: (case_id, from_bucket) of the bucket moves and closures an earlier run
    of the date recorded: the buckets the cases had before the date."""
    if earlier_events is None:
        earlier_events = pa.table(
            {"case_id": pa.array([], pa.string()), "from_bucket": pa.array([], pa.string())}
        )
    con = duckdb.connect()
    try:
        con.register("snapshot", snapshot)
        con.register("candidates", candidates)
        con.register("members", members)
        con.register("earlier_events", earlier_events)
        con.execute(
            PLAN_SQL.format(
                as_of=as_of.isoformat(),
                active=AccountStatus.ACTIVE,
                charged_off=AccountStatus.CHARGED_OFF,
                account_closed=AccountStatus.CLOSED,
                open=CaseStatus.OPEN,
                closed=CaseStatus.CLOSED,
                written_off=CloseReason.WRITTEN_OFF,
                paid_off=CloseReason.PAID_OFF,
                cured=CloseReason.CURED,
                ev_opened=CaseEventKind.OPENED,
                ev_cured=CaseEventKind.CURED,
                ev_closed=CaseEventKind.CLOSED,
                ev_bucket=CaseEventKind.BUCKET_CHANGED,
                ev_joined=CaseEventKind.ACCOUNT_JOINED,
                ev_left=CaseEventKind.ACCOUNT_LEFT,
            )
        )
        new_cases = con.sql(
            "SELECT * EXCLUDE (is_new) FROM case_rows WHERE is_new ORDER BY case_id"
        ).to_arrow_table()
        changed = con.sql(
            "SELECT * EXCLUDE (is_new) FROM case_rows WHERE NOT is_new ORDER BY case_id"
        ).to_arrow_table()
        accounts = con.sql(
            "SELECT case_id, account_id, joined_on, delinquent, dpd, bucket, overdue_amount, currency, "
            "account_status, is_new FROM member_rows ORDER BY case_id, account_id"
        ).to_arrow_table()
        left = con.sql("SELECT * FROM left_members ORDER BY case_id, account_id").to_arrow_table()
        events = con.sql("SELECT * FROM events ORDER BY case_id, kind, account_id").to_arrow_table()
    finally:
        con.close()
    return Plan(new_cases, changed, accounts, left, events.cast(EVENTS_SCHEMA))


def apply_snapshot(
    connection: Connection,
    snapshot: pa.Table,
    as_of: date,
    changed: pa.Table | None = None,
    since: date | None = None,
) -> CaseChanges:
    """Open, update and close cases from the snapshot of ``as_of``, in place, and write the
    date's case events.

    ``changed``: the accounts whose snapshot state changed since the snapshot of ``since``
    (``arrears.delinquency.ranges.CHANGES_SCHEMA``). When ``since`` is the cases' latest date,
    only the cases of those accounts' customers are planned; the others' DPD moves on in place.

    Cases follow the latest date only: an earlier date rerun (a backfill behind the cases)
    rewrites its snapshot but leaves the cases as they are.
    """
    latest = repository.latest_case_date(connection)
    if latest is not None and as_of < latest:
        return CaseChanges(0, 0, 0, skipped_reason=f"cases are already at {latest.isoformat()}")
    earlier_events = None
    if latest == as_of:  # a rerun: the date's events are written again
        earlier_events = repository.take_back_events(connection, as_of)
    incremental = changed is not None and latest is not None and since == latest and as_of > latest
    if incremental and changed is not None and latest is not None:
        customers = repository.customers_to_plan(connection, changed)
        snapshot = snapshot.filter(pc.is_in(snapshot.column("customer_id"), value_set=customers))
        candidates, members = repository.read_candidates(connection, as_of, customers)
    else:
        candidates, members = repository.read_candidates(connection, as_of)
    planned = plan(snapshot, candidates, members, as_of, earlier_events)
    repository.apply_plan(connection, planned.new_cases, planned.changed, planned.accounts, planned.left)
    moved_on = 0
    if incremental and latest is not None:
        moved_on = repository.move_on(connection, latest, as_of)
    repository.write_events(connection, _reopened(connection, planned.events, as_of), as_of)
    counted = _count(planned.new_cases, planned.changed, as_of)
    return CaseChanges(counted.opened, counted.updated + moved_on, counted.closed)


def _reopened(connection: Connection, events: pa.Table, as_of: date) -> pa.Table:
    """The events, an opening marked ``reopened`` when the customer had a case opened before."""
    opened = pc.equal(events.column("kind"), str(CaseEventKind.OPENED))
    customers = pc.unique(events.filter(opened).column("customer_id"))
    if len(customers) == 0:
        return events
    again = repository.customers_with_cases_before(connection, customers, as_of)
    reopened = pc.and_(opened, pc.is_in(events.column("customer_id"), value_set=again))
    kinds = pc.if_else(reopened, str(CaseEventKind.REOPENED), events.column("kind"))
    return events.set_column(events.schema.get_field_index("kind"), "kind", kinds)


def _count(new_cases: pa.Table, changed: pa.Table, as_of: date) -> CaseChanges:
    """What the date did to cases; the same on a rerun, which finds the date's new cases existing."""
    closed = int(pc.sum(pc.equal(changed.column("status"), str(CaseStatus.CLOSED))).as_py() or 0)
    opened_by_first_run = pc.and_(
        pc.equal(changed.column("opened_on"), pa.scalar(as_of, pa.date32())),
        pc.equal(changed.column("status"), str(CaseStatus.OPEN)),
    )
    opened_earlier = int(pc.sum(opened_by_first_run).as_py() or 0)
    return CaseChanges(
        opened=new_cases.num_rows + opened_earlier,
        updated=changed.num_rows - closed - opened_earlier,
        closed=closed,
    )
