"""Arrears' own features, computed set-based in DuckDB for every account of a snapshot date.

Point in time: a feature for as-of date D reads snapshots, dues and payments dated D or
earlier, nothing else. Delinquency history is read at seven points, D and every 30 days back
to D-180, each from the latest snapshot at or before the point and at most 30 days older
(the latest snapshot of each 30-day period counted back from D: a hash aggregate, no join).
Payment behaviour is read in six 30-day periods ending at D.

Inputs, as tables or views of the connection (see :func:`stage_portfolio`):
  account_terms(account_id, product, currency, opened_on, credit_limit, birth_date)
  dues(account_id, due_date, amount_due)              -- installments, minor units
  ledger(account_id, paid_on, signed_amount)          -- payments less reversals, per day
  snapshots(as_of, account_id, dpd, bucket_rank, outstanding_amount)
  currency_exponents(currency, exponent)
Amounts become major units (floats: model inputs, never booked).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from arrears.delinquency.definition import STAGE_LEDGER
from arrears.money import exponent
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
    SELECT account_id, dpd, bucket_rank, outstanding_amount
    FROM snapshots
    WHERE as_of = {as_of} {delinquent}
),
latest AS (
    SELECT s.account_id, CAST(({as_of} - s.as_of) // 30 AS INTEGER) AS k,
        ARG_MAX(s.dpd, s.as_of) AS dpd,
        ARG_MAX(s.bucket_rank, s.as_of) AS bucket_rank,
        ARG_MAX(s.outstanding_amount, s.as_of) AS outstanding
    FROM snapshots AS s SEMI JOIN population AS p ON p.account_id = s.account_id
    WHERE s.as_of <= {as_of} AND s.as_of > {as_of} - 210
    GROUP BY ALL
),
pivoted AS (
    SELECT account_id,
        MAX(bucket_rank) FILTER (WHERE k = 1) AS bucket_1m_ago,
        MAX(bucket_rank) FILTER (WHERE k = 2) AS bucket_2m_ago,
        MAX(bucket_rank) FILTER (WHERE k < 6) AS worst_bucket_6m,
        COUNT(*) FILTER (WHERE k < 3 AND dpd > 0) AS months_delinquent_3m,
        COUNT(*) FILTER (WHERE k < 6 AND dpd > 0) AS months_delinquent_6m,
        {late_columns},
        MAX(outstanding) FILTER (WHERE k < 6) AS outstanding_max_6m,
        MAX(outstanding) FILTER (WHERE k = 6) AS outstanding_6m_ago
    FROM latest
    GROUP BY account_id
),
delinquency AS (
    SELECT *, {cures} AS cures_6m FROM pivoted
),
due_periods AS (
    SELECT d.account_id, CAST(({as_of} - d.due_date) // 30 AS INTEGER) AS period,
        SUM(d.amount_due) AS due
    FROM dues AS d SEMI JOIN population AS p ON p.account_id = d.account_id
    WHERE d.due_date <= {as_of} AND d.due_date > {as_of} - 180
    GROUP BY ALL
),
paid_periods AS (
    SELECT l.account_id, CAST(({as_of} - l.paid_on) // 30 AS INTEGER) AS period,
        SUM(l.signed_amount) AS paid
    FROM ledger AS l SEMI JOIN population AS p ON p.account_id = l.account_id
    WHERE l.paid_on <= {as_of} AND l.paid_on > {as_of} - 180
    GROUP BY ALL
),
periods AS (
    SELECT account_id, period, COALESCE(d.due, 0) AS due, COALESCE(p.paid, 0) AS paid
    FROM due_periods AS d FULL JOIN paid_periods AS p USING (account_id, period)
),
payment AS (
    SELECT account_id,
        SUM(due) FILTER (WHERE period = 0) AS due_1m,
        SUM(paid) FILTER (WHERE period = 0) AS paid_1m,
        SUM(due) FILTER (WHERE period < 3) AS due_3m,
        SUM(paid) FILTER (WHERE period < 3) AS paid_3m,
        SUM(due) AS due_6m,
        SUM(paid) AS paid_6m,
        COUNT(*) FILTER (WHERE paid > 0) AS months_with_payment_6m,
        COUNT(*) FILTER (WHERE due > 0 AND paid >= due) AS months_paid_in_full_6m
    FROM periods
    GROUP BY account_id
),
last_payment AS (
    SELECT l.account_id, MAX(l.paid_on) AS paid_on
    FROM ledger AS l SEMI JOIN population AS p ON p.account_id = l.account_id
    WHERE l.paid_on <= {as_of} AND l.signed_amount > 0
    GROUP BY l.account_id
)
SELECT
    p.account_id,
    CAST(CASE
        WHEN p.dpd > 0 THEN p.bucket_rank
        WHEN COALESCE(m.due_1m, 0) = 0 AND p.outstanding_amount <= 0 THEN -2
        WHEN COALESCE(m.paid_1m, 0) >= COALESCE(m.due_1m, 0) THEN -1
        ELSE 0 END AS DOUBLE) AS repayment_status_now,
    CAST(p.bucket_rank AS DOUBLE) AS bucket_now,
    CAST(h.bucket_1m_ago AS DOUBLE) AS bucket_1m_ago,
    CAST(h.bucket_2m_ago AS DOUBLE) AS bucket_2m_ago,
    CAST(h.worst_bucket_6m AS DOUBLE) AS worst_bucket_6m,
    CAST(h.months_delinquent_3m AS DOUBLE) AS months_delinquent_3m,
    CAST(h.months_delinquent_6m AS DOUBLE) AS months_delinquent_6m,
    CAST(h.cures_6m AS DOUBLE) AS cures_6m,
    CAST(COALESCE(m.months_paid_in_full_6m, 0) AS DOUBLE) AS months_paid_in_full_6m,
    CASE WHEN m.due_1m > 0 THEN LEAST(m.paid_1m / m.due_1m, 10.0) END AS pay_ratio_1m,
    CASE WHEN m.due_3m > 0 THEN LEAST(m.paid_3m / m.due_3m, 10.0) END AS pay_ratio_3m,
    CASE WHEN m.due_6m > 0 THEN LEAST(m.paid_6m / m.due_6m, 10.0) END AS pay_ratio_6m,
    CAST(COALESCE(m.months_with_payment_6m, 0) AS DOUBLE) AS months_with_payment_6m,
    CAST({as_of} - lp.paid_on AS DOUBLE) AS days_since_last_payment,
    COALESCE(m.paid_1m, 0) / POWER(10, x.exponent) AS amount_paid_last,
    p.outstanding_amount / POWER(10, x.exponent) AS balance,
    CASE WHEN t.credit_limit > 0 THEN p.outstanding_amount / t.credit_limit END AS utilisation,
    CASE WHEN t.credit_limit > 0 THEN h.outstanding_max_6m / t.credit_limit END AS utilisation_max_6m,
    CASE WHEN h.outstanding_6m_ago > 0 THEN p.outstanding_amount / h.outstanding_6m_ago END
        AS balance_growth_6m,
    t.credit_limit / POWER(10, x.exponent) AS credit_limit,
    t.product,
    CAST(DATE_SUB('month', t.opened_on, {as_of}) AS DOUBLE) AS tenure_months,
    CAST(DATE_SUB('year', t.birth_date, {as_of}) AS DOUBLE) AS customer_age
FROM population AS p
JOIN account_terms AS t ON t.account_id = p.account_id
JOIN currency_exponents AS x ON x.currency = t.currency
LEFT JOIN delinquency AS h ON h.account_id = p.account_id
LEFT JOIN payment AS m ON m.account_id = p.account_id
LEFT JOIN last_payment AS lp ON lp.account_id = p.account_id
"""


# late_k: delinquent at point k; a cure is late at point k+1 and not late at point k
LATE_COLUMNS = ",\n        ".join(f"BOOL_OR(dpd > 0) FILTER (WHERE k = {k}) AS late_{k}" for k in range(6))
CURES = " + ".join(f"CAST(COALESCE(late_{k + 1} AND NOT late_{k}, FALSE) AS INTEGER)" for k in range(5))


def features_sql(as_of: date, delinquent_only: bool = True, chosen: bool = False) -> str:
    population = "AND dpd > 0" if delinquent_only else ""
    if chosen:
        population += " AND account_id IN (SELECT account_id FROM chosen_accounts)"
    return FEATURES_SQL.format(
        as_of=f"DATE '{as_of.isoformat()}'",
        delinquent=population,
        late_columns=LATE_COLUMNS,
        cures=CURES,
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
    con.register("accounts_in", accounts)
    con.register("installments_in", installments)
    con.register("payments", payments)
    con.register("snapshots_in", snapshots)
    birth = "NULL::DATE"
    join = ""
    if customers is not None:
        con.register("customers_in", customers)
        birth, join = "c.birth_date", "LEFT JOIN customers_in AS c ON c.customer_id = a.customer_id"
    con.execute(
        "CREATE OR REPLACE TABLE account_terms AS SELECT a.account_id, a.product, a.currency, "
        f"a.opened_on, a.credit_limit, {birth} AS birth_date FROM accounts_in AS a {join}"
    )
    con.execute(
        "CREATE OR REPLACE TABLE dues AS SELECT account_id, due_date, amount_due FROM installments_in"
    )
    con.execute(f"CREATE OR REPLACE TABLE ledger AS {STAGE_LEDGER}")
    con.execute(
        "CREATE OR REPLACE TABLE snapshots AS "
        "SELECT as_of, account_id, dpd, bucket_rank, outstanding_amount FROM snapshots_in"
    )
    currencies = con.sql("SELECT DISTINCT currency FROM account_terms").fetchall()
    exponents = pa.table(
        {
            "currency": [c for (c,) in currencies],
            "exponent": pa.array([exponent(c) for (c,) in currencies], pa.int32()),
        }
    )
    con.register("exponents_in", exponents)
    con.execute("CREATE OR REPLACE TABLE currency_exponents AS SELECT * FROM exponents_in")
    for name in ("accounts_in", "installments_in", "payments", "snapshots_in", "exponents_in"):
        con.unregister(name)
    if customers is not None:
        con.unregister("customers_in")
