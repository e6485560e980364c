"""Next case over real HTTP (POST /api/v1/queues/next, DELETE /api/v1/queues/lease), on SQLite and
PostgreSQL: the priority (each level), the gate's skip, the lease (repeat, expiry, skip, release),
the permission and the row scope. Queues and assignments are filled directly, as the nightly
assignment would have left them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select

from arrears.auth.permissions import Role
from arrears.cases.models import Case, CaseAssignment
from arrears.compliance.models import ComplianceDecision
from arrears.contacts.models import Callback
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, ContactPoint, Customer
from arrears.queues.models import CaseQueue, Lease
from arrears.queues.next_case import refresh_priorities
from arrears.scoring.models import AccountScore
from tests.api.book import Book as ReadBook
from tests.api.conftest import API_NOW, Api, Person
from tests.api.work_book import assignments, audit_entries

TODAY = date(2026, 11, 21)
"""The API's business date (API_NOW in Shanghai)."""
AT = API_NOW - timedelta(days=1)
NEXT = "/api/v1/queues/next"
LEASE = "/api/v1/queues/lease"


@dataclass(frozen=True)
class Queued:
    """How one case lies in the queues."""

    key: str
    team_id: int
    collector_id: int | None = None
    assigned: bool = True
    overdue: int = 100_000
    opened_on: date = date(2026, 11, 1)
    status: str = "open"
    queued: bool = True
    contact: bool = True


def case_id_of(key: str) -> str:
    return f"C-N{key}-20261101"


def add_cases(engine: Engine, cases: Sequence[Queued]) -> list[str]:
    """Customers (a mobile each), accounts and cases, their queue rows and assignments, in a few
    statements (executemany)."""
    customers = [
        {"customer_id": f"N{c.key}", "name": f"客户 {c.key}", "timezone": "Asia/Shanghai"} for c in cases
    ]
    with engine.begin() as connection:
        connection.execute(insert(Customer), customers)
        points = [
            {"customer_id": f"N{c.key}", "type": "mobile", "value": "+8613812345678", "party": "debtor"}
            for c in cases
            if c.contact
        ]
        if points:
            connection.execute(insert(ContactPoint), points)
        connection.execute(
            insert(Account),
            [
                {
                    "account_id": f"A-N{c.key}",
                    "customer_id": f"N{c.key}",
                    "product": "personal_loan",
                    "currency": "CNY",
                    "opened_on": date(2025, 1, 1),
                    "status": "active",
                }
                for c in cases
            ],
        )
        connection.execute(
            insert(Case),
            [
                {
                    "case_id": case_id_of(c.key),
                    "customer_id": f"N{c.key}",
                    "status": c.status,
                    "opened_on": c.opened_on,
                    "closed_on": None if c.status == "open" else TODAY,
                    "close_reason": None if c.status == "open" else "cured",
                    "worst_dpd": 45,
                    "bucket": "M2",
                    "overdue_total": c.overdue,
                    "currency": "CNY",
                    "account_count": 1,
                    "updated_on": TODAY,
                }
                for c in cases
            ],
        )
        from arrears.cases.models import CaseAccount

        connection.execute(
            insert(CaseAccount),
            [
                {
                    "case_id": case_id_of(c.key),
                    "account_id": f"A-N{c.key}",
                    "joined_on": c.opened_on,
                    "delinquent": True,
                    "dpd": 45,
                    "bucket": "M2",
                    "overdue_amount": c.overdue,
                    "currency": "CNY",
                    "account_status": "active",
                }
                for c in cases
            ],
        )
        queued = [
            {
                "case_id": case_id_of(c.key),
                "queue": "M2",
                "team_id": c.team_id,
                "queue_set": 1,
                "entered_on": c.opened_on,
                "priority_value": c.overdue // 2,
            }
            for c in cases
            if c.queued
        ]
        if queued:
            connection.execute(insert(CaseQueue), queued)
        assigned = [
            {
                "case_id": case_id_of(c.key),
                "team_id": c.team_id,
                "collector_id": c.collector_id,
                "assigned_at": AT,
                "reason": "the nightly assignment",
            }
            for c in cases
            if c.assigned
        ]
        if assigned:
            connection.execute(insert(CaseAssignment), assigned)
    return [case_id_of(c.key) for c in cases]


def collector(api: Api, team_id: int, name: str | None = None) -> Person:
    return api.person(Role.COLLECTOR, name, team_id=team_id)


def take(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post(NEXT, json=body or None)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def release(client: httpx.Client) -> None:
    assert client.delete(LEASE).status_code == 204


def leases(engine: Engine) -> dict[str, tuple[int, Any, Any]]:
    """case → (collector, expires_at, released_at)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Lease.case_id, Lease.collector_id, Lease.expires_at, Lease.released_at)
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def add_promise(engine: Engine, case_id: str, *, status: str, due_on: date, closed_on: date | None) -> None:
    from arrears.arrangements.models import Promise, PromiseInstallment

    with engine.begin() as connection:
        promise_id = connection.execute(
            insert(Promise)
            .values(
                case_id=case_id,
                currency="CNY",
                amount=50_000,
                paid_amount=0,
                status=status,
                taken_at=AT,
                taken_on=AT.date(),
                first_due_on=due_on,
                last_due_on=due_on,
                closed_on=closed_on,
                version=1,
            )
            .returning(Promise.id)
        ).scalar_one()
        connection.execute(
            insert(PromiseInstallment).values(
                promise_id=promise_id, seq=1, due_on=due_on, amount=50_000, paid_amount=0, status="open"
            )
        )


def add_broken_plan(engine: Engine, case_id: str, *, ended_on: date) -> None:
    from arrears.arrangements.models import Arrangement

    with engine.begin() as connection:
        connection.execute(
            insert(Arrangement).values(
                case_id=case_id,
                kind="plan",
                method="equal",
                rounding="remainder_last",
                status="broken",
                currency="CNY",
                owed_amount=60_000,
                total_amount=60_000,
                installment_count=3,
                needs_approval=False,
                proposed_at=AT,
                starts_on=AT.date(),
                ended_on=ended_on,
                version=1,
            )
        )


def add_callback(engine: Engine, case_id: str, due_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(Callback).values(case_id=case_id, due_at=due_at, status="open", created_at=AT, version=1)
        )


def lease_minutes(api: Api, minutes: int) -> None:
    """Leases of ``minutes`` from now on (ARREARS_LEASE_MINUTES), shorter than the tokens' idle time."""
    context = api.app.state.context
    context.settings = context.settings.model_copy(update={"lease_minutes": minutes})


def refresh(engine: Engine, as_of: date = TODAY) -> int:
    with engine.begin() as connection:
        return refresh_priorities(connection, as_of)


def test_priority_each_level_in_order(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(
        api.engine,
        [
            Queued("old", team, me.user_id, overdue=60_000, opened_on=date(2026, 10, 1)),
            Queued("young", team, me.user_id, overdue=60_000, opened_on=date(2026, 11, 10)),
            Queued("big", team, me.user_id, overdue=100_000),
            Queued("scored", team, me.user_id, overdue=150_000),
            Queued("broken", team, me.user_id, overdue=1_000),
            Queued("plan", team, me.user_id, overdue=1_000),
            Queued("due", team, me.user_id, overdue=1_000),
            Queued("callback", team, me.user_id, overdue=500),
        ],
    )
    book = ReadBook(api.engine)
    book.score(book.model(), case_id_of("scored"), "A-Nscored", 600, "C")  # probability 0.25
    add_promise(api.engine, case_id_of("due"), status="open", due_on=TODAY, closed_on=None)
    add_promise(
        api.engine, case_id_of("broken"), status="broken", due_on=TODAY - timedelta(days=1), closed_on=TODAY
    )
    add_broken_plan(api.engine, case_id_of("plan"), ended_on=TODAY)
    add_callback(api.engine, case_id_of("callback"), API_NOW - timedelta(minutes=5))
    # the book's queue rows already hold overdue / 2: only the four that differ are rewritten
    assert refresh(api.engine) == 4
    assert refresh(api.engine) == 0
    assert refresh(api.engine, TODAY + timedelta(days=1)) == 3  # the promises' and the plan's day is over
    with api.engine.connect() as connection:
        values = dict(connection.execute(select(CaseQueue.case_id, CaseQueue.priority_value)).all())
    assert values[case_id_of("big")] == 50_000  # no score: one in two
    assert values[case_id_of("scored")] == 37_500  # 150,000 x 0.25

    refresh(api.engine)
    client = api.as_(me)
    order = []
    for _ in range(8):
        got = take(client)
        order.append((got["case_id"], got["reason"]))
        release(client)
    assert order == [
        (case_id_of("callback"), "callback_due"),
        (case_id_of("due"), "promise_due"),
        (case_id_of("broken"), "promise_broken"),
        (case_id_of("plan"), "plan_broken"),
        (case_id_of("big"), "expected_recovery"),
        (case_id_of("scored"), "expected_recovery"),
        (case_id_of("old"), "expected_recovery"),
        (case_id_of("young"), "expected_recovery"),
    ]
    answer = client.post(NEXT)
    assert answer.status_code == 404
    assert answer.json()["code"] == "no_case_to_work"


def test_the_expected_recovery_reads_each_account_s_latest_score_up_to_the_day(api: Api) -> None:
    """Not an older score, nor one dated after the day: the latest up to it."""
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("rescored", team, me.user_id, overdue=100_000)])
    model = ReadBook(api.engine).model()
    with api.engine.begin() as connection:
        connection.execute(
            insert(AccountScore),
            [
                {"account_id": "A-Nrescored", "case_id": case_id_of("rescored"), "as_of": day,
                 "model_version_id": model, "score": 600, "probability": probability, "band": "C", "reasons": []}
                for day, probability in ((TODAY - timedelta(days=5), 0.9), (TODAY - timedelta(days=1), 0.1),
                                         (TODAY + timedelta(days=1), 0.8))
            ],
        )  # fmt: skip

    def value_on(day: date) -> int:
        refresh(api.engine, day)
        with api.engine.connect() as connection:
            return int(connection.scalar(select(CaseQueue.priority_value)) or 0)

    assert value_on(TODAY) == 10_000  # 100,000 x 0.1, the score of the day before
    assert value_on(TODAY + timedelta(days=1)) == 80_000  # the score of that day
    assert value_on(TODAY - timedelta(days=3)) == 90_000  # before the later scores were made


def test_reason_in_the_callers_language(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id)])
    got = api.as_(me, **{"Accept-Language": "zh-CN"}).post(NEXT).json()
    assert got["reason"] == "expected_recovery"
    assert got["why"] != "The highest expected recovery in your queues"
    assert got["expected_recovery"] == "500.00"
    assert got["currency"] == "CNY"


def test_gate_blocked_and_closed_cases_are_skipped_without_recording(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(
        api.engine,
        [
            Queued("held", team, me.user_id, overdue=900_000),
            Queued("unreachable", team, me.user_id, overdue=800_000, contact=False),
            Queued("closed", team, me.user_id, overdue=700_000, status="closed"),
            Queued("fine", team, me.user_id, overdue=1_000),
        ],
    )
    with api.engine.begin() as connection:
        connection.execute(
            insert(Hold).values(
                customer_id="Nheld", kind="cease", evidence="letter of 2026-11-01", placed_at=AT, version=1
            )
        )
    got = take(api.as_(me))
    assert got["case_id"] == case_id_of("fine")
    with api.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ComplianceDecision)) == 0


def test_a_repeat_answers_the_same_lease(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id, overdue=2_000), Queued("b", team, me.user_id)])
    client = api.as_(me)
    first = take(client)
    api.clock.advance(timedelta(minutes=5))
    again = take(client)
    assert again["case_id"] == first["case_id"] == case_id_of("b")
    assert again["expires_at"] == first["expires_at"]
    assert again["repeated"] is True and first["repeated"] is False
    assert datetime.fromisoformat(first["expires_at"]) == API_NOW + timedelta(minutes=15)
    assert len(audit_entries(api, "queue.next")) == 1


def test_an_expired_lease_is_taken_again(api: Api) -> None:
    team = api.team("T1")
    me, other = collector(api, team), collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id, overdue=900_000), Queued("b", team, other.user_id)])
    lease_minutes(api, 5)
    first = take(api.as_(me))
    assert first["case_id"] == case_id_of("a")
    # a supervisor moves the case to another collector while the lease runs
    ReadBook(api.engine).assign(case_id_of("a"), team, other.user_id)
    assert take(api.as_(other))["case_id"] == case_id_of("b")  # a is leased to me
    release(api.as_(other))
    api.clock.advance(timedelta(minutes=6))
    got = take(api.as_(other))
    assert got["case_id"] == case_id_of("a") and got["repeated"] is False
    assert leases(api.engine)[case_id_of("a")][0] == other.user_id
    # mine is gone: the case is no longer mine, and nothing else is left for me
    assert api.as_(me).post(NEXT).status_code == 404


def test_my_expired_lease_is_renewed(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id)])
    lease_minutes(api, 5)
    client = api.as_(me)
    first = take(client)
    assert datetime.fromisoformat(first["expires_at"]) == API_NOW + timedelta(minutes=5)
    api.clock.advance(timedelta(minutes=7))
    again = take(client)
    assert again["case_id"] == first["case_id"] and again["repeated"] is False
    assert datetime.fromisoformat(again["expires_at"]) == API_NOW + timedelta(minutes=12)


def test_skip_gives_another_and_keeps_the_reason(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id, overdue=900_000), Queued("b", team, me.user_id)])
    lease_minutes(api, 5)
    client = api.as_(me)
    assert take(client)["case_id"] == case_id_of("a")
    refused = client.post(NEXT, json={"skip": True})
    assert refused.status_code == 400
    assert take(client, skip=True, reason="客户正在开会，稍后再打")["case_id"] == case_id_of("b")
    skipped = audit_entries(api, "queue.skip")
    assert [(e["object_id"], e["reason"]) for e in skipped] == [(case_id_of("a"), "客户正在开会，稍后再打")]
    held = leases(api.engine)
    assert held[case_id_of("a")][2] is not None and held[case_id_of("b")][2] is None
    # the skipped case comes back once a whole lease has run from the skip
    release(client)
    api.clock.advance(timedelta(minutes=4))
    assert client.post(NEXT).status_code == 404  # a: skipped 4 minutes ago; b: just released
    api.clock.advance(timedelta(minutes=2))
    assert take(client)["case_id"] == case_id_of("a")


def test_release(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id, overdue=900_000), Queued("b", team, me.user_id)])
    client = api.as_(me)
    assert client.delete(LEASE).status_code == 404
    assert take(client)["case_id"] == case_id_of("a")
    release(client)
    gone = client.delete(LEASE)
    assert gone.status_code == 404 and gone.json()["code"] == "no_lease"
    assert [e["object_id"] for e in audit_entries(api, "queue.release")] == [case_id_of("a")]
    assert take(client)["case_id"] == case_id_of("b")


def test_permission(api: Api) -> None:
    for role in (Role.ADMINISTRATOR, Role.STRATEGY_ANALYST, Role.AUDITOR, Role.CUSTOMER):
        person = api.person(role)
        assert api.as_(person).post(NEXT).status_code == 403
        assert api.as_(person).delete(LEASE).status_code == 403
    assert api.client().post(NEXT).status_code == 401


def test_scope_pool_and_other_teams(api: Api) -> None:
    mine, theirs = api.team("T1"), api.team("T2")
    me, stranger = collector(api, mine), collector(api, theirs)
    mate = collector(api, mine)
    add_cases(
        api.engine,
        [
            Queued("theirs", theirs, stranger.user_id, overdue=900_000),
            Queued("their-pool", theirs, None, overdue=800_000),
            Queued("mates", mine, mate.user_id, overdue=700_000),
            Queued("unassigned", mine, None, assigned=False, overdue=600_000),
            Queued("team-pool", mine, None, overdue=500_000),
        ],
    )
    client = api.as_(me)
    first = take(client)
    assert (first["case_id"], first["assigned"]) == (case_id_of("team-pool"), True)
    release(client)
    # a case with no assignment yet is in no one's reach (as the row scope has it), another
    # team's and a teammate's are not mine
    assert client.post(NEXT).status_code == 404
    history = assignments(api, case_id_of("team-pool"))
    assert [(team, who, ended is None) for _, team, who, ended in history] == [
        (mine, None, False),
        (mine, me.user_id, True),
    ]
    assigned = audit_entries(api, "case.assign")
    assert [(e["object_id"], e["after"]["collector_id"]) for e in assigned] == [
        (case_id_of("team-pool"), me.user_id)
    ]
    # now they are mine: the case page opens for me
    assert client.get(f"/api/v1/cases/{case_id_of('team-pool')}").status_code == 200
