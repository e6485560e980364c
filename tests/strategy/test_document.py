"""A strategy's shape (the document) and its validation: overlapping segments, unknown names,
impossible steps, protected attributes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from arrears.compliance.packs import load_pack
from arrears.strategy.document import StrategyDocument, StrategyFileError
from arrears.strategy.repository import parse_document
from arrears.strategy.validation import Known, validate
from arrears.yamlfile import load_yaml

EXAMPLE = Path(__file__).parents[2] / "examples" / "strategies" / "cn-cards.yaml"
TODAY = date(2026, 12, 4)
KNOWN = Known(
    buckets=frozenset({"M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"}),
    score_bands=frozenset("ABCDE"),
    templates=frozenset({("first_delinquency", c) for c in ("sms", "email", "letter")}),
    agencies=frozenset({"DEMO-AGENCY"}),
)

BASE = """
strategy: test
names: {zh-CN: 测试, en: Test}
segments:
%s
paths:
  p:
    names: {zh-CN: 路径, en: Path}
    steps:
%s
"""


def document(
    segments: str, steps: str = "      - {day: 1, action: sms, template: first_delinquency}"
) -> StrategyDocument:
    return parse_document(BASE % (segments, steps), "test.yaml")


def segment(code: str, when: str) -> str:
    return f"  - {{code: {code}, names: {{zh-CN: {code}, en: {code}}}, when: {when}, path: p}}"


def messages(doc: StrategyDocument, pack: str = "cn") -> list[str]:
    return [p.render("en") for p in validate(doc, KNOWN, load_pack(pack), TODAY).problems]


def test_the_example_strategy_is_valid() -> None:
    doc = load_yaml(EXAMPLE, StrategyDocument, error=StrategyFileError)
    report = validate(doc, KNOWN, load_pack("cn"), TODAY)
    assert report.errors == []
    assert [p.where for p in report.warnings] == []


def test_an_unknown_fact_is_named_with_its_line() -> None:
    with pytest.raises(StrategyFileError) as raised:
        document(segment("a", "{bucket: [M1], gender: [f]}"))
    text = raised.value.message("en")
    assert "line 5" in text and "gender" in text and "bucket" in text  # the known keys are listed


def test_a_step_without_its_template_is_refused() -> None:
    with pytest.raises(StrategyFileError, match="needs template"):
        document(segment("a", "{bucket: [M1]}"), "      - {day: 1, action: sms}")


def test_shares_must_add_up_to_one() -> None:
    text = BASE % (segment("a", "{bucket: [M1]}"), "      - {day: 1, action: call, window: best}")
    text += """
experiments:
  - code: e
    segment: a
    starts_on: 2026-12-01
    arms: [{name: champion, share: "70%"}, {name: other, share: "0.2", path: p}]
"""
    with pytest.raises(StrategyFileError, match=r"add up to 0\.9"):
        parse_document(text, "test.yaml")


def test_overlapping_segments_are_named_with_what_they_share() -> None:
    doc = document(
        "\n".join(
            [
                segment("low", "{bucket: [M1], score_band: [A, B]}"),
                segment("mid", "{bucket: [M1, M2], score_band: [B, C]}"),
                segment("late", "{bucket: [M3]}"),
                segment("big", "{overdue: {currency: CNY, min: '50000.00'}, dpd: {max: 10}}"),
                segment("small", "{overdue: {currency: CNY, max: '49999.99'}}"),
                segment("usd", "{overdue: {currency: USD, min: '1.00'}, bucket: [M3]}"),
            ]
        )
    )
    found = messages(doc)
    assert any("low and mid can both take a case (where bucket M1; score_band B)" in m for m in found)
    # big and small meet nowhere (the amounts do not meet); big and low do (nothing separates them)
    assert not any("big and small" in m for m in found)
    assert any("low and big" in m for m in found)
    assert any("late and usd" in m for m in found)
    assert not any("small and usd" in m for m in found)  # CNY and USD amounts never meet


def test_a_protected_attribute_cannot_be_a_condition() -> None:
    doc = document(segment("a", "{age: {min: 60}}"))
    assert any("age is an attribute the bank protects" in m for m in messages(doc))
    lenient = Known(KNOWN.buckets, KNOWN.score_bands, KNOWN.templates, protected=frozenset())
    assert validate(doc, lenient, load_pack("cn"), TODAY).valid


def test_unknown_buckets_bands_templates_and_agencies_are_named() -> None:
    doc = document(
        segment("a", "{bucket: [M9], score_band: [Z]}"),
        "      - {day: 1, action: sms, template: nope}\n"
        "      - {day: 2, action: agency_placement, agency: NOBODY}",
    )
    found = messages(doc)
    assert any("M9 is not a known bucket" in m for m in found)
    assert any("Z is not a known score_band" in m for m in found)
    assert any("no approved sms template nope" in m for m in found)
    assert any("no active agency NOBODY" in m for m in found)


def test_a_step_no_pack_allows_at_any_hour_is_impossible() -> None:
    night_sms = document(
        segment("a", "{bucket: [M1]}"),
        "      - {day: 1, action: sms, template: first_delinquency, at: '23:30'}",
    )
    found = messages(night_sms)
    assert any("paths.p.steps[0]" in m and "allows this sms at no hour" in m for m in found)
    night_calls = document(
        segment("a", "{bucket: [M1]}"), "      - {day: 1, action: call, window: {from: '22:30', to: '23:30'}}"
    )
    assert any("allows this call at no hour" in m for m in messages(night_calls))
    daytime = document(
        segment("a", "{bucket: [M1]}"), "      - {day: 1, action: call, window: {from: '20:30', to: '23:30'}}"
    )
    assert not any("no hour" in m for m in messages(daytime))  # 20:30–21:00 passes


def test_a_serious_step_is_confirmed_unless_the_pack_allows() -> None:
    doc = document(segment("a", "{bucket: [M1]}"), "      - {day: 1, action: legal_referral, confirm: false}")
    assert any("wants a person to confirm a legal_referral" in m for m in messages(doc))


def test_a_path_nothing_follows_is_a_warning() -> None:
    text = (BASE % (segment("a", "{bucket: [M1]}"), "      - {day: 1, action: call, window: best}")) + (
        "  spare:\n    names: {zh-CN: 备用, en: Spare}\n"
    )
    report = validate(parse_document(text, "t.yaml"), KNOWN, load_pack("cn"), TODAY)
    assert report.valid and [p.where for p in report.warnings] == ["paths.spare"]
