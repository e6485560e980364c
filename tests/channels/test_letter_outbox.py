"""Letters through the outbox: a letter queued for a customer goes to the debtor's postal address,
passes the gate at send time as a ``letter`` contact, and ends as a PDF whose text holds the
name, the address and the letter's elements; a worker that died after writing it does not
print it twice."""

from __future__ import annotations

import random
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, insert, select, update

from arrears.audit.trail import SYSTEM
from arrears.channels.models import MessageState, OutboxMessage
from arrears.channels.outbox import InvalidMessageError, queue_message
from arrears.channels.providers.letters import LetterProvider
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint
from tests.channels.helpers import NOW, message, seed, settings_for

ADDRESS = "上海市浦东新区世纪大道100号"
SUBJECT = "催收函"
BODY = (
    "尊敬的王小明：\n\n您的信用卡欠款金额¥1,234.56，因未按约定还款已逾期。\n\n"
    "您有权对欠款提出异议申请，联系电话：400-800-9588。"
)
TODAY = date(2026, 11, 21)


def with_address(engine: Engine, customer_id: str, value: str = ADDRESS) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(ContactPoint)
                .values(customer_id=customer_id, type="address", value=value, party="debtor", is_primary=True)
                .returning(ContactPoint.id)
            ).scalar_one()
        )


def queue_letter(engine: Engine, customer_id: str, key: str) -> int:
    with transaction(engine) as session:
        return queue_message(
            session,
            SYSTEM,
            channel="letter",
            customer_id=customer_id,
            case_id=f"C-{customer_id}",
            contact_point_id=None,
            language="zh-CN",
            subject=SUBJECT,
            body=BODY,
            purpose="first_notice",
            idempotency_key=key,
            now=NOW,
        ).id


def work_letters(engine: Engine, outbox: Path, clock: FixedClock) -> None:
    provider = LetterProvider(outbox, lambda: TODAY)
    work(engine, {"letter": provider}, clock, once=True, settings=settings_for(engine), rng=random.Random(1))


def pdf_text(path: Path) -> str:
    return "".join(
        "".join(page.extract_text().split()) for page in PdfReader(BytesIO(path.read_bytes())).pages
    )


def test_a_letter_is_worked_to_a_pdf_and_recorded_as_a_letter_contact(engine: Engine, tmp_path: Path) -> None:
    customer_id, _email = seed(engine)[0]
    address = with_address(engine, customer_id)
    ident = queue_letter(engine, customer_id, "first-notice-1")
    assert message(engine, ident).contact_point_id == address

    work_letters(engine, tmp_path, FixedClock(NOW))

    sent = message(engine, ident)
    assert (sent.state, sent.provider, sent.provider_message_id) == (
        "sent",
        "letters",
        "letters/2026-11-21/first-notice-1.pdf",
    )
    text = pdf_text(tmp_path / "letters" / "2026-11-21" / "first-notice-1.pdf")
    for fragment in (
        "王小明",
        ADDRESS,
        SUBJECT,
        "欠款金额¥1,234.56",
        "您有权",
        "提出异议申请",
        "编号:C-M00000-20261121",
    ):
        assert fragment in text, fragment
    with transaction(engine) as session:
        contact = session.get(Contact, sent.contact_id)
        assert contact is not None
        assert (contact.channel, contact.disposition, contact.contact_point_id) == (
            "letter",
            "message_sent",
            address,
        )
    assert [p.name for p in (tmp_path / "letters").rglob("*") if p.is_file()] == ["first-notice-1.pdf"]


def test_a_letter_written_before_its_worker_died_is_not_printed_twice(engine: Engine, tmp_path: Path) -> None:
    customer_id, _email = seed(engine)[0]
    with_address(engine, customer_id)
    ident = queue_letter(engine, customer_id, "first-notice-2")
    clock = FixedClock(NOW)
    work_letters(engine, tmp_path, clock)
    written = tmp_path / "letters" / "2026-11-21" / "first-notice-2.pdf"
    before = written.stat().st_mtime_ns
    with engine.begin() as connection:  # as if the worker died before it marked the letter sent
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ident)
            .values(state=MessageState.SENDING, next_attempt_at=NOW, provider_message_id=None)
        )
    clock.advance(timedelta(minutes=1))
    work_letters(engine, tmp_path, clock)
    row = message(engine, ident)
    assert (row.state, row.provider_message_id) == ("sent", "letters/2026-11-21/first-notice-2.pdf")
    assert written.stat().st_mtime_ns == before
    with transaction(engine) as session:
        assert len(list(session.scalars(select(Contact.id)))) == 1


def test_a_customer_without_a_postal_address_gets_no_letter(engine: Engine) -> None:
    customer_id, _email = seed(engine)[0]
    with pytest.raises(InvalidMessageError):
        queue_letter(engine, customer_id, "first-notice-3")
