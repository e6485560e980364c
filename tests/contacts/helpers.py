"""A case worked by a collector, for the contacts tests: the customer (in Shanghai) with a mobile,
an e-mail, an address and an emergency contact, their open case assigned to a team and collector,
and readers of what the API wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select

from arrears.auth import service as auth
from arrears.auth.models import CredentialKind, User
from arrears.auth.permissions import Role
from arrears.compliance.models import ComplianceDecision
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint
from tests.api.book import MOBILE, Book, new_id
from tests.api.conftest import API_NOW, Api, Person

SHANGHAI = timedelta(hours=8)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given as Shanghai wall-clock time on 2026-11-``day``."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - SHANGHAI


@dataclass
class Desk:
    api: Api
    team: int
    collector: Person
    supervisor: Person
    case_id: str
    customer_id: str
    mobile: int
    email: int
    emergency: int

    @property
    def client(self) -> httpx.Client:
        return self.api.as_(self.collector)

    def log(self, client: httpx.Client | None = None, **body: Any) -> httpx.Response:
        payload = {"channel": "call", "contact_point_id": self.mobile, "disposition": "no_answer"} | body
        return (client or self.client).post(f"/api/v1/cases/{self.case_id}/contacts", json=payload)

    def at(self, instant: datetime) -> None:
        """Move the API's clock to ``instant``; the collector and supervisor sign in again then (a
        token idle longer than the session's idle time is refused)."""
        self.api.clock._instant = instant
        for person in (self.collector, self.supervisor):
            person.token = fresh_token(self.api, person)

    def contacts(self) -> list[Contact]:
        with transaction(self.api.engine) as session:
            rows = session.scalars(
                select(Contact).where(Contact.case_id == self.case_id).order_by(Contact.id)
            )
            result = list(rows)
            session.expunge_all()
            return result

    def decisions(self) -> list[ComplianceDecision]:
        with transaction(self.api.engine) as session:
            rows = list(session.scalars(select(ComplianceDecision).order_by(ComplianceDecision.id)))
            session.expunge_all()
            return rows


def fresh_token(api: Api, person: Person) -> str:
    with transaction(api.engine) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        secret, _ = auth.issue(
            session,
            user,
            CredentialKind.TOKEN,
            now=api.clock.now(),
            lifetimes=api.app.state.context.lifetimes,
        )
        return secret


def desk(api: Api, prefix: str = "CT") -> Desk:
    supervisor = api.person(Role.SUPERVISOR)
    team = api.team(f"{prefix}-{supervisor.user_id}", leader=supervisor)
    collector = api.person(Role.COLLECTOR, team_id=team)
    book = Book(api.engine)
    customer_id = f"{prefix}{supervisor.user_id:05d}"
    case_id = book.case(customer_id)
    book.assign(case_id, team, collector.user_id)
    with api.engine.begin() as connection:
        emergency = new_id(
            connection,
            ContactPoint,
            customer_id=customer_id,
            type="mobile",
            value="+8613900001111",
            party="emergency_contact",
            is_primary=False,
            do_not_contact=False,
        )
    points = book.contact_ids[customer_id]
    api.clock._instant = API_NOW
    return Desk(
        api, team, collector, supervisor, case_id, customer_id, points["mobile"], points["email"], emergency
    )


def insert_rows(api: Api, model: Any, rows: list[dict[str, Any]]) -> None:
    with api.engine.begin() as connection:
        connection.execute(insert(model), rows)


__all__ = ["MOBILE", "Desk", "desk", "fresh_token", "insert_rows", "local"]
