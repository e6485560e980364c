"""The snapshot as validity ranges: what a date's snapshot changes, computed in DuckDB over Arrow.

A range holds an account's state over the snapshot dates in [valid_from, valid_to). The state
is every stored figure but the DPD, which grows by a day each day for a delinquent account:
it is kept as ``overdue_since`` (the due date of the oldest overdue installment, DPD = as-of
date minus it), so such an account needs a new range only when its bucket, amounts, status or
roll change. Writing the snapshot of D then means: compare it with the state the ranges give
at D (the *base*), and for the accounts that differ (or appear, or leave), cut their ranges at
D and at the next snapshot date, put the new state in between and merge neighbours that hold
the same state, so that the ranges stay maximal: the same dates on the same data give the same
rows whatever the order the dates were written in.

Pure functions over Arrow (no database): :mod:`arrears.delinquency.repository` reads the base
and writes the result.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

STATE_COLUMNS = (
    "customer_id",
    "currency",
    "status",
    "overdue_since",
    "bucket",
    "bucket_rank",
    "overdue_amount",
    "outstanding_amount",
    "roll",
)
"""What a range holds for its dates: a new range starts when one of these changes."""

STATE_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("customer_id", pa.string()),
        ("currency", pa.string()),
        ("status", pa.string()),
        ("overdue_since", pa.date32()),
        ("bucket", pa.string()),
        ("bucket_rank", pa.int32()),
        ("overdue_amount", pa.int64()),
        ("outstanding_amount", pa.int64()),
        ("roll", pa.string()),
    ]
)
"""An account's state at one date (a snapshot's rows without the date and the DPD)."""

CHANGES_SCHEMA = pa.schema(
    [STATE_SCHEMA.field("account_id"), ("present", pa.bool_()), *list(STATE_SCHEMA)[1:]]
)
"""What a date changes: the accounts whose state differs, ``present`` false for one that left."""
RANGE_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        *list(STATE_SCHEMA)[1:],
    ]
)
"""Rows of ``delinquency_ranges``."""

_STATE = ", ".join(STATE_COLUMNS)
_DIFFERS = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in STATE_COLUMNS)
_SAME_AS_PREVIOUS = " AND ".join(f"LAG({c}) OVER w IS NOT DISTINCT FROM {c}" for c in STATE_COLUMNS)


STATES_SQL = """
SELECT account_id, customer_id, currency, status,
       CASE WHEN dpd > 0 THEN CAST(as_of - CAST(dpd AS INTEGER) AS DATE) END AS overdue_since,
       bucket, CAST(bucket_rank AS INTEGER) AS bucket_rank, CAST(overdue_amount AS BIGINT) AS overdue_amount,
       CAST(outstanding_amount AS BIGINT) AS outstanding_amount, roll
FROM {snapshot} ORDER BY account_id
"""


def states_sql(snapshot: str, *, ordered: bool = True) -> str:
    """The rows of the snapshot table ``snapshot`` as states (``overdue_since`` from the date and
    the DPD), by account (in no order unless ``ordered``)."""
    found = STATES_SQL.format(snapshot=snapshot)
    return found if ordered else found.replace(" ORDER BY account_id", "")


def states(snapshot: pa.Table) -> pa.Table:
    """:func:`states_sql` over an Arrow snapshot."""
    con = duckdb.connect()
    try:
        con.register("snapshot", snapshot)
        return con.sql(states_sql("snapshot")).to_arrow_table().cast(STATE_SCHEMA)
    finally:
        con.close()


CHANGES_SQL = f"""
SELECT COALESCE(n.account_id, o.account_id) AS account_id, n.account_id IS NOT NULL AS present,
       {", ".join(f"n.{c}" for c in STATE_COLUMNS)}
FROM night AS n FULL OUTER JOIN base AS o ON o.account_id = n.account_id
WHERE n.account_id IS NULL OR o.account_id IS NULL OR {_DIFFERS}
ORDER BY account_id
"""


def changes_sql(night: str, base: str) -> str:
    """The accounts whose state in ``night`` differs from ``base`` (both tables of states), with
    their new state; ``present`` false for an account that left (it has no state that date)."""
    return CHANGES_SQL.replace("night AS n", f"{night} AS n").replace("base AS o", f"{base} AS o")


def changes(night: pa.Table, base: pa.Table) -> pa.Table:
    """:func:`changes_sql` over two Arrow tables of states."""
    con = duckdb.connect()
    try:
        con.register("night", night)
        con.register("base", base)
        return con.sql(CHANGES_SQL).to_arrow_table().cast(CHANGES_SCHEMA)
    finally:
        con.close()


RECOMPOSE_SQL = f"""
WITH pieces AS (
    -- what the old ranges keep before the date
    SELECT account_id, valid_from,
           CASE WHEN valid_to IS NULL OR valid_to > $day THEN $day ELSE valid_to END AS valid_to, {_STATE}
    FROM old WHERE valid_from < $day
    UNION ALL
    -- and from the next snapshot date on
    SELECT account_id, greatest(valid_from, $next) AS valid_from, valid_to, {_STATE}
    FROM old WHERE valid_to IS NULL OR valid_to > $next
    UNION ALL
    -- the new state, from the date to the next one
    SELECT account_id, $day, $next, {_STATE} FROM changed WHERE present
),
marked AS (
    SELECT *, CASE WHEN LAG(valid_to) OVER w = valid_from AND {_SAME_AS_PREVIOUS} THEN 0 ELSE 1 END AS starts
    FROM pieces
    WINDOW w AS (PARTITION BY account_id ORDER BY valid_from)
),
islands AS (
    SELECT *, SUM(starts) OVER (PARTITION BY account_id ORDER BY valid_from) AS island FROM marked
)
SELECT account_id, min(valid_from) AS valid_from,
       CASE WHEN bool_or(valid_to IS NULL) THEN NULL ELSE max(valid_to) END AS valid_to,
       {", ".join(f"arg_min({c}, valid_from) AS {c}" for c in STATE_COLUMNS)}
FROM islands
GROUP BY account_id, island
ORDER BY account_id, valid_from
"""


def recompose(old: pa.Table, changed: pa.Table, day: date, following: date) -> pa.Table:
    """The ranges of the changed accounts once their state from ``day`` until the next snapshot
    date ``following`` is the one in ``changed``: ``old`` holds their ranges that touch
    [day, following] (those covering either date, ending at ``day`` or starting at
    ``following``); the result replaces them, neighbours of equal state merged."""
    con = duckdb.connect()
    try:
        con.register("old", old)
        con.register("changed", changed)
        result = con.sql(RECOMPOSE_SQL, params={"day": day, "next": following}).to_arrow_table()
    finally:
        con.close()
    return result.cast(RANGE_SCHEMA)
