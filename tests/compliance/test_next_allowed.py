"""next_allowed_at is the earliest instant at which the same request passes, on any facts.

Every input (request time, event times, windows, callbacks) lies on a 15-minute grid and the zones
used shift by whole hours, so every rule changes its answer only on that grid: checking each grid
instant between the request and next_allowed_at proves that none of them would have passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactPoint, ContactRequest, Event, Facts, TimeWindow
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack, load_pack, tighten

QUARTER = timedelta(minutes=15)
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Shanghai",
    "Asia/Tokyo",
]
DAYS_AROUND = [  # US and UK daylight-saving days, and an ordinary one
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 4, 7, tzinfo=UTC),
]
OUTCOMES = ["no_answer", "voicemail", "not_connected", "conversation", "wrong_party"]
POINTS = (ContactPoint("M1", "mobile", "debtor"), ContactPoint("M2", "mobile", "debtor"))
TIGHTENINGS: dict[str, dict[str, list[Any]]] = {
    "cn": {
        "quiet_start": ["20:00", "21:00", "21:30"],
        "quiet_end": ["08:30", "09:00"],
        "max_conversations_per_day": [1, 2],
        "max_unanswered_per_number_per_day": [2, 4],
        "max_calls_in_7_days": [3, 5],
        "days_after_conversation": [2],
    },
    "us-regf": {
        "quiet_start": ["19:00", "20:00", "20:30"],
        "quiet_end": ["08:30", "09:00"],
        "max_calls_in_7_days": [3, 5],
        "days_after_conversation": [8],
    },
}
MAX_GAP = timedelta(days=9)


def _clock(quarters: int) -> time:
    minutes = quarters * 15 % (24 * 60)
    return time(minutes // 60, minutes % 60)


@st.composite
def situations(draw: st.DrawFn) -> tuple[Pack, Facts, ContactRequest]:
    pack_id = draw(st.sampled_from(["cn", "us-regf"]))
    wanted = draw(st.dictionaries(st.sampled_from(sorted(TIGHTENINGS[pack_id])), st.just(0), max_size=2))
    pack = tighten(
        load_pack(pack_id), {name: draw(st.sampled_from(TIGHTENINGS[pack_id][name])) for name in wanted}
    )
    at = draw(st.sampled_from(DAYS_AROUND)) + QUARTER * draw(st.integers(-2 * 96, 2 * 96))
    calls = draw(
        st.lists(
            st.tuples(st.integers(1, 9 * 96), st.sampled_from(OUTCOMES), st.sampled_from(["M1", "M2"])),
            max_size=14,
        )
    )
    events = [Event("call", at=at - QUARTER * q, to=to, outcome=outcome) for q, outcome, to in calls]
    if draw(st.booleans()):
        window = TimeWindow(_clock(draw(st.integers(0, 95))), _clock(draw(st.integers(0, 95))))
        kind = "consent" if pack_id == "cn" else "inconvenient_time"
        until = at + QUARTER * draw(st.integers(-96, 10 * 96))
        events.append(Event(kind, at=at - timedelta(days=10), channel="call", window=window, until=until))
    if draw(st.booleans()):
        callback = at + QUARTER * draw(st.integers(-96, 3 * 96))
        events.append(Event("callback_requested", at=at - timedelta(days=1), callback_at=callback))
    zone = draw(st.sampled_from(ZONES))
    candidates = draw(st.lists(st.sampled_from(ZONES), max_size=2, unique=True))
    facts = Facts(
        timezone=zone,
        candidate_timezones=tuple(candidates),
        contact_points=POINTS,
        events=tuple(sorted(events, key=lambda e: e.at or at)),
    )
    request = ContactRequest(at=at, channel=draw(st.sampled_from(["call", "sms"])), to="M1")
    return pack, facts, request


def _verdict(pack: Pack, facts: Facts, request: ContactRequest, at: datetime) -> Verdict:
    return decide(ContactRequest(at=at, channel=request.channel, to=request.to), facts, pack).verdict


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_next_allowed_at_is_the_earliest_instant_the_same_request_passes(
    situation: tuple[Pack, Facts, ContactRequest],
) -> None:
    pack, facts, request = situation
    decision = decide(request, facts, pack)
    if decision.verdict is not Verdict.BLOCK or decision.next_allowed_at is None:
        return
    next_at = decision.next_allowed_at
    assert next_at > request.at
    assert next_at.utcoffset() is not None
    assert _verdict(pack, facts, request, next_at) is not Verdict.BLOCK
    assert _verdict(pack, facts, request, next_at - timedelta(seconds=1)) is Verdict.BLOCK
    if next_at - request.at > MAX_GAP:
        return
    instant = request.at + QUARTER
    while instant < next_at:
        assert _verdict(pack, facts, request, instant) is Verdict.BLOCK, instant
        instant += QUARTER


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_a_block_without_a_retry_time_does_not_pass_in_the_next_two_days(
    situation: tuple[Pack, Facts, ContactRequest],
) -> None:
    pack, facts, request = situation
    decision = decide(request, facts, pack)
    if decision.verdict is not Verdict.BLOCK or decision.next_allowed_at is not None:
        return
    for step in range(1, 25):  # every two hours: each blocked probe repeats the gate's long search
        assert _verdict(pack, facts, request, request.at + timedelta(hours=2 * step)) is Verdict.BLOCK
