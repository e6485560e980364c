"""The delinquency definition, written once as SQL and run on DuckDB and on Spark.

Why portable SQL transpiled by sqlglot, not Ibis: the definition is three small queries
(stage the schedule, stage the ledger, snapshot one as-of date) whose every line maps to a
sentence of docs/batch.md, so a reviewer reads the rule where it runs. SQL is the one
language both engines execute natively; sqlglot (a pure Python parser with no dependencies)
rewrites the few dialect differences (date literals, DATE_DIFF) from DuckDB's dialect to
Spark's, and the transpiled text can be printed and run by hand on either engine. Ibis would
add a large dependency tree whose PySpark backend lags PySpark releases (this project runs
PySpark 4), and its expression layer sits between the reader and the rule without saving any
line here. Sums are cast to BIGINT so that both engines return int64 (DuckDB widens to
HUGEINT otherwise), which also keeps the comparison of engines exact.

Inputs (views or tables of these names):
  accounts(account_id, customer_id, currency, status)
  installments(account_id, seq, due_date, amount_due)
  payments(payment_id, account_id, paid_on, amount, reverses)
  previous(account_id, bucket)                        -- the previous snapshot, may be empty
Staged once per portfolio read: schedule (running total of amounts due, oldest first) and
ledger (signed payments, reversals negative). A snapshot is two
steps: the state of every account (recomputed in full, or carried from the previous date of
a backfill for the accounts that cannot have changed), then DPD, amounts, bucket and roll.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import sqlglot

from arrears.delinquency.rules import (
    ROLL_BACK,
    ROLL_CURED,
    ROLL_FORWARD,
    ROLL_NEW,
    ROLL_SAME,
    DelinquencyRules,
)

SNAPSHOT_COLUMNS = (
    "as_of",
    "account_id",
    "customer_id",
    "currency",
    "status",
    "dpd",
    "bucket",
    "bucket_rank",
    "overdue_amount",
    "outstanding_amount",
    "roll",
    "previous_rank",
)

# Running total of each account's schedule, oldest installment first (due_date, then seq).
STAGE_SCHEDULE = """
SELECT
    account_id,
    seq,
    due_date,
    amount_due,
    CAST(SUM(amount_due) OVER (
        PARTITION BY account_id ORDER BY due_date, seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS BIGINT) AS cum_due
FROM installments
"""

# A reversal takes back the reversed payment's amount, dated by the reversal's own paid_on.
# The payment's own columns stay beside the signed amount, so that a store can restage one
# account's ledger from it (a reversal always belongs to its payment's account).
STAGE_LEDGER = """
SELECT p.account_id, p.paid_on, CAST(p.amount AS BIGINT) AS signed_amount,
       p.payment_id, CAST(p.amount AS BIGINT) AS amount, p.reverses
FROM payments AS p
WHERE p.reverses IS NULL
UNION ALL
SELECT r.account_id, r.paid_on, CAST(-COALESCE(o.amount, r.amount) AS BIGINT) AS signed_amount,
       r.payment_id, CAST(r.amount AS BIGINT) AS amount, r.reverses
FROM payments AS r
LEFT JOIN payments AS o ON o.payment_id = r.reverses
WHERE r.reverses IS NOT NULL
"""

# The state of every account as of a date. {scope} limits the recomputation to the accounts
# that can have changed since the carried state (all of them without one); {carried} adds the
# carried rows of every other account unchanged.
STATE_TEMPLATE = """
WITH changed AS (
    {changed}
),
paid AS (
    SELECT l.account_id, CAST(SUM(l.signed_amount) AS BIGINT) AS net
    FROM ledger AS l
    WHERE l.paid_on <= {as_of} {scope_ledger}
    GROUP BY l.account_id
),
base AS (
    SELECT
        a.account_id,
        a.customer_id,
        a.currency,
        a.status,
        CAST(GREATEST(COALESCE(p.net, 0), 0) AS BIGINT) AS paid,
        CAST({threshold} AS BIGINT) AS threshold
    FROM accounts AS a
    LEFT JOIN paid AS p ON p.account_id = a.account_id
    WHERE 1 = 1 {scope_accounts}
),
dues AS (
    SELECT
        s.account_id,
        CAST(SUM(CASE WHEN s.due_date < {as_of} THEN s.amount_due ELSE 0 END) AS BIGINT) AS past_due,
        CAST(SUM(s.amount_due) AS BIGINT) AS scheduled,
        -- the shortfall min(amount_due, cum_due - paid) exceeds the threshold t >= 0
        MIN(CASE WHEN s.due_date < {as_of}
                  AND s.amount_due > b.threshold
                  AND s.cum_due - b.paid > b.threshold
             THEN s.due_date END) AS oldest_overdue,
        MIN(CASE WHEN s.due_date >= {as_of} THEN s.due_date END) AS next_due
    FROM schedule AS s
    JOIN base AS b ON b.account_id = s.account_id
    GROUP BY s.account_id
)
SELECT
    b.account_id,
    b.customer_id,
    b.currency,
    b.status,
    b.paid,
    b.threshold,
    CAST(COALESCE(d.past_due, 0) AS BIGINT) AS past_due,
    CAST(COALESCE(d.scheduled, 0) AS BIGINT) AS scheduled,
    d.oldest_overdue,
    d.next_due
FROM base AS b
LEFT JOIN dues AS d ON d.account_id = b.account_id
{carried}
"""

# An account's state can only change between two dates by a ledger entry dated in between or
# by an installment falling due in between (next_due before the new date). Every other account
# keeps its paid amount, its overdue installments and its sums: only the days are added.
# ``dirty`` names the accounts whose feed rows changed since the carried state was computed
# (a store's sync fills it; see arrears.batch.store).
CHANGED_SINCE = """
    SELECT l.account_id FROM ledger AS l WHERE l.paid_on > {carried_as_of} AND l.paid_on <= {as_of}
    UNION
    SELECT c.account_id FROM carry AS c WHERE c.next_due < {as_of}
    UNION
    SELECT d.account_id FROM dirty AS d
"""
CARRIED = """
UNION ALL
SELECT c.account_id, c.customer_id, c.currency, c.status, c.paid, c.threshold, c.past_due, c.scheduled,
       c.oldest_overdue, c.next_due
FROM carry AS c
LEFT JOIN changed AS x ON x.account_id = c.account_id
WHERE x.account_id IS NULL
"""

SNAPSHOT_TEMPLATE = """
WITH measured AS (
    SELECT
        t.account_id,
        t.customer_id,
        t.currency,
        t.status,
        CAST(COALESCE(DATE_DIFF('day', t.oldest_overdue, {as_of}), 0) AS INTEGER) AS dpd,
        CAST(GREATEST(t.past_due - t.paid, 0) AS BIGINT) AS overdue_amount,
        CAST(GREATEST(t.scheduled - t.paid, 0) AS BIGINT) AS outstanding_amount
    FROM state AS t
),
bucketed AS (
    SELECT m.*, {bucket_name} AS bucket, CAST({bucket_rank} AS INTEGER) AS bucket_rank
    FROM measured AS m
),
before AS (
    SELECT account_id, {previous_rank} AS previous_rank FROM previous
)
SELECT
    {as_of} AS as_of,
    k.account_id,
    k.customer_id,
    k.currency,
    k.status,
    k.dpd,
    k.bucket,
    k.bucket_rank,
    k.overdue_amount,
    k.outstanding_amount,
    CASE
        WHEN v.previous_rank IS NULL THEN '{new}'
        WHEN k.bucket_rank = v.previous_rank THEN '{same}'
        WHEN k.bucket_rank > v.previous_rank THEN '{forward}'
        WHEN k.bucket_rank = 0 THEN '{cured}'
        ELSE '{back}'
    END AS roll,
    CAST(v.previous_rank AS INTEGER) AS previous_rank
FROM bucketed AS k
LEFT JOIN before AS v ON v.account_id = k.account_id
{order}
"""


def quote(text: str) -> str:
    """A text as an SQL string literal (every engine here reads '' as one quote)."""
    return "'" + text.replace("'", "''") + "'"


def _bucket_case(rules: DelinquencyRules, column: str, *, rank: bool) -> str:
    branches = [
        f"WHEN {column} <= {b.high} THEN {index if rank else quote(b.name)}"
        for index, b in enumerate(rules.buckets)
        if b.high is not None
    ]
    last = len(rules.buckets) - 1
    otherwise = str(last) if rank else quote(rules.buckets[-1].name)
    return f"CASE {' '.join(branches)} ELSE {otherwise} END"


def _threshold_case(rules: DelinquencyRules) -> str:
    if not rules.materiality:
        return str(rules.default_materiality)
    branches = " ".join(f"WHEN {quote(c)} THEN {t}" for c, t in sorted(rules.materiality.items()))
    return f"CASE a.currency {branches} ELSE {rules.default_materiality} END"


def _previous_rank_case(rules: DelinquencyRules) -> str:
    branches = " ".join(f"WHEN {quote(b.name)} THEN {i}" for i, b in enumerate(rules.buckets))
    return f"CASE bucket {branches} END"


def _literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def state_sql(as_of: date, rules: DelinquencyRules, carried_as_of: date | None = None) -> str:
    """Every account's state as of ``as_of`` (DuckDB dialect): paid, sums, oldest overdue and next due
    dates. With ``carried_as_of``, a table ``carry`` holds the state as of that earlier date and only
    the accounts that can have changed since are recomputed.
    """
    if carried_as_of is None:
        return STATE_TEMPLATE.format(
            changed="SELECT account_id FROM accounts WHERE 1 = 0",
            as_of=_literal(as_of),
            scope_ledger="",
            scope_accounts="",
            threshold=_threshold_case(rules),
            carried="",
        )
    if carried_as_of >= as_of:
        raise ValueError("a carried state must be older than the date it is carried to")
    return STATE_TEMPLATE.format(
        changed=CHANGED_SINCE.format(carried_as_of=_literal(carried_as_of), as_of=_literal(as_of)),
        as_of=_literal(as_of),
        scope_ledger="AND l.account_id IN (SELECT account_id FROM changed)",
        scope_accounts="AND a.account_id IN (SELECT account_id FROM changed)",
        threshold=_threshold_case(rules),
        carried=CARRIED,
    )


def carried_buckets_sql(carried_as_of: date, rules: DelinquencyRules) -> str:
    """The buckets of the carried state's own date, from its oldest overdue date: the same rows
    as that date's snapshot, without reading it back (DuckDB dialect)."""
    dpd = f"COALESCE(DATE_DIFF('day', oldest_overdue, {_literal(carried_as_of)}), 0)"
    return f"SELECT account_id, {_bucket_case(rules, dpd, rank=False)} AS bucket FROM carry"


def snapshot_sql(as_of: date, rules: DelinquencyRules, *, ordered: bool = True) -> str:
    """The snapshot as of ``as_of`` from the table ``state`` and the table ``previous`` (DuckDB dialect)."""
    return SNAPSHOT_TEMPLATE.format(
        as_of=_literal(as_of),
        bucket_name=_bucket_case(rules, "m.dpd", rank=False),
        bucket_rank=_bucket_case(rules, "m.dpd", rank=True),
        previous_rank=_previous_rank_case(rules),
        new=ROLL_NEW,
        same=ROLL_SAME,
        forward=ROLL_FORWARD,
        cured=ROLL_CURED,
        back=ROLL_BACK,
        order="ORDER BY k.account_id" if ordered else "",
    )


@cache
def to_spark(sql: str) -> str:
    """The same query in Spark SQL's dialect."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]
