"""What the portal's tests share: a recording SMS provider, two customers with a case each, and
``portal``, which signs a customer in with the code sent through the outbox and sends the
portal's forms as the page gives them (their hidden fields: the CSRF token, a new idempotency
key, the case and its currency)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import httpx
import pytest
from sqlalchemy import insert

from arrears.auth.models import User
from arrears.channels.providers.base import Accepted, Outgoing
from arrears.channels.worker import work
from arrears.portfolio.models import Installment
from tests.api.conftest import Api
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import Queued, add_cases, case_id_of
from tests.web.conftest import collector_with_password, hidden

_FORM = re.compile(r'<form method="post" action="(?P<action>[^"]+)"[^>]*>(?P<body>.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)">')


@dataclass
class RecordingSms:
    """A provider that keeps what it is handed (an SMS gateway's stand-in at the outside edge)."""

    name: str = "recording"
    channel: str = "sms"
    finds: bool = False
    """It cannot be asked about a message: each send is settled on its own."""
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> Accepted:
        self.sent.append(message)
        return Accepted(f"rec-{message.message_id}")

    def find(self, message: Outgoing) -> Accepted | None:
        return None


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


def people(api: Api, signed_up: Callable[..., User]) -> User:
    """Two customers (N a, N b) with a mobile, an account, 3 installments and an open case each,
    assigned to the collector li.lei, who is answered."""
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    collector = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, collector.id, overdue=300_000), Queued("b", team, collector.id)])
    with api.engine.begin() as connection:
        connection.execute(
            insert(Installment),
            [
                {
                    "account_id": f"A-N{key}",
                    "seq": seq,
                    "due_date": date(2026, 9 + seq, 7),
                    "currency": "CNY",
                    "amount_due": 100_000,
                }
                for key in ("a", "b")
                for seq in (1, 2, 3)
            ],
        )
    return collector


def send(api: Api, sms: RecordingSms) -> None:
    """The outbox's worker, once, with the recording provider for SMS."""
    work(api.engine, {"sms": sms}, api.clock, once=True, settings=api.app.state.context.settings)


def ask(client: httpx.Client, account: str) -> httpx.Response:
    form = client.get("/portal/sign-in")
    assert form.status_code == 200, form.text
    return client.post(
        "/portal/sign-in", data={"account": account, "form_token": hidden(form.text, "form_token")}
    )


def give(client: httpx.Client, code: str) -> httpx.Response:
    form = client.get("/portal/code")
    assert form.status_code == 200, form.text
    return client.post("/portal/code", data={"code": code, "form_token": hidden(form.text, "form_token")})


def code_sent(sms: RecordingSms) -> str:
    found = re.search(r"\b(\d{6})\b", sms.sent[-1].body)
    assert found, sms.sent[-1].body
    return found[1]


def signed_in_customer(client: httpx.Client, api: Api, sms: RecordingSms, account: str) -> None:
    assert ask(client, account).status_code == 303
    send(api, sms)
    answer = give(client, code_sent(sms))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal"


def form_fields(page: str, action: str, case: str | None = None) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``action`` (of case ``case``)."""
    for found in _FORM.finditer(page):
        fields = {m["name"]: m["value"] for m in _HIDDEN.finditer(found["body"])}
        if found["action"] == action and (case is None or fields.get("case_id") == case_id_of(case)):
            return fields
    raise AssertionError(f"no form to {action} of case {case} on the page")


@dataclass
class Portal:
    """The served app with its two customers; see the module."""

    api: Api
    sms: RecordingSms
    browser: Callable[..., httpx.Client]

    def customer(self, account: str = "A-Na", language: str = "en") -> httpx.Client:
        client = self.browser(language)
        signed_in_customer(client, self.api, self.sms, account)
        return client

    def post(
        self, client: httpx.Client, action: str, case: str | None = "a", **fields: str
    ) -> httpx.Response:
        """Send the form to ``action`` of the case ``case`` as the portal's page gives it, with
        ``fields`` typed in (or over its hidden fields)."""
        page = client.get("/portal")
        assert page.status_code == 200, page.text
        return client.post(action, data=form_fields(page.text, action, case) | fields)


@pytest.fixture
def portal(
    api: Api,
    browser: Callable[..., httpx.Client],
    signed_up: Callable[..., User],
    cheap_hashing: object,
    sms: RecordingSms,
) -> Portal:
    people(api, signed_up)
    context = api.app.state.context  # no floor under the code's answer (one test sets its own)
    context.settings = context.settings.model_copy(update={"portal_code_answer_ms": 0})
    return Portal(api, sms, browser)
