"""Contact metrics straight from the log: contact rate, right-party-contact rate and promise rate per
collector, team and day, from what each disposition code counts as.

Counted over outbound contacts only (an inbound call is the customer's doing); a contact the gate
refused counts as nothing (its code counts as nothing). For a group of contacts:

- ``attempts``: contacts whose code counts as an attempt; ``connected``, ``third_party``,
  ``right_party``, ``promises`` likewise;
- contact rate = connected / attempts; right-party-contact rate = right_party / attempts;
  promise rate = promises / right_party (promises per conversation with the debtor), each a
  Decimal of 4 places rounded half to even (:func:`rate`), none when the divisor is 0.

One SQL statement (a GROUP BY over the day's index, the codes' counts as CASE sums), whatever the
number of contacts; the day is the bank's business day a contact started on (``started_on``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission, Scope
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.cases.scope import case_filter
from arrears.contacts.dispositions import Counts, Disposition
from arrears.contacts.models import Contact, ContactDayChange, ContactDayTotal, Direction
from arrears.errors import InvalidInputError
from arrears.i18n import N_

MAX_DAYS = 366
RATE_PLACES = Decimal("0.0001")


class GroupBy(StrEnum):
    COLLECTOR = "collector"
    """Per day, team and collector."""
    TEAM = "team"
    """Per day and team."""
    DAY = "day"
    """Per day."""


@dataclass(frozen=True)
class MetricsRow:
    day: date | None
    """None: the period's total."""
    team_id: int | None
    collector_id: int | None
    attempts: int
    connected: int
    third_party: int
    right_party: int
    promises: int

    @property
    def contact_rate(self) -> Decimal | None:
        return rate(self.connected, self.attempts)

    @property
    def right_party_rate(self) -> Decimal | None:
        return rate(self.right_party, self.attempts)

    @property
    def promise_rate(self) -> Decimal | None:
        return rate(self.promises, self.right_party)


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` to 4 places, half to even; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


def contact_metrics(
    session: Session,
    principal: Principal,
    codes: Mapping[str, Disposition],
    *,
    first: date,
    last: date,
    team_id: int | None,
    group_by: GroupBy,
    today: date,
) -> list[MetricsRow]:
    """The counts and rates of the contacts the caller may report on, ``first`` to ``last``."""
    principal.require(Permission.REPORT_READ)
    if last < first:
        raise InvalidInputError(
            N_("from ({first}) is after to ({last})"), first=first.isoformat(), last=last.isoformat()
        )
    if (last - first).days >= MAX_DAYS:
        raise InvalidInputError(N_("A period of at most {days} days"), days=MAX_DAYS)
    if principal.scope in (Scope.ALL, Scope.LED_TEAMS):
        rows = _from_totals(session, principal, codes, first, last, team_id, group_by)
        return [MetricsRow(row[0], row[1], row[2], *(int(v or 0) for v in row[3:])) for row in rows]
    keys, team, collector = _grouping(group_by, Contact.started_on, Contact.team_id, Contact.recorded_by)
    query = (
        select(
            Contact.started_on,
            team.label("team_id"),
            collector.label("collector_id"),
            *_summed(codes, Contact.disposition, 1),
        )
        .where(
            Contact.direction == Direction.OUTBOUND,
            Contact.started_on >= first,
            Contact.started_on <= last,
            _scope(principal, today),
        )
        .group_by(*keys)
        .order_by(*keys)
    )
    if team_id is not None:
        query = query.where(Contact.team_id == team_id)
    return [
        MetricsRow(row[0], row[1], row[2], *(int(v or 0) for v in row[3:]))
        for row in session.execute(query).all()
    ]


def _from_totals(
    session: Session,
    principal: Principal,
    codes: Mapping[str, Disposition],
    first: date,
    last: date,
    team_id: int | None,
    group_by: GroupBy,
) -> Any:
    """The same counts in one statement over the nightly totals (arrears.reports.totals) of the
    days they cover and the contacts of the others (after the latest total: today's; the days
    noted since: a contact recorded after the fact), for the scopes by team."""
    latest = select(func.max(ContactDayTotal.started_on)).scalar_subquery()
    noted = select(ContactDayChange.started_on)
    stored = select(
        ContactDayTotal.started_on.label("day"),
        func.nullif(ContactDayTotal.team_id, 0).label("team_id"),
        func.nullif(ContactDayTotal.recorded_by, 0).label("collector_id"),
        ContactDayTotal.disposition.label("disposition"),
        ContactDayTotal.contacts.label("contacts"),
    ).where(
        ContactDayTotal.started_on >= first,
        ContactDayTotal.started_on <= last,
        ContactDayTotal.started_on.not_in(noted),
    )

    def live(*days: ColumnElement[bool]) -> Any:
        return select(
            Contact.started_on, Contact.team_id, Contact.recorded_by, Contact.disposition, literal(1)
        ).where(
            Contact.direction == Direction.OUTBOUND,
            Contact.started_on >= first,
            Contact.started_on <= last,
            *days,
        )

    after = live(Contact.started_on > func.coalesce(latest, first - timedelta(days=1)))
    since = live(Contact.started_on <= latest, Contact.started_on.in_(noted))
    rows = union_all(stored, after, since).subquery()
    if principal.scope is Scope.LED_TEAMS:
        scope: ColumnElement[bool] = rows.c.team_id.in_(sorted(principal.led_team_ids))
    else:
        scope = true()
    keys, team, collector = _grouping(group_by, rows.c.day, rows.c.team_id, rows.c.collector_id)
    sums = _summed(codes, rows.c.disposition, rows.c.contacts)
    query = select(rows.c.day, team.label("team_id"), collector.label("collector_id"), *sums).where(scope)
    if team_id is not None:
        query = query.where(rows.c.team_id == team_id)
    return [(_day(r[0]), *r[1:]) for r in session.execute(query.group_by(*keys).order_by(*keys))]


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _grouping(
    group_by: GroupBy, day: Any, team_id: Any, collector_id: Any
) -> tuple[list[Any], ColumnElement[Any], ColumnElement[Any]]:
    """The columns a query of contacts groups by, and its team and collector columns (NULL when
    not grouped by them)."""
    keys = [day]
    if group_by is not GroupBy.DAY:
        keys.append(team_id)
    if group_by is GroupBy.COLLECTOR:
        keys.append(collector_id)
    team = team_id if group_by is not GroupBy.DAY else cast(null(), Integer)
    collector = collector_id if group_by is GroupBy.COLLECTOR else cast(null(), Integer)
    return keys, team, collector


def _summed(codes: Mapping[str, Disposition], disposition: Any, weight: Any) -> list[Any]:
    """Per count (:class:`Counts`), the sum of ``weight`` over the rows whose disposition counts."""
    sums = []
    for what in Counts:
        counted = sorted(code for code, d in codes.items() if d.counts(what))
        total = func.sum(case((disposition.in_(counted), weight), else_=0)) if counted else literal(0)
        sums.append(total.label(what.value))
    return sums


def _scope(principal: Principal, today: date) -> ColumnElement[bool]:
    """The contacts a caller reports on: everything (scope all); a supervisor's, the contacts on
    the cases of the teams they lead (at the time of the contact: its ``team_id``); anyone else's,
    those on the cases they see now."""
    if principal.scope is Scope.ALL:
        return true()
    if principal.scope is Scope.LED_TEAMS:
        return Contact.team_id.in_(sorted(principal.led_team_ids))
    return and_(Contact.case_id.in_(select(Case.case_id).where(case_filter(principal, today))))


def own_day(
    session: Session, principal: Principal, codes: Mapping[str, Disposition], day: date
) -> MetricsRow:
    """The caller's own outbound contacts of business day ``day``, counted as :func:`contact_metrics`
    counts them (their numbers on their workstation; a logger of contacts sees only their own)."""
    principal.require(Permission.CONTACT_LOG)
    sums = _summed(codes, Contact.disposition, 1)
    row = session.execute(
        select(*sums).where(
            Contact.direction == Direction.OUTBOUND,
            Contact.started_on == day,
            Contact.recorded_by == principal.user_id,
        )
    ).one()
    return MetricsRow(day, principal.team_id, principal.user_id, *(int(value or 0) for value in row))
