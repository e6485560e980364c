"""The dashboard's contact totals (arrears.reports.totals.write_contacts): the contacts' counts
read from the nightly totals and the contacts of the days they do not cover equal the counts
from the contacts, on SQLite and PostgreSQL, per day, team and collector, for every scope by
team, before any night, after one, after contacts recorded after the fact, and after the next."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, case, cast, func, insert, null, select, update
from sqlalchemy.orm import Session

from arrears.auth.models import Team, User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.contacts.dispositions import Counts, Disposition, dispositions
from arrears.contacts.metrics import GroupBy, MetricsRow, contact_metrics
from arrears.contacts.models import Contact, ContactDayChange, ContactDayTotal, Direction
from arrears.portfolio.models import Customer
from arrears.reports import totals

FIRST = date(2026, 10, 1)
NIGHT = date(2026, 10, 20)
TODAY = date(2026, 10, 23)
AT = datetime(2026, 10, 23, 3, 0, tzinfo=UTC)
CODES = dispositions()
DISPOSITIONS = ["no_answer", "busy", "right_party_contact", "promise", "wrong_party", "third_party_reached"]


def reference(
    engine: Engine, principal: Principal, first: date, last: date, team_id: int | None, group_by: GroupBy
) -> list[MetricsRow]:
    """The counts from the contacts (``contact_metrics``' query before the totals)."""

    def count(what: Counts, codes: Mapping[str, Disposition] = CODES) -> Any:
        counted = sorted(code for code, d in codes.items() if d.counts(what))
        return func.sum(case((Contact.disposition.in_(counted), 1), else_=0)) if counted else 0

    keys: list[Any] = [Contact.started_on]
    if group_by is not GroupBy.DAY:
        keys.append(Contact.team_id)
    if group_by is GroupBy.COLLECTOR:
        keys.append(Contact.recorded_by)
    team = Contact.team_id if group_by is not GroupBy.DAY else cast(null(), Integer)
    collector = Contact.recorded_by if group_by is GroupBy.COLLECTOR else cast(null(), Integer)
    query = select(
        Contact.started_on, team.label("t"), collector.label("c"), *[count(what) for what in Counts]
    ).where(Contact.direction == Direction.OUTBOUND, Contact.started_on >= first, Contact.started_on <= last)
    if principal.led_team_ids:
        query = query.where(Contact.team_id.in_(sorted(principal.led_team_ids)))
    if team_id is not None:
        query = query.where(Contact.team_id == team_id)
    query = query.group_by(*keys).order_by(*keys)
    with Session(engine) as session:
        return [MetricsRow(r[0], r[1], r[2], *(int(v or 0) for v in r[3:])) for r in session.execute(query)]


def figures(
    engine: Engine, principal: Principal, first: date, last: date, team_id: int | None, group_by: GroupBy
) -> list[MetricsRow]:
    with Session(engine) as session:
        return contact_metrics(
            session,
            principal,
            CODES,
            first=first,
            last=last,
            team_id=team_id,
            group_by=group_by,
            today=TODAY,
        )


ADMIN = Principal(user_id=1, username="admin", role=Role.ADMINISTRATOR)


def supervisor(teams: list[int]) -> Principal:
    return Principal(user_id=2, username="sup", role=Role.SUPERVISOR, led_team_ids=frozenset(teams[:2]))


def assert_equal_to_the_contacts(engine: Engine, teams: list[int]) -> None:
    periods = [(FIRST, TODAY), (FIRST + timedelta(days=4), NIGHT), (NIGHT, TODAY), (TODAY, TODAY)]
    for principal in (ADMIN, supervisor(teams)):
        for first, last in periods:
            for team_id in (None, teams[0]):
                for group_by in GroupBy:
                    expected = reference(engine, principal, first, last, team_id, group_by)
                    got = figures(engine, principal, first, last, team_id, group_by)
                    assert got == expected, (principal.role, first, last, team_id, group_by)
    assert reference(engine, ADMIN, FIRST, TODAY, None, GroupBy.DAY)


def contact(
    rng: random.Random, case_id: str, day: date, team: int | None, user: int | None
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "customer_id": "C" + case_id[1:],
        "channel": "phone",
        "direction": Direction.OUTBOUND if rng.random() < 0.9 else Direction.INBOUND,
        "party": "debtor",
        "started_at": AT,
        "disposition": rng.choice(DISPOSITIONS),
        "note_flags": [],
        "violations": [],
        "source": "collector",
        "recorded_at": AT,
        "recorded_by": user,
        "team_id": team,
        "started_on": day,
    }


@pytest.fixture
def book(engine: Engine) -> tuple[Engine, list[int], list[int]]:
    """3 teams, 6 collectors, 30 cases, 600 contacts over the 23 days to today (some of no team,
    some of the system, a tenth inbound)."""
    rng = random.Random(14)
    with engine.begin() as connection:
        teams = [
            connection.execute(
                insert(Team).values(code=f"T{i}", name=f"Team {i}", created_at=AT).returning(Team.id)
            ).scalar_one()
            for i in range(3)
        ]
        users = [
            connection.execute(
                insert(User)
                .values(username=f"u{i}", role=Role.COLLECTOR, is_machine=False, active=True, created_at=AT)
                .returning(User.id)
            ).scalar_one()
            for i in range(6)
        ]
        connection.execute(
            insert(Customer),
            [
                {"customer_id": f"C{i}", "name": f"c{i}", "language": "zh-CN", "country": "CN"}
                for i in range(30)
            ],
        )
        connection.execute(
            insert(Case),
            [
                {
                    "case_id": f"K{i}",
                    "customer_id": f"C{i}",
                    "status": "open",
                    "opened_on": FIRST,
                    "worst_dpd": 30,
                    "bucket": "M1",
                    "overdue_total": 1000,
                    "currency": "CNY",
                    "account_count": 1,
                    "updated_on": FIRST,
                }
                for i in range(30)
            ],
        )
        rows = [
            contact(
                rng,
                f"K{rng.randrange(30)}",
                FIRST + timedelta(days=rng.randrange(23)),
                rng.choice([*teams, None]),
                rng.choice([*users, None]),
            )
            for _ in range(600)
        ]
        connection.execute(insert(Contact), rows)
    return engine, teams, users


def stored_days(engine: Engine) -> set[date]:
    with engine.connect() as connection:
        return set(connection.scalars(select(ContactDayTotal.started_on)))


def test_before_any_night_every_day_is_read_from_the_contacts(
    book: tuple[Engine, list[int], list[int]],
) -> None:
    engine, teams, _ = book
    assert stored_days(engine) == set()
    assert_equal_to_the_contacts(engine, teams)


def test_nights_and_contacts_recorded_after_the_fact(book: tuple[Engine, list[int], list[int]]) -> None:
    engine, teams, users = book
    with engine.begin() as connection:
        totals.write_contacts(connection, NIGHT)
    assert stored_days(engine) and max(stored_days(engine)) <= NIGHT
    assert_equal_to_the_contacts(engine, teams)
    # the covered days are read from the totals: a total changed by hand shows
    with engine.begin() as connection:
        connection.execute(
            update(ContactDayTotal)
            .where(ContactDayTotal.started_on == FIRST, ContactDayTotal.disposition == "no_answer")
            .values(contacts=ContactDayTotal.contacts + 1)
        )
    [day] = figures(engine, ADMIN, FIRST, FIRST, None, GroupBy.DAY)
    [counted] = reference(engine, ADMIN, FIRST, FIRST, None, GroupBy.DAY)
    assert day.attempts > counted.attempts
    with engine.begin() as connection:  # the next night rewrites it
        connection.execute(insert(ContactDayChange).values(started_on=FIRST))
    with engine.begin() as connection:
        totals.write_contacts(connection, NIGHT)
    assert_equal_to_the_contacts(engine, teams)

    # contacts recorded today for earlier days (after the fact), noted as record_contact does
    rng = random.Random(7)
    late = [contact(rng, "K1", FIRST + timedelta(days=d), teams[0], users[0]) for d in (2, 2, 9, 21)]
    with engine.begin() as connection:
        connection.execute(insert(Contact), [{**c, "direction": Direction.OUTBOUND} for c in late])
        connection.execute(insert(ContactDayChange), [{"started_on": c["started_on"]} for c in late])
    assert_equal_to_the_contacts(engine, teams)
    with engine.begin() as connection:
        cleared = totals.write_contacts(connection, TODAY)
    assert cleared == 4
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ContactDayChange)) == 0
    assert max(stored_days(engine)) == TODAY
    assert_equal_to_the_contacts(engine, teams)
