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
from arrears.cases.models import CaseStatus, CloseReason
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
    SELECT case_id, customer_id, opened_on, false AS is_new FROM candidates
    UNION ALL
    SELECT 'C-' || customer_id || '-' || strftime(DATE '{as_of}', '%Y%m%d'), customer_id, DATE '{as_of}', true
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
    worst AS (SELECT case_id, bucket, currency FROM member_rows WHERE worst_first = 1),
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
           p.worst_dpd, w.bucket, t.overdue_total, w.currency, p.account_count,
           DATE '{as_of}' AS updated_on, c.is_new
    FROM all_cases c
    JOIN per_case p USING (case_id)
    JOIN worst w USING (case_id)
    JOIN totals t USING (case_id);
"""


def plan(
    snapshot: pa.Table, candidates: pa.Table, members: pa.Table, as_of: date
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """New cases, the candidate cases' new figures, the accounts of every case touched (``is_new``
    for those to insert) and the accounts that leave their case, as Arrow tables."""
    con = duckdb.connect()
    try:
        con.register("snapshot", snapshot)
        con.register("candidates", candidates)
        con.register("members", members)
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
    finally:
        con.close()
    return new_cases, changed, accounts, left


def apply_snapshot(connection: Connection, snapshot: pa.Table, as_of: date) -> CaseChanges:
    """Open, update and close cases from the snapshot of ``as_of``, in place.

    Cases follow the latest date only: an earlier date rerun (a backfill behind the cases)
    rewrites its snapshot but leaves the cases as they are.
    """
    latest = repository.latest_case_date(connection)
    if latest is not None and as_of < latest:
        return CaseChanges(0, 0, 0, skipped_reason=f"cases are already at {latest.isoformat()}")
    candidates, members = repository.read_candidates(connection, as_of)
    new_cases, changed, accounts, left = plan(snapshot, candidates, members, as_of)
    repository.apply_plan(connection, new_cases, changed, accounts, left)
    return _count(new_cases, changed, as_of)


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
