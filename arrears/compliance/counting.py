"""Frequency rules: attempts versus conversations, per number, per person, per debt.

Days are the debtor's local calendar days (in every candidate zone when the location is
uncertain); inbound calls are never counted as attempts; calls that never connected and calls
the person asked for are left out where the pack says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from arrears.compliance.context import GateContext, Zone
from arrears.compliance.decision import Reason
from arrears.compliance.facts import PHONE_CHANNELS, Event
from arrears.compliance.messages import reason
from arrears.i18n import N_, Text

UNANSWERED = frozenset({"no_answer", "voicemail", "not_connected", "invalid_number"})
NOT_CONNECTED = frozenset({"not_connected", "invalid_number"})
MESSAGE_EVENTS = frozenset({"sms", "email", "letter", "wechat", "visit"})


def frequency_reasons(ctx: GateContext, instant: datetime) -> list[Reason]:
    reasons: list[Reason] = []
    for z in ctx.zones:
        for check in (_conversations_per_day, _unanswered_per_number, _texts_per_day):
            reasons.extend(check(ctx, z, instant))
        if ctx.is_call and not ctx.consented_call_at(instant):
            reasons.extend(_calls_in_7_days(ctx, z, instant))
            reasons.extend(_after_conversation(ctx, z, instant))
    return list({r.rule_id + r.message_en: r for r in reasons}.values())


def outbound_calls(ctx: GateContext) -> Iterable[Event]:
    return (e for e in ctx.facts.events if e.kind == "call" and e.at is not None)


def is_conversation(event: Event) -> bool:
    return event.outcome == "conversation"


def about_requested_debts(ctx: GateContext, event: Event) -> bool:
    """An event with no debts named is taken to concern every debt (the conservative reading)."""
    if not ctx.request.debts or not event.debts:
        return True
    return bool(set(ctx.request.debts) & set(event.debts))


def _at_cap(rule_id: str, count: int, cap: int, detail: Text) -> list[Reason]:
    """The rule's reason once ``count`` has reached ``cap``; a later instant may pass again."""
    return [] if count < cap else [reason(rule_id, detail, retryable=True)]


def _on_day(z: Zone, event: Event, day: date) -> bool:
    return event.at is not None and z.local(event.at).date() == day


def _conversations_per_day(ctx: GateContext, z: Zone, instant: datetime) -> list[Reason]:
    cap = ctx.pack.parameters.max_conversations_per_day
    rule_id = ctx.pack.check("conversations_per_day")
    if cap is None or rule_id is None or ctx.request.channel not in ctx.pack.conversation_channels:
        return []
    day = z.local(instant).date()
    count = sum(
        1
        for e in ctx.facts.events
        if e.kind in ("call", "visit")
        and is_conversation(e)
        and e.to in ctx.person_points
        and _on_day(z, e, day)
    )
    return _at_cap(rule_id, count, cap, conversations_detail(count, day, z.name, cap))


def _unanswered_per_number(ctx: GateContext, z: Zone, instant: datetime) -> list[Reason]:
    cap = ctx.pack.parameters.max_unanswered_per_number_per_day
    rule_id = ctx.pack.check("unanswered_per_number")
    if cap is None or rule_id is None or not ctx.is_call:
        return []
    day = z.local(instant).date()
    count = sum(
        1
        for e in outbound_calls(ctx)
        if e.to == ctx.point.id and e.outcome in UNANSWERED and _on_day(z, e, day)
    )
    return _at_cap(rule_id, count, cap, unanswered_detail(count, ctx.point.id, day, z.name, cap))


def _texts_per_day(ctx: GateContext, z: Zone, instant: datetime) -> list[Reason]:
    cap = ctx.pack.parameters.max_texts_per_day
    rule_id = ctx.pack.check("texts_per_day")
    if cap is None or rule_id is None or ctx.request.channel != "sms":
        return []
    day = z.local(instant).date()
    count = sum(
        1 for e in ctx.facts.events if e.kind == "sms" and e.to in ctx.person_points and _on_day(z, e, day)
    )
    return _at_cap(rule_id, count, cap, texts_detail(count, day, cap))


def _calls_in_7_days(ctx: GateContext, z: Zone, instant: datetime) -> list[Reason]:
    cap = ctx.pack.parameters.max_calls_in_7_days
    rule_id = ctx.pack.check("calls_in_7_days")
    if cap is None or rule_id is None:
        return []
    last_day = z.local(instant).date()
    first_day = last_day - timedelta(days=6)
    count = sum(
        1
        for e in outbound_calls(ctx)
        if e.to in ctx.person_points
        and e.at is not None
        and first_day <= z.local(e.at).date() <= last_day
        and about_requested_debts(ctx, e)
        and not _excluded_call(ctx, e)
    )
    return _at_cap(rule_id, count, cap, calls_in_7_days_detail(count, last_day, z.name, cap))


def _excluded_call(ctx: GateContext, call: Event) -> bool:
    """Calls that do not count: never connected to the number, or placed with the person's consent."""
    if ctx.pack.option("exclude_not_connected") and call.outcome in NOT_CONNECTED:
        return True
    return bool(
        ctx.pack.option("exclude_consented_calls") and call.at is not None and ctx.consented_call_at(call.at)
    )


def _after_conversation(ctx: GateContext, z: Zone, instant: datetime) -> list[Reason]:
    days = ctx.pack.parameters.days_after_conversation
    rule_id = ctx.pack.check("after_conversation")
    if days is None or rule_id is None:
        return []
    conversations = [
        e
        for e in ctx.facts.events
        if e.at is not None
        and is_conversation(e)
        and about_requested_debts(ctx, e)
        and (
            (e.kind == "call" and e.to in ctx.person_points)
            or (e.kind == "inbound_call" and e.source in ctx.person_points)
        )
    ]
    if not conversations:
        return []
    latest = max(z.local(e.at).date() for e in conversations if e.at is not None)
    last_blocked = latest + timedelta(days=days - 1)
    if z.local(instant).date() > last_blocked:
        return []
    return [reason(rule_id, after_conversation_detail(latest, days, z.name), retryable=True)]


def conversations_detail(count: int, day: date, zone: str, cap: int) -> Text:
    return Text.of(
        N_("{count} outbound conversations on {day} ({zone}), the limit is {cap}"),
        count=count,
        day=day,
        zone=zone,
        cap=cap,
    )


def unanswered_detail(count: int, point: str, day: date, zone: str, cap: int) -> Text:
    return Text.of(
        N_("{count} unanswered attempts to {point} on {day} ({zone}), the limit is {cap}"),
        count=count,
        point=point,
        day=day,
        zone=zone,
        cap=cap,
    )


def texts_detail(count: int, day: date, cap: int) -> Text:
    return Text.of(N_("{count} texts on {day}, the limit is {cap}"), count=count, day=day, cap=cap)


def calls_in_7_days_detail(count: int, last_day: date, zone: str, cap: int) -> Text:
    """``count`` calls in the 7 local days ending ``last_day``."""
    return Text.of(
        N_("{count} calls from {first} to {last} ({zone}), the limit is {cap}"),
        count=count,
        first=last_day - timedelta(days=6),
        last=last_day,
        zone=zone,
        cap=cap,
    )


def after_conversation_detail(latest: date, days: int, zone: str) -> Text:
    """A conversation on ``latest`` (day 1) holds calls for ``days`` local days."""
    return Text.of(
        N_("a telephone conversation on {day} (day 1): no call through {last} ({zone})"),
        day=latest,
        last=latest + timedelta(days=days - 1),
        zone=zone,
    )


def consecutive_failed_attempts(ctx: GateContext, debtor_points: frozenset[str]) -> int:
    """Failed attempts to the debtor since they were last reached (an answered or inbound call resets)."""
    failures = 0
    for event in ctx.facts.events:
        if event.kind == "inbound_call" and event.source in debtor_points:
            failures = 0
        elif event.kind == "call" and event.to in debtor_points:
            failures = 0 if is_conversation(event) else failures + 1
    return failures


def every_number_invalid(ctx: GateContext, debtor_phones: frozenset[str]) -> bool:
    latest: dict[str, str | None] = {}
    for event in outbound_calls(ctx):
        if event.to in debtor_phones:
            latest[event.to] = event.outcome
    return bool(debtor_phones) and all(latest.get(p) == "invalid_number" for p in debtor_phones)


def communicated_with(ctx: GateContext, point_id: str) -> bool:
    """An earlier communication reached this point (a conversation, a voicemail or a message)."""
    for event in ctx.facts.events:
        if event.to != point_id:
            continue
        if event.kind == "call" and event.outcome in ("conversation", "voicemail"):
            return True
        if event.kind in MESSAGE_EVENTS:
            return True
    return False


def phone_points(ctx: GateContext, party: str) -> frozenset[str]:
    return frozenset(
        p.id
        for p in ctx.facts.contact_points
        if p.party == party and p.type in ("mobile", "landline", "work_phone")
    )


__all__ = [
    "PHONE_CHANNELS",
    "communicated_with",
    "consecutive_failed_attempts",
    "every_number_invalid",
    "frequency_reasons",
    "phone_points",
]
