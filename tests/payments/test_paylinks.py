"""Pay-now links over real HTTP, with the fake payment provider on loopback, on SQLite and
PostgreSQL: a link is issued (audited), leads once to the provider's checkout for its amount and
is refused the second time, expires after its ttl, cannot ask more than the account owes, and a
tampered token is refused; the provider's notify is verified and taken once per trade number; the
pending payment lowers the overdue and takes the case out of next case; the core system's posting
of the same money confirms it without counting it twice (overdue lowered once, the promise kept
once). Cases and queues are filled directly, as the night would have left them."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from arrears.api.app import create_app
from arrears.arrangements.models import Promise
from arrears.auth.models import TeamLeader
from arrears.auth.permissions import Role
from arrears.channels.rendering import VARIABLES, render, sample_context
from arrears.clock import FixedClock
from arrears.config import load_settings
from arrears.db import transaction
from arrears.payments.models import PayLink, PendingPayment
from tests.api.conftest import API_NOW, Api, Person, serving
from tests.api.work_book import audit_entries
from tests.payments.desk import TODAY, core_system, message, overdue, payment, post, queue_message
from tests.payments.fake_provider import SECRET, FakeProvider
from tests.queues.test_next import Queued, add_cases, add_promise, collector, take

KEY = "a-secret-key-of-the-bank-at-least-32-characters"


@dataclass
class Shop:
    api: Api
    provider: FakeProvider
    collector: Person
    team: int
    case_id: str
    other_case: str

    @property
    def client(self) -> httpx.Client:
        return self.api.as_(self.collector)


@pytest.fixture
def shop(engine: Engine) -> Iterator[Shop]:
    """The API with pay-now set up against the fake provider; a collector and two cases of theirs
    (``paid`` owes 2,000.00 and ranks first in next case, ``other`` owes 1,000.00)."""
    provider = FakeProvider()
    with serving(provider.app) as provider_url:
        clock = FixedClock(API_NOW)
        settings = load_settings(
            database_url=engine.url.render_as_string(hide_password=False),
            language="en",
            secret_key=KEY,
            pay_gateway_url=f"{provider_url}/gateway",
            pay_provider_secret=SECRET,
        )
        app = create_app(settings, engine=engine, clock=clock)
        with serving(app) as url:
            api = Api(app=app, url=url, engine=engine, clock=clock)
            team = api.team("T1")
            me = collector(api, team)
            paid, other = add_cases(
                engine,
                [
                    Queued("paid", team, me.user_id, overdue=200_000),
                    Queued("other", team, me.user_id, overdue=100_000),
                ],
            )
            yield Shop(api, provider, me, team, paid, other)
            api.close()


def issue(shop: Shop, amount: str = "500.00", **body: Any) -> httpx.Response:
    return shop.client.post(
        f"/api/v1/cases/{shop.case_id}/pay-links",
        json={"account_id": "A-Npaid", "amount": amount, "currency": "CNY"} | body,
    )


def issued_url(shop: Shop, amount: str = "500.00", **body: Any) -> str:
    answer = issue(shop, amount, **body)
    assert answer.status_code == 201, answer.text
    url: str = answer.json()["url"]
    return url


def follow(url: str) -> httpx.Response:
    return httpx.get(url, follow_redirects=False, timeout=30)


def paid_link(shop: Shop, amount: str = "500.00") -> str:
    """A link issued and followed to the checkout; answers its order number (out_trade_no)."""
    answer = follow(issued_url(shop, amount))
    assert answer.status_code == 303, answer.text
    assert httpx.get(answer.headers["location"], timeout=30).status_code == 200
    [reference] = shop.provider.orders
    return reference


def pending(api: Api) -> list[tuple[str, int, str, str | None]]:
    """(trade_no, amount, status, payment_id) of every pending payment."""
    with api.engine.connect() as connection:
        rows = connection.execute(
            select(
                PendingPayment.trade_no,
                PendingPayment.amount,
                PendingPayment.status,
                PendingPayment.payment_id,
            ).order_by(PendingPayment.id)
        )
        return [(str(r[0]), int(r[1]), str(r[2]), r[3]) for r in rows]


def test_a_link_leads_once_to_the_checkout_for_its_amount_and_issuing_is_audited(shop: Shop) -> None:
    answer = issue(shop)

    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert (issued["amount"], issued["currency"], issued["status"]) == ("500.00", "CNY", "issued")
    assert issued["expires_at"] == "2026-11-22T02:00:00Z"
    token = issued["url"].rsplit("/", 1)[1]
    with shop.api.engine.connect() as connection:
        link = connection.execute(select(PayLink.token_hash, PayLink.provider_reference)).one()
    assert link[0] == hashlib.sha256(token.encode()).hexdigest()  # the hash, never the token
    [entry] = audit_entries(shop.api, "paylink.issue")
    assert (entry["actor_id"], entry["customer_id"], entry["object_type"]) == (
        shop.collector.user_id,
        "Npaid",
        "pay_link",
    )
    assert entry["after"]["amount"] == "500.00"

    first = follow(issued["url"])
    assert first.status_code == 303, first.text
    checkout = httpx.get(first.headers["location"], timeout=30)
    assert checkout.status_code == 200
    assert "Pay 500.00 CNY" in checkout.text
    order = shop.provider.orders[link[1]]
    assert order["notify_url"] == f"{shop.api.url}/api/v1/pay/notify"

    [used] = audit_entries(shop.api, "paylink.use")
    assert (used["actor_role"], used["object_id"], used["customer_id"]) == (
        "anonymous",
        str(issued["id"]),
        "Npaid",
    )

    second = follow(issued["url"])
    assert second.status_code == 410
    assert second.json()["code"] == "pay_link_gone"
    assert second.json()["state"] == "used"
    assert "Npaid" not in second.text and "A-Npaid" not in second.text


def test_a_link_expires_after_its_ttl(shop: Shop) -> None:
    url = issued_url(shop, ttl_minutes=10)
    shop.api.clock.advance(timedelta(minutes=10))

    answer = follow(url)

    assert answer.status_code == 410
    assert answer.json()["state"] == "expired"
    assert shop.provider.orders == {}
    assert issue(shop, "2000.00").status_code == 201  # an expired link asks nothing any more


def test_a_link_asks_no_more_than_the_account_owes_of_a_case_in_scope(shop: Shop) -> None:
    above = issue(shop, "2000.01")
    assert above.status_code == 422
    assert above.json()["code"] == "amount_above_debt"
    assert issue(shop, "1500.00").status_code == 201
    assert issue(shop, "500.01").json()["code"] == "amount_above_debt"  # 1,500.00 asked already
    assert issue(shop, "500.00").status_code == 201
    assert issue(shop, "0").json()["code"] == "invalid_pay_link"
    assert issue(shop, "10.00", currency="USD").json()["code"] == "invalid_pay_link"
    assert issue(shop, "10.00", account_id="A-Nother").json()["code"] == "invalid_pay_link"
    [closed] = add_cases(
        shop.api.engine, [Queued("closed", shop.team, shop.collector.user_id, status="closed")]
    )
    closed_case = shop.client.post(
        f"/api/v1/cases/{closed}/pay-links",
        json={"account_id": "A-Nclosed", "amount": "1.00", "currency": "CNY"},
    )
    assert closed_case.status_code == 409
    assert closed_case.json()["code"] == "case_closed"
    stranger = collector(shop.api, shop.api.team("T2"))
    out_of_scope = shop.api.as_(stranger).post(
        f"/api/v1/cases/{shop.case_id}/pay-links",
        json={"account_id": "A-Npaid", "amount": "10.00", "currency": "CNY"},
    )
    assert out_of_scope.status_code == 404
    field_agent = shop.api.person(Role.FIELD_AGENT)
    refused = shop.api.as_(field_agent).post(
        f"/api/v1/cases/{shop.case_id}/pay-links",
        json={"account_id": "A-Npaid", "amount": "10.00", "currency": "CNY"},
    )
    assert refused.status_code == 403
    assert len(audit_entries(shop.api, "paylink.issue")) == 2


def test_a_tampered_token_is_refused(shop: Shop) -> None:
    url = issued_url(shop)
    base, token = url.rsplit("/", 1)
    nonce, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_nonce = ("A" if nonce[0] != "A" else "B") + nonce[1:]

    for forged in (f"{nonce}.{flipped}", f"{other_nonce}.{signature}", nonce, "x"):
        answer = follow(f"{base}/{forged}")
        assert answer.status_code == 404, forged
        assert answer.json()["code"] == "pay_link_unknown"
    assert audit_entries(shop.api, "paylink.use") == []
    assert follow(url).status_code == 303  # the genuine link was not spent by the forgeries


def test_the_notify_is_verified_and_taken_once_per_trade_number(shop: Shop) -> None:
    reminder = queue_message(shop.api, shop.case_id, "Npaid", "promise_reminder")
    reference = paid_link(shop)

    forged = shop.provider.pay(reference, "T-1", paid_at=API_NOW, total_amount="1.00")
    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_notify"
    assert pending(shop.api) == []

    answer = shop.provider.pay(reference, "T-1", paid_at=API_NOW)
    assert (answer.status_code, answer.text) == (200, "success")
    again = shop.provider.pay(reference, "T-1", paid_at=API_NOW)
    assert (again.status_code, again.text) == (200, "success")

    assert pending(shop.api) == [("T-1", 50_000, "pending", None)]
    assert overdue(shop.api, shop.case_id) == (150_000, [150_000])
    assert message(shop.api, reminder)[:2] == ("stopped", "paid")
    # the paid case owes more and ranks first, but rests: next case hands out the other one
    assert take(shop.client)["case_id"] == shop.other_case
    [entry] = audit_entries(shop.api, "paylink.paid")
    assert entry["after"]["trade_no"] == "T-1"
    assert entry["actor_role"] == "system"
    # the paid link asks nothing any more; the overdue left can be asked, not a cent more
    assert issue(shop, "1500.01").json()["code"] == "amount_above_debt"
    assert issue(shop, "1500.00").status_code == 201
    assert (entry["after"]["overdue_before"], entry["after"]["overdue_after"]) == (200_000, 150_000)


@pytest.mark.parametrize("channel", ["reference", "bank"])
def test_the_core_posting_of_the_same_money_confirms_it_without_counting_it_twice(
    shop: Shop, channel: str
) -> None:
    add_promise(shop.api.engine, shop.case_id, status="open", due_on=TODAY, closed_on=None)  # 500.00
    reference = paid_link(shop)
    assert shop.provider.pay(reference, "T-9", paid_at=API_NOW).status_code == 200
    assert overdue(shop.api, shop.case_id) == (150_000, [150_000])
    with shop.api.engine.connect() as connection:  # judged on booked money: open until posted
        assert connection.scalar(select(Promise.status).where(Promise.case_id == shop.case_id)) == "open"

    posted = post(
        core_system(shop.api),
        payment("P-1", "A-Npaid", "500.00", channel=reference if channel == "reference" else "bank"),
    )

    assert posted.status_code == 200, posted.text
    assert overdue(shop.api, shop.case_id) == (150_000, [150_000])  # lowered once
    assert pending(shop.api) == [("T-9", 50_000, "confirmed", "P-1")]
    with shop.api.engine.connect() as connection:
        promise = connection.execute(
            select(Promise.status, Promise.paid_amount).where(Promise.case_id == shop.case_id)
        ).one()
    assert tuple(promise) == ("kept", 50_000)  # kept once, counting the money once
    [entry] = audit_entries(shop.api, "payment.post")
    assert entry["after"]["counted_already"] is True
    assert entry["after"]["promises_kept"] == 1

    # another payment of the account is new money: counted
    assert post(core_system(shop.api), payment("P-2", "A-Npaid", "100.00")).status_code == 200
    assert overdue(shop.api, shop.case_id) == (140_000, [140_000])


def test_a_template_carries_the_link_as_pay_link() -> None:
    context = replace(sample_context(TODAY), pay_link="https://bank.example/api/v1/pay/abc.def")

    text = render("还款请点击 {{ pay_link }}", context, "zh-CN")

    assert text == "还款请点击 https://bank.example/api/v1/pay/abc.def"
    assert "pay_link" in VARIABLES


def test_a_refusal_speaks_the_callers_language(shop: Shop) -> None:
    answer = shop.api.as_(shop.collector, **{"Accept-Language": "zh-CN"}).post(
        f"/api/v1/cases/{shop.case_id}/pay-links",
        json={"account_id": "A-Npaid", "amount": "0", "currency": "CNY"},
    )

    assert answer.status_code == 422
    assert answer.json()["detail"] == "无法生成还款链接：金额必须大于零"


def test_two_deliveries_of_one_notify_at_once_record_one_pending_payment(shop: Shop) -> None:
    reference = paid_link(shop)
    form = shop.provider.notify_form(reference, "T-7", paid_at=API_NOW)
    url = shop.provider.orders[reference]["notify_url"]
    start = threading.Barrier(2)

    def deliver() -> httpx.Response:
        start.wait()
        return httpx.post(url, data=form, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: deliver(), range(2)))

    assert [(a.status_code, a.text) for a in answers] == [(200, "success")] * 2
    assert pending(shop.api) == [("T-7", 50_000, "pending", None)]
    assert overdue(shop.api, shop.case_id) == (150_000, [150_000])
    assert len(audit_entries(shop.api, "paylink.paid")) == 1


def cancel(shop: Shop, link_id: int, client: httpx.Client | None = None) -> httpx.Response:
    return (client or shop.client).post(f"/api/v1/pay-links/{link_id}/cancel")


def test_a_cancelled_link_is_gone_asks_nothing_and_cancelling_is_audited(shop: Shop) -> None:
    issued = issue(shop, "2000.00").json()
    stranger = collector(shop.api, shop.api.team("T2"))
    assert cancel(shop, issued["id"], shop.api.as_(stranger)).json()["code"] == "pay_link_not_found"
    assert cancel(shop, issued["id"], shop.api.as_(shop.api.person(Role.AUDITOR))).status_code == 403

    answer = cancel(shop, issued["id"])

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["amount"]) == ("cancelled", "2000.00")
    assert "url" not in answer.json()
    assert cancel(shop, issued["id"]).json()["status"] == "cancelled"  # again: as it is
    [entry] = audit_entries(shop.api, "paylink.cancel")
    assert (entry["actor_id"], entry["object_id"], entry["customer_id"]) == (
        shop.collector.user_id,
        str(issued["id"]),
        "Npaid",
    )
    gone = follow(issued["url"])
    assert (gone.status_code, gone.json()["state"]) == (410, "cancelled")
    assert shop.provider.orders == {}
    assert issue(shop, "2000.00").status_code == 201  # a cancelled link asks nothing any more


def test_a_used_link_cannot_be_cancelled(shop: Shop) -> None:
    issued = issue(shop).json()
    assert follow(issued["url"]).status_code == 303

    answer = cancel(shop, issued["id"])

    assert answer.status_code == 409
    assert answer.json()["code"] == "pay_link_used"
    assert audit_entries(shop.api, "paylink.cancel") == []


def leader_of(api: Api, team: int) -> Person:
    person = api.person(Role.SUPERVISOR)
    with transaction(api.engine) as session:
        session.add(TeamLeader(team_id=team, user_id=person.user_id))
    return person


def pending_report(client: httpx.Client, hours: int | None = None) -> httpx.Response:
    query = "" if hours is None else f"?older_than_hours={hours}"
    return client.get(f"/api/v1/payments/pending{query}")


def test_the_report_lists_the_pending_payments_not_posted_after_some_hours(shop: Shop) -> None:
    reference = paid_link(shop)
    assert shop.provider.pay(reference, "T-5", paid_at=API_NOW).status_code == 200
    assert pending_report(shop.api.as_(leader_of(shop.api, shop.team))).json()["items"] == []  # 24 h: not yet

    shop.api.clock.advance(timedelta(hours=25))
    reader = shop.api.as_(leader_of(shop.api, shop.team))  # signed in the next day
    answer = pending_report(reader)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "older_than_hours": 24,
        "items": [
            {
                "case_id": shop.case_id,
                "customer_id": "Npaid",
                "account_id": "A-Npaid",
                "amount": "500.00",
                "currency": "CNY",
                "trade_no": "T-5",
                "paid_at": "2026-11-21T02:00:00Z",
                "received_at": "2026-11-21T02:00:00Z",
                "hours_waiting": 25,
            }
        ],
    }
    assert len(pending_report(reader, 26).json()["items"]) == 0
    other_supervisor = shop.api.as_(leader_of(shop.api, shop.api.team("T2")))
    assert pending_report(other_supervisor).json()["items"] == []  # not their team's case
    collector_now = shop.api.as_(collector(shop.api, shop.team))
    assert pending_report(collector_now).status_code == 403  # a collector reads no reports
    assert pending_report(reader, -1).status_code == 422

    # posted by the core system: confirmed, no longer listed
    assert (
        post(core_system(shop.api), payment("P-5", "A-Npaid", "500.00", channel=reference)).status_code == 200
    )
    assert pending_report(reader).json()["items"] == []


def test_a_browser_following_a_link_that_is_gone_gets_a_page_in_its_language(shop: Shop) -> None:
    issued = issue(shop).json()
    assert cancel(shop, issued["id"]).status_code == 200
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "zh-CN,zh;q=0.9"}

    gone = httpx.get(issued["url"], headers=browser, follow_redirects=False, timeout=30)
    unknown = httpx.get(issued["url"] + "x", headers=browser | {"Accept-Language": "en"}, timeout=30)

    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("text/html")
    assert "该还款链接已不可用：已被使用、已过期或已作废" in gone.text
    assert "Npaid" not in gone.text and "500" not in gone.text
    assert unknown.status_code == 404
    assert "This payment link is not valid" in unknown.text
