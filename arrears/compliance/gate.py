"""The contact gate: one pure function every outbound path calls before acting.

``decide(request, facts, pack)`` answers allow, block or review with the rules behind the answer
(rule id and a message in zh-CN and en) and, for a request blocked only by time or frequency rules,
``next_allowed_at``: the earliest instant at which the same request would pass them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from arrears.compliance.content import check_text
from arrears.compliance.context import GateContext, build_context
from arrears.compliance.counting import frequency_reasons
from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import ContactRequest, Facts, Request
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.compliance.parties import standing_reasons
from arrears.compliance.windows import boundary_instants, time_reasons, window_open_in_all_zones
from arrears.i18n import N_, Text

SEARCH_CHUNKS = ((-1, 8), (9, 45), (46, 400))
"""Local days ahead searched for ``next_allowed_at``, nearest first."""
COMMON_WINDOW_DAYS = 14


def decide(request: Request, facts: Facts, pack: Pack) -> Decision:
    if isinstance(request, ContactRequest):
        return decide_contact(request, facts, pack)
    return check_text(request, pack)


def decide_contact(request: ContactRequest, facts: Facts, pack: Pack) -> Decision:
    ctx = build_context(request, facts, pack)
    reasons = _reasons_at_request(ctx)
    reasons.extend(_tenant_policy_reasons(request, facts, pack, reasons))
    verdict = verdict_of(reasons)
    next_allowed = None
    blocking = [r for r in reasons if r.blocking]
    if verdict is Verdict.BLOCK and all(r.retryable for r in blocking):
        next_allowed = next_allowed_at(ctx)
    return Decision(verdict, tuple(unique_reasons(reasons)), pack.id, pack.label, next_allowed)


def timed_reasons(ctx: GateContext, instant: datetime) -> list[Reason]:
    """The rules whose answer changes with the clock: time of day, holidays, counts per day or week."""
    return [*time_reasons(ctx, instant), *frequency_reasons(ctx, instant)]


def next_allowed_at(ctx: GateContext) -> datetime | None:
    for first_day, last_day in SEARCH_CHUNKS:
        for candidate in boundary_instants(ctx, ctx.request.at, first_day, last_day):
            if not any(r.blocking for r in timed_reasons(ctx, candidate)):
                return candidate.astimezone(ctx.primary_zone.info)
    return None


def _reasons_at_request(ctx: GateContext) -> list[Reason]:
    reasons = standing_reasons(ctx)
    timed = timed_reasons(ctx, ctx.request.at)
    time_rules = {ctx.pack.check("time"), ctx.pack.check("time_candidates")}
    if any(r.rule_id in time_rules for r in timed) and not _common_window_exists(ctx):
        zones = ", ".join(z.name for z in ctx.zones)
        reasons.append(
            reason("NO-COMMON-WINDOW", Text.of(N_("no permitted time common to {zones}"), zones=zones))
        )
    return [*reasons, *timed]


def _common_window_exists(ctx: GateContext) -> bool:
    if window_open_in_all_zones(ctx, ctx.request.at):
        return True
    candidates = boundary_instants(ctx, ctx.request.at - timedelta(days=1), 0, COMMON_WINDOW_DAYS)
    return any(window_open_in_all_zones(ctx, c) for c in candidates)


def _tenant_policy_reasons(
    request: ContactRequest, facts: Facts, pack: Pack, reasons: list[Reason]
) -> list[Reason]:
    """Rules that block only because the bank tightened the pack are also named TENANT-POLICY."""
    if not pack.tightened:
        return []
    base_rules = {r.rule_id for r in _reasons_at_request(build_context(request, facts, pack.untightened))}
    added = [
        r for r in reasons if r.blocking and r.rule_id not in base_rules and r.rule_id != "TENANT-POLICY"
    ]
    if not added:
        return []
    return [tenant_policy_reason(pack, retryable=all(r.retryable for r in added))]


def tenant_policy_reason(pack: Pack, *, retryable: bool) -> Reason:
    """A rule that blocks only because the bank tightened ``pack``, named as the bank's policy."""
    settings = ", ".join(f"{k}={v}" for k, v in pack.tightened.items())
    return reason(
        "TENANT-POLICY",
        Text.of(N_("the bank's tightened settings ({settings})"), settings=settings),
        retryable=retryable,
    )


def unique_reasons(reasons: list[Reason]) -> list[Reason]:
    """The reasons, one per rule id: the first of each."""
    seen: dict[str, Reason] = {}
    for r in reasons:
        seen.setdefault(r.rule_id, r)
    return list(seen.values())
