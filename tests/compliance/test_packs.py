"""Packs load from their YAML, may be tightened, and refuse to be loosened."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from arrears.compliance.packs import (
    LooseningRefusedError,
    PackError,
    available_packs,
    load_pack,
    load_policy,
    tighten,
)


@pytest.mark.parametrize("pack_id", available_packs())
def test_every_shipped_pack_loads_with_a_version_and_quiet_hours(pack_id: str) -> None:
    pack = load_pack(pack_id)
    assert pack.id == pack_id
    assert pack.version
    assert pack.parameters.quiet_end < pack.parameters.quiet_start
    assert pack.check("time")


def test_cn_pack_carries_the_published_limits() -> None:
    parameters = load_pack("cn").parameters
    assert (parameters.quiet_end, parameters.quiet_start) == (time(8), time(22))
    assert parameters.max_conversations_per_day == 3
    assert parameters.max_unanswered_per_number_per_day == 6


def test_us_pack_carries_the_reg_f_limits() -> None:
    parameters = load_pack("us-regf").parameters
    assert (parameters.quiet_end, parameters.quiet_start) == (time(8), time(21))
    assert parameters.max_calls_in_7_days == 7
    assert parameters.days_after_conversation == 7


def test_tightening_applies_and_marks_the_version() -> None:
    pack = tighten(
        load_pack("cn"), {"quiet_start": "21:00", "quiet_end": "09:00", "max_conversations_per_day": 2}
    )
    assert pack.parameters.quiet_start == time(21)
    assert pack.parameters.quiet_end == time(9)
    assert pack.parameters.max_conversations_per_day == 2
    assert pack.label == "2026.1+tenant"
    assert pack.untightened.parameters.quiet_start == time(22)


def test_tightening_twice_keeps_the_shipped_pack_as_base() -> None:
    once = tighten(load_pack("cn"), {"quiet_start": "21:00"})
    twice = tighten(once, {"quiet_start": "20:00"})
    assert twice.untightened is load_pack("cn")
    with pytest.raises(LooseningRefusedError):
        tighten(twice, {"quiet_start": "21:00"})


@pytest.mark.parametrize(
    ("pack_id", "overrides", "parameter"),
    [
        ("cn", {"quiet_start": "23:00"}, "quiet_start"),
        ("cn", {"quiet_end": "07:00"}, "quiet_end"),
        ("cn", {"max_conversations_per_day": 4}, "max_conversations_per_day"),
        ("cn", {"max_unanswered_per_number_per_day": None}, "max_unanswered_per_number_per_day"),
        ("cn", {"contact_person_after_failed_attempts": 2}, "contact_person_after_failed_attempts"),
        ("us-regf", {"max_calls_in_7_days": 8}, "max_calls_in_7_days"),
        ("us-regf", {"days_after_conversation": 6}, "days_after_conversation"),
        ("uk-fca", {"quiet_start": "21:30"}, "quiet_start"),
    ],
)
def test_loosening_is_refused_with_a_clear_message(
    pack_id: str, overrides: dict[str, object], parameter: str
) -> None:
    with pytest.raises(LooseningRefusedError) as refused:
        tighten(load_pack(pack_id), overrides)
    assert parameter in refused.value.message_en
    assert "only be tightened" in refused.value.message_en
    assert "只能收紧" in refused.value.message_zh


def test_a_cap_the_pack_leaves_open_may_be_set() -> None:
    pack = tighten(load_pack("us-regf"), {"max_texts_per_day": 2})
    assert pack.parameters.max_texts_per_day == 2


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(LooseningRefusedError):
        tighten(load_pack("cn"), {"quiet_start": "09:00", "quiet_end": "10:00"})


def test_unknown_parameters_and_bad_values_are_refused() -> None:
    with pytest.raises(PackError, match="unknown pack parameter"):
        tighten(load_pack("cn"), {"quiet_strat": "21:00"})
    with pytest.raises(PackError, match="whole number"):
        tighten(load_pack("cn"), {"max_conversations_per_day": "two"})
    with pytest.raises(PackError, match="unknown rule pack"):
        load_pack("xx")


def test_holidays_accept_dates_ranges_and_named_calendars() -> None:
    pack = tighten(
        load_pack("cn"), {"holidays": ["cn-spring-festival-2026", "2026-05-01", "2026-10-01..2026-10-03"]}
    )
    holidays = pack.parameters.holidays
    assert date(2026, 2, 15) in holidays and date(2026, 2, 23) in holidays
    assert date(2026, 2, 24) not in holidays
    assert date(2026, 5, 1) in holidays and date(2026, 10, 2) in holidays
    with pytest.raises(PackError, match="known calendar"):
        tighten(load_pack("cn"), {"holidays": ["lunar-new-year"]})


def test_a_bank_policy_file_is_loaded_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text('pack: cn\ntighten: {quiet_start: "21:00"}\n', "utf-8")
    assert load_policy(good).parameters.quiet_start == time(21)
    bad = tmp_path / "bad.yaml"
    bad.write_text('pack: cn\ntighten: {quiet_start: "22:30"}\n', "utf-8")
    with pytest.raises(LooseningRefusedError):
        load_policy(bad)


COUNTED_PARAMETERS = {
    "max_conversations_per_day": "conversations_per_day",
    "max_unanswered_per_number_per_day": "unanswered_per_number",
    "max_calls_in_7_days": "calls_in_7_days",
    "days_after_conversation": "after_conversation",
    "max_texts_per_day": "texts_per_day",
}


@pytest.mark.parametrize("pack_id", available_packs())
@pytest.mark.parametrize("parameter", sorted(COUNTED_PARAMETERS))
def test_every_limit_a_bank_may_set_is_enforced_by_a_check(pack_id: str, parameter: str) -> None:
    """A tightened limit that no check reads would be accepted and silently ignored."""
    assert load_pack(pack_id).check(COUNTED_PARAMETERS[parameter]) is not None
