"""Rules that do not pass with time: holds, who may be contacted, opt-outs and refusals."""

from __future__ import annotations

from datetime import date

from arrears.compliance.context import GateContext
from arrears.compliance.counting import (
    communicated_with,
    consecutive_failed_attempts,
    every_number_invalid,
    phone_points,
)
from arrears.compliance.decision import Reason
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.compliance.standing import HOLD_RULES, opted_out
from arrears.i18n import N_, Text

VERIFICATION_PURPOSES = ("verification", "dispute_response", "validation")
CLOSING_PURPOSES = ("closing", "cease_ack", "cease_confirmation", "termination", "remedy", "closing_letter")
CLOSING_CHANNELS = frozenset({"letter", "email"})
LOCATION_PURPOSES = ("location",)
PARTY_WORDS = {
    "debtor": N_("debtor"),
    "spouse": N_("spouse"),
    "emergency_contact": N_("emergency contact"),
    "guarantor": N_("guarantor"),
    "employer": N_("employer"),
    "third_party": N_("third party"),
    "attorney": N_("attorney"),
    "guardian": N_("guardian"),
    "executor": N_("executor"),
    "parent": N_("parent"),
    "other": N_("other"),
}
"""The parties a contact point belongs to, in words."""
DISPUTE_NOT_RESOLVED = Text.of(N_("the dispute is not resolved"))
ATTORNEY_INSTEAD = Text.of(N_("contact the attorney instead"))


def party_word(party: str) -> Text | str:
    """A party in the reader's words (a code without a word as it is)."""
    return Text.of(PARTY_WORDS[party]) if party in PARTY_WORDS else party


def standing_reasons(ctx: GateContext) -> list[Reason]:
    return [*hold_reasons(ctx), *party_reasons(ctx), *channel_reasons(ctx)]


def _purpose_is(ctx: GateContext, prefixes: tuple[str, ...]) -> bool:
    purpose = (ctx.request.purpose or "").lower()
    return any(purpose.startswith(p) for p in prefixes)


def hold_reasons(ctx: GateContext) -> list[Reason]:
    reasons: list[Reason] = []
    states = ctx.standing.open_states
    pack = ctx.pack
    if "dispute" in states and not _purpose_is(ctx, VERIFICATION_PURPOSES):
        opened = states["dispute"]
        reasons.append(reason("HOLD-DISPUTE", DISPUTE_NOT_RESOLVED))
        rule_id = pack.check("dispute")
        written_only = pack.option("written_dispute_rule_only")
        if rule_id and not (written_only and opened.written is False):
            reasons.append(reason(rule_id, _dispute_detail(ctx)))
    if "cease" in states and not _closing_letter(ctx):
        reasons.append(reason("HOLD-CEASE"))
        rule_id = pack.check("cease")
        if rule_id and states["cease"].written is not False:
            reasons.append(reason(rule_id))
    if "bankruptcy" in states:
        reasons.append(reason("HOLD-BANKRUPTCY"))
    if "deceased" in states and (
        ctx.point.party == "debtor" or not pack.option("deceased_blocks_debtor_only")
    ):
        reasons.append(reason("HOLD-DECEASED"))
    if "hardship" in states:
        reasons.append(reason("HOLD-HARDSHIP"))
        if pack.check("hardship"):
            reasons.append(reason(pack.check("hardship") or "HOLD-HARDSHIP"))
    return reasons


def _dispute_detail(ctx: GateContext) -> Text | None:
    opened = ctx.standing.open_states["dispute"].at
    return dispute_detail(
        ctx.pack,
        None if opened is None else ctx.primary_zone.local(opened).date(),
        ctx.primary_zone.local(ctx.request.at).date(),
    )


def dispute_detail(pack: Pack, opened_on: date | None, asked_on: date) -> Text | None:
    """How the dispute's verification stands on the local date ``asked_on`` (opened on ``opened_on``)."""
    days = pack.parameters.dispute_verification_days
    if days is None or opened_on is None:
        return None
    overdue = asked_on.toordinal() > opened_on.toordinal() + days
    if not overdue:
        return Text.of(N_("verification is due within {days} days"), days=days)
    return Text.of(N_("verification is overdue ({days} days): escalate"), days=days)


def _closing_letter(ctx: GateContext) -> bool:
    return (
        ctx.pack.option("cease_allows_closing_letters")
        and ctx.request.channel in CLOSING_CHANNELS
        and _purpose_is(ctx, CLOSING_PURPOSES)
    )


def party_reasons(ctx: GateContext) -> list[Reason]:
    point = ctx.point
    policy = ctx.pack.party_policy(point.party)
    reasons: list[Reason] = []
    if point.id in ctx.standing.refused_contacts:
        reasons.append(reason("OPT-OUT", refused_detail(point.id)))
        if ctx.pack.check("contact_refused"):
            reasons.append(reason(ctx.pack.check("contact_refused") or "OPT-OUT"))
    if policy == "consumer":
        reasons.extend(_consumer_reasons(ctx))
    elif policy == "contact_person":
        reasons.extend(_contact_person_reasons(ctx))
    elif policy == "location_only":
        reasons.extend(_location_reasons(ctx))
    elif policy == "never":
        reasons.append(reason(unrelated_party_rule(ctx.pack), unrelated_party_detail(point.party)))
    return reasons


def refused_detail(point_id: str) -> Text:
    return Text.of(N_("{point} refused further contact"), point=point_id)


def unrelated_party_rule(pack: Pack) -> str:
    """The rule a party the pack never allows breaks."""
    return pack.check("unrelated_party") or pack.check("third_party") or "TENANT-POLICY"


def unrelated_party_detail(party: str) -> Text:
    return Text.of(N_("the party is {party}"), party=party_word(party))


def _consumer_reasons(ctx: GateContext) -> list[Reason]:
    rule_id = ctx.pack.check("attorney")
    if rule_id and ctx.standing.is_open("attorney"):
        return [reason(rule_id, ATTORNEY_INSTEAD)]
    return []


def _contact_person_reasons(ctx: GateContext) -> list[Reason]:
    rule_id = ctx.pack.check("contact_person")
    if rule_id is None:
        return [reason(ctx.pack.check("unrelated_party") or "TENANT-POLICY")]
    if debtor_unreachable(ctx):
        return []
    return [
        reason(
            rule_id,
            Text.of(N_("the debtor is not unreachable, so the contact person may not be contacted")),
        )
    ]


def debtor_unreachable(ctx: GateContext) -> bool:
    if ctx.standing.is_open("deceased") or ctx.standing.is_open("incapacitated"):
        return True
    debtor_points = frozenset(p.id for p in ctx.facts.contact_points if p.party == "debtor")
    if every_number_invalid(ctx, phone_points(ctx, "debtor")):
        return True
    needed = ctx.pack.parameters.contact_person_after_failed_attempts
    return needed is not None and consecutive_failed_attempts(ctx, debtor_points) >= needed


def _location_reasons(ctx: GateContext) -> list[Reason]:
    """A third party may be asked once where the consumer is; a request for anything else is refused.

    A request that names no purpose is taken to be that one location inquiry (what is said is
    checked by the content rules); a second communication with the same person is refused.
    """
    reasons: list[Reason] = []
    purpose = ctx.request.purpose
    if purpose is not None and not _purpose_is(ctx, LOCATION_PURPOSES):
        reasons.append(
            reason(
                ctx.pack.check("third_party") or "TENANT-POLICY",
                Text.of(
                    N_("{party} is a third party: only a location inquiry is allowed, not {purpose}"),
                    party=ctx.point.party,
                    purpose=repr(purpose),
                ),
            )
        )
    location_rule = ctx.pack.check("location")
    if location_rule and communicated_with(ctx, ctx.point.id):
        reasons.append(
            reason(location_rule, Text.of(N_("{point} was already contacted once"), point=ctx.point.id))
        )
    return reasons


def channel_reasons(ctx: GateContext) -> list[Reason]:
    reasons: list[Reason] = []
    opt_out = opted_out(ctx.standing, ctx.point.id, ctx.request.channel)
    if opt_out is not None or ctx.point.do_not_contact:
        detail = opt_out_detail(ctx.point.id, ctx.request.channel)
        reasons.append(reason("OPT-OUT", detail))
        medium_rule = ctx.pack.check("medium_opt_out")
        if medium_rule and medium_rule != "OPT-OUT":
            reasons.append(reason(medium_rule, detail))
    place_rule = ctx.pack.check("inconvenient_time")
    for event in ctx.standing.inconvenient:
        if event.place and place_rule and _at_place(ctx, event.place):
            reasons.append(
                reason(
                    place_rule,
                    Text.of(N_("the person said {place} is inconvenient"), place=event.place),
                )
            )
    if not ctx.request.registered_channel:
        rule_id = ctx.pack.check("unregistered_channel") or "TENANT-POLICY"
        reasons.append(reason(rule_id, Text.of(N_("the channel is not registered"))))
    return reasons


def opt_out_detail(point_id: str, channel: str) -> Text:
    return Text.of(N_("{point} opted out of {channel}"), point=point_id, channel=channel)


def _at_place(ctx: GateContext, place: str) -> bool:
    if place == ctx.point.id:
        return True
    return place in ("work", "workplace", "employer") and (
        ctx.point.type == "work_phone" or ctx.point.party == "employer"
    )


__all__ = ["HOLD_RULES", "standing_reasons"]
