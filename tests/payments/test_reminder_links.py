"""Reminders carrying a pay-now link, on SQLite and PostgreSQL: with pay-now set up, a reminder
whose template uses ``pay_link`` gets a link issued by the system in the night's transaction, for
the reminder's amount due (the installment; the overdue for a first notice) capped at what is
owed less what live links ask, tied to its message and living three days from the send time;
without pay-now the text reads well without it; a rerun issues nothing twice; a reminder stopped
by a payment cancels its link, and a link whose message was withdrawn otherwise cannot be
followed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from arrears.audit.models import AuditEntry
from arrears.audit.trail import Actor
from arrears.channels.models import OutboxMessage
from arrears.channels.reminders import load_reminders, queue_reminders
from arrears.channels.rendering import render, sample_context
from arrears.config import load_settings
from arrears.db import transaction
from arrears.payments import paylinks
from arrears.payments.models import PayLink
from arrears.payments.reminder_links import ReminderPayLinks, reminder_pay_links
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.channels.test_reminders import AS_OF, NOW, customer, messages, promise, template
from tests.channels.test_template_files import EXAMPLES, officer
from tests.channels.test_template_files import run as template_cli
from tests.payments.desk import core_system, payment, post

KEY = "a-secret-key-of-the-bank-at-least-32-characters"
LINKS = ReminderPayLinks(secret=KEY, public_url="https://bank.example/")
URL = re.compile(r"https://bank\.example/api/v1/pay/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
WITH_LINK = {
    "promise_reminder": "{{ customer_name }}您好，请于{{ promise_date | date }}还款{{ promise_amount | money }}。"
    "{% if pay_link %}点此还款：{{ pay_link }}{% endif %}",
    "first_delinquency": "您已逾期{{ overdue_amount | money }}。{% if pay_link %}还款：{{ pay_link }}{% endif %}",
}


def approve_with_links(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add_all([template(code, "zh-CN", body=body) for code, body in WITH_LINK.items()])


def night(engine: Engine, pay_links: ReminderPayLinks | None = LINKS) -> None:
    with engine.begin() as connection:
        queue_reminders(connection, AS_OF, NOW, load_reminders(), "Asia/Shanghai", pay_links)


def links(engine: Engine) -> dict[str, tuple[str, int, str, datetime, int | None]]:
    """token hash → (account, amount, status, expires_at, message id) of every link."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                PayLink.token_hash,
                PayLink.account_id,
                PayLink.amount,
                PayLink.status,
                PayLink.expires_at,
                PayLink.message_id,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]


def token_of(body: str) -> str:
    found = URL.search(body)
    assert found is not None, body
    return found.group(1)


def test_a_reminder_carries_a_link_for_its_amount_due_tied_to_its_message(engine: Engine) -> None:
    approve_with_links(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    customer(engine, "O1", opened=True)

    night(engine)

    found = messages(engine)
    reminder = found[f"reminder:promise_reminder:{promised}:2026-11-22"]
    notice = found[f"reminder:first_delinquency:C-O1:{AS_OF.isoformat()}"]
    assert reminder.body.startswith(
        "客户P1您好，请于2026年11月22日还款¥500.00。点此还款：https://bank.example/api/v1/pay/"
    )
    stored = links(engine)
    three_days_from_nine = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert stored[hashlib.sha256(token_of(reminder.body).encode()).hexdigest()] == (
        "A-P1",
        500_00,
        "issued",
        three_days_from_nine,
        reminder.id,
    )
    # a first notice asks for what is overdue
    assert stored[hashlib.sha256(token_of(notice.body).encode()).hexdigest()][1:3] == (1_500_00, "issued")
    assert sorted(audit_of(engine, "paylink.issue")) == [("system", "O1"), ("system", "P1")]

    night(engine)  # a rerun: no message, no link twice
    assert len(links(engine)) == 2


def audit_of(engine: Engine, action: str) -> list[tuple[str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.actor_role, AuditEntry.customer_id)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.seq)
        )
        return [(str(r[0]), r[1]) for r in rows]


def test_without_pay_now_the_reminder_reads_well_without_a_link(engine: Engine) -> None:
    approve_with_links(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))

    night(engine, pay_links=None)

    body = messages(engine)[f"reminder:promise_reminder:{promised}:2026-11-22"].body
    assert body == "客户P1您好，请于2026年11月22日还款¥500.00。"
    assert links(engine) == {}


def test_pay_now_for_reminders_needs_the_public_address() -> None:
    given = {
        "secret_key": KEY,
        "pay_gateway_url": "https://pay.example/gateway",
        "pay_provider_secret": "provider-secret",
    }
    assert reminder_pay_links(load_settings(**given)) is None
    made = reminder_pay_links(load_settings(**given, public_url="https://bank.example"))
    assert made == ReminderPayLinks(secret=KEY, public_url="https://bank.example")


def test_a_reminders_link_asks_no_more_than_is_owed_and_none_when_nothing_is(engine: Engine) -> None:
    approve_with_links(engine)
    short = promise(engine, customer(engine, "S1"), date(2026, 11, 22))
    owed = promise(engine, customer(engine, "S2"), date(2026, 11, 22))
    with transaction(engine) as session:  # live links ask 1,400.00 of S1's 1,500.00, all of S2's
        for case_id, amount in (("C-S1", 1_400_00), ("C-S2", 1_500_00)):
            assert paylinks.issue_for_reminder(
                session, case_id, amount, NOW, NOW + timedelta(days=1), secret=KEY
            )

    night(engine)

    found = messages(engine)
    short_body = found[f"reminder:promise_reminder:{short}:2026-11-22"].body
    assert links(engine)[hashlib.sha256(token_of(short_body).encode()).hexdigest()][1] == 100_00
    assert found[f"reminder:promise_reminder:{owed}:2026-11-22"].body.endswith("¥500.00。")  # no link


def test_a_reminder_stopped_by_a_payment_cancels_its_link(api: Api) -> None:
    approve_with_links(api.engine)
    promise(api.engine, customer(api.engine, "P1"), date(2026, 11, 22))
    night(api.engine)
    [(token_hash, (_, _, status, _, message_id))] = links(api.engine).items()
    assert status == "issued"
    with api.engine.connect() as connection:  # queued by the night (not refused by its gate)
        queued = connection.execute(
            select(OutboxMessage.state, OutboxMessage.stop_reason).where(OutboxMessage.id == message_id)
        ).one()
    assert tuple(queued) == ("queued", None)

    assert post(core_system(api), payment("P-1", "A-P1", "100.00")).status_code == 200

    with api.engine.connect() as connection:
        state = connection.scalar(select(OutboxMessage.state).where(OutboxMessage.id == message_id))
    assert state == "stopped"
    assert links(api.engine)[token_hash][2] == "cancelled"
    [entry] = audit_entries(api, "paylink.cancel")
    assert (entry["actor_role"], entry["customer_id"], entry["reason"]) == (
        "system",
        "P1",
        f"message {message_id} stopped",
    )


def test_a_link_whose_message_was_withdrawn_cannot_be_followed(engine: Engine) -> None:
    approve_with_links(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    night(engine)
    reminder = messages(engine)[f"reminder:promise_reminder:{promised}:2026-11-22"]
    with engine.begin() as connection:  # cancelled in the outbox (or stopped by its gate)
        connection.execute(
            update(OutboxMessage).values(state="stopped").where(OutboxMessage.id == reminder.id)
        )
    visitor = Actor(user_id=None, name="pay link", role="anonymous")

    with transaction(engine) as session, pytest.raises(paylinks.PayLinkGoneError) as gone:
        paylinks.use_link(session, token_of(reminder.body), NOW, secret=KEY, actor=visitor)

    assert gone.value.extensions == {"state": "cancelled"}
    with transaction(engine) as session:  # and it asks nothing any more
        assert paylinks.issue_for_reminder(session, "C-P1", None, NOW, NOW + timedelta(days=1), secret=KEY)
        amounts = session.scalars(select(func.sum(PayLink.amount))).one()
    assert amounts == 500_00 + 1_500_00


def test_the_next_night_stores_a_withdrawn_reminders_link_as_cancelled(engine: Engine) -> None:
    approve_with_links(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    night(engine)
    reminder = messages(engine)[f"reminder:promise_reminder:{promised}:2026-11-22"]
    with engine.begin() as connection:  # cancelled in the outbox (or stopped by its gate)
        connection.execute(
            update(OutboxMessage).values(state="stopped").where(OutboxMessage.id == reminder.id)
        )
    assert [status for _, _, status, _, m in links(engine).values() if m == reminder.id] == ["issued"]

    night(engine)

    assert [status for _, _, status, _, m in links(engine).values() if m == reminder.id] == ["cancelled"]
    with engine.connect() as connection:
        reasons = connection.execute(
            select(AuditEntry.reason).where(AuditEntry.action == "paylink.cancel")
        ).scalars()
        assert list(reasons) == [f"message {reminder.id} stopped"]


@pytest.mark.parametrize("pay_now", [True, False], ids=["pay-now", "no-pay-now"])
def test_the_shipped_templates_carry_the_link_only_when_there_is_one(
    command_line_database: Engine, pay_now: bool
) -> None:
    engine = command_line_database
    officer(engine)
    assert template_cli("load", str(EXAMPLES), "--approve-as", "demo-compliance").exit_code == 0
    promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    promise(engine, customer(engine, "P2", language="en"), date(2026, 11, 22))
    promise(engine, customer(engine, "B1"), date(2026, 11, 19), status="broken")
    customer(engine, "O1", opened=True)
    customer(engine, "O2", opened=True, language="en")

    night(engine, pay_links=LINKS if pay_now else None)

    sent = [m for m in messages(engine).values() if m.channel != "letter"]
    assert len(sent) == 5
    for message in sent:
        assert (URL.search(message.body) is not None) is pay_now, message.body
        assert "  " not in message.body.replace("\n", "")  # reads well either way


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_shipped_e_mail_reads_well_with_and_without_a_link(language: str) -> None:
    source = (EXAMPLES / f"first_delinquency.email.{language}.txt").read_text("utf-8").split("---\n", 2)[2]
    url = "https://bank.example/api/v1/pay/abc.def"

    with_link = render(source, replace(sample_context(AS_OF), pay_link=url), language)
    without = render(source, replace(sample_context(AS_OF), pay_link=None), language)

    assert f"\n\n{url}\n\n" in with_link
    assert url not in without and "\n\n\n" not in without
    assert without.count("\n\n") == with_link.count("\n\n") - 2
