"""Time-of-day rules in the debtor's zones, and the local boundaries where their answer can change.

Local time always comes from the IANA zone database through ``zoneinfo``: a daylight-saving day
has 23 or 25 hours and the permitted hours follow the wall clock, never a fixed offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from arrears.compliance.context import GateContext, Zone
from arrears.compliance.decision import Reason
from arrears.compliance.facts import Event, TimeWindow
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.compliance.standing import CALLBACK_EARLY, channel_matches
from arrears.i18n import N_, Text

MIDNIGHT = time(0, 0)


def permitted_window(pack: Pack) -> TimeWindow:
    """The pack's permitted hours: from the end of the quiet hours to their start."""
    return TimeWindow(pack.parameters.quiet_end, pack.parameters.quiet_start)


def time_applies(ctx: GateContext) -> bool:
    return ctx.request.channel not in ctx.pack.time_exempt_channels


def time_reasons(ctx: GateContext, instant: datetime) -> list[Reason]:
    """Quiet hours in every zone, the person's inconvenient times, and the bank's holidays."""
    if not time_applies(ctx):
        return []
    reasons: list[Reason] = []
    failing = [z for z in ctx.zones if not permitted_in(ctx, z, instant)]
    if failing:
        reasons.extend(_quiet_hours_reasons(ctx, failing, instant))
    reasons.extend(_inconvenient_reasons(ctx, instant))
    holiday_zones = [z for z in ctx.zones if z.local(instant).date() in ctx.pack.parameters.holidays]
    if holiday_zones:
        reasons.append(holiday_reason(holiday_zones[0].local(instant).date()))
    return reasons


def holiday_reason(day: date) -> Reason:
    """The bank's holiday on the local date ``day``: no contact that day."""
    return reason(
        "TENANT-POLICY",
        Text.of(N_("{day} is a holiday set by the bank"), day=day.isoformat()),
        retryable=True,
    )


def permitted_in(ctx: GateContext, zone: Zone, instant: datetime) -> bool:
    local = zone.local(instant)
    if permitted_window(ctx.pack).contains(local.time()):
        return True
    if ctx.consented_call_at(instant):
        return True
    return any(_consent_covers(ctx, consent, instant, local) for consent in ctx.standing.consents)


def window_open_in_all_zones(ctx: GateContext, instant: datetime) -> bool:
    return all(permitted_in(ctx, z, instant) for z in ctx.zones)


def _consent_covers(ctx: GateContext, consent: Event, instant: datetime, local: datetime) -> bool:
    if consent.window is None or not channel_matches(consent.channel, ctx.request.channel):
        return False
    if consent.until is not None and instant > consent.until:
        return False
    return consent.window.contains(local.time())


def _quiet_hours_reasons(ctx: GateContext, failing: list[Zone], instant: datetime) -> list[Reason]:
    detail = quiet_hours_detail(ctx.pack, [(z.name, z.local(instant)) for z in failing])
    ids = quiet_hours_rule_ids(ctx.pack, candidate=any(z.candidate for z in failing))
    return [reason(rule_id, detail, retryable=True) for rule_id in ids]


def quiet_hours_rule_ids(pack: Pack, *, candidate: bool) -> tuple[str, ...]:
    """The rules a request in the quiet hours breaks (a candidate zone adds its own, if any)."""
    ids = [pack.check("time") or "TENANT-POLICY"]
    if candidate:
        ids.append(pack.check("time_candidates") or ids[0])
    return tuple(dict.fromkeys(ids))


def quiet_hours_detail(pack: Pack, failing: Iterable[tuple[str, datetime]]) -> Text:
    """The local times (zone name, local datetime) that fall outside the pack's permitted hours."""
    window = permitted_window(pack).to_json()
    shown = ", ".join(f"{local:%Y-%m-%d %H:%M} {name}" for name, local in failing)
    return Text.of(
        N_("local time {local} is outside {start}–{end}"), local=shown, start=window["from"], end=window["to"]
    )


def _inconvenient_reasons(ctx: GateContext, instant: datetime) -> list[Reason]:
    rule_id = ctx.pack.check("inconvenient_time")
    if rule_id is None:
        return []
    for event in ctx.standing.inconvenient:
        if event.window is None or (event.to is not None and event.to != ctx.point.id):
            continue
        if not channel_matches(event.channel, ctx.request.channel):
            continue
        hits = [z for z in ctx.zones if event.window.contains(z.local(instant).time())]
        if hits:
            span = event.window.to_json()
            return [
                reason(
                    rule_id,
                    Text.of(
                        N_("the person said {start}–{end} is inconvenient"),
                        start=span["from"],
                        end=span["to"],
                    ),
                    retryable=True,
                )
            ]
    return []


def boundary_instants(ctx: GateContext, after: datetime, first_day: int, last_day: int) -> list[datetime]:
    """Instants after ``after`` where a time or day-count answer can change, in every zone."""
    wall_times = {MIDNIGHT, ctx.pack.parameters.quiet_end}
    wall_times |= {c.window.start for c in ctx.standing.consents if c.window is not None}
    wall_times |= {e.window.end for e in ctx.standing.inconvenient if e.window is not None}
    wall_times |= {
        (datetime.combine(date.min, c.callback_time) + timedelta(days=1) - CALLBACK_EARLY).time()
        for c in ctx.standing.callbacks
        if c.callback_time is not None
    }
    instants = set(_local_instants(ctx.zones, after, wall_times, range(first_day, last_day + 1)))
    instants |= {c.callback_at - CALLBACK_EARLY for c in ctx.standing.callbacks if c.callback_at is not None}
    return sorted(i for i in instants if i > after)


def _local_instants(
    zones: Iterable[Zone], after: datetime, wall_times: set[time], day_offsets: range
) -> Iterable[datetime]:
    for z in zones:
        start_day = z.local(after).date()
        for offset in day_offsets:
            day = start_day + timedelta(days=offset)
            for wall in wall_times:
                yield datetime.combine(day, wall, tzinfo=z.info).astimezone(UTC)
