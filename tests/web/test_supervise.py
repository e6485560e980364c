"""The supervisor's pages over real HTTP, on SQLite and PostgreSQL: the approval inbox (a
settlement beyond the collector's limit approved by the supervisor, never by its maker; a
rejection needs its reason), the queues with their sizes, reassignment of two cases with a reason
(audited), the placements, each page refused to a role without its permission, both languages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Arrangement
from arrears.auth.models import TeamLeader, User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.work_book import assignments, audit_entries
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import TODAY, Queued, add_cases, case_id_of
from tests.web.conftest import PASSWORD, collector_with_password, hidden, sign_in

FIRST = (TODAY + timedelta(days=10)).isoformat()
OWED = 100_000
"""What each case of add_cases owes (CNY minor units)."""


@dataclass
class Floor:
    team: int
    boss: User
    maker: User
    other: User


def floor(api: Api, signed_up: Callable[..., User]) -> Floor:
    """A team in force with its queue set, led by wang.boss, with two collectors (li.lei, han.mei)
    and three cases of li.lei's (a, b, c)."""
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    boss = signed_up("wang.boss", role=Role.SUPERVISOR)
    with api.engine.begin() as connection:
        connection.execute(insert(TeamLeader), [{"team_id": team, "user_id": boss.id}])
    maker = collector_with_password(signed_up, team)
    other = collector_with_password(signed_up, team, "han.mei")
    add_cases(api.engine, [Queued(key, team, maker.id, overdue=OWED) for key in "abc"])
    return Floor(team, boss, maker, other)


def signed_in(browser: Callable[..., httpx.Client], username: str, language: str = "en") -> httpx.Client:
    client = browser(language)
    assert sign_in(client, username).status_code == 303
    return client


def propose_settlement(client: httpx.Client, case_id: str, total: int) -> dict[str, object]:
    """Through the API with the web session (its CSRF token in the header, as a script would)."""
    made = client.post(
        f"/api/v1/cases/{case_id}/settlements",
        json={"first_due_on": FIRST, "total": total},
        headers={"X-CSRF-Token": client.cookies["arrears_csrf"]},
    )
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def status_of(api: Api, arrangement_id: object) -> tuple[str, int | None]:
    with Session(api.engine) as session:
        row = session.get(Arrangement, arrangement_id)
        assert row is not None
        return row.status, row.decided_by


def test_the_supervisor_approves_a_settlement_beyond_the_collectors_limit_the_maker_cannot(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    people = floor(api, signed_up)
    maker = signed_in(browser, "li.lei")
    waiting = propose_settlement(maker, case_id_of("a"), OWED * 80 // 100)  # 20% off: the collector's is 10%
    assert (waiting["status"], waiting["needs_approval"]) == ("proposed", True)

    refused = maker.get("/approvals")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    token = hidden(maker.get("/").text, "csrf_token")
    own = maker.post(f"/approvals/{waiting['id']}/approve", data={"csrf_token": token})
    assert own.status_code == 403
    assert status_of(api, waiting["id"]) == ("proposed", None)
    assert 'href="/approvals"' not in maker.get("/").text  # no link to a page one may not open

    boss = signed_in(browser, "wang.boss")
    inbox = boss.get("/approvals")
    assert inbox.status_code == 200
    assert f'data-arrangement="{waiting["id"]}"' in inbox.text
    assert "CN¥800.00" in inbox.text and "CN¥200.00" in inbox.text  # to be paid, the discount
    assert "Discount 20%, the maker&#39;s limit 10%" in inbox.text and "li.lei" in inbox.text
    stale = boss.post(
        f"/approvals/{waiting['id']}/approve",
        data={"csrf_token": hidden(inbox.text, "csrf_token"), "version": "999"},
    )
    assert stale.status_code == 412 and "data-problem" in stale.text
    approved = boss.post(
        f"/approvals/{waiting['id']}/approve",
        data={"csrf_token": hidden(inbox.text, "csrf_token"), "version": str(waiting["version"])},
    )
    assert approved.status_code == 303 and approved.headers["location"] == "/approvals?done=approved"
    assert status_of(api, waiting["id"]) == ("approved", people.boss.id)
    [entry] = audit_entries(api, "arrangement.approve")
    assert entry["actor_id"] == people.boss.id and entry["object_id"] == str(waiting["id"])
    after = boss.get(approved.headers["location"])
    assert "The proposal is approved." in after.text and "Nothing waits for your approval." in after.text


def test_a_rejection_needs_its_reason_shown_on_the_page(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    floor(api, signed_up)
    waiting = propose_settlement(signed_in(browser, "li.lei"), case_id_of("b"), OWED * 85 // 100)
    boss = signed_in(browser, "wang.boss", "zh-CN")
    inbox = boss.get("/approvals")
    assert "<h1>审批</h1>" in inbox.text and "CN¥850.00" not in inbox.text and "¥850.00" in inbox.text
    assert "减免比例 15%，发起人权限 10%" in inbox.text
    token = hidden(inbox.text, "csrf_token")
    short = boss.post(f"/approvals/{waiting['id']}/reject", data={"csrf_token": token, "note": "no"})
    assert short.status_code == 400 and "data-problem" in short.text
    assert status_of(api, waiting["id"])[0] == "proposed"
    reason = "客户收入证明不足，折扣过高"
    done = boss.post(f"/approvals/{waiting['id']}/reject", data={"csrf_token": token, "note": reason})
    assert done.status_code == 303 and done.headers["location"] == "/approvals?done=rejected"
    assert status_of(api, waiting["id"])[0] == "rejected"
    [entry] = audit_entries(api, "arrangement.reject")
    assert entry["reason"] == reason
    assert "该方案已驳回。" in boss.get(done.headers["location"]).text


def test_the_supervisor_reassigns_two_cases_with_a_reason_audited(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    people = floor(api, signed_up)
    boss = signed_in(browser, "wang.boss")
    page = boss.get("/reassign")
    assert page.status_code == 200
    for key in "abc":
        assert f'data-case="{case_id_of(key)}"' in page.text
    assert f'value="{people.team}:{people.other.id}"' in page.text  # han.mei among the targets
    token = hidden(page.text, "csrf_token")
    moving = [case_id_of("a"), case_id_of("b")]
    target = f"{people.team}:{people.other.id}"

    no_reason = boss.post("/reassign", data={"csrf_token": token, "case_id": moving, "target": target})
    assert no_reason.status_code == 400 and "data-problem" in no_reason.text
    nothing = boss.post(
        "/reassign", data={"csrf_token": token, "target": target, "reason": "客户要求更换催收员"}
    )
    assert nothing.status_code == 400 and "Name at least one case" in nothing.text
    assert audit_entries(api, "case.assign") == []

    reason = "客户要求更换催收员，转交处理"
    moved = boss.post(
        "/reassign", data={"csrf_token": token, "case_id": moving, "target": target, "reason": reason}
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/reassign?moved=2"
    for case_id in moving:
        assert [row[2] for row in assignments(api, case_id) if row[3] is None] == [people.other.id]
    assert [row[2] for row in assignments(api, case_id_of("c")) if row[3] is None] == [people.maker.id]
    entries = audit_entries(api, "case.assign")
    assert sorted(e["object_id"] for e in entries) == sorted(moving)
    assert {e["reason"] for e in entries} == {reason} and {e["actor_id"] for e in entries} == {people.boss.id}
    assert entries[0]["before"]["collector_id"] == people.maker.id
    assert entries[0]["after"]["collector_id"] == people.other.id
    shown = boss.get(f"{moved.headers['location']}&collector={people.other.id}")
    assert 'data-moved="2"' in shown.text
    assert (
        f'data-case="{case_id_of("a")}"' in shown.text and f'data-case="{case_id_of("c")}"' not in shown.text
    )


def test_queues_and_placements_pages(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    people = floor(api, signed_up)
    boss = signed_in(browser, "wang.boss")
    queues = boss.get("/queues")
    assert queues.status_code == 200
    assert f'data-queue-size="{people.team}-M2">3<' in queues.text and "CN¥3,000.00" in queues.text
    for link in ('href="/approvals"', 'href="/queues"', 'href="/placements"'):
        assert link in queues.text
    assert boss.get("/placements").status_code == 200
    zh = signed_in(browser, "wang.boss", "zh-CN").get("/queues")
    assert "<h1>队列</h1>" in zh.text and "¥3,000.00" in zh.text


def test_each_page_refused_to_a_role_without_its_permission(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    floor(api, signed_up)
    signed_up("zhao.audit", role=Role.AUDITOR)
    collector = signed_in(browser, "li.lei")
    for path in ("/approvals", "/queues", "/reassign", "/placements"):
        answer = collector.get(path)
        assert answer.status_code == 403, path
        assert "<h1>" in answer.text and answer.headers["content-type"].startswith("text/html")
    auditor = signed_in(browser, "zhao.audit")
    assert auditor.get("/approvals").status_code == 403
    assert auditor.get("/reassign").status_code == 403
    assert auditor.get("/placements").status_code == 200  # placement.read
    token = hidden(auditor.get("/placements").text, "csrf_token")
    refused = auditor.post(
        "/reassign", data={"csrf_token": token, "case_id": [case_id_of("a")], "target": "1"}
    )
    assert refused.status_code == 403
    with Session(api.engine) as session:
        assert session.scalars(select(Arrangement.id)).all() == []


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def page(browser: Callable[..., Any]) -> Iterator[Any]:
    """A Chromium page (English) as in test_browser.py; skipped where Chromium is absent."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    browser()  # the browser fixture's setting: cookies over plain HTTP
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = chromium.new_context(locale="en-US")
        yield context.new_page()
        context.close()
        chromium.close()


def test_in_a_browser_the_supervisor_approves_a_settlement_and_reassigns_a_case(
    api: Api,
    browser: Callable[..., httpx.Client],
    page: Any,
    signed_up: Callable[..., User],
    cheap_hashing: object,
) -> None:
    people = floor(api, signed_up)
    waiting = propose_settlement(signed_in(browser, "li.lei"), case_id_of("a"), OWED * 80 // 100)

    page.goto(api.url + "/approvals")
    page.get_by_label("User name").fill("wang.boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(api.url + "/approvals")
    assert page.get_by_role("heading", name="Approvals", level=1).is_visible()
    proposal = page.locator(f'[data-arrangement="{waiting["id"]}"]')
    assert proposal.get_by_text("CN¥800.00").is_visible()
    proposal.get_by_role("button", name="Approve").click()
    page.wait_for_url(api.url + "/approvals?done=approved")
    assert page.get_by_role("status").inner_text() == "The proposal is approved."
    assert status_of(api, waiting["id"]) == ("approved", people.boss.id)

    page.get_by_role("link", name="Queues").click()
    page.wait_for_url(api.url + "/queues")
    page.get_by_role("link", name="Reassign cases").click()
    page.wait_for_url(api.url + "/reassign")
    page.get_by_role("checkbox", name=case_id_of("b")).check()
    page.get_by_label("Move to").select_option(f"{people.team}:{people.other.id}")
    page.get_by_label("Reason (8 characters at least)").fill("客户要求更换催收员，转交处理")
    page.get_by_role("button", name="Reassign the ticked cases").click()
    page.wait_for_url(api.url + "/reassign?moved=1")
    assert page.get_by_role("status").inner_text() == "Cases reassigned: 1."
    assert [row[2] for row in assignments(api, case_id_of("b")) if row[3] is None] == [people.other.id]
    [entry] = audit_entries(api, "case.assign")
    assert entry["actor_id"] == people.boss.id and entry["object_id"] == case_id_of("b")
