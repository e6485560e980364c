"""Arrears' own features: delinquency history, payment behaviour, balance, account.

Each is computed per account as of a business date from the portfolio and the delinquency
snapshots (see :mod:`arrears.scoring.sql`); the UCI adapter maps its columns onto the same names.
"""

from __future__ import annotations

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


def _numeric(name: str, unit: Unit, group: str, en: tuple[str, str], zh: tuple[str, str]) -> Feature:
    return Feature(
        name=name,
        kind=Kind.NUMERIC,
        unit=unit,
        group=group,
        description={"en": en[0], "zh-CN": zh[0]},
        phrase={"en": en[1], "zh-CN": zh[1]},
    )


DELINQUENCY = [
    _numeric(
        "repayment_status_now",
        Unit.STATUS,
        "delinquency",
        ("repayment status of the last statement", "last statement: {value}"),
        ("最近一期还款状态", "最近一期{value}"),
    ),
    _numeric(
        "repayment_status_1m_ago",
        Unit.STATUS,
        "delinquency",
        ("repayment status of the statement before", "statement before: {value}"),
        ("上一期还款状态", "上一期{value}"),
    ),
    _numeric(
        "bucket_now",
        Unit.BUCKET,
        "delinquency",
        ("bucket at the as-of date", "currently in {value}"),
        ("当前账龄", "当前账龄{value}"),
    ),
    _numeric(
        "bucket_1m_ago",
        Unit.BUCKET,
        "delinquency",
        ("bucket one month before", "{value} a month ago"),
        ("一个月前账龄", "一个月前账龄{value}"),
    ),
    _numeric(
        "bucket_2m_ago",
        Unit.BUCKET,
        "delinquency",
        ("bucket two months before", "{value} two months ago"),
        ("两个月前账龄", "两个月前账龄{value}"),
    ),
    _numeric(
        "worst_bucket_6m",
        Unit.BUCKET,
        "delinquency",
        ("worst bucket in the last 6 months", "worst delinquency in 6 months: {value}"),
        ("近6个月最高账龄", "近6个月最高账龄{value}"),
    ),
    _numeric(
        "months_delinquent_3m",
        Unit.COUNT,
        "delinquency",
        ("months delinquent of the last 3", "delinquent in {value} of the last 3 months"),
        ("近3个月逾期月数", "近3个月中{value}个月逾期"),
    ),
    _numeric(
        "months_delinquent_6m",
        Unit.COUNT,
        "delinquency",
        ("months delinquent of the last 6", "delinquent in {value} of the last 6 months"),
        ("近6个月逾期月数", "近6个月中{value}个月逾期"),
    ),
    _numeric(
        "cures_6m",
        Unit.COUNT,
        "delinquency",
        ("cures in the last 6 months", "cures in the last 6 months: {value}"),
        ("近6个月出催次数", "近6个月出催{value}次"),
    ),
    _numeric(
        "months_paid_in_full_6m",
        Unit.COUNT,
        "delinquency",
        ("months paid in full of the last 6", "paid in full in {value} of the last 6 months"),
        ("近6个月全额还款月数", "近6个月中{value}个月全额还款"),
    ),
]

PAYMENTS = [
    _numeric(
        "pay_ratio_1m",
        Unit.SHARE,
        "payments",
        ("share of last month's dues paid", "paid {value} of last month's dues"),
        ("上月还款占应还比例", "上月还款为应还额的{value}"),
    ),
    _numeric(
        "pay_ratio_3m",
        Unit.SHARE,
        "payments",
        ("share of dues paid in 3 months", "paid {value} of dues in the last 3 months"),
        ("近3个月还款占应还比例", "近3个月还款为应还额的{value}"),
    ),
    _numeric(
        "pay_ratio_6m",
        Unit.SHARE,
        "payments",
        ("share of dues paid in 6 months", "paid {value} of dues in the last 6 months"),
        ("近6个月还款占应还比例", "近6个月还款为应还额的{value}"),
    ),
    _numeric(
        "months_with_payment_6m",
        Unit.COUNT,
        "payments",
        ("months with a payment of the last 6", "paid something in {value} of the last 6 months"),
        ("近6个月有还款的月数", "近6个月中{value}个月有还款"),
    ),
    Feature(
        name="days_since_last_payment",
        kind=Kind.NUMERIC,
        unit=Unit.DAYS,
        group="payments",
        description={"en": "days since the last payment", "zh-CN": "距最近一次还款天数"},
        phrase={"en": "last payment {value} ago", "zh-CN": "最近一次还款在{value}前"},
        missing_phrase={"en": "no payment on record", "zh-CN": "无还款记录"},
    ),
    _numeric(
        "amount_paid_last",
        Unit.AMOUNT,
        "payments",
        ("amount paid in the last month", "paid {value} last month"),
        ("上月还款金额", "上月还款{value}"),
    ),
]

BALANCE = [
    _numeric(
        "balance",
        Unit.AMOUNT,
        "balance",
        ("outstanding balance", "balance of {value}"),
        ("未还余额", "未还余额{value}"),
    ),
    _numeric(
        "utilisation",
        Unit.SHARE,
        "balance",
        ("balance as a share of the credit limit", "using {value} of the credit limit"),
        ("额度使用率", "额度使用率{value}"),
    ),
    _numeric(
        "utilisation_max_6m",
        Unit.SHARE,
        "balance",
        ("highest utilisation in 6 months", "up to {value} of the limit used in 6 months"),
        ("近6个月最高额度使用率", "近6个月最高额度使用率{value}"),
    ),
    _numeric(
        "balance_growth_6m",
        Unit.NUMBER,
        "balance",
        ("balance now against 6 months ago", "balance {value}× that of 6 months ago"),
        ("当前余额与6个月前之比", "余额为6个月前的{value}倍"),
    ),
    _numeric(
        "credit_limit",
        Unit.AMOUNT,
        "balance",
        ("credit limit", "credit limit {value}"),
        ("授信额度", "授信额度{value}"),
    ),
]

ACCOUNT = [
    Feature(
        name="product",
        kind=Kind.CATEGORICAL,
        unit=Unit.CATEGORY,
        group="account",
        description={"en": "product", "zh-CN": "产品"},
        phrase={"en": "product: {value}", "zh-CN": "产品：{value}"},
    ),
    _numeric(
        "tenure_months",
        Unit.MONTHS,
        "account",
        ("months since the account opened", "account open for {value}"),
        ("开户月数", "开户{value}"),
    ),
    _numeric(
        "customer_age",
        Unit.YEARS,
        "account",
        ("customer's age", "customer aged {value}"),
        ("客户年龄", "客户年龄{value}"),
    ),
]


def register_features(registry: FeatureRegistry) -> None:
    for feature in [*DELINQUENCY, *PAYMENTS, *BALANCE, *ACCOUNT]:
        registry.register(feature)
