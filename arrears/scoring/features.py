"""Arrears' own features, computed set-based in DuckDB for every account of a snapshot date.

Point in time: a feature for as-of date D reads snapshots, dues and payments dated D or
earlier, nothing else. Delinquency history is read at seven points, D and every 30 days back
to D-180, each from the latest snapshot at or before the point and at most 30 days older
(the latest snapshot of each 30-day period counted back from D: a hash aggregate, no join).
Payment behaviour is read in six 30-day periods ending at D.

Inputs, as tables or views of the connection (see :data:`STAGING`):
  account_terms(account_key, account_id, product, currency, opened_on, credit_limit, birth_date)
  dues(account_key, due_date, amount_due)             -- installments, minor units
  ledger(account_key, account_id, paid_on, signed_amount) -- payments less reversals
  snapshots(as_of, account_key, dpd, bucket_rank, outstanding_amount)
  currency_exponents(currency, exponent)
The query is one pass per table (conditional aggregates per 30-day period, no per-account
subquery), written in DuckDB's dialect and transpiled to Spark's by sqlglot.
Amounts become major units (floats: model inputs, never booked).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa

from arrears.delinquency.definition import STAGE_LEDGER
from arrears.money import exponent
from arrears.portfolio.frames import CUSTOMER_BIRTHS_SCHEMA
from arrears.scoring.catalog import HISTORY_FEATURES

OWN_FEATURES = (
    "repayment_status_now",
    *HISTORY_FEATURES,
    "product",
    "tenure_months",
    "customer_age",
)

FEATURES_SQL = """
WITH population AS (
    SELECT account_key, dpd, bucket_rank, outstanding_amount
    FROM snapshots
    WHERE as_of = {as_of} {population}
),
history AS (
    SELECT s.account_key,
        {history_columns}
    FROM snapshots AS s SEMI JOIN population AS p ON p.account_key = s.account_key
    WHERE s.as_of <= {as_of} AND s.as_of > {history_start}
    GROUP BY s.account_key
),
dues_by_period AS (
    SELECT d.account_key,
        {due_columns}
    FROM dues AS d SEMI JOIN population AS p ON p.account_key = d.account_key
    WHERE d.due_date <= {as_of} AND d.due_date > {payments_start}
    GROUP BY d.account_key
),
paid_by_period AS (
    SELECT l.account_key,
        {paid_columns},
        MAX(l.paid_on) FILTER (WHERE l.signed_amount > 0) AS last_paid_on
    FROM ledger AS l SEMI JOIN population AS p ON p.account_key = l.account_key
    WHERE l.paid_on <= {as_of}
    GROUP BY l.account_key
),
periods AS (
    SELECT p.account_key, p.dpd, p.bucket_rank, p.outstanding_amount, l.last_paid_on,
        {period_columns}
    FROM population AS p
    LEFT JOIN history AS h ON h.account_key = p.account_key
    LEFT JOIN dues_by_period AS d ON d.account_key = p.account_key
    LEFT JOIN paid_by_period AS l ON l.account_key = p.account_key
)
SELECT
    t.account_id,
    CAST(CASE
        WHEN c.dpd > 0 THEN c.bucket_rank
        WHEN c.due_0 = 0 AND c.outstanding_amount <= 0 THEN -2
        WHEN c.paid_0 >= c.due_0 THEN -1
        ELSE 0 END AS DOUBLE) AS repayment_status_now,
    CAST(c.bucket_rank AS DOUBLE) AS bucket_now,
    CAST(c.rank_1 AS DOUBLE) AS bucket_1m_ago,
    CAST(c.rank_2 AS DOUBLE) AS bucket_2m_ago,
    CAST(GREATEST({ranks_6m}) AS DOUBLE) AS worst_bucket_6m,
    CAST({late_3m} AS DOUBLE) AS months_delinquent_3m,
    CAST({late_6m} AS DOUBLE) AS months_delinquent_6m,
    CAST({cures} AS DOUBLE) AS cures_6m,
    CAST({paid_in_full} AS DOUBLE) AS months_paid_in_full_6m,
    {ratio_1m} AS pay_ratio_1m,
    {ratio_3m} AS pay_ratio_3m,
    {ratio_6m} AS pay_ratio_6m,
    CAST({with_payment} AS DOUBLE) AS months_with_payment_6m,
    CAST(DATE_DIFF('day', c.last_paid_on, {as_of}) AS DOUBLE) AS days_since_last_payment,
    c.paid_0 / POWER(10, x.exponent) AS amount_paid_last,
    c.outstanding_amount / POWER(10, x.exponent) AS balance,
    CASE WHEN t.credit_limit > 0 THEN c.outstanding_amount / t.credit_limit END AS utilisation,
    CASE WHEN t.credit_limit > 0 THEN GREATEST({outstanding_6m}) / t.credit_limit END
        AS utilisation_max_6m,
    CASE WHEN c.outstanding_6 > 0 THEN c.outstanding_amount / c.outstanding_6 END AS balance_growth_6m,
    t.credit_limit / POWER(10, x.exponent) AS credit_limit,
    t.product,
    CAST({tenure} AS DOUBLE) AS tenure_months,
    CAST({age} AS DOUBLE) AS customer_age
FROM periods AS c
JOIN account_terms AS t ON t.account_key = c.account_key
JOIN currency_exponents AS x ON x.currency = t.currency
"""

POINTS = 7
"""Delinquency history points: D and every 30 days back to D-180 (period k = 0..6)."""
PERIODS = 6
"""Payment periods: six 30-day periods ending at D."""


def _in_period(column: str, as_of: date, k: int) -> str:
    """``column`` in period k: after D - 30(k+1), at or before D - 30k."""
    after, through = as_of - timedelta(days=30 * (k + 1)), as_of - timedelta(days=30 * k)
    return f"{column} > {_date(after)} AND {column} <= {_date(through)}"


def _date(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _history_columns(as_of: date) -> str:
    """The latest snapshot of each period k: its bucket, DPD and outstanding amount."""
    columns = []
    for k in range(POINTS):
        period = _in_period("s.as_of", as_of, k)
        columns += [
            f"MAX_BY(s.bucket_rank, s.as_of) FILTER (WHERE {period}) AS rank_{k}",
            f"MAX_BY(s.dpd, s.as_of) FILTER (WHERE {period}) AS dpd_{k}",
            f"MAX_BY(s.outstanding_amount, s.as_of) FILTER (WHERE {period}) AS outstanding_{k}",
        ]
    return ",\n        ".join(columns)


def _sums(column: str, day: str, name: str, as_of: date) -> str:
    return ",\n        ".join(
        f"CAST(SUM({column}) FILTER (WHERE {_in_period(day, as_of, k)}) AS BIGINT) AS {name}_{k}"
        for k in range(PERIODS)
    )


def _period_columns() -> str:
    history = [f"h.{name}_{k}" for k in range(POINTS) for name in ("rank", "dpd", "outstanding")]
    money = [
        f"COALESCE({s}.{name}_{k}, 0) AS {name}_{k}"
        for k in range(PERIODS)
        for s, name in (("d", "due"), ("l", "paid"))
    ]
    return ",\n        ".join(history + money)


def _count(condition: str, periods: range) -> str:
    return " + ".join(f"CASE WHEN {condition.format(k=k, j=k + 1)} THEN 1 ELSE 0 END" for k in periods)


def _ratio(periods: int) -> str:
    due = " + ".join(f"c.due_{k}" for k in range(periods))
    paid = " + ".join(f"c.paid_{k}" for k in range(periods))
    return f"CASE WHEN {due} > 0 THEN LEAST(({paid}) / ({due}), CAST(10 AS DOUBLE)) END"


def features_sql(as_of: date, delinquent_only: bool = True, chosen: bool = False) -> str:
    population = "AND dpd > 0" if delinquent_only else ""
    if chosen:
        population += (
            " AND account_key IN (SELECT t.account_key FROM chosen_accounts AS c"
            " JOIN account_terms AS t ON t.account_id = c.account_id)"
        )
    month_index = as_of.year * 12 + as_of.month
    return FEATURES_SQL.format(
        as_of=_date(as_of),
        population=population,
        history_start=_date(as_of - timedelta(days=30 * POINTS)),
        payments_start=_date(as_of - timedelta(days=30 * PERIODS)),
        history_columns=_history_columns(as_of),
        due_columns=_sums("d.amount_due", "d.due_date", "due", as_of),
        paid_columns=_sums("l.signed_amount", "l.paid_on", "paid", as_of),
        period_columns=_period_columns(),
        ranks_6m=", ".join(f"c.rank_{k}" for k in range(PERIODS)),
        outstanding_6m=", ".join(f"c.outstanding_{k}" for k in range(PERIODS)),
        late_3m=_count("c.dpd_{k} > 0", range(3)),
        late_6m=_count("c.dpd_{k} > 0", range(PERIODS)),
        # a cure: late at point k+1 and not late at point k
        cures=_count("c.dpd_{j} > 0 AND c.dpd_{k} <= 0", range(PERIODS - 1)),
        paid_in_full=_count("c.due_{k} > 0 AND c.paid_{k} >= c.due_{k}", range(PERIODS)),
        with_payment=_count("c.paid_{k} > 0", range(PERIODS)),
        ratio_1m=_ratio(1),
        ratio_3m=_ratio(3),
        ratio_6m=_ratio(PERIODS),
        # whole months and years completed, counted on the calendar
        tenure=f"{month_index} - (YEAR(t.opened_on) * 12 + MONTH(t.opened_on)) "
        f"- CASE WHEN DAY(t.opened_on) > {as_of.day} THEN 1 ELSE 0 END",
        age=f"{as_of.year} - YEAR(t.birth_date) "
        f"- CASE WHEN MONTH(t.birth_date) * 100 + DAY(t.birth_date) > {as_of.month * 100 + as_of.day} "
        "THEN 1 ELSE 0 END",
    )


def compute_features(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    delinquent_only: bool = True,
    accounts: pa.Table | None = None,
) -> pa.Table:
    """One row per account of the snapshot at ``as_of`` (delinquent ones by default).

    ``accounts`` (an ``account_id`` column) replaces the delinquent filter: exactly those accounts.
    """
    if accounts is None:
        return con.sql(features_sql(as_of, delinquent_only)).to_arrow_table()
    con.register("chosen_accounts", accounts.select(["account_id"]))
    try:
        return con.sql(features_sql(as_of, delinquent_only=False, chosen=True)).to_arrow_table()
    finally:
        con.unregister("chosen_accounts")


STAGE_TERMS = """
SELECT CAST(ROW_NUMBER() OVER (ORDER BY a.account_id) AS BIGINT) AS account_key,
    a.account_id, a.product, a.currency, a.opened_on, CAST(a.credit_limit AS BIGINT) AS credit_limit,
    c.birth_date
FROM accounts_in AS a
LEFT JOIN customers_in AS c ON c.customer_id = a.customer_id
"""
STAGE_DUES = """
SELECT t.account_key, d.due_date, CAST(d.amount_due AS BIGINT) AS amount_due
FROM installments_in AS d
JOIN account_terms AS t ON t.account_id = d.account_id
"""
STAGE_FEATURE_LEDGER = f"""
SELECT t.account_key, l.account_id, l.paid_on, l.signed_amount
FROM ({STAGE_LEDGER}) AS l
JOIN account_terms AS t ON t.account_id = l.account_id
"""
STAGE_SNAPSHOTS = """
SELECT s.as_of, t.account_key, s.dpd, s.bucket_rank,
    CAST(s.outstanding_amount AS BIGINT) AS outstanding_amount
FROM snapshots_in AS s
JOIN account_terms AS t ON t.account_id = s.account_id
"""
STAGING = (
    ("account_terms", STAGE_TERMS),
    ("dues", STAGE_DUES),
    ("ledger", STAGE_FEATURE_LEDGER),
    ("snapshots", STAGE_SNAPSHOTS),
    ("currency_exponents", "SELECT currency, exponent FROM exponents_in"),
)
"""The staged inputs, in order, from the registered ``*_in`` tables and ``payments``.

Every table is keyed by ``account_key``, a dense integer given to each account at staging:
the feature query groups and joins millions of rows, and integer keys make that cheaper.
"""


def staging_inputs(
    accounts: pa.Table,
    installments: pa.Table,
    payments: pa.Table,
    snapshots: pa.Table,
    customers: pa.Table | None = None,
) -> dict[str, pa.Table]:
    """The tables the staging statements read, by the name they read them under."""
    currencies = sorted(set(accounts.column("currency").to_pylist()))
    return {
        "accounts_in": accounts,
        "customers_in": customers if customers is not None else CUSTOMER_BIRTHS_SCHEMA.empty_table(),
        "installments_in": installments,
        "payments": payments,
        "snapshots_in": snapshots,
        "exponents_in": pa.table(
            {
                "currency": pa.array(currencies, pa.string()),
                "exponent": pa.array([exponent(c) for c in currencies], pa.int32()),
            }
        ),
    }


def stage_portfolio(
    con: duckdb.DuckDBPyConnection,
    accounts: pa.Table,
    installments: pa.Table,
    payments: pa.Table,
    snapshots: pa.Table,
    customers: pa.Table | None = None,
) -> None:
    """Create the input tables from portfolio-shaped Arrow tables (the feed's columns).

    ``accounts`` needs account_id, customer_id, product, currency, opened_on, credit_limit;
    ``customers`` (optional) customer_id and birth_date; the ledger is the batch's own
    definition (reversals subtract the payment they reverse).
    """
    inputs = staging_inputs(accounts, installments, payments, snapshots, customers)
    for name, table in inputs.items():
        con.register(name, table)
    try:
        for name, sql in STAGING:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
    finally:
        for name in inputs:
            con.unregister(name)
