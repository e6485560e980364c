"""The nightly evaluation of promises to pay, as of a business date D: a few set-based statements.

For every open promise taken on or before D:

1. its ledger: the payments from the day it was taken (``taken_on``) to D on its account (or the
   case's accounts in its currency), in its currency; a reversal takes back the reversed amount on
   its own date, and only when the reversed payment itself counted (paid on or after ``taken_on``);
2. each installment i (cumulative amount C_i, due d_i): P_i = the ledger's sum up to d_i + grace
   (and D). It is *kept* when the shortfall is within the tolerance, ``(C_i - P_i) <= C_i × t``
   (exactly, in integers: t = num/den); *missed* when d_i + grace < D and not kept (*partially
   kept* if something was paid towards it, ``P_i > C_{i-1}``, else *broken*); else still *open*;
3. the promise: at its first missed installment it closes, *partially kept* when anything was paid
   by that installment's deadline (P > 0), else *broken*; when every installment is kept it closes
   *kept*; else it stays *open*. Its ``paid_amount`` is the ledger's sum to its last deadline (and
   D), never below 0; ``closed_on`` is D.
4. ``cases.broken_promises``: recounted (not incremented) for the cases with a promise found
   broken.

Only rows whose values change are written (an open promise with nothing new is not touched), a
closed promise is never evaluated again (final states stay final), and a rerun of D finds the
same answers: idempotent per as-of date. The caller owns the transaction.

During the day (a payment posted through the API, :mod:`arrears.payments`) the same statements
run for one case with ``during_the_day``: an installment can then be found kept, never missed
(the day's payments are not all in yet: missing is the night's judgement), so a promise closes
*kept* or stays *open*, exactly as the night would find it kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Date, Integer, bindparam, text

CANDIDATES = "promise_candidates"
SCHEDULE = "promise_schedule"
LEDGER = "promise_ledger"
INSTALLMENTS = "promise_eval"
OUTCOME = "promise_outcome"


@dataclass(frozen=True)
class PromiseTerms:
    """The settings of the evaluation (``ARREARS_PROMISE_GRACE_DAYS``, ``ARREARS_PROMISE_TOLERANCE``)."""

    grace_days: int = 2
    tolerance: Decimal = Decimal("0.05")

    def __post_init__(self) -> None:
        if self.grace_days < 0 or not Decimal(0) <= self.tolerance < 1:
            raise ValueError("grace_days >= 0 and 0 <= tolerance < 1")

    def ratio(self) -> tuple[int, int]:
        """The tolerance as an exact fraction (num, den): 0.05 → (1, 20)."""
        num, den = self.tolerance.as_integer_ratio()
        return num, den


@dataclass(frozen=True)
class PromiseCounts:
    evaluated: int
    kept: int
    partially_kept: int
    broken: int


def _plus_days(dialect: str, column: str) -> str:
    """SQL of ``column`` (a date) plus ``:grace`` days, on SQLite and PostgreSQL."""
    if dialect == "sqlite":
        return f"date({column}, :grace_modifier)"
    return f"({column} + CAST(:grace AS INTEGER))"


_CANDIDATES_SQL = """
CREATE TEMPORARY TABLE {candidates} AS
SELECT id, case_id, account_id, currency, taken_on, version
FROM promises
WHERE status = 'open' AND taken_on <= :as_of{one_case}
"""

_LEDGER_SQL = """
CREATE TEMPORARY TABLE {ledger} AS
WITH scope AS (
    SELECT c.id AS promise_id, c.account_id, c.currency, c.taken_on
    FROM {candidates} AS c
    WHERE c.account_id IS NOT NULL
    UNION ALL
    SELECT c.id AS promise_id, ca.account_id, c.currency, c.taken_on
    FROM {candidates} AS c
    JOIN case_accounts AS ca ON ca.case_id = c.case_id AND ca.currency = c.currency
    WHERE c.account_id IS NULL
)
SELECT s.promise_id AS promise_id, p.paid_on AS paid_on,
       CASE WHEN p.reverses IS NULL THEN p.amount ELSE -o.amount END AS signed
FROM scope AS s
CROSS JOIN payments AS p  -- from each promise to its accounts' payments (SQLite keeps the order)
LEFT JOIN payments AS o ON o.payment_id = p.reverses
WHERE p.account_id = s.account_id
  AND p.currency = s.currency
  AND p.paid_on >= s.taken_on
  AND p.paid_on <= :as_of
  AND (p.reverses IS NULL OR o.paid_on >= s.taken_on)
"""

_SCHEDULE_SQL = """
CREATE TEMPORARY TABLE {schedule} AS
SELECT i.promise_id AS promise_id, i.seq AS seq, i.due_on AS due_on, {deadline} AS deadline,
       i.amount AS amount, c.version AS version,
       SUM(i.amount) OVER (PARTITION BY i.promise_id ORDER BY i.seq) AS cum
FROM {candidates} AS c
JOIN promise_installments AS i ON i.promise_id = c.id
"""

_INSTALLMENTS_SQL = """
CREATE TEMPORARY TABLE {installments} AS
WITH paid AS MATERIALIZED (  -- computed once per row, not once per use below
    SELECT s.promise_id, s.seq, s.due_on, s.amount, s.cum, s.version,
           (SELECT COALESCE(SUM(l.signed), 0) FROM {ledger} AS l
            WHERE l.promise_id = s.promise_id AND l.paid_on <= s.deadline) AS paid
    FROM {schedule} AS s
)
SELECT promise_id, seq, cum, paid, version,
       CASE WHEN paid - (cum - amount) <= 0 THEN 0
            WHEN paid - (cum - amount) >= amount THEN amount
            ELSE paid - (cum - amount) END AS installment_paid,
       CASE WHEN (cum - paid) * :den <= cum * :num THEN 'kept'
            WHEN due_on < :missed_before AND paid > cum - amount THEN 'partially_kept'
            WHEN due_on < :missed_before THEN 'broken'
            ELSE 'open' END AS status
FROM paid
"""

_OUTCOME_SQL = """
CREATE TEMPORARY TABLE {outcome} AS
SELECT m.promise_id AS promise_id, m.version AS version,
       CASE WHEN m.first_missed IS NOT NULL AND fm.paid > 0 THEN 'partially_kept'
            WHEN m.first_missed IS NOT NULL THEN 'broken'
            WHEN m.kept = m.installments THEN 'kept'
            ELSE 'open' END AS status,
       CASE WHEN la.paid > 0 THEN la.paid ELSE 0 END AS paid_amount
FROM (
    SELECT promise_id, MAX(version) AS version,
           MIN(CASE WHEN status IN ('broken', 'partially_kept') THEN seq END) AS first_missed,
           SUM(CASE WHEN status = 'kept' THEN 1 ELSE 0 END) AS kept,
           COUNT(*) AS installments, MAX(seq) AS last_seq
    FROM {installments}
    GROUP BY promise_id
) AS m
LEFT JOIN {installments} AS fm ON fm.promise_id = m.promise_id AND fm.seq = m.first_missed
JOIN {installments} AS la ON la.promise_id = m.promise_id AND la.seq = m.last_seq
"""

_UPDATE_INSTALLMENTS_SQL = """
UPDATE promise_installments
SET paid_amount = e.installment_paid, status = e.status
FROM {installments} AS e
WHERE promise_installments.promise_id = e.promise_id AND promise_installments.seq = e.seq
  AND (promise_installments.paid_amount <> e.installment_paid OR promise_installments.status <> e.status)
"""

_UPDATE_PROMISES_SQL = """
UPDATE promises
SET status = o.status, paid_amount = o.paid_amount, evaluated_on = :as_of,
    closed_on = CASE WHEN o.status = 'open' THEN NULL ELSE :as_of END,
    version = promises.version + 1
FROM {outcome} AS o
WHERE promises.id = o.promise_id AND promises.status = 'open' AND promises.version = o.version
  AND (promises.paid_amount <> o.paid_amount OR o.status <> 'open')
"""

_COUNT_BROKEN_SQL = """
UPDATE cases
SET broken_promises = (
    SELECT COUNT(*) FROM promises AS p WHERE p.case_id = cases.case_id AND p.status = 'broken'
)
WHERE cases.case_id IN (
    SELECT p.case_id FROM {outcome} AS o JOIN promises AS p ON p.id = o.promise_id WHERE o.status = 'broken'
)
"""

_COUNTS_SQL = """
SELECT COUNT(*),
       COALESCE(SUM(CASE WHEN status = 'kept' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN status = 'partially_kept' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN status = 'broken' THEN 1 ELSE 0 END), 0)
FROM {outcome}
"""


NEVER_MISSED = date(1, 1, 1)
"""``missed_before`` during the day: no deadline is before it, so no installment is missed."""


def evaluate(
    connection: Connection,
    as_of: date,
    terms: PromiseTerms | None = None,
    *,
    case_id: str | None = None,
    during_the_day: bool = False,
) -> PromiseCounts:
    """Evaluate the open promises as of ``as_of``; the counts of those evaluated and closed.

    ``case_id``: only that case's open promise; ``during_the_day``: find kept only, never missed
    (see the module's description)."""
    terms = terms or PromiseTerms()
    dialect = connection.dialect.name
    num, den = terms.ratio()
    names = {
        "candidates": CANDIDATES,
        "schedule": SCHEDULE,
        "ledger": LEDGER,
        "installments": INSTALLMENTS,
        "outcome": OUTCOME,
    }
    params = {
        "as_of": as_of,
        "missed_before": NEVER_MISSED if during_the_day else as_of - timedelta(days=terms.grace_days),
        "case_id": case_id,
        "num": num,
        "den": den,
        "grace": terms.grace_days,
        "grace_modifier": f"+{terms.grace_days} days",
    }

    def run(sql: str) -> None:
        one_case = "" if case_id is None else " AND case_id = :case_id"
        statement = text(sql.format(**names, deadline=_plus_days(dialect, "i.due_on"), one_case=one_case))
        wanted = {name: params[name] for name in statement.compile().params if name in params}
        for name in ("as_of", "missed_before"):
            if name in wanted:
                statement = statement.bindparams(bindparam(name, type_=Date))
        for name in ("num", "den", "grace"):
            if name in wanted:
                statement = statement.bindparams(bindparam(name, type_=Integer))
        connection.execute(statement, wanted)

    _drop(connection)

    def staged(sql: str, table: str, *key: str) -> None:
        run(sql)
        if key:
            connection.execute(text(f"CREATE INDEX ix_{table} ON {table} ({', '.join(key)})"))
        if dialect == "postgresql":  # nothing analyses a temporary table by itself
            connection.execute(text(f"ANALYZE {table}"))

    staged(_CANDIDATES_SQL, CANDIDATES)
    staged(_LEDGER_SQL, LEDGER, "promise_id", "paid_on")
    staged(_SCHEDULE_SQL, SCHEDULE)
    staged(_INSTALLMENTS_SQL, INSTALLMENTS, "promise_id", "seq")
    staged(_OUTCOME_SQL, OUTCOME)  # read whole by the updates
    run(_UPDATE_INSTALLMENTS_SQL)
    run(_UPDATE_PROMISES_SQL)
    run(_COUNT_BROKEN_SQL)
    row = connection.execute(text(_COUNTS_SQL.format(**names))).one()
    _drop(connection)
    return PromiseCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def _drop(connection: Connection) -> None:
    for name in (OUTCOME, INSTALLMENTS, SCHEDULE, LEDGER, CANDIDATES):
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
