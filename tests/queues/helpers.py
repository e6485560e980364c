"""A small book for the queue tests: teams, collectors with profiles, cases, and the queue set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from arrears.audit.trail import SYSTEM
from arrears.auth.models import Team, User
from arrears.cases.models import Case, CaseAssignment
from arrears.db import transaction
from arrears.queues import nightly, service
from arrears.queues.models import CaseQueue, CollectorProfile
from arrears.queues.nightly import NightlyOutcome
from tests.api.book import Book, new_id

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)


@dataclass
class Desk:
    engine: Engine
    book: Book = field(init=False)
    teams: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.book = Book(self.engine)

    def team(self, code: str) -> int:
        with self.engine.begin() as connection:
            self.teams[code] = new_id(connection, Team, code=code, name=code, created_at=NOW)
        return self.teams[code]

    def collector(
        self,
        name: str,
        team: str,
        *,
        capacity: int | None = None,
        languages: tuple[str, ...] = (),
        products: tuple[str, ...] = (),
        active: bool = True,
    ) -> int:
        with self.engine.begin() as connection:
            user_id = new_id(
                connection,
                User,
                username=name,
                role="collector",
                team_id=self.teams[team],
                created_at=NOW,
                active=active,
            )
            if capacity is not None:
                connection.execute(
                    insert(CollectorProfile).values(
                        user_id=user_id,
                        languages=list(languages),
                        products=list(products),
                        capacity=capacity,
                        updated_at=NOW,
                        version=1,
                    )
                )
        self.people[name] = user_id
        return user_id

    def case(self, customer: str, **values: Any) -> str:
        language = values.pop("language", "zh-CN")
        country = values.pop("country", "CN")
        case_id = self.book.case(customer, **values)
        if language != "zh-CN" or country != "CN":
            from sqlalchemy import update

            from arrears.portfolio.models import Customer

            with self.engine.begin() as connection:
                connection.execute(
                    update(Customer)
                    .where(Customer.customer_id == customer)
                    .values(language=language, country=country)
                )
        return case_id

    def activate(self, document: str) -> int:
        with transaction(self.engine) as session:
            row = service.draft(session, SYSTEM, document, "test.yaml", note=None, now=NOW)
            service.activate(session, SYSTEM, row.number, expected=None, now=NOW)
            return row.number

    def night(
        self, as_of: date = TODAY, now: datetime = NOW, progress_from: date | None = None
    ) -> NightlyOutcome:
        with self.engine.begin() as connection:
            return nightly.assign_book(connection, as_of, now, progress_from=progress_from)

    def collectors(self) -> dict[str, int | None]:
        """Each open case's current collector (None: the team's pool or unassigned)."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(Case.case_id, CaseAssignment.collector_id).outerjoin(
                    CaseAssignment,
                    (CaseAssignment.case_id == Case.case_id) & CaseAssignment.ended_at.is_(None),
                )
            ).all()
        return {row[0]: row[1] for row in rows}

    def queues(self) -> dict[str, str]:
        with Session(self.engine) as session:
            return dict(session.execute(select(CaseQueue.case_id, CaseQueue.queue)).all())  # type: ignore[arg-type]


def queue_set(*queues: str, default_capacity: int = 500) -> str:
    return f"default_capacity: {default_capacity}\nqueues:\n" + "".join(queues)


def queue(code: str, team: str, rule: str = "{}", assignment: str = "{}") -> str:
    return (
        f"  - code: {code}\n"
        f"    name: {{zh-CN: 队列{code}, en: Queue {code}}}\n"
        f"    team: {team}\n"
        f"    rule: {rule}\n"
        f"    assignment: {assignment}\n"
    )
