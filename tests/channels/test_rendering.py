"""Rendering templates: Babel's amounts and dates per language (exact strings), the sandbox and
strict variables refused with the line named, and SMS segments as the network counts them."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.channels.rendering import (
    VARIABLES,
    InvalidTemplateError,
    MessageContext,
    render,
    sample_context,
    sms_segments,
)

TODAY = date(2026, 11, 21)
CONTEXT = MessageContext(
    customer_name="张伟",
    case_id="C-1",
    overdue_amount=123_456,
    currency="CNY",
    product="credit_card",
    due_date=date(2026, 10, 7),
    today=TODAY,
    promise_date=date(2026, 11, 28),
    promise_amount=50_000,
)


def test_amounts_and_dates_in_chinese() -> None:
    text = render(
        "{{ customer_name }}您好：您的{{ product_name }}欠款{{ overdue_amount | money }}，"
        "请于{{ promise_date | date }}前还款{{ promise_amount | money }}。{{ bank_name }} {{ bank_hotline }}",
        CONTEXT,
        "zh-CN",
    )
    assert text == "张伟您好：您的信用卡欠款¥1,234.56，请于2026年11月28日前还款¥500.00。示例银行 400-800-9588"


def test_amounts_and_dates_in_english() -> None:
    text = render(
        "Dear {{ customer_name }}, your {{ product_name }} is {{ overdue_amount | money }} overdue "
        "since {{ due_date | date }}. {{ opt_out }}",
        CONTEXT,
        "en",
    )
    assert (
        text
        == "Dear 张伟, your credit card is CN¥1,234.56 overdue since October 7, 2026. Reply STOP to opt out"
    )


def test_money_in_another_currency_and_its_exponent() -> None:
    assert render("{{ 1234 | money('JPY') }} {{ 1234 | money('USD') }}", CONTEXT, "en") == "¥1,234 $12.34"


def test_an_unknown_variable_is_refused_naming_its_line() -> None:
    with pytest.raises(InvalidTemplateError) as raised:
        render("第一行\n第二行 {{ customer_name }}\n{{ balance }}", CONTEXT, "zh-CN")
    assert raised.value.code == "invalid_template"
    assert raised.value.message("en") == "The template does not render: line 3: 'balance' is undefined"


def test_a_missing_date_is_not_shown_as_today() -> None:
    without_promise = MessageContext(**{**CONTEXT.__dict__, "promise_date": None})
    with pytest.raises(InvalidTemplateError, match="line 2: date needs a date, not None"):
        render("您好\n{{ promise_date | date }}", without_promise, "zh-CN")
    assert (
        render(
            "{% if promise_date %}{{ promise_date | date }}{% else %}无{% endif %}", without_promise, "zh-CN"
        )
        == "无"
    )


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(InvalidTemplateError, match="line 2: Unexpected end of template"):
        render("您好\n{% if customer_name %}", CONTEXT, "zh-CN")


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__ }}",
        "{{ customer_name.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{% set x = [1] %}{{ x.append(2) }}",
        "{{ range(10**9) | list }}",
    ],
)
def test_sandbox_escapes_are_refused(escape: str) -> None:
    with pytest.raises(InvalidTemplateError) as raised:
        render(f"您好\n{escape}", CONTEXT, "zh-CN")
    assert raised.value.message("en").startswith("The template does not render: line 2: ")


def test_the_sample_context_sets_every_documented_variable() -> None:
    variables = sample_context(TODAY).variables("zh-CN")
    assert set(variables) == set(VARIABLES)
    assert all(value is not None for value in variables.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("gsm7", 0, 0)),
        ("Your payment of 100.00 is due", ("gsm7", 29, 1)),
        ("a" * 160, ("gsm7", 160, 1)),
        ("a" * 161, ("gsm7", 161, 2)),
        ("a" * 306, ("gsm7", 306, 2)),
        ("a" * 307, ("gsm7", 307, 3)),
        ("Pay [now] {ok} €5", ("gsm7", 22, 1)),  # [ ] { } € count two septets each
        ("€" * 80, ("gsm7", 160, 1)),
        ("€" * 81, ("gsm7", 162, 2)),
        ("a" * 152 + "€" * 77, ("gsm7", 306, 3)),  # an escape pair is never split over two parts
        ("Ça va, ça va", ("ucs2", 12, 1)),  # Ç is GSM-7, ç is not
        ("您好" * 35, ("ucs2", 70, 1)),
        ("您好" * 35 + "。", ("ucs2", 71, 2)),
        ("您" * 134, ("ucs2", 134, 2)),
        ("您" * 135, ("ucs2", 135, 3)),
        ("Hi 😀", ("ucs2", 5, 1)),  # an emoji is two UTF-16 units
    ],
)
def test_sms_segments(text: str, expected: tuple[str, int, int]) -> None:
    length = sms_segments(text)
    assert (length.encoding, length.characters, length.segments) == expected
