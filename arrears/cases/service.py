"""The case lifecycle, set-based, from one delinquency snapshot.

- An account is delinquent when it is active and past the first bucket (M0).
- A customer with a delinquent account and no open case gets a case opened that day.
- An open case takes in every delinquent account of its customer; an account stays in the
  case until the case closes. Each run updates the case: worst DPD and its bucket, the number
  of accounts, and the overdue total in the currency of the worst account.
- A case none of whose accounts is delinquent any more is closed, with the reason:
  written_off when one of its accounts is charged off; paid_off when every account is
  closed or owes nothing more; cured otherwise.

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
from arrears.cases.models import (
    CASE_CLOSED,
    CASE_OPEN,
    REASON_CURED,
    REASON_PAID_OFF,
    REASON_WRITTEN_OFF,
)


@dataclass(frozen=True, slots=True)
class CaseChanges:
    opened: int
    updated: int
    closed: int
    skipped_reason: str | None = None


PLAN_SQL = """
CREATE TEMP TABLE delinquent AS
    SELECT account_id, customer_id FROM snapshot WHERE status = 'active' AND bucket_rank > 0;
CREATE TEMP TABLE all_cases AS
    SELECT case_id, customer_id, opened_on, false AS is_new FROM open_cases
    UNION ALL
    SELECT 'C-' || customer_id || '-' || strftime(DATE '{as_of}', '%Y%m%d'), customer_id, DATE '{as_of}', true
    FROM (SELECT DISTINCT customer_id FROM delinquent)
    WHERE customer_id NOT IN (SELECT customer_id FROM open_cases);
CREATE TEMP TABLE member_ids AS
    SELECT case_id, account_id, min(joined_on) AS joined_on FROM (
        SELECT case_id, account_id, joined_on FROM members
        UNION ALL
        SELECT c.case_id, d.account_id, DATE '{as_of}' FROM delinquent d JOIN all_cases c USING (customer_id)
    ) GROUP BY case_id, account_id;
CREATE TEMP TABLE member_rows AS
    SELECT m.case_id, m.account_id, m.joined_on,
           (s.status = 'active' AND s.bucket_rank > 0) AS delinquent,
           s.dpd, s.bucket, s.bucket_rank, s.overdue_amount, s.outstanding_amount, s.currency,
           s.status AS account_status,
           row_number() OVER (PARTITION BY m.case_id
                              ORDER BY s.dpd DESC, s.overdue_amount DESC, m.account_id) AS worst_first
    FROM member_ids m JOIN snapshot s USING (account_id);
CREATE TEMP TABLE case_rows AS
    WITH per_case AS (
        SELECT m.case_id,
               bool_or(m.delinquent) AS still_delinquent,
               bool_or(m.account_status = 'charged_off') AS any_written_off,
               bool_and(m.account_status = 'closed' OR m.outstanding_amount = 0) AS all_paid_off,
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
    snapshot: pa.Table, open_cases: pa.Table, members: pa.Table, as_of: date
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """New cases, changed open cases and the accounts of every case touched, as Arrow tables."""
    con = duckdb.connect()
    try:
        con.register("snapshot", snapshot)
        con.register("open_cases", open_cases)
        con.register("members", members)
        con.execute(
            PLAN_SQL.format(
                as_of=as_of.isoformat(),
                open=CASE_OPEN,
                closed=CASE_CLOSED,
                written_off=REASON_WRITTEN_OFF,
                paid_off=REASON_PAID_OFF,
                cured=REASON_CURED,
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
            "account_status FROM member_rows ORDER BY case_id, account_id"
        ).to_arrow_table()
    finally:
        con.close()
    return new_cases, changed, accounts


def apply_snapshot(connection: Connection, snapshot: pa.Table, as_of: date) -> CaseChanges:
    """Open, update and close cases from the snapshot of ``as_of``; rerunning a date gives the same cases.

    Cases follow the latest date only: an earlier date rerun (a backfill behind the cases)
    rewrites its snapshot but leaves the cases as they are.
    """
    latest = repository.latest_case_date(connection)
    if latest is not None and as_of < latest:
        return CaseChanges(0, 0, 0, skipped_reason=f"cases are already at {latest.isoformat()}")
    if latest == as_of:
        repository.undo_date(connection, as_of)
    open_cases, members = repository.read_open_cases(connection)
    new_cases, changed, accounts = plan(snapshot, open_cases, members, as_of)
    repository.apply_changes(connection, new_cases, changed, accounts)
    closed = int(pc.sum(pc.equal(changed.column("status"), CASE_CLOSED)).as_py() or 0)
    return CaseChanges(opened=new_cases.num_rows, updated=changed.num_rows - closed, closed=closed)
