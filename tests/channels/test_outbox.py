"""Queueing is idempotent by key; a different content under a used key is refused; people cancel
a queued message and send a dead one again; the counts per channel and state."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.channels import outbox
from arrears.channels.models import MessageEvent, MessageState, OutboxMessage
from arrears.channels.outbox import KeyReusedError, MessageStateError, queue_message
from arrears.db import transaction
from arrears.errors import PermissionDeniedError, PreconditionFailedError
from tests.channels.helpers import NOW, events, message, queue, seed
from tests.conftest import DATABASES


def _count(engine: Engine, what: object) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_the_same_key_queues_one_message(engine: Engine) -> None:
    customer = seed(engine)[0]
    first = queue(engine, customer, "reminder-1")
    again = queue(engine, customer, "reminder-1", now=NOW + timedelta(minutes=5))
    assert again == first
    assert _count(engine, OutboxMessage) == 1
    assert events(engine, first) == [("queued", "manual")]
    with transaction(engine) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions == ["message.queue"]
    row = message(engine, first)
    assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 0, NOW)


def test_a_used_key_with_another_content_is_refused(engine: Engine) -> None:
    customer = seed(engine)[0]
    queue(engine, customer, "reminder-1")
    with pytest.raises(KeyReusedError) as refused:
        queue(engine, customer, "reminder-1", language="en")
    assert "language" in str(refused.value) and "subject" in str(refused.value)
    assert _count(engine, OutboxMessage) == 1


def test_a_key_raced_inside_one_transaction_is_one_row(engine: Engine) -> None:
    customer = seed(engine)[0]
    with transaction(engine) as session:
        made = [
            queue_message(
                session,
                SYSTEM,
                channel="sms",
                customer_id=customer[0],
                case_id=f"C-{customer[0]}",
                contact_point_id=customer[1],
                language="zh-CN",
                subject=None,
                body="您的账单已逾期",
                purpose="manual",
                idempotency_key="k",
                now=NOW,
            )
            for _ in range(2)
        ]
        assert made[0] is made[1]
    assert _count(engine, MessageEvent) == 1


def _principal(role: Role) -> Principal:
    return Principal(user_id=1, username=role.value, role=role)


def test_cancel_and_resend(engine: Engine) -> None:
    customer = seed(engine)[0]
    ident = queue(engine, customer, "m1")
    admin = _principal(Role.ADMINISTRATOR)
    with transaction(engine) as session:
        with pytest.raises(PermissionDeniedError):
            outbox.cancel(
                session, _principal(Role.COLLECTOR), ident, "no longer due", 1, now=NOW, today=NOW.date()
            )
        with pytest.raises(PreconditionFailedError):
            outbox.cancel(session, admin, ident, "no longer due", 7, now=NOW, today=NOW.date())
        cancelled = outbox.cancel(
            session, admin, ident, "customer paid at the branch", 1, now=NOW, today=NOW.date()
        )
        assert (cancelled.state, cancelled.stop_reason) == (
            "stopped",
            "cancelled: customer paid at the branch",
        )
        with pytest.raises(MessageStateError):
            outbox.cancel(
                session, admin, ident, "customer paid at the branch", None, now=NOW, today=NOW.date()
            )
        with pytest.raises(MessageStateError):
            outbox.resend(session, admin, ident, "try it once more", None, now=NOW, today=NOW.date())
    dead = queue(engine, customer, "m2")
    with transaction(engine) as session:
        row = session.get(OutboxMessage, dead)
        assert row is not None
        row.state, row.attempts, row.last_error = MessageState.DEAD, 3, "smtp_550: no such user"
    with transaction(engine) as session:
        again = outbox.resend(session, admin, dead, "address corrected", None, now=NOW, today=NOW.date())
        assert (again.state, again.attempts, again.next_attempt_at) == ("queued", 0, NOW)
        assert outbox.counts(session)["email"] == {
            **dict.fromkeys((s.value for s in MessageState), 0),
            "stopped": 1,
            "queued": 1,
        }
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["message.queue", "message.cancel", "message.queue", "message.resend"]
    assert events(engine, dead)[-1] == ("queued", "resend: address corrected")


@pytest.mark.parametrize("database_kind", [DATABASES[1]], indirect=True)
def test_two_callers_racing_on_one_key_make_one_message(engine: Engine) -> None:
    customer = seed(engine)[0]
    ready = threading.Barrier(2)
    made: list[int] = []

    def caller() -> None:
        with transaction(engine) as session:
            ready.wait(10)
            message = queue_message(
                session,
                SYSTEM,
                channel="email",
                customer_id=customer[0],
                case_id=f"C-{customer[0]}",
                contact_point_id=customer[1],
                language="zh-CN",
                subject="还款提醒",
                body="您的账单已逾期",
                purpose="manual",
                idempotency_key="raced",
                now=NOW,
            )
            made.append(message.id)

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 2 and made[0] == made[1]
    assert _count(engine, OutboxMessage) == 1 and _count(engine, MessageEvent) == 1


def _queue_text(engine: Engine, customer: tuple[str, int], key: str, body: str) -> int:
    with transaction(engine) as session:
        return queue_message(
            session,
            SYSTEM,
            channel="sms",
            customer_id=customer[0],
            case_id=f"C-{customer[0]}",
            contact_point_id=customer[1],
            language="zh-CN",
            subject=None,
            body=body,
            purpose="manual",
            idempotency_key=key,
            now=NOW,
        ).id


def test_a_message_the_conduct_checker_flags_is_refused_never_queued(engine: Engine) -> None:
    customer = seed(engine, point="mobile")[0]
    refused = _queue_text(engine, customer, "bad-1", "王小明你这个老赖，再不还钱就通知你单位领导")
    fine = _queue_text(engine, customer, "fine-1", "王小明您好，您的账单已逾期3天，如有困难请来电协商")
    bad, good = message(engine, refused), message(engine, fine)
    assert (bad.state, good.state) == ("stopped", "queued")
    assert (
        bad.stop_reason is not None and bad.stop_reason.startswith("content: ") and "老赖" in bad.stop_reason
    )
    assert events(engine, refused) == [("stopped", bad.stop_reason)]
    with transaction(engine) as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.rules, AuditEntry.after).order_by(AuditEntry.seq)
        ).all()
    assert [e.action for e in entries] == ["message.refused", "message.queue"]
    assert entries[0].rules and "insult" in entries[0].rules and "老赖" not in str(entries[0])
    assert _queue_text(engine, customer, "bad-1", "王小明你这个老赖，再不还钱就通知你单位领导") == refused


def test_queue_many_refuses_the_flagged_message_and_queues_the_rest(engine: Engine) -> None:
    customer = seed(engine, point="mobile")[0]
    spec = {
        "channel": "sms",
        "customer_id": customer[0],
        "case_id": f"C-{customer[0]}",
        "contact_point_id": customer[1],
        "language": "zh-CN",
        "subject": None,
        "purpose": "reminder",
    }
    texts = {"ok-1": "您的账单今日到期，请按时还款", "bad-2": "今晚十一点我们再打给你，不接就上门"}
    with transaction(engine) as session:
        done = outbox.queue_many(
            session, SYSTEM, [spec | {"idempotency_key": k, "body": t} for k, t in texts.items()], now=NOW
        )
    states = {q.message.idempotency_key: q.message.state for q in done}
    assert states == {"ok-1": "queued", "bad-2": "stopped"}
    with transaction(engine) as session:
        actions = sorted(session.scalars(select(AuditEntry.action)).all())
    assert actions == ["message.queue", "message.refused"]
