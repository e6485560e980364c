"""Why a feed row was rejected: one sentence per fault, a message of the text catalogue.

Each reason is marked with :func:`~arrears.i18n.N_` in English; its Simplified Chinese
translation lives in the catalogue (``arrears/locale``). Placeholders: {0} the column, {1} the
value (cut to a few hundred characters), {2} and {3} details the check supplies.
"""

from __future__ import annotations

from arrears.i18n import N_, gettext, normalise_language

REASONS: dict[str, str] = {
    "wrong_field_count": N_("the row has {2} fields but the header has {3}"),
    "required": N_("{0} is required but empty"),
    "too_long": N_("{0} is longer than {2} characters"),
    "not_in_enum": N_("{0} '{1}' is not one of: {2}"),
    "bad_date": N_("{0} '{1}' is not a valid date in the form YYYY-MM-DD"),
    "bad_positive_integer": N_("{0} '{1}' is not a whole number of 1 or more"),
    "bad_boolean": N_("{0} '{1}' is not true or false"),
    "bad_rate": N_("{0} '{1}' is not a non-negative decimal number like 0.1825"),
    "bad_timezone": N_("{0} '{1}' is not an IANA time zone such as Asia/Shanghai"),
    "bad_country": N_("{0} '{1}' is not an ISO 3166-1 alpha-2 country code such as CN"),
    "bad_language": N_("{0} '{1}' is not a BCP 47 language tag such as zh-CN"),
    "bad_currency": N_("{0} '{1}' is not an ISO 4217 currency code such as CNY"),
    "bad_amount": N_("{0} '{1}' is not a decimal amount like 1234.56"),
    "negative_amount": N_("{0} '{1}' is negative"),
    "amount_not_positive": N_("{0} '{1}' must be above zero"),
    "too_many_decimals": N_("{0} '{1}' has more decimals than {2} allows ({3})"),
    "bad_phone": N_("{0} '{1}' is not a telephone number of region {2} (a mobile for type mobile)"),
    "bad_email": N_("{0} '{1}' is not an e-mail address"),
    "duplicate_key": N_("{2} appears more than once in this file (first on row {3})"),
    "unknown_customer": N_(
        "customer_id '{1}' is not a known customer (neither stored nor imported earlier in this run)"
    ),
    "unknown_account": N_(
        "account_id '{1}' is not a known account (neither stored nor imported earlier in this run)"
    ),
    "currency_changed": N_("the account's currency cannot change from {2} to {1}"),
    "reverses_itself": N_("a payment cannot reverse itself"),
    "unknown_payment": N_("reverses '{1}' names no known payment of this file or the database"),
    "reverses_rejected": N_("reverses '{1}' names a payment that is rejected on row {2} of this file"),
    "reverses_reversal": N_("reverses '{1}' names a reversal; reverse the original payment instead"),
    "reversal_other_account": N_("reverses '{1}', a payment of account {2}, not of this row's account"),
    "reversal_amount": N_("the reversal's amount {1} differs from the reversed payment's amount {2}"),
    "already_reversed": N_("payment '{1}' is already reversed by payment {2}"),
    "amount_too_large": N_("{0} '{1}' is larger than the importer accepts ({2} minor units at most)"),
    "account_total_too_large": N_(
        "{0}: the account's {2} would add up to more than {3} minor units with this row"
    ),
    "reversal_final": N_(
        "{0} cannot change from '{2}' to '{1}': a payment that is reversed or reverses another "
        "(payment {3}) is final"
    ),
}


def reason_rows(language: str) -> list[tuple[str, str]]:
    """(code, template) pairs in the requested language (zh-CN, else English)."""
    chosen = normalise_language(language) or "en"
    return [(code, gettext(template, chosen)) for code, template in REASONS.items()]
