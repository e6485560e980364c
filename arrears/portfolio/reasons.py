"""Why a feed row was rejected: one sentence per fault, in English and Simplified Chinese.

Placeholders: {0} the column, {1} the value, {2} and {3} details the check supplies.
"""

from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "wrong_field_count": (
        "the row has {2} fields but the header has {3}",
        "该行有 {2} 个字段，但表头有 {3} 列",
    ),
    "required": ("{0} is required but empty", "{0} 为必填项，但为空"),
    "too_long": ("{0} is longer than {2} characters", "{0} 超过 {2} 个字符"),
    "not_in_enum": ("{0} '{1}' is not one of: {2}", "{0} 的值“{1}”不在允许的取值中：{2}"),
    "bad_date": (
        "{0} '{1}' is not a valid date in the form YYYY-MM-DD",
        "{0} 的值“{1}”不是 YYYY-MM-DD 格式的有效日期",
    ),
    "bad_positive_integer": (
        "{0} '{1}' is not a whole number of 1 or more",
        "{0} 的值“{1}”不是大于等于 1 的整数",
    ),
    "bad_boolean": ("{0} '{1}' is not true or false", "{0} 的值“{1}”不是 true 或 false"),
    "bad_rate": (
        "{0} '{1}' is not a non-negative decimal number like 0.1825",
        "{0} 的值“{1}”不是非负小数（例如 0.1825）",
    ),
    "bad_timezone": (
        "{0} '{1}' is not an IANA time zone such as Asia/Shanghai",
        "{0} 的值“{1}”不是 IANA 时区（例如 Asia/Shanghai）",
    ),
    "bad_country": (
        "{0} '{1}' is not an ISO 3166-1 alpha-2 country code such as CN",
        "{0} 的值“{1}”不是 ISO 3166-1 两位国家代码（例如 CN）",
    ),
    "bad_language": (
        "{0} '{1}' is not a BCP 47 language tag such as zh-CN",
        "{0} 的值“{1}”不是 BCP 47 语言标签（例如 zh-CN）",
    ),
    "bad_currency": (
        "{0} '{1}' is not an ISO 4217 currency code such as CNY",
        "{0} 的值“{1}”不是 ISO 4217 币种代码（例如 CNY）",
    ),
    "bad_amount": (
        "{0} '{1}' is not a decimal amount like 1234.56",
        "{0} 的值“{1}”不是金额格式（例如 1234.56）",
    ),
    "negative_amount": ("{0} '{1}' is negative", "{0} 的值“{1}”为负数"),
    "amount_not_positive": ("{0} '{1}' must be above zero", "{0} 的值“{1}”必须大于零"),
    "too_many_decimals": (
        "{0} '{1}' has more decimals than {2} allows ({3})",
        "{0} 的值“{1}”小数位数超过币种 {2} 允许的 {3} 位",
    ),
    "bad_phone": ("{0} '{1}' is not a telephone number", "{0} 的值“{1}”不是电话号码"),
    "bad_email": ("{0} '{1}' is not an e-mail address", "{0} 的值“{1}”不是电子邮件地址"),
    "duplicate_key": (
        "{2} appears more than once in this file (first on row {3})",
        "{2} 在本文件中重复出现（首次出现在第 {3} 行）",
    ),
    "unknown_customer": (
        "customer_id '{1}' is not a known customer (neither stored nor imported earlier in this run)",
        "customer_id“{1}”不是已知客户（既未入库，也不在本次导入中）",
    ),
    "unknown_account": (
        "account_id '{1}' is not a known account (neither stored nor imported earlier in this run)",
        "account_id“{1}”不是已知账户（既未入库，也不在本次导入中）",
    ),
    "currency_changed": (
        "the account's currency cannot change from {2} to {1}",
        "账户币种不能从 {2} 改为 {1}",
    ),
    "reverses_itself": ("a payment cannot reverse itself", "一笔还款不能冲正其自身"),
    "unknown_payment": (
        "reverses '{1}' names no known payment of this file or the database",
        "reverses 指向的还款“{1}”在本文件和数据库中都不存在",
    ),
    "reverses_rejected": (
        "reverses '{1}' names a payment that is rejected on row {2} of this file",
        "reverses 指向的还款“{1}”在本文件第 {2} 行被拒绝",
    ),
    "reverses_reversal": (
        "reverses '{1}' names a reversal; reverse the original payment instead",
        "reverses 指向的“{1}”本身是冲正记录，请冲正原始还款",
    ),
    "reversal_other_account": (
        "reverses '{1}', a payment of account {2}, not of this row's account",
        "reverses 指向的“{1}”属于账户 {2}，而不是本行的账户",
    ),
    "reversal_amount": (
        "the reversal's amount {1} differs from the reversed payment's amount {2}",
        "冲正金额 {1} 与被冲正还款的金额 {2} 不一致",
    ),
    "already_reversed": (
        "payment '{1}' is already reversed by payment {2}",
        "还款“{1}”已被还款 {2} 冲正",
    ),
}


def reason_rows(language: str) -> list[tuple[str, str]]:
    """(code, template) pairs in the requested language (zh* gives Chinese, anything else English)."""
    chinese = language.lower().startswith("zh")
    return [(code, zh if chinese else en) for code, (en, zh) in REASONS.items()]
