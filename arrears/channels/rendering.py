"""Rendering a message template: Jinja2 in a sandbox, amounts and dates per locale, SMS length.

The rules (docs/channels.md, "Templates"):

- a template is rendered in Jinja2's immutable sandbox with strict undefined variables: a name
  the context does not define, an attribute the sandbox refuses (``{{ ''.__class__ }}``) or a
  syntax error is an :class:`InvalidTemplateError` naming the template's line, never a message
  with a hole in it;
- the output is plain text for every channel (SMS, e-mail, letter): nothing is escaped;
- the variables are the ones of :data:`VARIABLES`, no others; amounts are integer minor units
  shown with the ``money`` filter (``{{ overdue_amount | money }}`` → ¥1,234.56 in zh-CN,
  CN¥1,234.56 in en) and dates with the ``date`` filter (2026年11月21日 / November 21, 2026),
  both by Babel in the template's language;
- :func:`sms_segments` counts an SMS as the network does: GSM-7 when every character is in the
  GSM 03.38 alphabet (the extension table's characters count two), else UCS-2 (UTF-16 code
  units); one segment holds 160 / 70, a part of a longer message 153 / 67.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    meta,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.money import to_major

LANGUAGES = ("zh-CN", "en")
"""The languages a template is written in; a customer's language picks one (else zh-CN)."""
FALLBACK_LANGUAGE = "zh-CN"
MAX_TEMPLATE = 20_000
"""Characters of a template's body, at most."""
TEMPLATE_FILENAME = "<template>"
"""The file name Jinja2 gives a template made from a string (its frames in a traceback)."""


@dataclass(frozen=True)
class Bank:
    """The bank as its messages name it (a constant for now; a setting when a bank needs it)."""

    names: dict[str, str]
    hotline: str

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names[FALLBACK_LANGUAGE]


BANK = Bank(names={"zh-CN": "示例银行", "en": "Example Bank"}, hotline="400-800-9588")

OPT_OUT = {"zh-CN": "拒收请回复TD", "en": "Reply STOP to opt out"}
"""The SMS opt-out text (``{{ opt_out }}``); the replies STOP, TD and 退订 are honoured."""

PRODUCT_NAMES = {
    "zh-CN": {
        "credit_card": "信用卡",
        "personal_loan": "个人贷款",
        "mortgage": "住房贷款",
        "auto_loan": "汽车贷款",
        "sme_loan": "小微企业贷款",
    },
    "en": {
        "credit_card": "credit card",
        "personal_loan": "personal loan",
        "mortgage": "mortgage",
        "auto_loan": "car loan",
        "sme_loan": "small business loan",
    },
}

VARIABLES: dict[str, str] = {
    "customer_name": "the customer's display name",
    "case_id": "the case's id",
    "reference": "the message's reference (the case id and the date)",
    "overdue_amount": "what the case owes overdue, minor units: show it with | money",
    "currency": "the case's currency (ISO 4217)",
    "product": "the product code of the case's worst account (credit_card, personal_loan, …)",
    "product_name": "that product's name in the template's language",
    "due_date": "the date the oldest unpaid installment fell due (today less the case's DPD)",
    "promise_date": "the next open installment of the case's open promise: its date, or none",
    "promise_amount": "its amount, minor units, or none",
    "bank_name": "the bank's name in the template's language",
    "bank_hotline": "the bank's customer service number",
    "opt_out": "the SMS opt-out text in the template's language",
    "today": "the bank's business date",
    "postal_address": "the customer's postal address (letters), or none",
    "pay_link": "a pay-now link to the bank's payment page (issued for the message), or none",
}
"""Every variable a template may use, and what it holds (docs/channels.md lists them)."""


@dataclass(frozen=True)
class MessageContext:
    """The facts a template is rendered with (the case's, at the time of rendering)."""

    customer_name: str
    case_id: str
    overdue_amount: int
    currency: str
    product: str
    due_date: date | None
    today: date
    promise_date: date | None = None
    promise_amount: int | None = None
    postal_address: str | None = None
    pay_link: str | None = None
    """Issued by :func:`arrears.payments.paylinks.issue_link` for this message (its URL)."""

    @property
    def reference(self) -> str:
        """A message's reference: the case and the date (``C-…-20261121``)."""
        return f"{self.case_id}-{self.today:%Y%m%d}"

    def variables(self, language: str, bank: Bank = BANK) -> dict[str, Any]:
        """The template's variables (:data:`VARIABLES`) in ``language``."""
        facts = asdict(self)
        return facts | {
            "reference": self.reference,
            "product_name": PRODUCT_NAMES[_language(language)].get(self.product, self.product),
            "bank_name": bank.name(language),
            "bank_hotline": bank.hotline,
            "opt_out": OPT_OUT[_language(language)],
        }


def sample_context(today: date) -> MessageContext:
    """The context a template must render with before it is approved (every variable set)."""
    return MessageContext(
        customer_name="张伟",
        case_id="C-SAMPLE-0001",
        overdue_amount=123_456,
        currency="CNY",
        product="credit_card",
        due_date=date.fromordinal(today.toordinal() - 45),
        today=today,
        promise_date=date.fromordinal(today.toordinal() + 7),
        promise_amount=50_000,
        postal_address="北京市朝阳区建国路88号",
        pay_link="https://bank.example/api/v1/pay/SAMPLE.TOKEN",
    )


PARAM_PREFIX = "param."
"""A template's setting ``param.<name>`` is a template too: the provider template's parameter
``<name>`` (an SMS provider renders its own registered template with them)."""
PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


def provider_params(
    settings: Mapping[str, Any] | None, context: MessageContext, language: str
) -> dict[str, str] | None:
    """The provider template's parameters rendered with ``context``; none when it has none."""
    params = {
        name.removeprefix(PARAM_PREFIX): render(str(source), context, language)
        for name, source in (settings or {}).items()
        if name.startswith(PARAM_PREFIX)
    }
    return params or None


def check_param_names(settings: Mapping[str, Any]) -> None:
    """Refuse a ``param.<name>`` setting whose name a provider would not take, or that does not parse."""
    for name, source in settings.items():
        if not name.startswith(PARAM_PREFIX):
            continue
        if not PARAM_NAME.fullmatch(name.removeprefix(PARAM_PREFIX)):
            raise InvalidInputError(
                N_("A template parameter's name is a letter then up to 31 of A-Z a-z 0-9 _, not {name}"),
                name=repr(name[:80]),
            )
        check_syntax(str(source))


RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError)
"""What rendering may raise for a template's mistake (a filter given the wrong kind of value)."""


class InvalidTemplateError(InvalidInputError):
    """A template that does not render: a syntax error, an unknown variable, a sandbox refusal."""

    code = "invalid_template"
    http_status = 422
    default_message = N_("The template does not render: line {line}: {problem}")


def render(source: str, context: MessageContext, language: str) -> str:
    """The template ``source`` rendered with ``context`` in ``language`` (plain text)."""
    variables = context.variables(language)
    try:
        return _compiled(_language(language), source).render(variables).strip()
    except RENDER_ERRORS as error:
        raise _invalid(error) from None


@lru_cache(maxsize=256)
def _compiled(language: str, source: str) -> Template:
    """A template compiled once (a night renders the same few sources many thousand times)."""
    return _environment(language).from_string(source)


def check_syntax(source: str) -> None:
    """Refuse a template that does not parse (before it is stored)."""
    if len(source) > MAX_TEMPLATE:
        raise InvalidInputError(N_("A template has at most {maximum} characters"), maximum=MAX_TEMPLATE)
    try:
        _environment(FALLBACK_LANGUAGE).parse(source)
    except TemplateError as error:
        raise _invalid(error) from None


@lru_cache(maxsize=256)
def variables_used(source: str) -> frozenset[str]:
    """The variables a template reads (none for one that does not parse: it does not render
    either)."""
    try:
        return frozenset(meta.find_undeclared_variables(_environment(FALLBACK_LANGUAGE).parse(source)))
    except TemplateError:
        return frozenset()


def money(minor: int, currency: str, language: str) -> str:
    """Minor units as the locale writes the amount: ¥1,234.56 (zh-CN), CN¥1,234.56 (en)."""
    return format_currency(to_major(minor, currency), currency, locale=_babel(language))


def long_date(day: date, language: str) -> str:
    """2026年11月21日 (zh-CN), November 21, 2026 (en)."""
    return format_date(day, format="long", locale=_babel(language))


def _invalid(error: Exception) -> InvalidTemplateError:
    line = error.lineno if isinstance(error, TemplateSyntaxError) else _template_line(error)
    problem = (error.message if isinstance(error, TemplateError) else None) or str(error)
    return InvalidTemplateError(line=line if line is not None else "?", problem=problem)


def _template_line(error: BaseException) -> int | None:
    """The template line an error was raised at: Jinja2 rewrites the traceback so that the
    template's frames carry its own line numbers; the innermost one is the line."""
    line = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _language(language: str) -> str:
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def _babel(language: str) -> str:
    return _language(language).replace("-", "_")


@lru_cache(maxsize=len(LANGUAGES))
def _environment(language: str) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )

    @pass_context
    def money_filter(context: Context, minor: int | None, currency: str | None = None) -> str:
        if not isinstance(minor, int):
            raise TemplateRuntimeError(f"money needs an amount in minor units, not {minor!r}")
        return money(minor, currency or context["currency"], language)

    def date_filter(day: date | None) -> str:
        # Babel formats None as today: a missing date must not become today's
        if not isinstance(day, date):
            raise TemplateRuntimeError(f"date needs a date, not {day!r}: guard it with {{% if %}}")
        return long_date(day, language)

    environment.filters["money"] = money_filter
    environment.filters["date"] = date_filter
    return environment


# --- SMS length ------------------------------------------------------------------------------

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
"""Characters of the GSM 03.38 extension table: an escape and the character, two septets."""
SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}
"""What a segment holds alone, and as a part of a longer message (the rest is its header)."""


@dataclass(frozen=True)
class SmsLength:
    encoding: str
    """gsm7 or ucs2"""
    characters: int
    """Septets (GSM-7, an extension character counting two) or UTF-16 code units (UCS-2)."""
    segments: int


def sms_segments(text: str) -> SmsLength:
    """How the network carries ``text``: its encoding, length in that encoding and segments."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding, units = "gsm7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding, units = "ucs2", [len(ch.encode("utf-16-le")) // 2 for ch in text]
    total = sum(units)
    if total <= SINGLE[encoding]:
        return SmsLength(encoding, total, 1 if total else 0)
    return SmsLength(encoding, total, _parts(units, PART[encoding]))


def _parts(units: list[int], size: int) -> int:
    """Parts of a long message: an escape pair or a surrogate pair is never split across two."""
    parts, filled = 1, 0
    for unit in units:
        if filled + unit > size:
            parts, filled = parts + 1, 0
        filled += unit
    return parts
