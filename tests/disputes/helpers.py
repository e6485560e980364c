"""What the tests of holds, disputes and complaints share: a case assigned to a collector of a
team a supervisor leads, a compliance officer, and the gate's decision on a call to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, User
from arrears.auth.permissions import Role
from arrears.compliance.decision import Decision
from arrears.compliance.facts import ContactRequest
from arrears.compliance.gate import decide
from arrears.contacts.gate import facts_for, pack_of
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint
from tests.api.conftest import Api, Person
from tests.api.work_book import add_cases, supervisor_of

EVIDENCE = "客户书面申请停止催收联系，已附申请书"
REASON = "核实完毕，客户同意恢复联系"


@dataclass
class Desk:
    boss: Person
    team: int
    collector: Person
    officer: Person
    case_id: str
    customer_id: str
    account_id: str


def desk(api: Api, prefix: str) -> Desk:
    """One open case assigned to a collector of a team the supervisor leads."""
    boss, (team,) = supervisor_of(api, prefix.lower())
    collector = api.person(Role.COLLECTOR, team_id=team)
    book = add_cases(api, prefix, 1, team_id=team, collector_id=collector.user_id)
    officer = api.person(Role.COMPLIANCE_OFFICER)
    return Desk(boss, team, collector, officer, book.case_ids[0], book.customer_ids[0], book.account_ids[0])


def call_decision(api: Api, customer_id: str) -> Decision:
    """The gate's decision on a call to the customer's mobile now, from the tables' facts."""
    now = api.clock.now()
    with transaction(api.engine) as session:
        point = session.execute(
            select(ContactPoint.id).where(ContactPoint.customer_id == customer_id).limit(1)
        ).scalar_one()
        facts = facts_for(session, customer_id, now)
    request = ContactRequest(at=now, channel="call", to=str(point))
    return decide(request, facts, pack_of("cn", None))


def later(api: Api, days: int, *people: Person) -> list[Person]:
    """The clock ``days`` on, and a fresh token for each of ``people`` (theirs had expired)."""
    api.clock.advance(timedelta(days=days))
    fresh = []
    with transaction(api.engine) as session:
        for person in people:
            user = session.get(User, person.user_id)
            assert user is not None
            secret, _ = auth.issue(
                session,
                user,
                CredentialKind.TOKEN,
                now=api.clock.now(),
                lifetimes=api.app.state.context.lifetimes,
            )
            fresh.append(Person(person.user_id, person.username, person.role, secret))
    return fresh
