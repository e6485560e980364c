"""Holiday calendars from maintained libraries, for every year, with China's make-up working days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from arrears.compliance.calendars import CALENDARS, CalendarError, HolidaySet, calendar_year, period_days
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactPoint, ContactRequest, Facts
from arrears.compliance.gate import decide
from arrears.compliance.packs import PackError, load_pack, tighten


@pytest.mark.parametrize(
    ("calendar", "day", "holiday"),
    [
        ("cn-public-holidays", date(2024, 10, 1), True),  # National Day
        ("cn-public-holidays", date(2025, 1, 28), True),  # Spring Festival eve, in the 2025 period
        ("cn-public-holidays", date(2025, 2, 4), True),
        ("cn-public-holidays", date(2025, 2, 5), False),
        ("cn-public-holidays", date(2025, 2, 8), False),  # a Saturday worked to make up (调休)
        ("cn-rest-days", date(2025, 2, 8), False),  # 调休: a working Saturday is no rest day
        ("cn-rest-days", date(2025, 1, 26), False),  # 调休: a working Sunday
        ("cn-rest-days", date(2026, 2, 14), False),  # 调休 before the 2026 Spring Festival
        ("cn-rest-days", date(2026, 2, 8), True),  # an ordinary Sunday
        ("cn-rest-days", date(2026, 2, 16), True),  # a Monday in the Spring Festival period
        ("cn-rest-days", date(2026, 2, 10), False),  # an ordinary Tuesday
        ("cn-public-holidays", date(2027, 10, 1), True),  # beyond chinesecalendar: the statutory days
        ("cn-rest-days", date(2027, 3, 6), True),  # beyond chinesecalendar: weekends still rest days
        ("us-federal-holidays", date(2027, 7, 5), True),  # Independence Day observed
        ("us-federal-holidays", date(2031, 11, 27), True),  # Thanksgiving
        ("us-federal-holidays", date(2031, 11, 28), False),
        ("uk-bank-holidays", date(2027, 3, 29), True),  # Easter Monday, England and Wales
        ("uk-bank-holidays", date(2027, 1, 4), False),
        ("uk-bank-holidays-scotland", date(2027, 1, 4), True),  # 2 January observed, Scotland only
        ("weekends", date(2030, 6, 1), True),
    ],
)
def test_calendars_hold_every_year(calendar: str, day: date, holiday: bool) -> None:
    assert (day in HolidaySet(calendars=frozenset({calendar}))) is holiday


def test_a_year_is_computed_once() -> None:
    assert calendar_year("cn-rest-days", 2025) is calendar_year("cn-rest-days", 2025)
    assert len(calendar_year("weekends", 2026)) == 104


def test_named_periods_of_one_year_come_from_the_official_schedule() -> None:
    assert period_days("cn-spring-festival-2026") == {date(2026, 2, d) for d in range(15, 24)}
    assert period_days("cn-national-day-2024") == {date(2024, 10, d) for d in range(1, 8)}
    assert period_days("us-federal-holidays") is None
    with pytest.raises(CalendarError, match="2031 is not known yet"):
        period_days("cn-spring-festival-2031")


def test_a_bank_adds_calendars_and_dates_and_takes_dates_out_of_its_own() -> None:
    pack = tighten(
        load_pack("cn"),
        {"holidays": {"add": ["cn-rest-days", "2026-02-10"], "remove": ["2026-03-07..2026-03-08"]}},
    )
    holidays = pack.parameters.holidays
    assert date(2026, 2, 10) in holidays  # added by hand
    assert date(2026, 3, 7) not in holidays and date(2026, 3, 8) not in holidays  # taken out
    assert date(2026, 3, 14) in holidays  # the next weekend
    assert date(2026, 2, 14) not in holidays  # 调休


def test_a_later_tightening_cannot_take_out_what_an_earlier_one_added() -> None:
    once = tighten(load_pack("cn"), {"holidays": ["cn-public-holidays"]})
    twice = tighten(once, {"holidays": {"remove": ["2026-10-01"]}})
    assert date(2026, 10, 1) in twice.parameters.holidays
    with pytest.raises(PackError, match="not a calendar"):
        tighten(once, {"holidays": {"remove": ["cn-public-holidays"]}})


def test_known_calendars_are_listed_when_a_name_is_wrong() -> None:
    with pytest.raises(PackError) as refused:
        tighten(load_pack("cn"), {"holidays": ["cn-holidays"]})
    assert all(name in refused.value.message_en for name in CALENDARS)


SHANGHAI_DEBTOR = Facts(timezone="Asia/Shanghai", contact_points=(ContactPoint("N1", "mobile", "debtor"),))


@pytest.mark.parametrize(
    ("at", "verdict", "next_allowed"),
    [
        ("2026-02-14T10:00:00+08:00", Verdict.ALLOW, None),  # 调休 Saturday: a working day
        ("2026-02-08T10:00:00+08:00", Verdict.BLOCK, "2026-02-09T08:00:00+08:00"),  # Sunday
        ("2026-02-16T10:00:00+08:00", Verdict.BLOCK, "2026-02-24T08:00:00+08:00"),  # Spring Festival
        ("2025-09-28T10:00:00+08:00", Verdict.ALLOW, None),  # 调休 Sunday of 2025
        ("2025-10-03T10:00:00+08:00", Verdict.BLOCK, "2025-10-09T08:00:00+08:00"),  # National Day 2025
    ],
)
def test_the_gate_keeps_a_banks_rest_days_across_years(
    at: str, verdict: Verdict, next_allowed: str | None
) -> None:
    pack = tighten(load_pack("cn"), {"holidays": ["cn-rest-days"]})
    decision = decide(ContactRequest(datetime.fromisoformat(at), "call", "N1"), SHANGHAI_DEBTOR, pack)
    assert decision.verdict is verdict
    if next_allowed is not None:
        assert decision.rule_ids == ("TENANT-POLICY",)
        assert decision.next_allowed_at == datetime.fromisoformat(next_allowed)
