"""A confirmed serious step carried out over real HTTP, on SQLite and PostgreSQL: the field visit
planned, the case's open accounts placed with the step's agency for its term, the legal referral
on the case's timeline — in the confirmation's transaction, kept on the action, audited once;
refused (nothing written, the step stays proposed) under a hold, an open complaint, the case
closed or paid, an account placed already, a disabled agency; once only (a retry with the same
key, a second confirmation, two supervisors at once); the flow's permission needed."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth import permissions
from arrears.auth.models import Agency
from arrears.auth.permissions import Permission, Role
from arrears.auth.principal import Principal
from arrears.cases import placements
from arrears.cases.models import Case, CaseEvent, FieldVisit, Placement
from arrears.disputes.models import Complaint, Hold
from arrears.errors import ConflictError
from arrears.strategy import service
from arrears.strategy.models import StrategyAction
from tests.api.book import Book, account_id_of, case_id_of
from tests.api.conftest import Api, Person
from tests.strategy.test_nightly import approve, night

TODAY = date(2026, 11, 21)
AT = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
SERIOUS = """
strategy: serious
names: {zh-CN: 严重, en: Serious}
segments:
  - {code: m2, names: {zh-CN: M2, en: M2}, when: {bucket: [M2]}, path: visit}
  - {code: m3, names: {zh-CN: M3, en: M3}, when: {bucket: [M3]}, path: agency}
  - {code: m4, names: {zh-CN: M4, en: M4}, when: {bucket: [M4]}, path: legal}
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
  visit:
    names: {zh-CN: 外访, en: Visit}
    steps: [{day: 1, action: field_visit}]
  agency:
    names: {zh-CN: 委外, en: Agency}
    steps: [{day: 1, action: agency_placement, agency: acme, placement_days: 30}]
  legal:
    names: {zh-CN: 诉讼, en: Legal}
    steps: [{day: 1, action: legal_referral}]
"""


@dataclass
class Floor:
    boss: Person
    agent: Person
    team: int
    agency: int
    book: Book
    steps: dict[str, int]
    """case key (visit, agency, legal) → its proposed action."""


def floor(api: Api, *keys: str) -> Floor:
    """wang.boss leads T1, with a field agent; case ``visit`` in M2, ``agency`` in M3 (two
    accounts), ``legal`` in M4, all T1's; the agency acme; the night proposed each case's step."""
    boss = api.person(Role.SUPERVISOR)
    team = api.team("T1", leader=boss)
    agent = api.person(Role.FIELD_AGENT, team_id=team)
    agency = api.agency("acme")
    book = Book(api.engine)
    buckets = {"visit": "M2", "agency": "M3", "legal": "M4"}
    for key in keys or buckets:
        products = ("personal_loan", "credit_card") if key == "agency" else ("personal_loan",)
        book.case(key, bucket=buckets[key], dpd=95, products=products)
        book.assign(case_id_of(key), team)
    approve(api.engine, SERIOUS)
    night(api.engine)
    with Session(api.engine) as session:
        steps = {row.customer_id: row.id for row in session.scalars(select(StrategyAction))}
        assert {row.status for row in session.scalars(select(StrategyAction))} == {"proposed"}
    return Floor(boss, agent, team, agency, book, steps)


def close_case(api: Api, key: str) -> None:
    """The case of customer ``key`` closed, paid off, today (after the night proposed its step)."""
    with api.engine.begin() as connection:
        connection.execute(
            update(Case)
            .where(Case.case_id == case_id_of(key))
            .values(status="closed", closed_on=TODAY, close_reason="paid_off")
        )


def confirm(client: httpx.Client, action_id: int, **body: object) -> httpx.Response:
    return client.post(f"/api/v1/strategy-actions/{action_id}/confirm", json=body)


def audited(api: Api, action: str) -> list[AuditEntry]:
    with Session(api.engine) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def status_of(api: Api, action_id: int) -> str:
    with Session(api.engine) as session:
        row = session.get(StrategyAction, action_id)
        assert row is not None
        return row.status


def count(api: Api, model: type) -> int:
    with Session(api.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_each_serious_step_is_carried_out_by_its_flow_when_confirmed(api: Api) -> None:
    f = floor(api)
    client = api.as_(f.boss)

    no_agent = confirm(client, f.steps["visit"])
    assert no_agent.status_code == 400 and no_agent.json()["code"] == "agent_required"
    visit = confirm(
        client, f.steps["visit"], agent_id=f.agent.user_id, planned_on="2026-11-23", reason="at home"
    )
    assert visit.status_code == 200, visit.text
    body = visit.json()
    assert body["status"] == "confirmed" and body["decided_by"] == f.boss.user_id
    assert body["links"] == {"timeline": f"/api/v1/cases/{case_id_of('visit')}/timeline"}
    with Session(api.engine) as session:
        planned = session.get(FieldVisit, body["visit_id"])
        assert planned is not None
        assert (planned.case_id, planned.agent_id, planned.planned_on, planned.status) == (
            case_id_of("visit"),
            f.agent.user_id,
            date(2026, 11, 23),
            "planned",
        )
        assert planned.reason.startswith(
            "strategy night v1, segment m2, path visit day 1"
        ) and planned.reason.endswith(": at home")

    placed = confirm(client, f.steps["agency"])
    assert placed.status_code == 200, placed.text
    with Session(api.engine) as session:
        rows = [session.get(Placement, i) for i in placed.json()["placement_ids"]]
    assert sorted((p.account_id, p.agency_id, p.starts_on, p.ends_on) for p in rows if p) == [
        (account_id_of("agency", n), f.agency, TODAY, TODAY + timedelta(days=29)) for n in (1, 2)
    ]

    referred = confirm(client, f.steps["legal"], reason="file ready")
    assert referred.status_code == 200, referred.text
    with Session(api.engine) as session:
        event = session.get(CaseEvent, referred.json()["case_event_id"])
        assert event is not None and (event.case_id, event.kind, event.occurred_on) == (
            case_id_of("legal"),
            "legal_referral",
            TODAY,
        )
    timeline = client.get(f"/api/v1/cases/{case_id_of('legal')}/timeline").json()["entries"]
    assert [e["id"] for e in timeline if e["kind"] == "case_legal_referral"] == [str(event.id)]
    assert any(e["kind"] == "visit" for e in client.get(body["links"]["timeline"]).json()["entries"])

    # each flow audits what it made, once; the confirmation names it
    assert [e.object_id for e in audited(api, "visit.assign")] == [str(body["visit_id"])]
    assert sorted(e.object_id for e in audited(api, "placement.create")) == sorted(
        str(i) for i in placed.json()["placement_ids"]
    )
    [legal] = audited(api, "case.legal_referral")
    assert legal.object_id == case_id_of("legal") and legal.customer_id == "legal"
    confirmations = {
        e.object_id: json.loads(e.after or "{}") for e in audited(api, "strategy_action.confirm")
    }
    assert confirmations[case_id_of("visit")]["visit_id"] == body["visit_id"]
    assert confirmations[case_id_of("agency")]["placement_ids"] == str(placed.json()["placement_ids"])
    assert confirmations[case_id_of("legal")]["case_event_id"] == event.id


def test_a_refused_step_stays_proposed_and_nothing_is_written(api: Api) -> None:
    f = floor(api)
    client = api.as_(f.boss, **{"Accept-Language": "zh-CN"})
    with api.engine.begin() as connection:
        connection.execute(
            insert(Hold).values(
                customer_id="visit", kind="dispute", evidence="letter", placed_at=AT, version=1
            )
        )
        connection.execute(
            insert(Complaint).values(
                case_id=case_id_of("legal"),
                customer_id="legal",
                category="conduct",
                description="rude call",
                status="open",
                respond_by=TODAY + timedelta(days=15),
                received_at=AT,
                version=1,
            )
        )
    f.book.place(account_id_of("agency", 2), f.agency, ends_on=TODAY + timedelta(days=3))

    held = confirm(client, f.steps["visit"], agent_id=f.agent.user_id)
    assert held.status_code == 409 and held.json()["code"] == "collection_held"
    assert "暂停状态（异议）" in held.json()["detail"]
    complained = confirm(client, f.steps["legal"])
    assert complained.status_code == 409 and complained.json()["code"] == "complaint_open"
    overlap = confirm(client, f.steps["agency"])
    assert overlap.status_code == 409 and overlap.json()["code"] == "placement_overlap"
    assert account_id_of("agency", 2) in overlap.json()["detail"]
    with api.engine.begin() as connection:
        connection.execute(update(Placement).values(recalled_at=AT))
        connection.execute(update(Agency).values(active=False))
    disabled = api.as_(f.boss).post(f"/api/v1/strategy-actions/{f.steps['agency']}/confirm", json={})
    assert disabled.status_code == 409 and disabled.json()["code"] == "agency_inactive"
    assert (
        disabled.json()["detail"] == "Agency acme of the step is unknown or disabled: it takes no placements"
    )

    assert [status_of(api, i) for i in f.steps.values()] == ["proposed"] * 3
    assert count(api, FieldVisit) == 0 and count(api, CaseEvent) == 0 and count(api, Placement) == 1
    assert audited(api, "strategy_action.confirm") == [] and audited(api, "visit.assign") == []

    # the reason gone, the same step is carried out
    with api.engine.begin() as connection:
        connection.execute(update(Hold).values(lifted_at=AT + timedelta(hours=1)))
    assert confirm(client, f.steps["visit"], agent_id=f.agent.user_id).status_code == 200


def test_a_case_closed_or_paid_since_the_night_is_refused_with_why(api: Api) -> None:
    f = floor(api, "visit", "legal")
    close_case(api, "visit")
    with api.engine.begin() as connection:
        connection.execute(update(Case).where(Case.case_id == case_id_of("legal")).values(overdue_total=0))
    client = api.as_(f.boss, **{"Accept-Language": "zh-CN"})
    closed = confirm(client, f.steps["visit"], agent_id=f.agent.user_id)
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"
    assert "2026-11-21" in closed.json()["detail"] and "paid_off" in closed.json()["detail"]
    assert "拒绝" in closed.json()["detail"]  # it tells the reader to decline the step
    paid = api.as_(f.boss).post(f"/api/v1/strategy-actions/{f.steps['legal']}/confirm", json={})
    assert paid.status_code == 409 and paid.json()["code"] == "case_paid"
    assert "decline the step" in paid.json()["detail"]
    assert [status_of(api, i) for i in f.steps.values()] == ["proposed"] * 2
    declined = api.as_(f.boss).post(f"/api/v1/strategy-actions/{f.steps['visit']}/decline", json={})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_the_next_night_sets_aside_the_proposal_of_a_case_closed_since(api: Api) -> None:
    f = floor(api, "visit", "legal")
    close_case(api, "visit")
    outcome = night(api.engine, TODAY + timedelta(days=1))
    assert outcome.withdrawn == 1 and "1 proposals set aside (case closed)" in outcome.note()
    assert status_of(api, f.steps["visit"]) == "withdrawn" and status_of(api, f.steps["legal"]) == "proposed"
    with Session(api.engine) as session:
        withdrawn = session.get_one(StrategyAction, f.steps["visit"])
        assert withdrawn.decided_at is not None and withdrawn.decided_by is None
        [reason] = withdrawn.reasons
        assert reason["rule_id"] == "case-closed" and "set the proposal aside" in reason["en"]
        assert reason["zh-CN"] != reason["en"]
    answered = confirm(api.as_(f.boss), f.steps["visit"], agent_id=f.agent.user_id)
    assert answered.status_code == 409 and answered.json()["code"] == "action_answered"
    assert "withdrawn" in answered.json()["detail"]
    listed = api.as_(f.boss).get("/api/v1/strategy-actions/proposed").json()
    assert [a["id"] for a in listed["actions"]] == [f.steps["legal"]]
    assert night(api.engine, TODAY + timedelta(days=2)).withdrawn == 0  # once


def test_a_failing_flow_undoes_the_whole_confirmation(api: Api) -> None:
    f = floor(api, "visit")
    outsider = api.person(Role.FIELD_AGENT, team_id=api.team("T2"))
    refused = confirm(api.as_(f.boss), f.steps["visit"], agent_id=outsider.user_id)
    assert refused.status_code == 409 and refused.json()["code"] == "user_not_eligible", refused.text
    past = confirm(api.as_(f.boss), f.steps["visit"], agent_id=f.agent.user_id, planned_on="2026-11-01")
    assert past.status_code == 400
    assert status_of(api, f.steps["visit"]) == "proposed" and count(api, FieldVisit) == 0
    assert audited(api, "strategy_action.confirm") == []


def test_declining_carries_out_nothing(api: Api) -> None:
    f = floor(api)
    client = api.as_(f.boss)
    for action_id in f.steps.values():
        answer = client.post(f"/api/v1/strategy-actions/{action_id}/decline", json={"reason": "not now"})
        assert answer.status_code == 200 and answer.json()["status"] == "declined"
        assert answer.json()["visit_id"] is None and answer.json()["placement_ids"] == []
    assert count(api, FieldVisit) == 0 and count(api, Placement) == 0 and count(api, CaseEvent) == 0
    assert len(audited(api, "strategy_action.decline")) == 3
    again = confirm(client, f.steps["legal"])
    assert again.status_code == 409 and again.json()["code"] == "action_answered"
    assert "declined" in again.json()["detail"]


def test_confirming_twice_carries_out_once(api: Api) -> None:
    f = floor(api, "visit", "agency")
    client = api.as_(f.boss)
    key = {"Idempotency-Key": "4f1c0a0e-confirm-visit"}
    body = {"agent_id": f.agent.user_id}
    first = client.post(f"/api/v1/strategy-actions/{f.steps['visit']}/confirm", json=body, headers=key)
    retry = client.post(f"/api/v1/strategy-actions/{f.steps['visit']}/confirm", json=body, headers=key)
    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true" and retry.json() == first.json()
    second = confirm(client, f.steps["visit"], agent_id=f.agent.user_id)  # another click, no key
    assert second.status_code == 409 and second.json()["code"] == "action_answered"
    other = api.person(Role.SUPERVISOR)
    api.lead(other, f.team)
    assert confirm(api.as_(other), f.steps["agency"]).status_code == 200
    assert confirm(api.as_(f.boss), f.steps["agency"]).status_code == 409
    assert count(api, FieldVisit) == 1 and count(api, Placement) == 2
    assert len(audited(api, "visit.assign")) == 1 and len(audited(api, "strategy_action.confirm")) == 2


def test_two_supervisors_confirming_at_once_carry_it_out_once(api: Api) -> None:
    f = floor(api, "agency")
    other = api.person(Role.SUPERVISOR)
    api.lead(other, f.team)
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def go(person: Person) -> None:
        client = api.as_(person)
        start.wait()
        answers.append(confirm(client, f.steps["agency"]))

    threads = [threading.Thread(target=go, args=(p,)) for p in (f.boss, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert {a.json().get("code") for a in answers if a.status_code == 409} == {"action_answered"}
    assert count(api, Placement) == 2 and len(audited(api, "placement.create")) == 2
    assert len(audited(api, "strategy_action.confirm")) == 1


def test_the_confirmer_needs_the_permission_of_the_flow_carried_out(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = floor(api)
    analyst = api.person(Role.STRATEGY_ANALYST)
    assert confirm(api.as_(analyst), f.steps["legal"]).status_code == 403
    # a bank whose supervisors confirm steps but neither plan visits nor place accounts
    narrower = permissions.ROLE_PERMISSIONS[Role.SUPERVISOR] - {
        Permission.VISIT_ASSIGN,
        Permission.PLACEMENT_WRITE,
    }
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.SUPERVISOR, narrower)  # type: ignore[arg-type]
    client = api.as_(f.boss)
    visit = confirm(client, f.steps["visit"], agent_id=f.agent.user_id)
    assert visit.status_code == 403 and "visit.assign" in visit.json()["detail"]
    placed = confirm(client, f.steps["agency"])
    assert placed.status_code == 403 and "placement.write" in placed.json()["detail"]
    assert confirm(client, f.steps["legal"]).status_code == 200  # the confirmation alone records it
    assert client.post(f"/api/v1/strategy-actions/{f.steps['visit']}/decline", json={}).status_code == 200
    assert status_of(api, f.steps["agency"]) == "proposed"
    assert count(api, FieldVisit) == 0 and count(api, Placement) == 0


def test_what_a_flow_wrote_before_it_failed_is_undone_even_when_the_caller_commits(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = floor(api, "agency")
    real_place = placements.place

    def place_then_fail(*args: Any, **kwargs: Any) -> list[Placement]:
        real_place(*args, **kwargs)  # the placements are written and audited…
        raise ConflictError("the agency's system refused the file")  # …then something fails

    monkeypatch.setattr(placements, "place", place_then_fail)
    boss = Principal(f.boss.user_id, f.boss.username, Role.SUPERVISOR, led_team_ids=frozenset({f.team}))
    with Session(api.engine) as session:
        with pytest.raises(ConflictError):
            service.decide_action(
                session, boss, f.steps["agency"], confirm=True, reason=None, today=TODAY, now=AT
            )
        session.commit()  # a caller that keeps the rest of its transaction
    assert status_of(api, f.steps["agency"]) == "proposed" and count(api, Placement) == 0
    assert audited(api, "placement.create") == [] and audited(api, "strategy_action.confirm") == []


def test_a_step_outside_the_readers_teams_is_not_found(api: Api) -> None:
    f = floor(api, "visit")
    stranger = api.person(Role.SUPERVISOR)
    api.team("T2", leader=stranger)
    client = api.as_(stranger)
    for verb in ("confirm", "decline"):
        hidden = client.post(f"/api/v1/strategy-actions/{f.steps['visit']}/{verb}", json={})
        missing = client.post(f"/api/v1/strategy-actions/999999/{verb}", json={})
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert hidden.json()["code"] == missing.json()["code"]
    assert status_of(api, f.steps["visit"]) == "proposed"
    assert audited(api, "strategy_action.confirm") == audited(api, "strategy_action.decline") == []


def test_a_hold_placed_while_a_step_is_confirmed_is_not_missed(api: Api) -> None:
    """The hold's transaction has written (and audited) the hold but not committed when the
    confirmation starts: the confirmation waits for it and reads the hold, never carrying out a
    visit the hold forbids (both take the audit chain's lock)."""
    from arrears.audit.trail import SYSTEM, record
    from arrears.db import transaction

    f = floor(api, "visit")
    answers: list[httpx.Response] = []
    with transaction(api.engine) as session:
        session.add(Hold(customer_id="visit", kind="dispute", evidence="letter", placed_at=AT))
        record(session, SYSTEM, "hold.place", at=AT, object_type="hold", customer_id="visit")
        worker = threading.Thread(
            target=lambda: answers.append(
                confirm(api.as_(f.boss), f.steps["visit"], agent_id=f.agent.user_id)
            )
        )
        worker.start()
        worker.join(timeout=1.5)
        assert worker.is_alive()  # waiting for the hold's transaction
    worker.join()
    [answer] = answers
    assert answer.status_code == 409 and answer.json()["code"] == "collection_held", answer.text
    assert status_of(api, f.steps["visit"]) == "proposed" and count(api, FieldVisit) == 0
