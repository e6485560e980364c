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
  accounts(account_id, customer_id, currency, status, opened_on)   -- as the feed has them
  installments(account_id, seq, due_date, amount_due)
  payments(payment_id, account_id, paid_on, amount, reverses)
Staged once per portfolio read, every account under an integer key k: accounts (with k),
schedule (running total of amounts due, oldest first), calendar (the same rows by due date)
and ledger (signed payments, reversals negative). A snapshot is two steps: the state of every
account (recomputed in full, or carried from an earlier date for the accounts that cannot
have changed), then DPD, amounts, bucket and roll against previous(k, previous_rank), the
previous snapshot's bucket ranks.
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

# Each account with its key: an integer the store gives it once (in account_id order when the
# whole portfolio is read), so that every join and aggregate after staging is on an integer.
# ``gen`` is the staging generation: 0 for a full read, one more at each restage of a store
# (arrears.delinquency.engines). A restaged account's rows are staged again under the new
# generation and its older rows stay, superseded: an account's rows are those of its own
# generation. So a restage deletes nothing in the large tables, and the rows staged since a
# carried state are found by their generation alone.
STAGE_ACCOUNTS = """
SELECT CAST({first_key} + ROW_NUMBER() OVER (ORDER BY account_id) - 1 AS BIGINT) AS k,
       account_id, customer_id, currency, status, opened_on, CAST({generation} AS INTEGER) AS gen
FROM {source}
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

# Running total of each account's schedule, oldest installment first (due_date, then seq).
STAGE_SCHEDULE = """
SELECT
    a.k,
    i.seq,
    i.due_date,
    i.amount_due,
    CAST(SUM(i.amount_due) OVER (
        PARTITION BY i.account_id ORDER BY i.due_date, i.seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS BIGINT) AS cum_due,
    CAST({generation} AS INTEGER) AS gen
FROM installments AS i
JOIN account_keys AS a ON a.account_id = i.account_id
"""

STAGE_KEYED_LEDGER = f"""
SELECT a.k, l.paid_on, l.signed_amount, l.payment_id, l.amount, l.reverses,
       CAST({{generation}} AS INTEGER) AS gen
FROM ({STAGE_LEDGER}) AS l
JOIN account_keys AS a ON a.account_id = l.account_id
"""

# The schedule's rows by due date: what an installment falling due changes. A store keeps this
# table sorted by due date, so that the days between two nights are found by zone maps among
# 300M rows; an engine without one reads it as a view of the schedule.
STAGE_CALENDAR = """
SELECT due_date, k, gen, amount_due, cum_due FROM {schedule}
"""

# An account's state as of a date: net paid (payments less reversals, not yet floored at 0, so
# that later payments add to it), the threshold of its currency, the sums due before the date
# and in all, and the oldest overdue date, from the rows of the account's generation.
DUES = """
SELECT
    b.k,
    b.gen,
    b.net,
    b.threshold,
    CAST(COALESCE(d.past_due, 0) AS BIGINT) AS past_due,
    CAST(COALESCE(d.scheduled, 0) AS BIGINT) AS scheduled,
    d.oldest_overdue
FROM base AS b
LEFT JOIN (
    SELECT
        s.k,
        CAST(SUM(CASE WHEN s.due_date < {as_of} THEN s.amount_due ELSE 0 END) AS BIGINT) AS past_due,
        CAST(SUM(s.amount_due) AS BIGINT) AS scheduled,
        -- the shortfall min(amount_due, cum_due - paid) exceeds the threshold t >= 0
        MIN(CASE WHEN s.due_date < {as_of}
                  AND s.amount_due > b.threshold
                  AND s.cum_due - GREATEST(b.net, 0) > b.threshold
             THEN s.due_date END) AS oldest_overdue
    FROM {schedule} AS s
    JOIN base AS b ON b.k = s.k AND b.gen = s.gen
    GROUP BY s.k
) AS d ON d.k = b.k
"""

FULL_STATE = """
WITH paid AS (
    SELECT l.k, l.gen, CAST(SUM(l.signed_amount) AS BIGINT) AS net
    FROM ledger AS l
    WHERE l.paid_on <= {as_of}
    GROUP BY l.k, l.gen
),
base AS (
    SELECT a.k, a.gen, CAST(COALESCE(p.net, 0) AS BIGINT) AS net,
           CAST({threshold} AS BIGINT) AS threshold
    FROM accounts AS a
    LEFT JOIN paid AS p ON p.k = a.k AND p.gen = a.gen
)
{dues}
"""

# From a state carried from an earlier date C, computed when the newest generation was G (each
# carried row keeps the generation it was computed from, which is the account's own unless it
# was restaged since), an account changes only in three ways, each computed from the rows that
# show it:
# - restaged: staged again since (generation above G): computed again from its rows, which
#   the generation finds without looking at any other account's;
# - paid late: ledger entries dated after C that were staged before (a payment booked ahead):
#   its carried net plus those entries, and its whole schedule read again (rare);
# - fallen due: installments due from C to before D: their sum is added, and the oldest overdue
#   is the carried one or else the first of them short of the paid amount. Paid is unchanged.
# Every other account keeps its carried row: only the days are added to its DPD.
INCREMENTAL_STATE = """
WITH late AS (
    -- superseded generations included: base keeps the carried one only
    SELECT l.k, l.gen, CAST(SUM(l.signed_amount) AS BIGINT) AS delta
    FROM ledger AS l
    WHERE l.paid_on > {carried_as_of} AND l.paid_on <= {as_of} AND l.gen <= {generation}
    GROUP BY l.k, l.gen
),
restaged_paid AS (
    SELECT l.k, l.gen, CAST(SUM(l.signed_amount) AS BIGINT) AS net
    FROM ledger AS l
    WHERE l.gen > {generation} AND l.paid_on <= {as_of}
    GROUP BY l.k, l.gen
),
restaged AS (
    SELECT a.k, a.gen, CAST({threshold} AS BIGINT) AS threshold
    FROM accounts AS a
    WHERE a.gen > {generation}
),
base AS (
    SELECT r.k, r.gen, CAST(COALESCE(p.net, 0) AS BIGINT) AS net, r.threshold
    FROM restaged AS r
    LEFT JOIN restaged_paid AS p ON p.k = r.k AND p.gen = r.gen
    UNION ALL
    SELECT c.k, c.gen, CAST(c.net + x.delta AS BIGINT) AS net, c.threshold
    FROM carry AS c
    JOIN late AS x ON x.k = c.k AND x.gen = c.gen
    LEFT JOIN restaged AS r ON r.k = c.k
    WHERE r.k IS NULL
),
recomputed_schedule AS (
    SELECT s.k, s.gen, s.due_date, s.amount_due, s.cum_due
    FROM schedule AS s
    WHERE s.gen > {generation}
    UNION ALL
    SELECT s.k, s.gen, s.due_date, s.amount_due, s.cum_due
    FROM schedule AS s
    JOIN base AS b ON b.k = s.k AND b.gen = s.gen
    WHERE b.gen <= {generation}
),
recomputed AS (
    {dues}
),
fallen_due AS (
    SELECT
        s.k,
        CAST(SUM(s.amount_due) AS BIGINT) AS newly_due,
        MIN(CASE WHEN s.amount_due > c.threshold AND s.cum_due - GREATEST(c.net, 0) > c.threshold
             THEN s.due_date END) AS first_overdue
    FROM calendar AS s
    JOIN carry AS c ON c.k = s.k AND c.gen = s.gen
    LEFT JOIN base AS b ON b.k = s.k
    WHERE s.due_date >= {carried_as_of} AND s.due_date < {as_of} AND s.gen <= {generation}
      AND b.k IS NULL
    GROUP BY s.k
),
moved AS (
    SELECT k FROM recomputed
    UNION ALL
    SELECT k FROM fallen_due
)
SELECT * FROM recomputed
UNION ALL
SELECT c.k, c.gen, c.net, c.threshold, CAST(c.past_due + f.newly_due AS BIGINT) AS past_due,
       c.scheduled, COALESCE(c.oldest_overdue, f.first_overdue) AS oldest_overdue
FROM carry AS c
JOIN fallen_due AS f ON f.k = c.k
UNION ALL
SELECT c.k, c.gen, c.net, c.threshold, c.past_due, c.scheduled, c.oldest_overdue
FROM carry AS c
LEFT JOIN moved AS m ON m.k = c.k
WHERE m.k IS NULL
"""

# The snapshot from the table ``state`` and the accounts, rolled against the previous snapshot's
# bucket ranks, ``previous(k, previous_rank)``. An account opened after the date is not in it yet
# (its state is still computed, so that a carried state holds it on the day it opens).
SNAPSHOT_TEMPLATE = """
WITH measured AS (
    SELECT
        t.k,
        CAST(COALESCE(DATE_DIFF('day', t.oldest_overdue, {as_of}), 0) AS INTEGER) AS dpd,
        CAST(GREATEST(t.past_due - GREATEST(t.net, 0), 0) AS BIGINT) AS overdue_amount,
        CAST(GREATEST(t.scheduled - GREATEST(t.net, 0), 0) AS BIGINT) AS outstanding_amount
    FROM state AS t
),
bucketed AS (
    SELECT m.*, {bucket_name} AS bucket, CAST({bucket_rank} AS INTEGER) AS bucket_rank
    FROM measured AS m
)
SELECT
    {as_of} AS as_of,
    a.account_id,
    a.customer_id,
    a.currency,
    a.status,
    m.dpd,
    m.bucket,
    m.bucket_rank,
    m.overdue_amount,
    m.outstanding_amount,
    CASE
        WHEN v.previous_rank IS NULL THEN '{new}'
        WHEN m.bucket_rank = v.previous_rank THEN '{same}'
        WHEN m.bucket_rank > v.previous_rank THEN '{forward}'
        WHEN m.bucket_rank = 0 THEN '{cured}'
        ELSE '{back}'
    END AS roll,
    CAST(v.previous_rank AS INTEGER) AS previous_rank
FROM bucketed AS m
JOIN accounts AS a ON a.k = m.k
LEFT JOIN previous AS v ON v.k = m.k
WHERE a.opened_on IS NULL OR a.opened_on <= {as_of}
{order}
"""


def quote(text: str) -> str:
    """A text as an SQL string literal (every engine here reads '' as one quote).

    The one quoting helper left in Arrears, for the one place binding cannot serve: the
    definition is SQL text written once and transpiled by sqlglot for Spark, and the bank's
    rules (bucket names, currencies of the materiality table) are compiled into its CASE
    expressions, not passed as values. Queries of the operational database bind every value
    (arrears.db.arrow); DuckDB statements with values bind them too (``$name``).
    """
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
    return f"CASE p.bucket {branches} END"


def _literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def stage_accounts_sql(source: str, first_key: int, generation: int) -> str:
    """The accounts of ``source`` keyed from ``first_key`` on, in account_id order."""
    return STAGE_ACCOUNTS.format(source=source, first_key=int(first_key), generation=int(generation))


def stage_schedule_sql(generation: int) -> str:
    """The schedule of ``installments`` for the accounts of ``account_keys(account_id, k)``."""
    return STAGE_SCHEDULE.format(generation=int(generation))


def stage_ledger_sql(generation: int) -> str:
    """The signed ledger of ``payments`` for the accounts of ``account_keys(account_id, k)``."""
    return STAGE_KEYED_LEDGER.format(generation=int(generation))


def stage_calendar_sql(schedule: str = "schedule") -> str:
    """The calendar's rows of the staged schedule in the table ``schedule``."""
    return STAGE_CALENDAR.format(schedule=schedule)


def state_sql(
    as_of: date,
    rules: DelinquencyRules,
    carried_as_of: date | None = None,
    generation: int = 0,
) -> str:
    """Every account's state as of ``as_of`` (DuckDB dialect). With ``carried_as_of``, a table
    ``carry`` holds the state as of that earlier date, computed when the staged rows were of
    ``generation`` at most, and only the accounts that can have changed since are recomputed.
    """
    threshold = _threshold_case(rules)
    if carried_as_of is None:
        dues = DUES.format(as_of=_literal(as_of), schedule="schedule")
        return FULL_STATE.format(as_of=_literal(as_of), threshold=threshold, dues=dues)
    if carried_as_of >= as_of:
        raise ValueError("a carried state must be older than the date it is carried to")
    return INCREMENTAL_STATE.format(
        as_of=_literal(as_of),
        carried_as_of=_literal(carried_as_of),
        generation=int(generation),
        threshold=threshold,
        dues=DUES.format(as_of=_literal(as_of), schedule="recomputed_schedule"),
    )


def carried_ranks_sql(carried_as_of: date, rules: DelinquencyRules) -> str:
    """The bucket ranks of the carried state's own date, from its oldest overdue date: those of
    that date's snapshot, without reading it back (DuckDB dialect)."""
    day = _literal(carried_as_of)
    dpd = f"COALESCE(DATE_DIFF('day', c.oldest_overdue, {day}), 0)"
    return (
        f"SELECT c.k, CAST({_bucket_case(rules, dpd, rank=True)} AS INTEGER) AS previous_rank "
        "FROM carry AS c JOIN accounts AS a ON a.k = c.k "
        f"WHERE a.opened_on IS NULL OR a.opened_on <= {day}"  # in that date's snapshot
    )


def previous_ranks_sql(rules: DelinquencyRules) -> str:
    """The bucket ranks of ``previous_frame(account_id, bucket)``, a snapshot read back, under
    the staged keys (DuckDB dialect)."""
    return (
        f"SELECT a.k, CAST({_previous_rank_case(rules)} AS INTEGER) AS previous_rank "
        "FROM previous_frame AS p JOIN accounts AS a ON a.account_id = p.account_id"
    )


def snapshot_sql(as_of: date, rules: DelinquencyRules, *, ordered: bool = True) -> str:
    """The snapshot as of ``as_of`` from the table ``state`` and the table ``previous`` (DuckDB dialect)."""
    return SNAPSHOT_TEMPLATE.format(
        as_of=_literal(as_of),
        bucket_name=_bucket_case(rules, "m.dpd", rank=False),
        bucket_rank=_bucket_case(rules, "m.dpd", rank=True),
        new=ROLL_NEW,
        same=ROLL_SAME,
        forward=ROLL_FORWARD,
        cured=ROLL_CURED,
        back=ROLL_BACK,
        order="ORDER BY m.k" if ordered else "",
    )


@cache
def to_spark(sql: str) -> str:
    """The same query in Spark SQL's dialect."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]
