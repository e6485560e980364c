"""Arrears' own features: delinquency history, payment behaviour, balance, account.

Each is computed per account as of a business date from the portfolio and the delinquency
snapshots (see :mod:`arrears.scoring.sql`); the UCI adapter maps its columns onto the same names.
Descriptions and phrases are English messages marked with ``N_``; their Chinese is in the catalogue
(``arrears/locale/zh_CN/LC_MESSAGES/arrears.po``).
"""

from __future__ import annotations

from arrears.i18n import N_
from arrears.scoring.registry import Feature, FeatureRegistry, Kind, Unit

HISTORY_FEATURES = (
    "bucket_now",
    "bucket_1m_ago",
    "bucket_2m_ago",
    "worst_bucket_6m",
    "months_delinquent_3m",
    "months_delinquent_6m",
    "cures_6m",
    "months_paid_in_full_6m",
    "pay_ratio_1m",
    "pay_ratio_3m",
    "pay_ratio_6m",
    "months_with_payment_6m",
    "days_since_last_payment",
    "amount_paid_last",
    "balance",
    "utilisation",
    "utilisation_max_6m",
    "balance_growth_6m",
    "credit_limit",
)
"""Delinquency, payment and balance history: what every data set the pipeline reads provides."""


def _numeric(name: str, unit: Unit, group: str, description: str, phrase: str) -> Feature:
    return Feature(
        name=name, kind=Kind.NUMERIC, unit=unit, group=group, description=description, phrase=phrase
    )


DELINQUENCY = [
    _numeric(
        "repayment_status_now",
        Unit.STATUS,
        "delinquency",
        N_("repayment status of the last statement"),
        N_("last statement: {value}"),
    ),
    _numeric(
        "repayment_status_1m_ago",
        Unit.STATUS,
        "delinquency",
        N_("repayment status of the statement before"),
        N_("statement before: {value}"),
    ),
    _numeric(
        "bucket_now",
        Unit.BUCKET,
        "delinquency",
        N_("bucket at the as-of date"),
        N_("currently in {value}"),
    ),
    _numeric(
        "bucket_1m_ago",
        Unit.BUCKET,
        "delinquency",
        N_("bucket one month before"),
        N_("{value} a month ago"),
    ),
    _numeric(
        "bucket_2m_ago",
        Unit.BUCKET,
        "delinquency",
        N_("bucket two months before"),
        N_("{value} two months ago"),
    ),
    _numeric(
        "worst_bucket_6m",
        Unit.BUCKET,
        "delinquency",
        N_("worst bucket in the last 6 months"),
        N_("worst delinquency in 6 months: {value}"),
    ),
    _numeric(
        "months_delinquent_3m",
        Unit.COUNT,
        "delinquency",
        N_("months delinquent of the last 3"),
        N_("delinquent in {value} of the last 3 months"),
    ),
    _numeric(
        "months_delinquent_6m",
        Unit.COUNT,
        "delinquency",
        N_("months delinquent of the last 6"),
        N_("delinquent in {value} of the last 6 months"),
    ),
    _numeric(
        "cures_6m",
        Unit.COUNT,
        "delinquency",
        N_("cures in the last 6 months"),
        N_("cures in the last 6 months: {value}"),
    ),
    _numeric(
        "months_paid_in_full_6m",
        Unit.COUNT,
        "delinquency",
        N_("months paid in full of the last 6"),
        N_("paid in full in {value} of the last 6 months"),
    ),
]

PAYMENTS = [
    _numeric(
        "pay_ratio_1m",
        Unit.SHARE,
        "payments",
        N_("share of last month's dues paid"),
        N_("paid {value} of last month's dues"),
    ),
    _numeric(
        "pay_ratio_3m",
        Unit.SHARE,
        "payments",
        N_("share of dues paid in 3 months"),
        N_("paid {value} of dues in the last 3 months"),
    ),
    _numeric(
        "pay_ratio_6m",
        Unit.SHARE,
        "payments",
        N_("share of dues paid in 6 months"),
        N_("paid {value} of dues in the last 6 months"),
    ),
    _numeric(
        "months_with_payment_6m",
        Unit.COUNT,
        "payments",
        N_("months with a payment of the last 6"),
        N_("paid something in {value} of the last 6 months"),
    ),
    Feature(
        name="days_since_last_payment",
        kind=Kind.NUMERIC,
        unit=Unit.DAYS,
        group="payments",
        description=N_("days since the last payment"),
        phrase=N_("last payment {value} ago"),
        missing_phrase=N_("no payment on record"),
    ),
    _numeric(
        "amount_paid_last",
        Unit.AMOUNT,
        "payments",
        N_("amount paid in the last month"),
        N_("paid {value} last month"),
    ),
]

BALANCE = [
    _numeric(
        "balance",
        Unit.AMOUNT,
        "balance",
        N_("outstanding balance"),
        N_("balance of {value}"),
    ),
    _numeric(
        "utilisation",
        Unit.SHARE,
        "balance",
        N_("balance as a share of the credit limit"),
        N_("using {value} of the credit limit"),
    ),
    _numeric(
        "utilisation_max_6m",
        Unit.SHARE,
        "balance",
        N_("highest utilisation in 6 months"),
        N_("up to {value} of the limit used in 6 months"),
    ),
    _numeric(
        "balance_growth_6m",
        Unit.NUMBER,
        "balance",
        N_("balance now against 6 months ago"),
        N_("balance {value}× that of 6 months ago"),
    ),
    _numeric(
        "credit_limit",
        Unit.AMOUNT,
        "balance",
        N_("credit limit"),
        N_("credit limit {value}"),
    ),
]

ACCOUNT = [
    Feature(
        name="product",
        kind=Kind.CATEGORICAL,
        unit=Unit.CATEGORY,
        group="account",
        description=N_("product"),
        phrase=N_("product: {value}"),
    ),
    _numeric(
        "tenure_months",
        Unit.MONTHS,
        "account",
        N_("months since the account opened"),
        N_("account open for {value}"),
    ),
    _numeric(
        "customer_age",
        Unit.YEARS,
        "account",
        N_("customer's age"),
        N_("customer aged {value}"),
    ),
]


def register_features(registry: FeatureRegistry) -> None:
    for feature in [*DELINQUENCY, *PAYMENTS, *BALANCE, *ACCOUNT]:
        registry.register(feature)
