"""The customer's portal over real HTTP, on SQLite and PostgreSQL: the one-time code through the
real outbox (queued, sent by the outbox's worker to a recording SMS provider, read back from what
the provider got), wrong, expired, reused and dead codes, throttling, one answer for an account
that is not ours, another customer's case as a 404, a promise, a plan within the customer's
limits (approved at once) and beyond them (waiting for approval), a dispute that holds the case
(shown on the collector's case page) and an opt-out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Arrangement, Promise
from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.channels.models import OutboxMessage, PortalCode
from arrears.contacts.models import Contact, ContactPreference
from arrears.disputes.models import Complaint, Dispute, Hold
from arrears.portfolio.models import Customer
from tests.api.conftest import Api
from tests.queues.test_next import case_id_of
from tests.web.conftest import hidden, sign_in
from tests.web.portal_kit import Portal, RecordingSms, portal, sms
from tests.web.portal_kit import ask as _ask
from tests.web.portal_kit import code_sent as _code_sent
from tests.web.portal_kit import give as _give
from tests.web.portal_kit import send as _send


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_code_through_the_outbox_signs_the_customer_in_once(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    client = browser("zh-CN")
    asked = _ask(client, "A-Na")
    assert asked.status_code == 303 and asked.headers["location"] == "/portal/code"
    assert "一次性验证码" in client.get("/portal/code").text or "验证码" in client.get("/portal/code").text
    with Session(api.engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.purpose, message.channel, message.state) == ("one_time_code", "sms", "queued")
        stored = session.scalars(select(PortalCode)).one()
    _send(api, sms)
    assert [m.to for m in sms.sent] == ["+8613812345678"]
    code = _code_sent(sms)
    assert "验证码" in sms.sent[0].body  # in the customer's (the reader's) language
    assert stored.code_digest is not None and code not in stored.code_digest  # only its HMAC
    with Session(api.engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.state == "sent"
        assert session.scalars(select(Contact)).all() == []  # a service message, not a collection contact

    signed = _give(client, code)
    assert signed.status_code == 303 and signed.headers["location"] == "/portal"
    assert client.get("/").headers["location"] == "/portal"  # a customer's home is the portal
    home = client.get("/portal")
    assert home.status_code == 200
    assert "¥3,000.00" in home.text  # what is owed
    assert "45" in home.text  # days behind
    assert "2026年10月7日" in home.text  # an installment due since then, in the reader's language
    with Session(api.engine) as session:
        user = session.scalars(select(User).where(User.role == "customer")).one()
        assert (user.customer_id, user.password_hash) == ("Na", None)
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "portal.code_request",
        "portal.code_check",
        "auth.sign_in",
        "user.create",
        "case.read",
        "account.read",
        "hold.read",
    } <= actions

    again = browser("en")
    assert _ask(again, "A-Na").status_code == 303
    reused = _give(again, code)  # the code of the first request: used, and ended by the new one
    assert reused.status_code == 401
    assert "The code is wrong or has expired" in reused.text


def test_wrong_expired_and_dead_codes_are_refused_alike(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    client = browser()
    _ask(client, "A-Na")
    _send(api, sms)
    code = _code_sent(sms)
    for _ in range(5):
        refused = _give(client, _wrong(code))
        assert refused.status_code == 401
        assert "The code is wrong or has expired" in refused.text
    assert _give(client, code).status_code == 401  # five wrong tries: the code is dead

    _ask(client, "A-Na")
    _send(api, sms)
    late = _code_sent(sms)
    api.clock.advance(timedelta(minutes=10, seconds=1))
    expired = _give(client, late)
    assert expired.status_code == 401
    assert "The code is wrong or has expired" in expired.text
    with Session(api.engine) as session:
        refused_checks = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "portal.code_check", AuditEntry.outcome == "refused"
            )
        ).all()
    assert len(refused_checks) == 7


def test_an_account_not_ours_gets_the_same_answer_and_asking_is_throttled(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    known, unknown = browser(), browser()
    ours, not_ours = _ask(known, "A-Na"), _ask(unknown, "A-NOBODY")
    assert (ours.status_code, ours.headers["location"]) == (
        not_ours.status_code,
        not_ours.headers["location"],
    )
    assert known.get("/portal/code").text.replace(
        hidden(known.get("/portal/code").text, "form_token"), ""
    ) == (
        unknown.get("/portal/code").text.replace(hidden(unknown.get("/portal/code").text, "form_token"), "")
    )
    assert _give(unknown, "123456").status_code == 401
    _send(api, sms)
    assert len(sms.sent) == 1  # nothing was sent for the account that is not ours

    for client, account in ((known, "A-Na"), (unknown, "A-NOBODY")):
        for _ in range(4):
            assert _ask(client, account).status_code == 303
        throttled = _ask(client, account)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0
        assert "Too many codes were asked for" in throttled.text
    api.clock.advance(timedelta(hours=1, seconds=1))
    assert _ask(known, "A-Na").status_code == 303


def test_promise_and_plans_within_and_beyond_the_customers_limits(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    a = portal.customer("A-Na")
    # another customer's case (its id typed over the form's): the service's 404, as a page
    other = portal.post(a, "/portal/promise", case_id=case_id_of("b"), pay_on="2026-11-30", amount="100")
    assert other.status_code == 404 and "<html" in other.text

    promised = portal.post(a, "/portal/promise", pay_on="2026-11-30", amount="500.00")
    assert promised.status_code == 303 and promised.headers["location"] == "/portal?done=promise"
    shown = a.get(promised.headers["location"]).text
    assert "Thank you: your promise to pay is recorded." in shown
    assert "CN¥500.00" in shown
    no_csrf = portal.post(a, "/portal/promise", csrf_token="", pay_on="2026-11-30", amount="1")
    assert no_csrf.status_code == 403
    bad = portal.post(a, "/portal/promise", pay_on="2026-11-30", amount="lots")
    assert 400 <= bad.status_code < 500

    within = portal.post(a, "/portal/plan", count="3", first_due_on="2026-12-01")
    assert within.status_code == 303, within.text[-900:]
    assert within.headers["location"] == "/portal?done=plan_approved"

    b = portal.customer("A-Nb")
    beyond = portal.post(b, "/portal/plan", case="b", count="12", first_due_on="2026-12-01")
    assert beyond.headers["location"] == "/portal?done=plan_pending"
    assert "waiting for the bank" in b.get("/portal").text
    with Session(api.engine) as session:
        plans = {row.case_id: row for row in session.scalars(select(Arrangement))}
        promise = session.scalars(select(Promise)).one()
        customer_a = session.scalars(select(User).where(User.customer_id == "Na")).one()
    assert (plans[case_id_of("a")].status, plans[case_id_of("a")].needs_approval) != ("proposed", True)
    assert (plans[case_id_of("b")].status, plans[case_id_of("b")].needs_approval) == ("proposed", True)
    assert (promise.case_id, promise.amount, promise.taken_by) == (case_id_of("a"), 500_00, customer_a.id)


def test_a_dispute_holds_the_case_for_the_collector_and_an_opt_out_stops_a_channel(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    customer = portal.customer("A-Na", "zh-CN")
    raised = portal.post(customer, "/portal/dispute", kind="amount", description="我已还过十月的款")
    assert raised.headers["location"] == "/portal?done=dispute"
    assert "暂停" in customer.get("/portal").text
    stopped = portal.post(customer, "/portal/opt-out", case=None, channel="sms")
    assert stopped.headers["location"] == "/portal?done=opt_out"
    assert portal.post(customer, "/portal/opt-out", case=None, channel="fax").status_code == 400
    with Session(api.engine) as session:
        dispute = session.scalars(select(Dispute)).one()
        hold = session.get(Hold, dispute.hold_id)
        preference = session.scalars(select(ContactPreference)).one()
        actions = set(session.scalars(select(AuditEntry.action)))
    assert hold is not None and hold.kind == "dispute" and hold.lifted_at is None
    assert (preference.kind, preference.channel, preference.customer_id) == ("opt_out", "sms", "Na")
    assert {"dispute.raise", "hold.place", "contact_preference.record"} <= actions

    collector = browser("en")
    assert sign_in(collector, "li.lei").status_code == 303
    case_page = collector.get(f"/cases/{case_id_of('a')}")
    assert case_page.status_code == 200
    assert "我已还过十月的款" in case_page.text  # the open dispute, first on the case page
    assert "Stopped" in browser_text(api, customer)

    complained = portal.post(
        customer, "/portal/complaint", category="harassment", description="晚上十点还打电话"
    )
    assert complained.status_code == 303
    assert complained.headers["location"].startswith("/portal?done=complaint&by=")
    assert "We will answer you by" in customer.get(complained.headers["location"]).text
    with Session(api.engine) as session:
        complaint = session.scalars(select(Complaint)).one()
    assert (complaint.case_id, complaint.category, complaint.customer_id) == (
        case_id_of("a"),
        "harassment",
        "Na",
    )


def browser_text(api: Api, client: httpx.Client) -> str:
    """The portal in English (the language switcher's cookie)."""
    client.cookies.set("arrears_language", "en")
    return client.get("/portal").text


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def phone(browser: Callable[..., httpx.Client]) -> Iterator[Any]:
    """A Chromium page 360 pixels wide (a small phone), in English; skipped without Chromium."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    browser()  # the browser fixture's setting: cookies over plain HTTP
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = chromium.new_context(locale="en-US", viewport={"width": 360, "height": 740}, is_mobile=True)
        yield context.new_page()
        context.close()
        chromium.close()


def test_on_a_phone_sign_in_with_the_code_accept_a_plan_and_raise_a_dispute(
    api: Api, phone: Any, portal: Portal, sms: RecordingSms
) -> None:
    phone.goto(api.url + "/portal")
    assert phone.url.startswith(api.url + "/portal/sign-in?next=")
    phone.get_by_label("Account number").fill("A-Na")
    phone.get_by_role("button", name="Send me a code").click()
    phone.wait_for_url(api.url + "/portal/code")
    _send(api, sms)
    phone.get_by_role("textbox", name="Code").fill(_code_sent(sms))
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(api.url + "/portal")
    assert phone.get_by_role("heading", name="What you owe").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling

    phone.get_by_text("Pay in installments").click()
    phone.get_by_label("Number of monthly installments").select_option("3")
    phone.get_by_label("First installment on").fill("2026-12-01")
    phone.get_by_role("button", name="Accept this plan").click()
    phone.wait_for_url(api.url + "/portal?done=plan_approved")
    assert phone.locator("#done").inner_text().startswith("Your repayment plan is approved")

    phone.get_by_text("I dispute this debt").click()
    phone.get_by_label("What is wrong").select_option("amount")
    phone.get_by_label("Tell us why").fill("I paid October's installment at the branch.")
    phone.get_by_role("button", name="Raise a dispute").click()
    phone.wait_for_url(api.url + "/portal?done=dispute")
    assert phone.locator('[data-hold="dispute"]').is_visible()
    with Session(api.engine) as session:
        assert (
            session.scalars(select(Dispute.description)).one()
            == "I paid October's installment at the branch."
        )
        assert session.scalars(select(Arrangement.status)).one() != "proposed"

    # a value that is no amount: the form again, open, its field named, still one column
    phone.get_by_text("Promise to pay").click()
    phone.get_by_label("I will pay on").fill("2026-11-30")
    phone.get_by_label("Amount (CNY)").fill("=1+1")
    phone.get_by_role("button", name="Promise", exact=True).click()
    alert = phone.locator('[data-form="promise"] [role="alert"]')
    assert alert.is_visible() and alert.inner_text().startswith("Amount:")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # the language of our messages, kept as the customer's own
    phone.get_by_label("The language of our messages to you").select_option("zh-CN")
    phone.get_by_role("button", name="Keep this language").click()
    phone.wait_for_url(api.url + "/portal?done=language")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.locator("#language-now").get_attribute("data-language") == "zh-CN"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    with Session(api.engine) as session:
        assert session.get(Customer, "Na").language == "zh-CN"


def test_a_code_is_sent_at_night_and_under_a_hold_it_is_a_service_message(
    api: Api, browser: Callable[..., httpx.Client], portal: Portal, sms: RecordingSms
) -> None:
    """The decision of docs/web.md: the gate's quiet hours, holds and collection caps are for
    collection contact; a code the customer asks for this minute is sent at once all the same."""
    customer = portal.customer("A-Na")
    raised = portal.post(customer, "/portal/dispute", kind="debt", description="Not my loan at all.")
    assert raised.status_code == 303
    api.clock.advance(timedelta(hours=13, minutes=30))  # 23:30 in Shanghai, under a dispute hold
    assert _ask(browser(), "A-Na").status_code == 303
    _send(api, sms)
    assert len(sms.sent) == 2
    with Session(api.engine) as session:
        states = session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)).all()
    assert states == ["sent", "sent"]


__all__ = ["portal", "sms"]
