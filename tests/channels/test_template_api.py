"""The template state machine over real HTTP, on SQLite and PostgreSQL: draft, approve (not by
the author, only a draft, after the content check and a letter's required elements), the
approved one retired by the next, retire, If-Match; the active template per language; preview
with a real case's data, masked, the look audited."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.auth.service import principal_of
from arrears.channels import template_repository, templates
from arrears.channels.models import MessageTemplate
from arrears.channels.templates import active_template
from arrears.compliance.packs import load_pack
from arrears.concurrency import LostRaceError
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint
from tests.api.conftest import API_NOW, Api
from tests.api.work_book import add_cases, audit_entries
from tests.arrangements.promise_book import body as promise_body
from tests.arrangements.promise_book import promised_cases, take
from tests.channels.template_book import LETTER, SHORT_LETTER, SMS, THREAT, approve, draft, drafted, people


def test_approving_a_version_retires_the_approved_one(api: Api) -> None:
    writer, officer = people(api)
    author, approver = api.as_(writer), api.as_(officer)
    first = drafted(author)
    assert (first["number"], first["status"], first["version"], first["created_by"]) == (
        1,
        "draft",
        1,
        writer.user_id,
    )

    approved = approve(approver, first)
    assert approved.status_code == 200, approved.text
    assert approved.headers["ETag"] == '"2"'
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("approved", officer.user_id)

    second = drafted(author, SMS.replace("请尽快还款", "请及时还款"))
    assert second["number"] == 2
    assert approve(approver, second).status_code == 200
    old = approver.get(f"/api/v1/templates/{first['id']}").json()
    assert (old["status"], old["version"]) == ("retired", 3)
    listed = approver.get("/api/v1/templates", params={"code": "overdue_notice", "status": "approved"}).json()
    assert [t["id"] for t in listed["templates"]] == [second["id"]]

    with transaction(api.engine) as session:
        zh = active_template(session, "overdue_notice", "sms", "zh-CN")
        en = active_template(session, "overdue_notice", "sms", "en")  # no English one: zh-CN
        assert zh is not None and en is not None and zh.id == en.id == second["id"]
        assert active_template(session, "overdue_notice", "email", "zh-CN") is None
    assert len(audit_entries(api, "template.draft")) == 2
    assert [e["object_id"] for e in audit_entries(api, "template.approve")] == [
        str(first["id"]),
        str(second["id"]),
    ]
    [retired] = audit_entries(api, "template.retire")
    assert retired["object_id"] == str(first["id"]) and retired["after"]["status"] == "retired"


def test_the_customers_language_picks_the_variant(api: Api) -> None:
    writer, officer = people(api)
    author, approver = api.as_(writer), api.as_(officer)
    zh = drafted(author)
    en = drafted(
        author,
        "Dear {{ customer_name }}, {{ overdue_amount | money }} is overdue. {{ opt_out }}",
        language="en",
    )
    assert en["number"] == 1  # numbered per language
    for template in (zh, en):
        assert approve(approver, template).status_code == 200
    with transaction(api.engine) as session:
        found = active_template(session, "overdue_notice", "sms", "en")
        assert found is not None and found.id == en["id"]


def test_the_author_does_not_approve_their_own_template(api: Api) -> None:
    writer, _ = people(api)
    mine = drafted(api.as_(writer))
    with transaction(api.engine) as session:  # the writer becomes a compliance officer
        session.execute(
            update(User).where(User.id == writer.user_id).values(role=str(Role.COMPLIANCE_OFFICER))
        )
    refused = approve(api.as_(writer), mine)
    assert refused.status_code == 403
    assert refused.json()["code"] == "own_template"


def test_refusals_of_approval(api: Api) -> None:
    writer, officer = people(api)
    author, approver = api.as_(writer), api.as_(officer)
    template = drafted(author)

    assert approve(author, template).status_code == 403  # a writer holds no template.approve
    stale = approve(approver, template, version=2)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert approve(approver, template).status_code == 200
    again = approve(approver, template, version=2)
    assert again.status_code == 409 and again.json()["code"] == "template_not_draft"

    unknown = drafted(author, "{{ customer_name }}您好\n您的余额{{ balance }}")
    refused = approve(approver, unknown)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_template"
    assert "line 2" in refused.json()["detail"]

    broken = draft(author, "{{ customer_name }}您好\n{% for x in y %}")
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_template"
    no_subject = draft(author, "Dear {{ customer_name }}", channel="email", language="en")
    assert no_subject.status_code == 400


def test_the_content_check_blocks_a_threatening_text(api: Api) -> None:
    writer, officer = people(api)
    threat = drafted(api.as_(writer), THREAT)
    refused = approve(api.as_(officer), threat)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "template_refused"
    assert problem["rules"] == ["CN-CONDUCT-1"]
    assert "后果自负" in problem["reasons"][0]["zh-CN"]
    assert api.as_(officer).get(f"/api/v1/templates/{threat['id']}").json()["status"] == "draft"


def test_a_letter_needs_the_required_elements(api: Api) -> None:
    writer, officer = people(api)
    author, approver = api.as_(writer), api.as_(officer)
    short = drafted(author, SHORT_LETTER, channel="letter", code="first_notice", subject="催收函")
    refused = approve(approver, short)
    assert refused.status_code == 422, refused.text
    assert refused.json()["rules"] == ["CN-DISC-1"]
    detail = refused.json()["reasons"][0]["en"]
    for missing in (
        "the reason for the debt",
        "the debtor's rights",
        "how to object",
        "how to contact the bank",
    ):
        assert missing in detail
    assert "the seal" not in detail  # the letter's seal box carries it

    full = drafted(author, LETTER, channel="letter", code="first_notice", subject="催收函")
    assert approve(approver, full).status_code == 200


def test_retiring(api: Api) -> None:
    writer, officer = people(api)
    approver = api.as_(officer)
    template = drafted(api.as_(writer))
    retired = approver.post(f"/api/v1/templates/{template['id']}/retire", headers={"If-Match": '"1"'})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    again = approver.post(f"/api/v1/templates/{template['id']}/retire")
    assert again.status_code == 409 and again.json()["code"] == "template_retired"
    assert approve(approver, retired.json()).status_code == 409


def test_a_preview_renders_the_case_masked_and_audited(api: Api) -> None:
    writer, officer = people(api)
    team = api.team("team-TPV")
    collector = api.person(Role.COLLECTOR, team_id=team)
    book = add_cases(api, "TPV", 1, team_id=team, collector_id=collector.user_id)
    other = add_cases(api, "TPW", 1, team_id=api.team("team-TPW"))
    with transaction(api.engine) as session:
        session.add(
            ContactPoint(
                customer_id=book.customer_ids[0],
                type="address",
                value="北京市朝阳区建国路88号",
                party="debtor",
            )
        )
    sms = drafted(api.as_(writer))
    letter = drafted(
        api.as_(writer),
        LETTER + "\n{{ postal_address }}",
        channel="letter",
        code="first_notice",
        subject="催收函",
    )

    shown = api.as_(collector).post(
        f"/api/v1/templates/{sms['id']}/preview", json={"case_id": book.case_ids[0]}
    )
    assert shown.status_code == 200, shown.text
    answer = shown.json()
    assert answer["body"] == (
        "【示例银行】客户 TPV000您好，您的个人贷款已逾期，欠款¥1,200.00，请尽快还款。详询400-800-9588。拒收请回复TD"
    )
    assert (
        answer["sms"]
        == {"encoding": "ucs2", "characters": 68, "segments": 1}
        == {**answer["sms"], "characters": len(answer["body"])}
    )

    printed = (
        api.as_(collector)
        .post(f"/api/v1/templates/{letter['id']}/preview", json={"case_id": book.case_ids[0]})
        .json()
    )
    assert printed["subject"] == "催收函" and printed["sms"] is None
    assert printed["body"].endswith("北京市朝阳区****")  # a collector does not see addresses in full
    assert "截至2026年11月21日欠款金额¥1,200.00" in printed["body"]

    hidden = api.as_(collector).post(
        f"/api/v1/templates/{sms['id']}/preview", json={"case_id": other.case_ids[0]}
    )
    assert hidden.status_code == 404  # out of scope: as if missing
    looks = audit_entries(api, "template.preview")
    assert [(e["actor_id"], e["customer_id"]) for e in looks] == [
        (collector.user_id, book.customer_ids[0])
    ] * 2
    assert officer.user_id not in {e["actor_id"] for e in looks}


def test_one_approved_version_at_a_time_even_when_two_race(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    writer, officer = people(api)
    author = api.as_(writer)
    first, second = drafted(author), drafted(author)
    assert approve(api.as_(officer), first).status_code == 200
    with pytest.raises(IntegrityError), transaction(api.engine) as session:
        session.execute(
            update(MessageTemplate).where(MessageTemplate.id == second["id"]).values(status="approved")
        )
    # an approval that read before the other committed: it did not see the approved version
    monkeypatch.setattr(template_repository, "approved", lambda *_: None)
    with transaction(api.engine) as session:
        user = session.get(User, officer.user_id)
        assert user is not None
        with pytest.raises(LostRaceError):
            templates.approve(
                session,
                principal_of(session, user),
                second["id"],
                expected=None,
                pack=load_pack("cn"),
                now=API_NOW,
            )


def test_a_preview_shows_the_open_promise_and_the_first_unpaid_due_date(api: Api) -> None:
    writer, _ = people(api)
    collector, book = promised_cases(api, "TPP")
    case_id = book.case_ids[0]
    template = drafted(
        api.as_(writer),
        "{% if promise_date %}请于{{ promise_date | date }}还款{{ promise_amount | money }}{% else %}无承诺{% endif %}，"
        "自{{ due_date | date }}起逾期。",
    )
    client = api.as_(collector)

    def shown() -> str:
        answer = client.post(f"/api/v1/templates/{template['id']}/preview", json={"case_id": case_id})
        assert answer.status_code == 200, answer.text
        body: str = answer.json()["body"]
        return body

    assert shown() == "无承诺，自2026年10月7日起逾期。"
    assert take(client, case_id, promise_body((7, "300"), (14, "200"))).status_code == 201
    assert shown() == "请于2026年11月28日还款¥300.00，自2026年10月7日起逾期。"
