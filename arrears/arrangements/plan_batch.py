"""The nightly step of plans and settlements: installments paid, plans active, completed or broken.

Set-based, two SQL statements (1 and 2 below in the first) on the operational database (SQLite or
PostgreSQL), whatever the number of plans; no Python loop over rows:

1. the payments of each plan in force (approved or active): the net payments (a reversal counts
   against) on its accounts (the one named, else the case's accounts in its currency) dated from
   its ``starts_on`` (the approval date) to the as-of date; they are applied to the installments
   in due-date order (``seq``): an installment is paid up to its amount by what the earlier ones
   leave over;
2. each installment's ``paid_amount`` and status: ``paid`` when paid in full, else ``open`` until
   its due date, ``late`` after it, ``missed`` after the grace (``ARREARS_PLAN_GRACE_DAYS``, 5 by
   default); only the rows whose figures change are written;
3. each plan: ``completed`` when every installment is paid, else ``broken`` when one is missed
   (``ended_on`` = the as-of date either way), else ``active`` from its first payment
   (``activated_at``); only the plans whose state changes are written (their ``version`` moves
   on, so that an edit racing with the batch is refused, never lost).

A broken plan sends its case back to the top of its queue that morning: the queue's priority
reads :func:`arrears.arrangements.plans.broken_on_query` (status ``broken`` and ``ended_on`` =
the as-of date).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Date, TextClause, bindparam, text

from arrears.arrangements.models import ArrangementStatus
from arrears.db import UTCDateTime

DEFAULT_GRACE_DAYS = 5

_PAID = """
paid AS (
    SELECT a.id AS arrangement_id,
           CAST(SUM(CASE WHEN p.reverses IS NULL THEN p.amount ELSE -p.amount END) AS BIGINT) AS paid
    FROM arrangements AS a
    JOIN case_accounts AS ca
      ON ca.case_id = a.case_id AND ca.currency = a.currency
     AND (a.account_id IS NULL OR ca.account_id = a.account_id)
    JOIN payments AS p
      ON p.account_id = ca.account_id AND p.paid_on >= a.starts_on AND p.paid_on <= :as_of
    WHERE a.status IN ('approved', 'active')
    GROUP BY a.id
),
due AS (
    SELECT i.arrangement_id, i.seq, i.amount, i.due_on,
           COALESCE(paid.paid, 0) - CAST(
               SUM(i.amount) OVER (PARTITION BY i.arrangement_id ORDER BY i.seq) - i.amount AS BIGINT
           ) AS left_over
    FROM arrangement_installments AS i
    JOIN arrangements AS a ON a.id = i.arrangement_id
    LEFT JOIN paid ON paid.arrangement_id = i.arrangement_id
    WHERE a.status IN ('approved', 'active')
),
figures AS (
    SELECT arrangement_id, seq,
           CASE WHEN left_over >= amount THEN amount WHEN left_over <= 0 THEN 0 ELSE left_over END
             AS paid_amount,
           CASE WHEN left_over >= amount THEN 'paid'
                WHEN due_on >= :as_of THEN 'open'
                WHEN due_on >= :cutoff THEN 'late'
                ELSE 'missed' END AS status
    FROM due
)
"""

# UPDATE first, its CTEs inside the FROM: SQLite's driver counts the rows changed only for a
# statement that begins with UPDATE.
INSTALLMENTS = f"""
UPDATE arrangement_installments
SET paid_amount = figures.paid_amount, status = figures.status
FROM (WITH {_PAID} SELECT arrangement_id, seq, paid_amount, status FROM figures) AS figures
WHERE arrangement_installments.arrangement_id = figures.arrangement_id
  AND arrangement_installments.seq = figures.seq
  AND (arrangement_installments.paid_amount <> figures.paid_amount
       OR arrangement_installments.status <> figures.status)
"""

ARRANGEMENTS = """
UPDATE arrangements
SET status = decided.status,
    ended_on = CASE WHEN decided.status IN ('completed', 'broken') THEN :as_of ELSE NULL END,
    activated_at = CASE WHEN arrangements.activated_at IS NULL AND decided.paid > 0
                        THEN :now ELSE arrangements.activated_at END,
    evaluated_on = :as_of,
    version = arrangements.version + 1
FROM (
WITH tally AS (
    SELECT i.arrangement_id,
           MIN(CASE WHEN i.status = 'paid' THEN 1 ELSE 0 END) AS all_paid,
           MAX(CASE WHEN i.status = 'missed' THEN 1 ELSE 0 END) AS any_missed,
           SUM(i.paid_amount) AS paid
    FROM arrangement_installments AS i
    JOIN arrangements AS a ON a.id = i.arrangement_id
    WHERE a.status IN ('approved', 'active')
    GROUP BY i.arrangement_id
),
decided AS (
    SELECT a.id, tally.paid,
           CASE WHEN tally.all_paid = 1 THEN 'completed'
                WHEN tally.any_missed = 1 THEN 'broken'
                WHEN tally.paid > 0 THEN 'active'
                ELSE a.status END AS status
    FROM arrangements AS a JOIN tally ON tally.arrangement_id = a.id
)
SELECT id, paid, status FROM decided
) AS decided
WHERE arrangements.id = decided.id
  AND (decided.status <> arrangements.status
       OR (arrangements.activated_at IS NULL AND decided.paid > 0))
RETURNING arrangements.status
"""


@dataclass(frozen=True)
class PlanChanges:
    installments: int
    """Installments whose paid amount or status changed."""
    activated: int
    completed: int
    broken: int

    def note(self) -> str:
        """The day summary's line."""
        return (
            f"plans and settlements 分期与和解: {self.installments:,} installments changed, "
            f"{self.activated:,} activated, {self.completed:,} completed, {self.broken:,} broken"
        )

    def counts(self) -> dict[str, int]:
        return {
            "plan_installments_changed": self.installments,
            "plans_activated": self.activated,
            "plans_completed": self.completed,
            "plans_broken": self.broken,
        }


def evaluate_plans(
    connection: Connection, as_of: date, *, now: datetime, grace_days: int = DEFAULT_GRACE_DAYS
) -> PlanChanges:
    """Apply the payments up to ``as_of`` to the plans and settlements in force (see the module's
    description), in the caller's transaction; answers what changed."""
    params = {"as_of": as_of, "cutoff": as_of - timedelta(days=grace_days), "now": now}
    installments = connection.execute(_typed(INSTALLMENTS, "as_of", "cutoff"), params).rowcount
    changed = Counter(connection.execute(_typed(ARRANGEMENTS, "as_of", "now"), params).scalars())
    return PlanChanges(
        installments=max(installments, 0),
        activated=changed.get(str(ArrangementStatus.ACTIVE), 0),
        completed=changed.get(str(ArrangementStatus.COMPLETED), 0),
        broken=changed.get(str(ArrangementStatus.BROKEN), 0),
    )


def _typed(sql: str, *names: str) -> TextClause:
    """The statement with its parameters typed (dates as dates, the instant as UTCDateTime
    stores it), so that SQLite and PostgreSQL compare and store them alike."""
    typed = [bindparam(name, type_=UTCDateTime() if name == "now" else Date()) for name in names]
    return text(sql).bindparams(*typed)
