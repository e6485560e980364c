"""The gate over a batch (arrears.compliance.batch) answers as the gate over one request.

- Random batches (hypothesis, derandomized: the same examples on every run): every row's verdict,
  rule ids (in order), next_allowed_at and whole decision with its reasons' wording equal
  ``decide``'s, under each pack, plain and tightened (quiet hours, caps, the cn, US and UK holiday
  calendars); a second test packs the facts with bursts of contacts so that every count reaches
  its cap.
- Every quarter hour of three holiday periods (the Spring Festival's past the nearest days the
  search tries first): the same next_allowed_at.
- The scenario files' contact requests, run as batches, give the expected answers (the public
  ones) and ``decide``'s whole decisions (all); the rows handed to the scalar gate are those the
  batch gate says it hands over.
- A night of ordinary planned actions is decided in columns, none handed to the scalar gate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.compliance.batch import BatchRequestError, decide_batch
from arrears.compliance.batch_facts import BatchFacts
from arrears.compliance.batch_reading import SCALAR_KINDS, SCALAR_POLICIES
from arrears.compliance.context import zones_for
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import CALL_OUTCOMES, ContactPoint, ContactRequest, Event, Facts, TimeWindow
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack, PackError, load_pack, tighten
from arrears.compliance.scenarios import Scenario, load_file
from arrears.compliance.standing import CLOSING_EVENTS, OPENING_EVENTS
from tests.compliance.nightly_book import night

QUARTER = timedelta(minutes=15)
PACKS: dict[str, list[dict[str, Any]]] = {
    "cn": [
        {},
        {"holidays": ["cn-rest-days"]},
        {
            "holidays": ["cn-public-holidays"],
            "max_conversations_per_day": 1,
            "max_unanswered_per_number_per_day": 2,
        },
        {
            "quiet_start": "21:00",
            "quiet_end": "09:00",
            "max_calls_in_7_days": 3,
            "days_after_conversation": 2,
        },
        {"max_texts_per_day": 2, "max_conversations_per_day": 2},
        {"max_texts_per_day": 1, "holidays": ["weekends", "2026-10-08"]},
    ],
    "us-regf": [
        {},
        {
            "quiet_start": "20:00",
            "max_calls_in_7_days": 3,
            "max_texts_per_day": 1,
            "holidays": ["us-federal-holidays"],
        },
        {"days_after_conversation": 8, "max_texts_per_day": 2, "quiet_end": "08:30"},
    ],
    "uk-fca": [
        {},
        {
            "max_conversations_per_day": 1,
            "max_unanswered_per_number_per_day": 3,
            "max_calls_in_7_days": 4,
            "days_after_conversation": 1,
            "holidays": ["uk-bank-holidays", "weekends"],
        },
        {"max_texts_per_day": 0, "max_calls_in_7_days": 0},
    ],
}
DAYS = [  # cn National Day week and a weekend, Spring Festival, US and UK daylight-saving days,
    # an ordinary Tuesday, Christmas
    datetime(2026, 10, 1, tzinfo=UTC),
    datetime(2026, 10, 10, tzinfo=UTC),
    datetime(2026, 2, 16, tzinfo=UTC),
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 4, 7, tzinfo=UTC),
    datetime(2026, 12, 25, tzinfo=UTC),
    datetime(2026, 10, 24, 20, tzinfo=UTC),  # Beirut falls back at midnight, London at 02:00
]
ZONES = [
    "Asia/Shanghai",
    "Asia/Urumqi",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Beirut",
    None,
]
POINTS = (
    ContactPoint("M1", "mobile", "debtor"),
    ContactPoint("M2", "mobile", "debtor"),
    ContactPoint("E1", "email", "debtor"),
    ContactPoint("A1", "address", "debtor"),
    ContactPoint("W1", "wechat", "debtor"),
    ContactPoint("S1", "mobile", "spouse"),
    ContactPoint("S2", "email", "spouse"),
    ContactPoint("G1", "mobile", "guarantor"),
    ContactPoint("K1", "mobile", "emergency_contact"),
    ContactPoint("B1", "work_phone", "employer"),
    ContactPoint("L1", "landline", "attorney"),
    ContactPoint("P1", "mobile", "parent"),
)
DEBTORS_OWN = ["M1", "M2", "E1", "A1", "W1"]
PARTIES = sorted({p.party for p in POINTS})
OTHERS = ["S1", "S2", "G1", "L1", "K1", "B1", "P1", "Z9", None]
CHANNELS = ["call", "sms", "email", "letter", "visit", "wechat", "voicemail"]
EVENT_CHANNELS = [
    None,
    "all",
    "any",
    "sms",
    "text",
    "call",
    "phone",
    "voicemail",
    "email",
    "letter",
    "wechat",
]
HOLD_KINDS = ["dispute", "cease", "bankruptcy", "deceased", "hardship", "attorney", "incapacitated", "legal"]
ORDINARY_KINDS = ["call"] * 6 + ["inbound_call", "sms", "sms", "email", "letter", "visit", "wechat"]
STANDING_KINDS = [
    *OPENING_EVENTS,
    *CLOSING_EVENTS,
    "hold_placed",
    "hold_lifted",
    "hold_placed",
    "verification_sent",
    "opt_out",
    "opt_out",
    "contact_refused",
]
RARE_KINDS = ["consent", "callback_requested", "inconvenient_time", "inconvenient_place"]
PURPOSES = [None, None, None, "verification of the debt", "Closing letter", "collection", "location"]


def _clock(quarters: int) -> time:
    minutes = quarters * 15 % (24 * 60)
    return time(minutes // 60, minutes % 60)


@st.composite
def packs(draw: st.DrawFn) -> Pack:
    pack_id = draw(st.sampled_from(sorted(PACKS)))
    return tighten(load_pack(pack_id), draw(st.sampled_from(PACKS[pack_id])))


@st.composite
def events(draw: st.DrawFn, around: datetime, rare: bool) -> Event:
    kind = draw(
        st.sampled_from(ORDINARY_KINDS)
        if draw(st.integers(0, 2))
        else st.sampled_from(STANDING_KINDS) | (st.sampled_from(RARE_KINDS) if rare else st.nothing())
    )
    at: datetime | None = around - QUARTER * draw(st.integers(-8, 10 * 96))
    if kind not in ORDINARY_KINDS and draw(st.integers(0, 9)) == 0:
        at = None
    point = st.sampled_from([p.id for p in POINTS] + ["Z9"])
    fields: dict[str, Any] = {}
    if kind in ("call", "sms", "email", "letter", "visit", "wechat"):
        fields["to"] = draw(point)
    if kind in ("call", "visit", "inbound_call"):
        fields["outcome"] = draw(st.sampled_from([*sorted(CALL_OUTCOMES), None]))
    if kind == "inbound_call":
        fields["source"] = draw(point | st.none())
    if kind in ("dispute_opened", "cease_requested"):
        fields["written"] = draw(st.sampled_from([True, False, None]))
    if kind in ("hold_placed", "hold_lifted"):
        fields["hold"] = draw(st.sampled_from([*HOLD_KINDS, None]))
    if kind in ("opt_out", "consent", "inconvenient_time"):
        fields["channel"] = draw(st.sampled_from(EVENT_CHANNELS))
    if kind in ("opt_out", "inconvenient_time"):
        fields["to"] = draw(point | st.none())
    if kind == "contact_refused":
        fields["contact"] = draw(point | st.none())
        fields["to"] = draw(point | st.none())
    if kind in ("consent", "inconvenient_time"):
        fields["window"] = TimeWindow(_clock(draw(st.integers(0, 95))), _clock(draw(st.integers(0, 95))))
    if kind == "consent":
        fields["until"] = around + QUARTER * draw(st.integers(-96, 10 * 96))
    if kind == "callback_requested":
        fields["callback_at"] = around + QUARTER * draw(st.integers(-96, 3 * 96))
    if kind == "inconvenient_place":
        fields["place"] = draw(st.sampled_from(["work", "B1", "M1"]))
    return Event(kind, at=at, **fields)


@st.composite
def bursts(draw: st.DrawFn, around: datetime) -> list[Event]:
    """Contacts close together (the hours before the request, the days before): the counts per
    day, per number and per 7 days reach their caps."""
    kind = draw(st.sampled_from(["call", "call", "sms", "sms", "visit"]))
    to = draw(st.sampled_from(["M1", "M1", "M2", "S1", "G1"]))
    step = draw(st.sampled_from([QUARTER, 4 * QUARTER, timedelta(days=1)]))
    outcomes = st.sampled_from(["no_answer", "no_answer", "voicemail", "not_connected", "conversation"])
    same = draw(outcomes) if draw(st.booleans()) else None
    return [
        Event(kind, at=around - step * n, to=to, outcome=None if kind == "sms" else same or draw(outcomes))
        for n in range(draw(st.integers(1, 3) | st.integers(5, 9)))
    ]


@st.composite
def customers(draw: st.DrawFn, around: datetime) -> Facts:
    timezone = draw(st.sampled_from(ZONES))
    candidates: tuple[str, ...] = ()
    if draw(st.integers(0, 7 if timezone else 2)) == 0:
        candidates = tuple(draw(st.lists(st.sampled_from([z for z in ZONES if z]), min_size=1, max_size=2)))
    points = [*POINTS[:1], *draw(st.lists(st.sampled_from(POINTS[1:]), unique_by=lambda p: p.id))]
    points = [ContactPoint(p.id, p.type, p.party, draw(st.integers(0, 11)) == 0) for p in points]
    if draw(st.integers(0, 9)) == 0:  # an id given twice: the first is the point, both are the person's
        points.append(
            ContactPoint(draw(st.sampled_from(points)).id, "mobile", draw(st.sampled_from(PARTIES)))
        )
    rare = draw(st.integers(0, 7)) == 0
    history = draw(st.lists(events(around, rare), max_size=10))
    for burst in draw(st.lists(bursts(around), max_size=2)):
        history[draw(st.integers(0, len(history))) : 0] = burst  # a burst amid the rest
    return Facts(
        timezone=timezone,
        candidate_timezones=candidates,
        contact_points=tuple(points),
        events=tuple(history),
    )


@st.composite
def requests(draw: st.DrawFn, around: datetime) -> ContactRequest:
    to = draw(st.sampled_from(DEBTORS_OWN) if draw(st.integers(0, 3)) else st.sampled_from([*OTHERS, ""]))
    return ContactRequest(
        at=around + QUARTER * draw(st.integers(-96, 2 * 96)),
        channel=draw(st.sampled_from(["call", "call", "sms", *CHANNELS])),
        to=to,
        purpose=draw(st.sampled_from(PURPOSES)),
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[Pack, dict[str, Facts], list[tuple[str, ContactRequest]]]:
    around = draw(st.sampled_from(DAYS)) + QUARTER * draw(st.integers(0, 95))
    facts = {f"C{n}": draw(customers(around)) for n in range(draw(st.integers(1, 4)))}
    asked = [
        (customer_id, draw(requests(around))) for customer_id in facts for _ in range(draw(st.integers(1, 5)))
    ]
    asked += [("NOBODY", draw(requests(around)))] if draw(st.integers(0, 9)) == 0 else []
    return draw(packs()), facts, asked


@st.composite
def counting_batches(draw: st.DrawFn) -> tuple[Pack, dict[str, Facts], list[tuple[str, ContactRequest]]]:
    """Customers with one known zone and bursts of contacts, asked for more of the same near them."""
    around = draw(st.sampled_from(DAYS)) + QUARTER * draw(st.integers(0, 95))
    facts: dict[str, Facts] = {}
    asked: list[tuple[str, ContactRequest]] = []
    for n in range(draw(st.integers(1, 3))):
        customer_id = f"C{n}"
        history = [e for burst in draw(st.lists(bursts(around), min_size=1, max_size=3)) for e in burst]
        same = {"sms": ["sms"], "visit": ["visit"]}.get(history[0].kind, ["call", "voicemail"])
        for _ in range(draw(st.integers(1, 4))):
            alike = draw(st.booleans())
            channels = same if alike else ["call", "voicemail", "sms", "visit"]
            to = history[0].to if alike else draw(st.sampled_from(["M1", "M2", "S1", "G1"]))
            at = around + QUARTER * draw(st.integers(-8, 2 * 96))
            asked.append((customer_id, ContactRequest(at=at, channel=draw(st.sampled_from(channels)), to=to)))
        history += draw(st.lists(events(around, rare=False), max_size=3))
        facts[customer_id] = Facts(
            timezone=draw(st.sampled_from([z for z in ZONES if z])),
            contact_points=POINTS[:8],
            events=tuple(draw(st.permutations(history))),
        )
    return draw(packs()), facts, asked


def request_table(asked: list[tuple[str, ContactRequest]]) -> pa.Table:
    return pa.table(
        {
            "row": pa.array([100 + n for n in range(len(asked))], pa.int64()),
            "customer_id": [c for c, _ in asked],
            "channel": [r.channel for _, r in asked],
            "to": pa.array([r.to for _, r in asked], pa.string()),
            "at": pa.array([r.at for _, r in asked], pa.timestamp("us", tz="UTC")),
            "purpose": pa.array([r.purpose for _, r in asked], pa.string()),
        }
    )


Batch = tuple[Pack, dict[str, Facts], list[tuple[str, ContactRequest]]]
DETERMINISTIC = settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Fixed examples, the same on every run (CI stays deterministic)."""


@settings(DETERMINISTIC, max_examples=250)
@given(batches())
def test_the_batch_gate_answers_every_row_as_the_gate_answers_it_alone(batch: Batch) -> None:
    assert_as_decide(batch)


@settings(DETERMINISTIC, max_examples=150)
@given(counting_batches())
def test_the_batch_gate_counts_as_the_gate_counts(batch: Batch) -> None:
    assert_as_decide(batch)


def assert_as_decide(batch: Batch) -> None:
    pack, facts, asked = batch
    columns = BatchFacts.from_facts(facts)
    for customer_id, one in facts.items():
        assert columns.facts_of(customer_id) == one
    decided = decide_batch(request_table(asked), columns, pack)
    assert decided.columnar_rows + decided.scalar_rows == len(asked)
    for (customer_id, request), row in zip(asked, decided.table.to_pylist(), strict=True):
        expected = decide(request, facts.get(customer_id, Facts()), pack)
        assert row["verdict"] == expected.verdict.value, (customer_id, request)
        assert tuple(row["rule_ids"]) == expected.rule_ids, (customer_id, request)
        assert row["next_allowed_at"] == expected.next_allowed_at, (customer_id, request)
        assert decided.decision(row["row"]) == expected, (customer_id, request)


SCENARIOS = Path(__file__).parent / "scenarios"


def _as_batch(scenarios: list[Scenario]) -> dict[str, Any]:
    """The contact scenarios a batch can put (no debts named, a registered channel), by policy."""
    groups: dict[str, list[Scenario]] = defaultdict(list)
    for s in scenarios:
        r = s.request
        if isinstance(r, ContactRequest) and not r.debts and r.registered_channel:
            groups[repr((s.pack_id, sorted(s.tighten.items())))].append(s)
    return groups


def _run(group: list[Scenario]) -> tuple[Pack, list[tuple[Scenario, dict[str, Any]]], Any]:
    pack = tighten(load_pack(group[0].pack_id), group[0].tighten)
    facts = BatchFacts.from_facts({s.id: s.facts for s in group})
    asked = [(s.id, s.request) for s in group]
    decided = decide_batch(request_table(asked), facts, pack)  # type: ignore[arg-type]
    return pack, list(zip(group, decided.table.to_pylist(), strict=True)), decided


def test_the_public_scenarios_run_as_batches_give_their_expected_answers() -> None:
    public = [s for name in ("public-cn.yaml", "public-us.yaml") for s in load_file(SCENARIOS / name)]
    contact = [s for s in public if isinstance(s.request, ContactRequest)]
    groups = _as_batch(public)
    assert sum(len(g) for g in groups.values()) == len(contact) >= 10
    for group in groups.values():
        _, rows, decided = _run(group)
        for scenario, row in rows:
            expect = scenario.expect
            assert row["verdict"] == expect.decision, scenario.id
            assert set(expect.rules) <= set(row["rule_ids"]), scenario.id
            if expect.next_allowed_at is not None:
                assert row["next_allowed_at"] == expect.next_allowed_at, scenario.id
        handed = {row["row"] for _, row in rows} & set(decided.scalar_row_ids())
        assert handed == {row["row"] for scenario, row in rows if _needs_the_scalar_gate(scenario)}


def _needs_the_scalar_gate(scenario: Scenario) -> bool:
    """What the batch gate says it hands to the scalar gate: several zones, consents, callbacks and
    inconvenient times, contact persons and third parties."""
    pack = load_pack(scenario.pack_id)
    facts, request = scenario.facts, scenario.request
    assert isinstance(request, ContactRequest)
    point = facts.point(request.to)
    return (
        len(zones_for(facts, pack)) > 1
        or any(e.kind in SCALAR_KINDS for e in facts.events)
        or (point is not None and pack.party_policy(point.party) in SCALAR_POLICIES)
    )


def test_every_contact_scenario_run_as_a_batch_gets_the_gates_answer() -> None:
    every = [s for path in sorted(SCENARIOS.glob("*.yaml")) for s in load_file(path)]
    groups = _as_batch(every)
    columnar = 0
    for group in groups.values():
        try:
            _, rows, decided = _run(group)
        except PackError:  # a policy that loosens its pack is refused before any request
            continue
        columnar += decided.columnar_rows
        for scenario, row in rows:
            assert decided.decision(row["row"]) == decide(
                scenario.request, scenario.facts, decided.explainer.pack
            )
    assert columnar >= 150


def test_a_night_of_ordinary_actions_is_decided_in_columns() -> None:
    for pack_id in ("us-regf", "cn", "uk-fca"):
        planned = night(3000, pack_id)
        decided = decide_batch(planned.requests, planned.facts, load_pack(pack_id))
        assert decided.scalar_rows == 0, pack_id
        assert decided.columnar_rows == planned.requests.num_rows
        verdicts = set(decided.table["verdict"].to_pylist())
        assert verdicts == {"allow", "block"}, pack_id


def test_callbacks_send_only_their_customers_requests_to_the_scalar_gate() -> None:
    planned = night(3000, "us-regf", special=0.02)
    decided = decide_batch(planned.requests, planned.facts, load_pack("us-regf"))
    assert planned.special_customers > 0
    assert decided.scalar_rows == 2 * planned.special_customers  # an SMS and a call each
    sample = set(decided.scalar_row_ids()[:20]) | set(range(0, planned.requests.num_rows, 97))
    by_customer = planned.facts.subset(planned.requests["customer_id"].to_pylist()).facts_by_customer()
    for row in planned.requests.take(sorted(sample)).to_pylist():
        request = ContactRequest(at=row["at"], channel=row["channel"], to=row["to"])
        assert decided.decision(row["row"]) == decide(
            request, by_customer[row["customer_id"]], load_pack("us-regf")
        )


def test_blocked_rows_keep_their_reasons() -> None:
    planned = night(1000, "us-regf")
    decided = decide_batch(planned.requests, planned.facts, load_pack("us-regf"))
    blocked = list(decided.decisions(Verdict.BLOCK))
    assert blocked
    for _, decision in blocked:
        assert decision.reasons and all(r.message_en and r.message_zh for r in decision.reasons)


def test_unknown_channels_and_repeated_rows_are_refused() -> None:
    at = datetime(2026, 3, 10, 2, tzinfo=UTC)
    facts = BatchFacts.from_facts({"C1": Facts("Asia/Shanghai")})
    fax = request_table([("C1", ContactRequest(at=at, channel="fax"))])
    with pytest.raises(BatchRequestError):
        decide_batch(fax, facts, load_pack("cn"))
    twice = request_table([("C1", ContactRequest(at=at, channel="sms"))] * 2).set_column(
        0, "row", pa.array([1, 1], pa.int64())
    )
    with pytest.raises(BatchRequestError):
        decide_batch(twice, facts, load_pack("cn"))


SPRING_FESTIVAL = datetime(2026, 2, 12, tzinfo=UTC)
NATIONAL_DAY = datetime(2026, 9, 29, tzinfo=UTC)
THANKSGIVING = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pack_id", "holidays", "zone", "first_day", "longest"),
    [  # the Spring Festival's wait is past the nearest days searched first
        ("cn", ["cn-public-holidays"], "Asia/Shanghai", SPRING_FESTIVAL, 9),
        ("cn", ["cn-rest-days"], "Asia/Urumqi", NATIONAL_DAY, 7),
        ("us-regf", ["us-federal-holidays", "weekends"], "America/Chicago", THANKSGIVING, 3),
    ],
)
def test_every_quarter_hour_of_a_holiday_period_gets_the_gates_next_allowed_at(
    pack_id: str, holidays: list[str], zone: str, first_day: datetime, longest: int
) -> None:
    """Quiet hours and holidays together, every 15 minutes over two weeks: the next allowed time is
    found within the nearest days or, after a long holiday, further on."""
    pack = tighten(load_pack(pack_id), {"holidays": holidays, "max_unanswered_per_number_per_day": 2})
    facts = Facts(
        timezone=zone,
        contact_points=POINTS[:3],
        events=tuple(
            Event("call", at=first_day + timedelta(days=day, hours=hours), to="M1", outcome="no_answer")
            for day in range(14)
            for hours in (2, 3)
        ),
    )
    asked = [
        ("C1", ContactRequest(at=first_day + QUARTER * q, channel=channel, to="M1"))
        for q in range(14 * 96)
        for channel in ("call", "sms")
    ]
    decided = decide_batch(request_table(asked), BatchFacts.from_facts({"C1": facts}), pack)
    assert decided.scalar_rows == 0
    waits = []
    for (_, request), row in zip(asked, decided.table.to_pylist(), strict=True):
        expected = decide(request, facts, pack)
        assert (row["verdict"], tuple(row["rule_ids"]), row["next_allowed_at"]) == (
            expected.verdict.value,
            expected.rule_ids,
            expected.next_allowed_at,
        ), request
        if expected.next_allowed_at is not None:
            waits.append(expected.next_allowed_at - request.at)
    assert max(waits) > timedelta(days=longest)  # the holidays were waited out
