"""Everything the contact checks read, gathered once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from arrears.clock import zone
from arrears.compliance.facts import PHONE_CHANNELS, ContactPoint, ContactRequest, Facts
from arrears.compliance.packs import Pack
from arrears.compliance.standing import Standing, callback_covers, standing_of

PERSON_PARTIES = frozenset({"debtor", "spouse", "guarantor"})
"""Parties whose contact points all reach one person; any other point is a person of its own."""

CHANNEL_POINT_TYPES = {"email": "email", "letter": "address", "visit": "address", "wechat": "wechat"}


@dataclass(frozen=True)
class Zone:
    name: str
    info: ZoneInfo
    candidate: bool

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.info)


@dataclass(frozen=True)
class GateContext:
    pack: Pack
    facts: Facts
    request: ContactRequest
    point: ContactPoint
    zones: tuple[Zone, ...]
    standing: Standing
    person_points: frozenset[str]

    @property
    def primary_zone(self) -> Zone:
        return self.zones[0]

    @property
    def is_call(self) -> bool:
        return self.request.channel in PHONE_CHANNELS

    def consented_call_at(self, instant: datetime) -> bool:
        """The call is one the person asked for (a callback), at the time they asked."""
        if not self.is_call:
            return False
        local = self.primary_zone.local(instant)
        return any(callback_covers(c, instant, local) for c in self.standing.callbacks)


def build_context(request: ContactRequest, facts: Facts, pack: Pack) -> GateContext:
    known = facts.known_before(request.at)
    point = known.point(request.to) or _implied_point(request)
    return GateContext(
        pack=pack,
        facts=known,
        request=request,
        point=point,
        zones=zones_for(known, pack),
        standing=standing_of(known, verification_ends_dispute=pack.option("verification_ends_dispute")),
        person_points=_person_points(known, point),
    )


def zones_for(facts: Facts, pack: Pack) -> tuple[Zone, ...]:
    """The debtor's zone and candidate zones; the pack's zones when nothing is known."""
    zones: list[Zone] = []
    if facts.timezone:
        zones.append(Zone(facts.timezone, zone(facts.timezone), candidate=False))
    for name in facts.candidate_timezones:
        if name not in (z.name for z in zones):
            zones.append(Zone(name, zone(name), candidate=True))
    if not zones:
        several = len(pack.default_timezones) > 1
        zones = [Zone(name, zone(name), candidate=several) for name in pack.default_timezones]
    return tuple(zones)


def _implied_point(request: ContactRequest) -> ContactPoint:
    """A request to an address not in the facts is taken to be to the debtor by its channel."""
    point_type = CHANNEL_POINT_TYPES.get(request.channel, "mobile")
    return ContactPoint(id=request.to or f"debtor-{point_type}", type=point_type, party="debtor")


def _person_points(facts: Facts, point: ContactPoint) -> frozenset[str]:
    if point.party in PERSON_PARTIES:
        return frozenset({point.id} | {p.id for p in facts.contact_points if p.party == point.party})
    return frozenset({point.id})
