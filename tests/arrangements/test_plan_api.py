"""Plans and settlements over real HTTP: the maker-checker, the states, the conflicts, the
concurrency and idempotency headers, permission and scope, the audit trail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select

from arrears.arrangements.models import Arrangement
from arrears.auth.permissions import Role
from arrears.cases.models import Case, CaseAssignment
from arrears.db import transaction
from arrears.disputes.models import Hold
from tests.api.conftest import API_NOW, Api, Person
from tests.api.work_book import TODAY, Book, add_cases, audit_entries, supervisor_of

OWED = 120_000
"""What work_book's cases owe (CNY minor units)."""
FIRST = (TODAY + timedelta(days=10)).isoformat()


def team_of(api: Api, prefix: str, count: int = 2) -> tuple[Person, Person, Book]:
    """A supervisor leading a team, a collector of it, and ``count`` cases assigned to the collector."""
    boss, (team,) = supervisor_of(api, prefix)
    collector = api.person(Role.COLLECTOR, team_id=team)
    return boss, collector, add_cases(api, prefix, count, team_id=team, collector_id=collector.user_id)


def plan(client: httpx.Client, case_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/cases/{case_id}/plans", json={"first_due_on": FIRST, "count": 6} | body)


def settle(client: httpx.Client, case_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/cases/{case_id}/settlements", json={"first_due_on": FIRST} | body)


def test_a_plan_within_the_makers_limits_is_approved_at_once(api: Api) -> None:
    _, collector, book = team_of(api, "PA")
    made = plan(api.as_(collector), book.case_ids[0], count=7, rounding="remainder_last")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["needs_approval"], body["decided_by"]) == ("approved", False, None)
    assert (body["owed_amount"], body["total_amount"], body["discount_amount"]) == (OWED, OWED, 0)
    amounts = [i["amount"] for i in body["installments"]]
    assert sum(amounts) == OWED and amounts == [17142] * 6 + [17148]
    assert body["starts_on"] == TODAY.isoformat()
    assert [i["due_on"] for i in body["installments"]][:2] == [FIRST, "2027-01-01"]

    read = api.as_(collector).get(f"/api/v1/arrangements/{body['id']}")
    assert read.status_code == 200 and read.headers["ETag"] == f'"{body["version"]}"'
    listed = api.as_(collector).get(f"/api/v1/cases/{book.case_ids[0]}/arrangements").json()
    assert [a["id"] for a in listed["arrangements"]] == [body["id"]]

    [entry] = audit_entries(api, "plan.propose")
    assert entry["object_id"] == str(body["id"]) and entry["customer_id"] == book.customer_ids[0]
    assert entry["after"]["total_amount"] == OWED and "['2027-06-01', 17148]" in str(
        entry["after"]["installments"]
    )


def test_beyond_the_makers_limit_it_waits_for_a_checker_who_is_not_the_maker(api: Api) -> None:
    boss, collector, book = team_of(api, "PB")
    made = plan(api.as_(collector), book.case_ids[0], amount=OWED * 80 // 100, count=3)
    assert made.status_code == 201, made.text
    waiting = made.json()
    assert (waiting["status"], waiting["needs_approval"]) == ("proposed", True)
    assert waiting["approval_reasons"] == ["discount 20% > 10%"]
    assert api.as_(collector).get("/api/v1/approvals").status_code == 403
    assert (
        api.as_(collector).post(f"/api/v1/arrangements/{waiting['id']}/approve", json={}).status_code == 403
    )

    inbox = api.as_(boss).get("/api/v1/approvals")
    assert [a["id"] for a in inbox.json()["arrangements"]] == [waiting["id"]]

    stale = api.as_(boss).post(
        f"/api/v1/arrangements/{waiting['id']}/approve", json={}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412, stale.text
    approved = api.as_(boss).post(
        f"/api/v1/arrangements/{waiting['id']}/approve",
        json={"note": "客户收入证明已核实，同意"},
        headers={"If-Match": f'"{waiting["version"]}"'},
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["decided_by"], body["starts_on"]) == (
        "approved",
        boss.user_id,
        TODAY.isoformat(),
    )
    assert approved.headers["ETag"] == f'"{waiting["version"] + 1}"'
    assert api.as_(boss).get("/api/v1/approvals").json()["arrangements"] == []
    [entry] = audit_entries(api, "arrangement.approve")
    assert (entry["actor_id"], entry["before"]["status"], entry["after"]["status"]) == (
        boss.user_id,
        "proposed",
        "approved",
    )
    again = api.as_(boss).post(f"/api/v1/arrangements/{waiting['id']}/approve", json={})
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"

    # beyond every approver's limits: refused, naming the limit
    other, (team,) = supervisor_of(api, "PB2")
    api.lead(boss, team)
    [case_id] = add_cases(api, "PB2", 1, team_id=team).case_ids
    mine = plan(api.as_(other), case_id, amount=OWED * 60 // 100, count=3)
    assert mine.status_code == 409 and mine.json()["code"] == "over_limit"
    long = plan(api.as_(other), case_id, count=40)
    assert long.status_code == 409 and "months 40" in long.json()["detail"]
    within = plan(api.as_(other), case_id, count=24)
    assert within.status_code == 201 and within.json()["status"] == "approved"


def test_a_maker_never_approves_their_own(api: Api) -> None:
    boss, _, _ = team_of(api, "PC")
    other, (team,) = supervisor_of(api, "PC2")
    api.lead(boss, team)
    maker = api.person(Role.COLLECTOR, team_id=team)
    [case_id] = add_cases(api, "PC2", 1, team_id=team, collector_id=maker.user_id).case_ids
    made = plan(api.as_(maker), case_id, count=13)
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    arrangement_id = made.json()["id"]
    # the collector cannot approve; a supervisor who proposed cannot either
    with transaction(api.engine) as session:
        row = session.get(Arrangement, arrangement_id)
        assert row is not None
        row.proposed_by = other.user_id
    own = api.as_(other).post(f"/api/v1/arrangements/{arrangement_id}/approve", json={})
    assert own.status_code == 403 and own.json()["code"] == "own_proposal"
    rejected_own = api.as_(other).post(
        f"/api/v1/arrangements/{arrangement_id}/reject", json={"note": "我自己的提议不能驳回"}
    )
    assert rejected_own.status_code == 403
    assert [a["id"] for a in api.as_(other).get("/api/v1/approvals").json()["arrangements"]] == []
    assert [a["id"] for a in api.as_(boss).get("/api/v1/approvals").json()["arrangements"]] == [
        arrangement_id
    ]
    ok = api.as_(boss).post(f"/api/v1/arrangements/{arrangement_id}/approve", json={})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"


def test_rejected_and_cancelled_are_final(api: Api) -> None:
    boss, collector, book = team_of(api, "PD", 2)
    waiting = plan(api.as_(collector), book.case_ids[0], count=18).json()
    assert waiting["approval_reasons"] == ["months 18 > 12", "installments 18 > 12"]
    short = api.as_(boss).post(f"/api/v1/arrangements/{waiting['id']}/reject", json={"note": "no"})
    assert short.status_code == 400 and short.json()["code"] == "reason_too_short"
    rejected = api.as_(boss).post(
        f"/api/v1/arrangements/{waiting['id']}/reject", json={"note": "期数过长，请重新协商"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert api.as_(boss).post(f"/api/v1/arrangements/{waiting['id']}/approve", json={}).status_code == 409
    assert (
        api.as_(collector)
        .post(f"/api/v1/arrangements/{waiting['id']}/cancel", json={"reason": "客户撤回分期申请"})
        .json()["code"]
        == "wrong_state"
    )

    # a rejected one no longer stands: a new plan may be proposed, then cancelled
    fresh = plan(api.as_(collector), book.case_ids[0]).json()
    assert fresh["status"] == "approved"
    second = plan(api.as_(collector), book.case_ids[0])
    assert second.status_code == 409 and second.json()["code"] == "arrangement_standing"
    settlement = settle(api.as_(collector), book.case_ids[0], total=OWED)
    assert settlement.status_code == 409 and settlement.json()["code"] == "arrangement_standing"
    stale = api.as_(collector).post(
        f"/api/v1/arrangements/{fresh['id']}/cancel",
        json={"reason": "客户撤回分期申请"},
        headers={"If-Match": f'"{fresh["version"] + 1}"'},
    )
    assert stale.status_code == 412
    cancelled = api.as_(collector).post(
        f"/api/v1/arrangements/{fresh['id']}/cancel",
        json={"reason": "客户撤回分期申请"},
        headers={"If-Match": f'"{fresh["version"]}"'},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["ended_on"]) == ("cancelled", TODAY.isoformat())
    assert len(audit_entries(api, "arrangement.cancel")) == 1
    assert len(audit_entries(api, "arrangement.reject")) == 1


def test_a_settlement_with_waived_fees_and_its_limits(api: Api) -> None:
    _, collector, book = team_of(api, "PE", 3)
    within = settle(api.as_(collector), book.case_ids[0], total=OWED * 95 // 100, waived_fees=30_000)
    assert within.status_code == 201, within.text
    body = within.json()
    assert (body["kind"], body["method"], body["status"]) == ("settlement", "single", "approved")
    assert (body["discount_amount"], body["waived_fees"]) == (OWED * 5 // 100, 30_000)
    assert [(i["due_on"], i["amount"]) for i in body["installments"]] == [(FIRST, OWED * 95 // 100)]

    beyond = settle(api.as_(collector), book.case_ids[1], total=OWED * 80 // 100, waived_fees=60_000, count=2)
    assert beyond.status_code == 201, beyond.text
    assert beyond.json()["approval_reasons"] == ["discount 20% > 10%", "waived_fees 60000 CNY > 50000 CNY"]
    assert len(beyond.json()["installments"]) == 2

    over = settle(api.as_(collector), book.case_ids[2], total=OWED // 2)
    assert over.status_code == 409 and over.json()["code"] == "over_limit"
    assert "discount 50%" in over.json()["detail"]
    more = settle(api.as_(collector), book.case_ids[2], total=OWED + 1)
    assert more.status_code == 400
    custom = settle(api.as_(collector), book.case_ids[2], total=OWED, installments=[OWED - 1, 2])
    assert custom.status_code == 400 and custom.json()["code"] == "invalid_schedule"
    done = settle(api.as_(collector), book.case_ids[2], total=OWED, installments=[OWED - 100, 100])
    assert done.status_code == 201 and done.json()["method"] == "custom"
    assert len(audit_entries(api, "settlement.propose")) == 3


def test_business_conflicts_are_clear_4xx(api: Api) -> None:
    _, collector, book = team_of(api, "PF", 3)
    past = plan(api.as_(collector), book.case_ids[0], first_due_on=(TODAY - timedelta(days=1)).isoformat())
    assert past.status_code == 400 and "in the past" in past.json()["detail"]
    with transaction(api.engine) as session:
        session.execute(
            insert(Hold).values(
                customer_id=book.customer_ids[0],
                kind="dispute",
                evidence="客户来电称未借款",
                placed_at=API_NOW,
                version=1,
            )
        )
        session.execute(
            insert(Hold).values(
                customer_id=book.customer_ids[2],
                kind="hardship",
                evidence="失业证明",
                placed_at=API_NOW,
                version=1,
            )
        )
        case = session.get(Case, book.case_ids[1])
        assert case is not None
        case.status = "closed"
    held = plan(api.as_(collector), book.case_ids[0])
    assert held.status_code == 409 and held.json()["code"] == "case_on_hold"
    closed = plan(api.as_(collector), book.case_ids[1])
    assert closed.status_code == 409 and closed.json()["code"] == "case_closed"
    hardship = plan(api.as_(collector), book.case_ids[2])
    assert hardship.status_code == 201, hardship.text
    bad = plan(api.as_(collector), book.case_ids[2], account_id="A-NOT-HERE")
    assert bad.status_code in (400, 409)


def test_graduated_and_custom_plans(api: Api) -> None:
    _, collector, book = team_of(api, "PG", 3)
    weighted = plan(api.as_(collector), book.case_ids[0], method="graduated", weights=["1", "1", "2"])
    assert weighted.status_code == 201, weighted.text
    assert [i["amount"] for i in weighted.json()["installments"]] == [30_000, 30_000, 60_000]
    stepped = plan(
        api.as_(collector), book.case_ids[1], method="graduated", step=1_000, count=4, frequency="weekly"
    )
    assert [i["amount"] for i in stepped.json()["installments"]] == [28_500, 29_500, 30_500, 31_500]
    assert plan(api.as_(collector), book.case_ids[2], step=1_000).status_code == 422
    assert (
        plan(api.as_(collector), book.case_ids[2], method="graduated", step=1, weights=["1"]).status_code
        == 422
    )
    custom = plan(api.as_(collector), book.case_ids[2], installments=[20_000, 100_000], frequency="biweekly")
    assert [i["due_on"] for i in custom.json()["installments"]] == [
        FIRST,
        (TODAY + timedelta(days=24)).isoformat(),
    ]


def test_idempotency_key_replays_and_refuses_another_body(api: Api) -> None:
    _, collector, book = team_of(api, "PH", 1)
    client = api.as_(collector, **{"Idempotency-Key": "0b8d2c8e-plan-1"})
    first = plan(client, book.case_ids[0])
    assert first.status_code == 201, first.text
    again = plan(client, book.case_ids[0])
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    other = plan(client, book.case_ids[0], count=5)
    assert other.status_code == 422
    listed = api.as_(collector).get(f"/api/v1/cases/{book.case_ids[0]}/arrangements").json()
    assert len(listed["arrangements"]) == 1
    # a refusal is replayed too
    refused_client = api.as_(collector, **{"Idempotency-Key": "0b8d2c8e-plan-2"})
    refused = plan(refused_client, book.case_ids[0])
    assert refused.status_code == 409
    assert plan(refused_client, book.case_ids[0]).json()["code"] == "arrangement_standing"


def test_permission_and_scope_of_every_route(api: Api) -> None:
    boss, collector, book = team_of(api, "PI", 1)
    stranger_boss, stranger, _ = team_of(api, "PJ", 1)
    made = plan(api.as_(collector), book.case_ids[0], count=13).json()
    case_id, arrangement_id = book.case_ids[0], made["id"]
    for who in (stranger, stranger_boss):
        client = api.as_(who)
        assert plan(client, case_id).status_code == 404
        assert settle(client, case_id, total=OWED).status_code == 404
        assert client.get(f"/api/v1/cases/{case_id}/arrangements").status_code == 404
        assert client.get(f"/api/v1/arrangements/{arrangement_id}").status_code == 404
        assert (
            client.post(
                f"/api/v1/arrangements/{arrangement_id}/cancel", json={"reason": "取消这个分期计划"}
            ).status_code
            == 404
        )
    assert (
        api.as_(stranger_boss).post(f"/api/v1/arrangements/{arrangement_id}/approve", json={}).status_code
        == 404
    )
    assert api.as_(stranger_boss).get("/api/v1/approvals").json()["arrangements"] == []
    auditor = api.person(Role.AUDITOR)
    assert api.as_(auditor).get(f"/api/v1/arrangements/{arrangement_id}").status_code == 200
    assert plan(api.as_(auditor), case_id).status_code == 403
    assert (
        api.as_(auditor)
        .post(f"/api/v1/arrangements/{arrangement_id}/cancel", json={"reason": "取消这个分期计划"})
        .status_code
        == 403
    )
    assert api.as_(auditor).get("/api/v1/approvals").status_code == 403
    assert api.client().get("/api/v1/approvals").status_code == 401
    assert api.as_(boss).get(f"/api/v1/arrangements/{arrangement_id}").status_code == 200


def test_the_inbox_lists_oldest_first_in_pages(api: Api) -> None:
    boss, collector, book = team_of(api, "PK", 3)
    made = []
    for n, case_id in enumerate(book.case_ids):
        api.clock.advance(timedelta(seconds=5))
        made.append(plan(api.as_(collector), case_id, count=13 + n).json()["id"])
    with transaction(api.engine) as session:  # the last one proposed first (an older proposal)
        row = session.get(Arrangement, made[2])
        assert row is not None
        row.proposed_at = API_NOW - timedelta(hours=1)
    order = [made[2], made[0], made[1]]
    answer = api.as_(boss).get("/api/v1/approvals", params={"limit": 2})
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert [a["id"] for a in first["arrangements"]] == order[:2]
    rest = api.as_(boss).get("/api/v1/approvals", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in rest["arrangements"]] == order[2:] and rest["next_cursor"] is None
    assert api.as_(boss).get("/api/v1/approvals", params={"cursor": "bm9wZQ"}).status_code == 400


def test_a_hold_placed_after_the_proposal_stops_its_approval(api: Api) -> None:
    boss, collector, book = team_of(api, "PL", 1)
    waiting = plan(api.as_(collector), book.case_ids[0], count=13).json()
    with transaction(api.engine) as session:
        session.execute(
            insert(Hold).values(
                customer_id=book.customer_ids[0],
                kind="cease",
                evidence="客户书面要求停止联系",
                placed_at=API_NOW,
                version=1,
            )
        )
    held = api.as_(boss).post(f"/api/v1/arrangements/{waiting['id']}/approve", json={})
    assert held.status_code == 409 and held.json()["code"] == "case_on_hold"
    read = api.as_(boss).get(f"/api/v1/arrangements/{waiting['id']}").json()
    assert (read["status"], read["version"]) == ("proposed", waiting["version"])


def test_two_checkers_racing_on_one_proposal_never_both_win(api: Api) -> None:
    boss, collector, book = team_of(api, "PM", 1)
    second, _ = supervisor_of(api, "PM2")
    with transaction(api.engine) as session:
        team = session.execute(
            select(CaseAssignment.team_id).where(CaseAssignment.case_id == book.case_ids[0])
        ).scalar_one()
    api.lead(second, team)
    waiting = plan(api.as_(collector), book.case_ids[0], count=13).json()
    clients = [api.as_(boss), api.as_(second)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda client: client.post(f"/api/v1/arrangements/{waiting['id']}/approve", json={}), clients
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert len(audit_entries(api, "arrangement.approve")) == 1
    read = api.as_(boss).get(f"/api/v1/arrangements/{waiting['id']}").json()
    assert (read["status"], read["version"]) == ("approved", waiting["version"] + 1)
