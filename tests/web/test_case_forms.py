"""The collector's case forms (issue #14 §2) over real HTTP: each form done (the thing exists
afterwards), the gate's refusal in quiet hours with its rule and next allowed time, a note that
fails the content check shown before anything is saved, the calculator's exact sum and approval,
the reveal with a reason (audited), CSRF, a role without the permission, a case out of scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Arrangement, Promise, PromiseInstallment
from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.contacts.models import Callback, Contact
from arrears.disputes.models import Complaint, Dispute, Hold
from arrears.portfolio.models import ContactPoint
from tests.api.book import Book
from tests.api.conftest import Api
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import Queued, add_cases, case_id_of
from tests.web.conftest import collector_with_password, hidden, sign_in

CASE = case_id_of("a")
THREAT = "客户拒绝，告知再不还就爆你通讯录"


def _collector(
    api: Api, signed_up: Callable[..., User], browser: Callable[..., httpx.Client], language: str = "en"
) -> httpx.Client:
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id)])
    Book(api.engine).installments("A-Na", [(date(2026, 10, 1), 60_000), (date(2026, 11, 1), 40_000)])
    client = browser(language)
    assert sign_in(client, "li.lei").status_code == 303
    return client


def _point(api: Api) -> int:
    with Session(api.engine) as session:
        return session.scalars(select(ContactPoint.id).where(ContactPoint.customer_id == "Na")).one()


def _post(client: httpx.Client, form: str, data: dict[str, object], case_id: str = CASE) -> httpx.Response:
    page = client.get(f"/cases/{case_id}/{form}")
    assert page.status_code == 200, page.text
    return client.post(
        f"/cases/{case_id}/{form}", data={"csrf_token": hidden(page.text, "csrf_token"), **data}
    )


def _count(api: Api, model: object) -> int:
    with Session(api.engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def test_the_case_page_has_the_action_bar_with_keys_and_the_score_with_reasons(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser, "zh-CN")
    page = client.get(f"/cases/{CASE}").text
    assert "该案件尚无评分" in page
    for form, key in (("contact", "c"), ("promise", "p"), ("plan", "l"), ("hold", "h")):
        assert f'href="/cases/{CASE}/{form}" data-shortcut="{key}"' in page
    assert "说明理由后查看" in page and f"/cases/{CASE}/reveal?field=phone&amp;point={_point(api)}" in page
    book = Book(api.engine)
    model = book.model(api.app.state.context.settings.scoring_purpose)
    reasons = [{"feature": "days_since_last_payment", "value": 45.0, "effect": -0.5}]
    book.score(model, CASE, "A-Na", 540, "E", reasons=reasons)
    page = client.get(f"/cases/{CASE}").text
    score = page.split("data-score>")[1].split("</section>")[0]
    assert "540" in score and "E" in score and "45" in score and "天" in score, score


def test_log_a_contact_take_a_promise_schedule_a_callback(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    point = _point(api)
    logged = _post(
        client,
        "contact",
        {
            "disposition": "promise",
            "channel": "call",
            "direction": "outbound",
            "party": "debtor",
            "contact_point_id": point,
            "note": "客户同意月底前还款",
        },
    )
    assert logged.status_code == 303 and logged.headers["location"] == f"/cases/{CASE}?done=contact"
    assert "The contact is logged." in client.get(logged.headers["location"]).text
    promised = _post(
        client,
        "promise",
        {"currency": "CNY", "due_on": ["2026-11-30", "2026-12-15", ""], "amount": ["300.00", "200.50", ""]},
    )
    assert promised.status_code == 303, promised.text
    later = _post(
        client, "callback", {"due_at": "2026-11-21T15:30", "contact_point_id": point, "note": "下午回电"}
    )
    assert later.status_code == 303, later.text
    with Session(api.engine) as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.disposition, contact.case_id, contact.note) == ("promise", CASE, "客户同意月底前还款")
        promise = session.scalars(select(Promise)).one()
        parts = session.scalars(select(PromiseInstallment.amount).order_by(PromiseInstallment.seq)).all()
        assert promise.case_id == CASE and parts == [30_000, 20_050]
        callback = session.scalars(select(Callback)).one()
        assert callback.due_at.isoformat() == "2026-11-21T07:30:00+00:00"  # 15:30 in Shanghai
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"contact.log", "promise.take"} <= actions


def test_the_gate_in_quiet_hours_refuses_with_its_rule_and_the_next_allowed_time(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    api.clock.advance(timedelta(hours=13))  # 23:00 in Shanghai
    client = _collector(api, signed_up, browser, "zh-CN")
    refused = _post(
        client,
        "contact",
        {"disposition": "no_answer", "contact_point_id": _point(api), "note": "夜间尝试"},
    )
    assert refused.status_code == 409
    box = refused.text.split("data-refusal>")[1].split("</section>")[0]
    assert "合规" in box and "下次允许" in box and "08:00" in box, box
    assert "夜间尝试" in refused.text  # the typed values are kept
    with Session(api.engine) as session:  # the refusal is on the record, as the API keeps it
        assert session.scalars(select(Contact.disposition)).all() == ["refused_by_gate"]
    late = _post(client, "callback", {"due_at": "2026-11-21T23:30", "contact_point_id": _point(api)})
    assert late.status_code == 409 and "下次允许" in late.text
    assert _count(api, Callback) == 0


def test_a_note_failing_the_content_check_is_shown_before_it_is_saved(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    data = {"disposition": "refuses_to_pay", "contact_point_id": _point(api), "note": THREAT}
    flagged = _post(client, "contact", data)
    assert flagged.status_code == 422
    box = flagged.text.split("data-flagged>")[1].split("</section>")[0]
    assert "The note fails the content check" in box and "<li" in box, box
    assert THREAT in flagged.text and 'value="refuses_to_pay" selected' in flagged.text
    assert _count(api, Contact) == 0  # nothing saved yet
    kept = client.post(
        f"/cases/{CASE}/contact",
        data={**data, "keep_flagged": "1", "csrf_token": hidden(flagged.text, "csrf_token")},
    )
    assert kept.status_code == 303
    with Session(api.engine) as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.note_flags and contact.review_status == "pending"


def test_the_plan_calculator_and_a_plan_settlement_dispute_complaint_hold(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)  # owed: CN¥1,000.00
    terms = {"currency": "CNY", "first_due_on": "2026-12-01", "method": "equal", "frequency": "monthly"}
    three = _post(client, "plan", {**terms, "count": "3", "action": "calculate"})
    assert three.status_code == 200
    quote = three.text.split("data-quote>")[1].split("</section>")[0]
    assert quote.count("CN¥333.33") == 2 and "CN¥333.34" in quote, quote
    assert '<td class="number" data-sum>CN¥1,000.00</td>' in quote
    assert "Within your limits" in quote
    many = _post(client, "plan", {**terms, "count": "13", "action": "calculate"})
    approval = many.text.split("data-approval>")[1].split("</p>")[0]
    assert "It needs approval by: supervisor" in approval and "installments 13 &gt; 12" in approval, approval
    uneven = _post(
        client, "plan", {**terms, "method": "custom", "installments": "600 300", "action": "calculate"}
    )
    assert uneven.status_code == 400 and "data-refusal" in uneven.text and "600 300" in uneven.text
    assert _count(api, Arrangement) == 0  # calculating keeps nothing
    proposed = _post(client, "plan", {**terms, "count": "3", "action": "propose"})
    assert proposed.status_code == 303
    with Session(api.engine) as session:
        plan = session.scalars(select(Arrangement)).one()
        assert (plan.kind, plan.status, plan.total_amount) == ("plan", "approved", 100_000)
    second = _post(client, "settlement", {**terms, "total": "900.00", "count": "1", "action": "propose"})
    assert second.status_code == 409 and "data-refusal" in second.text  # a plan stands
    assert (
        _post(client, "complaint", {"category": "conduct", "description": "客户投诉夜间来电"}).status_code
        == 303
    )
    disputed = _post(
        client, "dispute", {"kind": "amount", "description": "客户称金额有误，要求核实", "written": "1"}
    )
    assert disputed.status_code == 303
    held = _post(client, "hold", {"kind": "hardship", "evidence": "客户失业，提供离职证明"})
    assert held.status_code == 303
    with Session(api.engine) as session:
        assert session.scalars(select(Complaint.category)).all() == ["conduct"]
        assert session.scalars(select(Dispute.kind)).all() == ["amount"]
        assert set(session.scalars(select(Hold.kind))) == {"dispute", "hardship"}
    short = _post(client, "hold", {"kind": "cease", "evidence": "短"})
    assert short.status_code == 400 and "data-refusal" in short.text


def test_settlement_calculated_and_proposed(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    terms = {"currency": "CNY", "first_due_on": "2026-12-01", "total": "950.00", "count": "2"}
    shown = _post(client, "settlement", {**terms, "action": "calculate"})
    assert "CN¥475.00" in shown.text and "CN¥50.00" in shown.text  # the installments, the discount
    assert _post(client, "settlement", {**terms, "action": "propose"}).status_code == 303
    with Session(api.engine) as session:
        settled = session.scalars(select(Arrangement)).one()
        assert (settled.kind, settled.total_amount, settled.discount_amount) == ("settlement", 95_000, 5_000)


def test_reveal_a_masked_phone_with_a_reason(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    point = _point(api)
    form = client.get(f"/cases/{CASE}/reveal", params={"field": "phone", "point": str(point)})
    assert form.status_code == 200 and "+8613812345678" not in form.text
    token = hidden(form.text, "csrf_token")
    data = {"field": "phone", "point": str(point), "reason_code": "contact_attempt", "csrf_token": token}
    too_short = client.post(f"/cases/{CASE}/reveal", data={**data, "reason": "call"})
    assert too_short.status_code == 400 and "+8613812345678" not in too_short.text
    shown = client.post(
        f"/cases/{CASE}/reveal", data={**data, "reason": "calling the customer about the promise"}
    )
    assert shown.status_code == 200 and "+8613812345678" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    with Session(api.engine) as session:
        reveals = session.scalars(select(AuditEntry).where(AuditEntry.action == "personal.reveal")).all()
    assert len(reveals) == 1 and "contact_attempt" in (reveals[0].reason or "")


def test_csrf_permission_and_scope(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    no_token = client.post(
        f"/cases/{CASE}/promise", data={"currency": "CNY", "due_on": "2026-11-30", "amount": "1"}
    )
    assert no_token.status_code == 403 and no_token.headers["content-type"].startswith("text/html")
    assert _count(api, Promise) == 0
    desk = Desk(api.engine)
    elsewhere = desk.team("T2")
    stranger = collector_with_password(signed_up, elsewhere, "han.mei")
    add_cases(api.engine, [Queued("far", elsewhere, stranger.id)])
    far = case_id_of("far")
    assert client.get(f"/cases/{far}/promise").status_code == 404
    token = hidden(client.get(f"/cases/{CASE}/promise").text, "csrf_token")
    posted = client.post(
        f"/cases/{far}/promise",
        data={"csrf_token": token, "currency": "CNY", "due_on": "2026-11-30", "amount": "1.00"},
    )
    assert posted.status_code == 404 and "<h1>Not found</h1>" in posted.text
    assert _count(api, Promise) == 0
    signed_up("auditor.one", role="auditor")
    auditor = browser("en")
    sign_in(auditor, "auditor.one")
    refused = auditor.get(f"/cases/{CASE}/contact")
    assert refused.status_code == 403 and "contact.log" in refused.text
    home = auditor.get("/").text
    posted = auditor.post(
        f"/cases/{CASE}/contact", data={"csrf_token": hidden(home, "csrf_token"), "disposition": "no_answer"}
    )
    assert posted.status_code == 403 and _count(api, Contact) == 0


def test_the_contact_form_offers_the_debtors_phone_first(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    with Session(api.engine) as session:  # recorded in this order, after the debtor's first phone
        for kind, value, party in (
            ("address", "上海市长宁区 1 号", "debtor"),
            ("mobile", "+8613900000000", "other"),
            ("mobile", "+8613700000000", "debtor"),
        ):
            session.add(ContactPoint(customer_id="Na", type=kind, value=value, party=party))
        session.commit()
    page = client.get(f"/cases/{CASE}/contact").text
    options = page.split('name="contact_point_id">')[1].split("</select>")[0]
    order = [options.index(text) for text in ("+86138", "+86137", "上海市", "+86139")]
    assert order == sorted(order), options


def test_a_call_logged_after_the_fact_with_its_recording(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)  # the clock: 2026-11-21 10:00 in Shanghai
    data = {
        "disposition": "no_answer",
        "contact_point_id": _point(api),
        "after_the_fact": "1",
        "recording_uri": "s3://calls/2026/11/20/a.wav",
    }
    night = {**data, "started_at": "2026-11-20T22:30", "ended_at": "2026-11-20T22:31"}
    bad_sum = _post(client, "contact", {**night, "recording_sha256": "not hex"})
    assert bad_sum.status_code == 400 and "64" in bad_sum.text and _count(api, Contact) == 0
    assert "s3://calls/2026/11/20/a.wav" in bad_sum.text  # what was typed is kept
    ahead = _post(client, "contact", {**data, "started_at": "2026-11-22T09:00", "recording_sha256": "a" * 64})
    assert ahead.status_code == 400 and _count(api, Contact) == 0
    kept = _post(client, "contact", {**night, "recording_sha256": "AB" * 32})
    assert kept.status_code == 303, kept.text  # at night, but it happened: kept for review
    with Session(api.engine) as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.after_the_fact and contact.review_status == "pending" and contact.violations
        assert contact.started_at.isoformat() == "2026-11-20T14:30:00+00:00"
        assert (contact.recording_uri, contact.recording_sha256) == ("s3://calls/2026/11/20/a.wav", "ab" * 32)


def test_a_form_sent_twice_is_recorded_once(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    sent: dict[str, dict[str, object]] = {
        "contact": {"disposition": "no_answer", "contact_point_id": _point(api)},
        "promise": {"currency": "CNY", "due_on": "2026-11-30", "amount": "300.00"},
        "complaint": {"category": "conduct", "description": "客户投诉夜间来电"},
    }
    for form, data in sent.items():
        page = client.get(f"/cases/{CASE}/{form}").text
        fields = {
            "csrf_token": hidden(page, "csrf_token"),
            "idempotency_key": hidden(page, "idempotency_key"),
        }
        first = client.post(f"/cases/{CASE}/{form}", data={**fields, **data})
        again = client.post(f"/cases/{CASE}/{form}", data={**fields, **data})  # a double click
        assert first.status_code == again.status_code == 303, (form, again.text[-500:])
        other = {
            "contact": {"note": "另一个"},
            "promise": {"amount": "1.00"},
            "complaint": {"description": "另一件事情的经过"},
        }
        changed = client.post(f"/cases/{CASE}/{form}", data={**fields, **data, **other[form]})
        assert changed.status_code == 400 and "open the page again" in changed.text, form
        fresh = hidden(client.get(f"/cases/{CASE}/{form}").text, "idempotency_key")
        assert fresh != fields["idempotency_key"]  # each page its own key
    assert (_count(api, Contact), _count(api, Promise), _count(api, Complaint)) == (1, 1, 1)
