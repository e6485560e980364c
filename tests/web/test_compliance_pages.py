"""The compliance officer's and the auditor's pages over real HTTP, on SQLite and PostgreSQL: the
review list (a contact logged after the fact in quiet hours, a complaint with its deadline, an open
dispute; each look audited) and its review form, templates awaiting approval (approved; a
threatening one refused on the page), the rule pack in words, the audit trail's search by actor,
action, object and days, the chain's check, each page refused to a role without its permission,
both languages."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.channels.models import MessageTemplate
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.channels.template_book import THREAT, drafted
from tests.contacts.helpers import desk, local
from tests.web.conftest import hidden, sign_in


def signed_in(browser: Callable[..., httpx.Client], username: str, language: str = "en") -> httpx.Client:
    client = browser(language)
    assert sign_in(client, username).status_code == 303
    return client


def test_the_review_list_and_closing_a_review(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    d = desk(api)
    late = d.log(
        after_the_fact=True, started_at=local(20, 23, 15).isoformat(), disposition="right_party_contact"
    )
    assert late.status_code == 201, late.text
    contact_id = late.json()["id"]
    body = {"category": "harassment", "description": "客户投诉催收员夜间多次来电"}
    complaint = api.as_(d.collector).post(f"/api/v1/cases/{d.case_id}/complaints", json=body)
    assert complaint.status_code == 201, complaint.text
    raised = {"kind": "debt", "written": True, "description": "客户称该笔贷款非本人申请，要求核实"}
    dispute = api.as_(d.collector).post(f"/api/v1/cases/{d.case_id}/disputes", json=raised)
    assert dispute.status_code == 201, dispute.text
    officer = signed_up("zhou.officer", role=Role.COMPLIANCE_OFFICER)

    client = signed_in(browser, "zhou.officer")
    page = client.get("/review")
    assert page.status_code == 200
    assert f'data-contact="{contact_id}"' in page.text and "CN-TIME-1" in page.text
    assert f'data-complaint="{complaint.json()["id"]}"' in page.text and "December 6, 2026" in page.text
    assert f'data-dispute="{dispute.json()["id"]}"' in page.text
    reads = ("contact.read", "complaint.read", "dispute.read")
    looks = {(e["action"], e["customer_id"]) for e in _entries(api, officer.id) if e["action"] in reads}
    assert looks == {(action, d.customer_id) for action in reads}

    token = hidden(page.text, "csrf_token")
    wrong = client.post(f"/review/{contact_id}", data={"csrf_token": token, "outcome": "maybe"})
    assert wrong.status_code == 400 and "Choose cleared or confirmed" in wrong.text
    done = client.post(
        f"/review/{contact_id}", data={"csrf_token": token, "outcome": "confirmed", "note": "夜间拨打"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/review?done=reviewed"
    [entry] = audit_entries(api, "contact.review")
    assert entry["actor_id"] == officer.id and entry["after"]["outcome"] == "confirmed"
    again = client.post(f"/review/{contact_id}", data={"csrf_token": token, "outcome": "cleared"})
    assert again.status_code == 409 and "data-problem" in again.text
    after = client.get("/review?done=reviewed")
    assert "No contact waits for review." in after.text and f'data-contact="{contact_id}"' not in after.text

    zh = signed_in(browser, "zhou.officer", "zh-CN").get("/review")
    assert "<h1>合规复核</h1>" in zh.text and "2026年12月6日" in zh.text


def _entries(api: Api, actor_id: int) -> list[dict[str, object]]:
    from arrears.audit.models import AuditEntry

    with Session(api.engine) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor_id)).all()
        return [{"action": row.action, "customer_id": row.customer_id} for row in rows]


def test_templates_awaiting_approval_approved_or_refused_on_the_page(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    writer = api.person(Role.SUPERVISOR)
    good = drafted(api.as_(writer))
    bad = drafted(api.as_(writer), THREAT, code="threat_notice")
    signed_up("zhou.officer", role=Role.COMPLIANCE_OFFICER)
    client = signed_in(browser, "zhou.officer")
    page = client.get("/template-approvals")
    assert page.status_code == 200
    assert f'data-template="{good["id"]}"' in page.text and f'data-template="{bad["id"]}"' in page.text
    token = hidden(page.text, "csrf_token")

    refused = client.post(f"/template-approvals/{bad['id']}/approve", data={"csrf_token": token})
    assert 400 <= refused.status_code < 500 and "data-problem" in refused.text
    approved = client.post(
        f"/template-approvals/{good['id']}/approve", data={"csrf_token": token, "version": good["version"]}
    )
    assert approved.status_code == 303 and approved.headers["location"] == "/template-approvals?done=approved"
    retired = client.post(f"/template-approvals/{bad['id']}/retire", data={"csrf_token": token})
    assert retired.status_code == 303
    with Session(api.engine) as session:
        states = {
            row[0]: row[1] for row in session.execute(select(MessageTemplate.id, MessageTemplate.status))
        }
    assert states == {good["id"]: "approved", bad["id"]: "retired"}
    assert [e["object_id"] for e in audit_entries(api, "template.approve")] == [str(good["id"])]
    assert "No template awaits approval." in client.get("/template-approvals").text


def test_the_rule_pack_in_words_in_both_languages(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("zhou.officer", role=Role.COMPLIANCE_OFFICER)
    en = signed_in(browser, "zhou.officer").get("/rule-pack")
    assert en.status_code == 200
    assert 'data-rule="CN-TIME-1"' in en.text and "between 22:00 and 08:00" in en.text
    assert "<td>22:00</td>" in en.text and "China (mainland) collection rules" in en.text
    zh = signed_in(browser, "zhou.officer", "zh-CN").get("/rule-pack")
    assert 'data-rule="CN-TIME-1"' in zh.text and "between 22:00 and 08:00" not in zh.text


def test_the_auditor_searches_the_trail_and_checks_the_chain(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    writer = api.person(Role.SUPERVISOR, username="wang.writer")
    drafted(api.as_(writer))
    drafted(api.as_(writer), code="second_notice")
    signed_up("zhao.audit", role=Role.AUDITOR)
    client = signed_in(browser, "zhao.audit")
    drafts = client.get("/audit", params={"action": "template.draft"})
    assert drafts.status_code == 200
    assert (
        drafts.text.count('data-action="template.draft"') == 2
        and 'data-action="auth.sign_in"' not in drafts.text
    )
    by_actor = client.get("/audit", params={"actor": "zhao.audit"})
    assert 'data-action="template.draft"' not in by_actor.text and "zhao.audit" in by_actor.text
    one = audit_entries(api, "template.draft")[0]
    by_object = client.get(
        "/audit", params={"object_type": one["object_type"], "object_id": one["object_id"]}
    )
    assert by_object.text.count('data-action="template.draft"') == 1
    on_the_day = client.get(
        "/audit", params={"action": "template.draft", "from": "2026-11-21", "to": "2026-11-21"}
    )
    assert on_the_day.text.count('data-action="template.draft"') == 2
    before = client.get("/audit", params={"action": "template.draft", "to": "2026-11-20"})
    assert 'data-action="template.draft"' not in before.text and "No entry matches." in before.text
    assert client.get("/audit", params={"from": "yesterday"}).status_code == 422
    checked = client.get("/audit/verify")
    assert checked.status_code == 200 and 'data-chain="intact"' in checked.text


def test_each_page_refused_to_a_role_without_its_permission(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team = api.team("T9")
    signed_up("li.lei", role=Role.COLLECTOR, team_id=team)
    signed_up("zhao.audit", role=Role.AUDITOR)
    collector = signed_in(browser, "li.lei")
    for path in ("/review", "/template-approvals", "/audit", "/audit/verify"):
        answer = collector.get(path)
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html"), path
    assert collector.get("/rule-pack").status_code == 200  # compliance.check
    auditor = signed_in(browser, "zhao.audit")
    assert auditor.get("/review").status_code == 403
    assert auditor.get("/template-approvals").status_code == 403
    token = hidden(auditor.get("/audit").text, "csrf_token")
    assert auditor.post("/review/1", data={"csrf_token": token, "outcome": "cleared"}).status_code == 403
