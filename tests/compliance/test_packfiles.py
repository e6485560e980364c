"""Pack and policy files: every key known and in its place, refused with its file, line and key."""

from __future__ import annotations

from datetime import datetime, time
from importlib import resources
from pathlib import Path

import pytest

from arrears.compliance.content import check_text
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactPoint, ContactRequest, Event, Facts, TextRequest
from arrears.compliance.gate import decide
from arrears.compliance.packfile import PackFile
from arrears.compliance.packs import (
    TITLES,
    LooseningRefusedError,
    PackError,
    available_packs,
    load_pack,
    load_policy,
    pack_from_file,
)
from arrears.errors import InvalidFileError
from arrears.i18n import catalogue
from arrears.yamlfile import parse_yaml, validate

US_TEXT = resources.files("arrears.compliance").joinpath("packs/us-regf.yaml").read_text("utf-8")


def pack_text(text: str) -> PackFile:
    return validate(parse_yaml(text, "us-regf.yaml", error=PackError), PackFile, error=PackError)


def test_the_shipped_us_pack_file_is_valid() -> None:
    assert pack_from_file(pack_text(US_TEXT)).parties["guardian"] == "consumer"


def test_a_party_under_checks_is_refused_with_its_line() -> None:
    """The bug this catches: guardian, executor and parent sat under checks: and were ignored."""
    misplaced = US_TEXT.replace(
        "  third_party: US-REGF-3P\n", "  third_party: US-REGF-3P\n  guardian: consumer\n"
    )
    line = misplaced.splitlines().index("  guardian: consumer") + 1
    with pytest.raises(PackError) as refused:
        pack_text(misplaced)
    message = refused.value.message("en")
    assert f"us-regf.yaml, line {line}: checks.guardian is not a known key here" in message
    assert "third_party" in message  # the keys that belong there are listed


def test_a_pack_missing_a_party_is_refused() -> None:
    without = US_TEXT.replace("  guardian: consumer\n", "")
    with pytest.raises(PackError, match=r"parties.guardian is missing"):
        pack_text(without)


def test_a_pack_may_not_declare_a_loosening_direction() -> None:
    wrong = US_TEXT.replace(
        'quiet_start: {value: "21:00", stricter: earlier}', 'quiet_start: {value: "21:00", stricter: later}'
    )
    with pytest.raises(PackError, match=r"parameters.quiet_start.stricter 'later' is not one of earlier"):
        pack_text(wrong)


@pytest.mark.parametrize("pack_id", available_packs())
def test_the_stricter_directions_are_read_from_the_pack(pack_id: str) -> None:
    stricter = load_pack(pack_id).stricter
    assert stricter["quiet_start"] == "earlier" and stricter["quiet_end"] == "later"
    assert stricter["max_calls_in_7_days"] == "lower" and stricter["days_after_conversation"] == "higher"
    assert stricter["holidays"] == "superset"


@pytest.mark.parametrize("pack_id", available_packs())
def test_every_pack_title_is_in_the_catalogue(pack_id: str) -> None:
    pack = load_pack(pack_id)
    assert pack.title in TITLES
    assert pack.title_zh == catalogue("zh-CN")[pack.title] != pack.title_en


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        (
            'pack: cn\nquiet_start: "21:00"\n',
            2,
            "quiet_start is not a known key here; known keys: pack, tighten",
        ),
        ('pack: cn\ntighten:\n  quiet_strat: "21:00"\n', 3, "tighten.quiet_strat is not a known key here"),
        (
            "pack: cn\ntighten:\n  max_conversations_per_day: two\n",
            3,
            "tighten.max_conversations_per_day 'two'",
        ),
        ('pack: us\ntighten: {quiet_start: "21:00"}\n', 1, "pack 'us' is not one of cn, us-regf or uk-fca"),
        ('tighten: {quiet_start: "21:00"}\n', 1, "pack is missing"),
        ("pack: cn\ntighten:\n  holidays: {add: [lunar-new-year]}\n", 3, "known calendar"),
    ],
)
def test_a_bad_policy_is_refused_with_its_line_and_key(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, "utf-8")
    with pytest.raises(PackError) as refused:
        load_policy(policy)
    message = refused.value.message("en")
    assert f"policy.yaml, line {line}" in message and key in message
    assert isinstance(refused.value, InvalidFileError) and isinstance(refused.value, ValueError)


def test_a_loosening_policy_names_its_line_in_both_languages(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('pack: cn\ntighten:\n  quiet_end: "08:30"\n  quiet_start: "23:00"\n', "utf-8")
    with pytest.raises(LooseningRefusedError) as refused:
        load_policy(policy)
    assert (
        "line 4: tighten.quiet_start: parameter quiet_start may only be tightened" in refused.value.message_en
    )
    assert "第 4 行" in refused.value.message_zh and "只能收紧" in refused.value.message_zh


US_FACTS = Facts(
    timezone="America/New_York",
    contact_points=(
        ContactPoint("D1", "mobile", "debtor"),
        ContactPoint("G1", "mobile", "guardian"),
        ContactPoint("X1", "mobile", "executor"),
        ContactPoint("P1", "mobile", "parent"),
        ContactPoint("T1", "mobile", "third_party"),
    ),
)
AFTERNOON = datetime.fromisoformat("2026-03-10T14:00:00-04:00")


@pytest.mark.parametrize("point", ["G1", "X1", "P1"])
def test_under_us_regf_a_guardian_executor_or_parent_counts_as_the_consumer(point: str) -> None:
    """docs/compliance.md: spouse, parent of a minor, guardian, executor count as the consumer."""
    us = load_pack("us-regf")
    call = ContactRequest(at=AFTERNOON, channel="call", to=point, purpose="collection")
    assert decide(call, US_FACTS, us).verdict is Verdict.ALLOW
    third_party = decide(
        ContactRequest(at=AFTERNOON, channel="call", to="T1", purpose="collection"), US_FACTS, us
    )
    assert "US-REGF-3P" in third_party.rule_ids
    represented = Facts(
        US_FACTS.timezone,
        (),
        US_FACTS.contact_points,
        (Event("attorney_represented", at=datetime.fromisoformat("2026-03-01T10:00:00-05:00")),),
    )
    assert decide(call, represented, us).rule_ids == ("US-REGF-ATTY",)
    party = {"G1": "guardian", "X1": "executor", "P1": "parent"}[point]
    script = TextRequest("script", "Your balance of $500 is past due.", "call", party)
    assert check_text(script, us).allowed


def test_the_same_parties_stay_contact_persons_under_cn_and_strangers_under_uk_fca() -> None:
    cn = load_pack("cn")
    assert {cn.party_policy(p) for p in ("guardian", "executor", "parent")} == {"contact_person"}
    uk = load_pack("uk-fca")
    assert {uk.party_policy(p) for p in ("guardian", "executor", "parent")} == {"never"}
    assert cn.parameters.quiet_start == time(22)
