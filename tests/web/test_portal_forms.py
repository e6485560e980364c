"""The portal's forms under hostile input, sent twice, and the customer's language, over real
HTTP on SQLite and PostgreSQL: every bad value is a 4xx answer with a message on the form naming
the field and nothing saved; a form sent twice (one after the other, or both at once) is
recorded once; the language the customer chooses is kept for the messages we send them (the
next reminder and the next code are written in it), as their own act, audited."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.arrangements.models import Arrangement, Promise
from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.channels.models import OutboxMessage
from arrears.disputes.models import Complaint, Dispute
from arrears.idempotency import IdempotencyRecord
from arrears.portfolio.models import ContactPoint, Customer
from tests.channels.test_reminders import approve_all, night
from tests.web.conftest import hidden
from tests.web.portal_kit import Portal, ask, code_sent, form_fields, portal, send, sms

TODAY = date(2026, 11, 21)
"""The served app's business day (tests/api/conftest.py: API_NOW)."""

HOSTILE: list[tuple[str, dict[str, str], str]] = [
    ("/portal/dispute", {"description": "x" * 100_000}, "Tell us why"),
    ("/portal/dispute", {"description": "   "}, "Tell us why"),
    ("/portal/dispute", {"kind": '=HYPERLINK("http://evil")', "description": "I paid it."}, "What is wrong"),
    ("/portal/complaint", {"description": "y" * 100_000}, "What happened"),
    ("/portal/complaint", {"category": "=1+1", "description": "Calls at night."}, "About"),
    ("/portal/promise", {"pay_on": "0001-01-01", "amount": "100"}, "I will pay on"),
    ("/portal/promise", {"pay_on": "9999-12-31", "amount": "100"}, "I will pay on"),
    ("/portal/promise", {"pay_on": "2026-11-20", "amount": "100"}, "I will pay on"),  # yesterday
    ("/portal/promise", {"pay_on": "2027-01-21", "amount": "100"}, "I will pay on"),  # beyond 60 days
    ("/portal/promise", {"pay_on": "10000-01-01", "amount": "100"}, "I will pay on"),
    ("/portal/promise", {"pay_on": "31/12/2026", "amount": "100"}, "I will pay on"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "100.12345"}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "-100"}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "0"}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "9" * 40}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "99999999999999999"}, "Amount"),  # over owed
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "lots"}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "1e6"}, "Amount"),
    ("/portal/promise", {"pay_on": "2026-11-30", "amount": "=SUM(A1:A9)"}, "Amount"),
    ("/portal/plan", {"count": "7", "first_due_on": "2026-12-01"}, "Number of monthly installments"),
    ("/portal/plan", {"count": "-1", "first_due_on": "2026-12-01"}, "Number of monthly installments"),
    ("/portal/plan", {"count": "3", "first_due_on": "9999-12-31"}, "First installment on"),
    ("/portal/plan", {"count": "3", "first_due_on": "0001-01-01"}, "First installment on"),
    ("/portal/plan", {"count": "3", "first_due_on": "=TODAY()"}, "First installment on"),
    ("/portal/opt-out", {"channel": "=fax"}, "Channel"),
]


DEFAULTS = {
    "/portal/dispute": {"kind": "debt", "description": "I paid it."},
    "/portal/complaint": {"category": "conduct", "description": "Rude words."},
    "/portal/plan": {"count": "3", "first_due_on": "2026-12-01"},
}
"""What the form's other fields hold (its selects' first choices, a good text)."""


def _alert(page: str) -> str:
    found = re.search(r'<p class="alert" role="alert"[^>]*>(.*?)</p>', page, re.S)
    assert found, page[-2000:]
    return html.unescape(found[1])


def _saved(portal: Portal) -> tuple[int, ...]:
    with Session(portal.api.engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Promise, Arrangement, Dispute, Complaint, IdempotencyRecord)
        )


def test_hostile_values_are_refused_on_the_form_naming_the_field_and_nothing_is_saved(
    portal: Portal,
) -> None:
    customer = portal.customer()
    before = _saved(portal)
    for action, typed, label in HOSTILE:
        answer = portal.post(
            customer,
            action,
            case=None if action == "/portal/opt-out" else "a",
            **DEFAULTS.get(action, {}) | typed,
        )
        said = f"{action} {typed!r:.80}"
        assert 400 <= answer.status_code < 500, (said, answer.status_code, answer.text[-500:])
        alert = _alert(answer.text)
        assert alert.startswith(f"{label}:"), (said, alert)
        assert len(alert) < 400, said  # the value is not repeated whole
        assert _saved(portal) == before, said
    with Session(portal.api.engine) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert not actions & {"promise.take", "arrangement.propose", "dispute.raise", "complaint.record"}


def test_a_refused_form_is_shown_open_with_what_was_typed(portal: Portal) -> None:
    customer = portal.customer("A-Na", "zh-CN")
    answer = portal.post(customer, "/portal/promise", pay_on="2026-11-30", amount="12.345")
    assert answer.status_code == 400
    assert '<details open data-form="promise">' in answer.text
    assert 'value="12.345"' in answer.text and 'aria-invalid="true"' in answer.text
    assert _alert(answer.text).startswith("金额：")  # the field, in the reader's words
    fixed = portal.post(customer, "/portal/promise", pay_on="2026-11-30", amount="12.34")
    assert fixed.status_code == 303 and fixed.headers["location"] == "/portal?done=promise"


def test_a_form_sent_twice_is_recorded_once(portal: Portal) -> None:
    customer = portal.customer()
    page = customer.get("/portal").text
    promise_form = form_fields(page, "/portal/promise", "a") | {"pay_on": "2026-11-30", "amount": "500"}
    plan_form = form_fields(page, "/portal/plan", "a") | {"count": "3", "first_due_on": "2026-12-01"}
    assert promise_form["idempotency_key"] != plan_form["idempotency_key"]  # one key per form
    for form, action, done in (
        (promise_form, "/portal/promise", "/portal?done=promise"),
        (plan_form, "/portal/plan", "/portal?done=plan_approved"),
    ):
        first, second = (customer.post(action, data=form) for _ in range(2))
        assert (first.status_code, first.headers["location"]) == (303, done)
        assert (second.status_code, second.headers["location"]) == (303, done)
    changed = customer.post("/portal/promise", data=promise_form | {"amount": "600"})
    assert changed.status_code == 422  # the same key for another promise: refused on the form
    assert _alert(changed.text).startswith("Form: this form was sent already with other values")
    with Session(portal.api.engine) as session:
        assert session.scalars(select(Promise.amount)).all() == [500_00]
        assert len(session.scalars(select(Arrangement.id)).all()) == 1


@pytest.mark.parametrize("action", ["/portal/promise", "/portal/complaint"])
def test_a_double_click_at_once_is_recorded_once(portal: Portal, action: str) -> None:
    customer = portal.customer()
    typed = (
        {"pay_on": "2026-11-30", "amount": "500"}
        if action == "/portal/promise"
        else {"category": "harassment", "description": "Calls at ten at night."}
    )
    form = form_fields(customer.get("/portal").text, action, "a") | typed
    clients = [portal.api.client() for _ in range(2)]
    for client in clients:
        client.cookies = customer.cookies
    start = threading.Barrier(2)
    answers: list[httpx.Response | BaseException] = []

    def click(client: httpx.Client) -> None:
        start.wait()
        try:
            answers.append(client.post(action, data=form))
        except BaseException as error:
            answers.append(error)

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(a, httpx.Response) and a.status_code == 303 for a in answers), answers
    with Session(portal.api.engine) as session:
        model = Promise if action == "/portal/promise" else Complaint
        assert session.scalar(select(func.count()).select_from(model)) == 1


def test_the_language_chosen_is_kept_for_our_messages_as_the_customers_own_act(portal: Portal) -> None:
    customer = portal.customer("A-Na", "zh-CN")
    promised = portal.post(customer, "/portal/promise", pay_on="2026-11-30", amount="500")
    assert promised.status_code == 303
    page = customer.get("/portal").text
    assert 'data-language=""' in page  # not chosen yet
    header = form_fields(page, "/portal/language")  # the header's switcher, for a customer
    assert {"form_token", "csrf_token", "next"} <= set(header)
    chosen = customer.post("/portal/language", data=header | {"language": "en"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/portal"
    assert "arrears_language=en" in chosen.headers["set-cookie"]
    customer.cookies.delete("arrears_language")  # the choice is kept beyond the cookie
    shown = customer.get("/portal").text
    assert 'data-language="en"' in shown and "Now: English." in shown, shown[-3000:]
    assert '<option value="en" selected>' in shown
    assert customer.post("/portal/language", data=header | {"language": "fr"}).status_code == 400

    with Session(portal.api.engine) as session:
        assert session.get(Customer, "Na").language == "en"
        user = session.scalars(select(User).where(User.customer_id == "Na")).one()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "customer.language")).one()
    assert (entry.actor_id, entry.customer_id) == (user.id, "Na")
    assert (json.loads(entry.before or ""), json.loads(entry.after or "")) == (
        {"language": None},
        {"language": "en", "asked_by": "customer"},
    )

    # the next reminder: the promise due on 30 November, the night before its send day
    approve_all(portal.api.engine)
    with portal.api.engine.begin() as connection:  # the reminders write to the primary mobile
        connection.execute(
            update(ContactPoint).where(ContactPoint.customer_id == "Na").values(is_primary=True)
        )
    outcome = night(portal.api.engine, date(2026, 11, 28), now=datetime(2026, 11, 28, 18, 30, tzinfo=UTC))
    assert outcome.queued == 1, outcome
    # and the next code
    portal.api.clock.advance(timedelta(minutes=1))
    assert ask(portal.browser("zh-CN"), "A-Na").status_code == 303
    send(portal.api, portal.sms)
    assert code_sent(portal.sms) and portal.sms.sent[-1].body.startswith("Your sign-in code")
    with Session(portal.api.engine) as session:
        reminder = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "promise_reminder")
        ).one()
    assert reminder.language == "en" and reminder.body.startswith("Dear 客户 a, you promised CN¥500.00")


def test_the_answer_to_a_code_request_takes_its_floor_whether_the_account_is_ours_or_not(
    portal: Portal,
) -> None:
    """The answer waits for ARREARS_PORTAL_CODE_ANSWER_MS after the request came, its commit
    included, so that the extra work of an account that is ours (its message) does not show in
    its time (the times themselves: benchmarks/bench_portal_codes.py)."""
    context = portal.api.app.state.context
    context.settings = context.settings.model_copy(update={"portal_code_answer_ms": 300})
    for account in ("A-Na", "A-NOBODY", "A-Na"):
        client = portal.browser()
        token = hidden(client.get("/portal/sign-in").text, "form_token")
        began = time.monotonic()
        answer = client.post("/portal/sign-in", data={"account": account, "form_token": token})
        took = time.monotonic() - began
        assert answer.status_code == 303 and answer.headers["location"] == "/portal/code"
        assert took >= 0.3, (account, took)
    with Session(portal.api.engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # one code sent


__all__ = ["portal", "sms"]
