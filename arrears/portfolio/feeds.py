"""Feed contract v1: the five kinds of file, their columns, keys and references.

This module is data, read by the reader (which columns must be present), the validator (what
each value must look like) and the loader (how a row is matched to what is stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel import Locale

from arrears.errors import InvalidFileError, echo
from arrears.i18n import N_
from arrears.portfolio.models import AccountStatus


class FieldType(StrEnum):
    TEXT = "text"
    ENUM = "enum"
    DATE = "date"
    AMOUNT = "amount"  # decimal string in major units of the row's currency
    POSITIVE_INTEGER = "positive_integer"
    BOOLEAN = "boolean"
    RATE = "rate"  # a non-negative decimal, kept exact
    TIMEZONE = "timezone"
    COUNTRY = "country"
    LANGUAGE = "language"
    CURRENCY = "currency"
    CONTACT_VALUE = "contact_value"  # checked against the row's contact type


@dataclass(frozen=True)
class FeedColumn:
    name: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    max_length: int = 200
    values: tuple[str, ...] = ()
    allow_zero: bool = True  # amounts only: False for a payment, which must be above zero
    default: str | bool | None = None
    """A column that cannot be empty when stored: a new row takes this value when the file has
    no value for it (the column absent or the cell empty); a stored row keeps its own."""


@dataclass(frozen=True)
class Reference:
    """A column that names a row of another kind, which must exist (stored or earlier in the run)."""

    column: str
    kind: str


@dataclass(frozen=True)
class FeedKind:
    name: str
    table: str
    columns: tuple[FeedColumn, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    currency_from_account: bool = False
    extra_columns: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> FeedColumn:
        return next(c for c in self.columns if c.name == name)


CONTACT_TYPES = ("mobile", "landline", "work_phone", "email", "address", "wechat")
CONTACT_LABELS = ("home", "work", "other")
PARTIES = (
    "debtor",
    "emergency_contact",
    "guarantor",
    "employer",
    "spouse",
    "third_party",
    "attorney",
)
PRODUCTS = ("credit_card", "personal_loan", "mortgage", "auto_loan", "sme_loan")
ACCOUNT_STATUSES = tuple(status.value for status in AccountStatus)
"""The statuses an account may have, as the model defines them (``AccountStatus``)."""
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

CUSTOMERS = FeedKind(
    name="customers",
    table="customers",
    key=("customer_id",),
    columns=(
        FeedColumn("customer_id", required=True, max_length=64),
        FeedColumn("name", required=True, max_length=200),
        FeedColumn("national_id", max_length=64),
        FeedColumn("birth_date", FieldType.DATE),
        FeedColumn("language", FieldType.LANGUAGE, max_length=35),
        FeedColumn("country", FieldType.COUNTRY),
        FeedColumn("timezone", FieldType.TIMEZONE),
        FeedColumn("segment", max_length=64),
    ),
)

CONTACT_POINTS = FeedKind(
    name="contact_points",
    table="contact_points",
    key=("customer_id", "type", "value"),
    references=(Reference("customer_id", "customers"),),
    columns=(
        FeedColumn("customer_id", required=True, max_length=64),
        FeedColumn("type", FieldType.ENUM, required=True, values=CONTACT_TYPES),
        FeedColumn("value", FieldType.CONTACT_VALUE, required=True, max_length=320),
        FeedColumn("label", FieldType.ENUM, values=CONTACT_LABELS),
        FeedColumn("is_primary", FieldType.BOOLEAN, default=False),
        FeedColumn("party", FieldType.ENUM, values=PARTIES, default="debtor"),
        FeedColumn("relation", max_length=64),
        FeedColumn("do_not_contact", FieldType.BOOLEAN, default=False),
    ),
)

ACCOUNTS = FeedKind(
    name="accounts",
    table="accounts",
    key=("account_id",),
    references=(Reference("customer_id", "customers"),),
    columns=(
        FeedColumn("account_id", required=True, max_length=64),
        FeedColumn("customer_id", required=True, max_length=64),
        FeedColumn("product", FieldType.ENUM, required=True, values=PRODUCTS),
        FeedColumn("currency", FieldType.CURRENCY, required=True),
        FeedColumn("opened_on", FieldType.DATE, required=True),
        FeedColumn("principal", FieldType.AMOUNT),
        FeedColumn("credit_limit", FieldType.AMOUNT),
        FeedColumn("interest_rate", FieldType.RATE),
        FeedColumn("status", FieldType.ENUM, values=ACCOUNT_STATUSES, default=AccountStatus.ACTIVE.value),
        FeedColumn("branch", max_length=64),
    ),
)

INSTALLMENTS = FeedKind(
    name="installments",
    table="installments",
    key=("account_id", "seq"),
    references=(Reference("account_id", "accounts"),),
    currency_from_account=True,
    columns=(
        FeedColumn("account_id", required=True, max_length=64),
        FeedColumn("seq", FieldType.POSITIVE_INTEGER, required=True),
        FeedColumn("due_date", FieldType.DATE, required=True),
        FeedColumn("amount_due", FieldType.AMOUNT, required=True),
        FeedColumn("principal_due", FieldType.AMOUNT),
        FeedColumn("interest_due", FieldType.AMOUNT),
        FeedColumn("fees_due", FieldType.AMOUNT),
    ),
)

PAYMENTS = FeedKind(
    name="payments",
    table="payments",
    key=("payment_id",),
    references=(Reference("account_id", "accounts"),),
    currency_from_account=True,
    columns=(
        FeedColumn("payment_id", required=True, max_length=64),
        FeedColumn("account_id", required=True, max_length=64),
        FeedColumn("paid_on", FieldType.DATE, required=True),
        FeedColumn("amount", FieldType.AMOUNT, required=True, allow_zero=False),
        FeedColumn("channel", max_length=32),
        FeedColumn("reverses", max_length=64),
    ),
)

KINDS: dict[str, FeedKind] = {
    kind.name: kind for kind in (CUSTOMERS, CONTACT_POINTS, ACCOUNTS, INSTALLMENTS, PAYMENTS)
}
"""In the order a run imports them: a kind only refers to kinds before it."""


MAX_AMOUNT = 10**15
"""The largest amount a feed may carry, in minor units (10 trillion CNY), and the most an
account's installments, or its payments, may add up to: so that no sum over an account, nor over
a large portfolio, leaves the 64-bit range of the database and the batch."""

# Codes CLDR lists among territories that ISO 3166-1 does not assign to a country: exceptionally
# reserved (AC, CP, DG, EA, EU, EZ, IC, TA, UN), user-assigned (QO, XA, XB, XK, ZZ) and CQ.
NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 country codes, from the territory data of Babel (CLDR)."""
    territories = [str(code) for code in Locale("en").territories]
    return frozenset(
        code for code in territories if len(code) == 2 and code.isalpha() and code not in NOT_ISO_3166
    )


class UnknownKindError(InvalidFileError):
    """A file's name does not say which kind of feed it holds, and no --kind was given."""

    code = "unknown_feed_kind"
    default_message = N_(
        "cannot tell which kind of feed {file} holds: name it after one of {kinds} or pass --kind"
    )


def kind_of(path: Path) -> FeedKind:
    """The kind a file holds, from its name (``customers.csv``, ``20261121_payments.parquet``)."""
    stem = path.name.lower()
    found = [kind for kind in KINDS.values() if kind.name.rstrip("s") in stem]
    if len(found) != 1:
        raise UnknownKindError(file=echo(path.name), kinds=", ".join(KINDS))
    return found[0]


def import_order(kind: FeedKind) -> int:
    return list(KINDS).index(kind.name)
