"""The nightly reminders: each kind on its night, with the approved template of the customer's
language, at the configured local time; a rerun queues nothing twice; a missing template, a hold,
a plan in force or a missing contact point skips and counts; the file's errors name file, line
and key; a few thousand promises are reminded in statements that do not grow with them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from arrears.arrangements.models import (
    Arrangement,
    ArrangementInstallment,
    Promise,
    PromiseInstallment,
)
from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.audit.verify import verify
from arrears.batch.orchestrator import run_batch
from arrears.cases.models import Case, CaseAccount, CaseEvent
from arrears.channels.models import MessageState, MessageTemplate, OutboxMessage
from arrears.channels.outbox import KeyReusedError, queue_many
from arrears.channels.providers.letters import LetterProvider
from arrears.channels.reminders import (
    ReminderOutcome,
    RemindersFileError,
    load_reminders,
    queue_reminders,
)
from arrears.channels.worker import work
from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import AccountFact, InstallmentFact
from arrears.delinquency.rules import DelinquencyRules
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, ContactPoint, Customer
from arrears.yamlfile import parse_yaml, validate
from tests.batch.book import insert_book
from tests.channels.helpers import settings_for

AS_OF = date(2026, 11, 20)
SEND_DAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
"""02:30 on the send day in Shanghai: the night's batch."""
NINE_IN_SHANGHAI = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
TEN_IN_SHANGHAI = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
BODIES = {
    ("promise_reminder", "zh-CN"): "{{ customer_name }}您好，您承诺于{{ promise_date | date }}还款"
    "{{ promise_amount | money }}。{{ opt_out }}",
    ("promise_reminder", "en"): "Dear {{ customer_name }}, you promised {{ promise_amount | money }} "
    "on {{ promise_date | date }}. {{ opt_out }}",
    ("plan_reminder", "zh-CN"): "您的还款计划将于{{ promise_date | date }}到期{{ promise_amount | money }}。",
    ("broken_promise", "zh-CN"): "您未按承诺还款，尚欠{{ promise_amount | money }}。",
    ("first_delinquency", "zh-CN"): "您的{{ product_name }}已逾期{{ overdue_amount | money }}。",
}


def template(code: str, language: str, channel: str = "sms", **more: Any) -> MessageTemplate:
    return MessageTemplate(
        code=code,
        channel=channel,
        language=language,
        number=1,
        status=more.pop("status", "approved"),
        subject=more.pop("subject", None),
        body=more.pop("body", BODIES.get((code, language), "{{ customer_name }}")),
        late_policy=more.pop("late_policy", "wait"),
        valid_hours=more.pop("valid_hours", None),
        created_at=NOW - timedelta(days=10),
    )


def approve_all(engine: Engine) -> dict[tuple[str, str, str], int]:
    """Every shipped kind approved in zh-CN, the promise reminder in English too, and a letter."""
    rows = [template(code, language) for code, language in BODIES]
    rows.append(
        template(
            "first_delinquency",
            "zh-CN",
            "letter",
            subject="逾期通知",
            body="{{ customer_name }}：寄往{{ postal_address }}",
            late_policy="expire",
            valid_hours=72,
        )
    )
    with transaction(engine) as session:
        session.add_all(rows)
        session.flush()
        return {(row.code, row.channel, row.language): row.id for row in rows}


def customer(
    engine: Engine,
    customer_id: str,
    *,
    language: str = "zh-CN",
    zone: str | None = "Asia/Shanghai",
    product: str = "credit_card",
    points: tuple[str, ...] = ("mobile", "address"),
    opened: bool = False,
) -> str:
    """A customer with an open case of one account; answers the case id."""
    case_id = f"C-{customer_id}"
    with transaction(engine) as session:
        session.add(
            Customer(customer_id=customer_id, name=f"客户{customer_id}", language=language, timezone=zone)
        )
        session.flush()
        for n, kind in enumerate(points):
            value = {
                "mobile": f"1380000{n:04d}",
                "email": "c@example.cn",
                "address": "北京市朝阳区建国路88号",
            }
            session.add(
                ContactPoint(
                    customer_id=customer_id, type=kind, value=value[kind], is_primary=True, party="debtor"
                )
            )
        session.add(
            Account(
                account_id=f"A-{customer_id}",
                customer_id=customer_id,
                product=product,
                currency="CNY",
                opened_on=date(2024, 1, 1),
            )
        )
        session.add(
            Case(
                case_id=case_id,
                customer_id=customer_id,
                status="open",
                opened_on=AS_OF if opened else date(2026, 10, 1),
                worst_dpd=1 if opened else 50,
                bucket="M1",
                overdue_total=1_500_00,
                currency="CNY",
                worst_account_id=f"A-{customer_id}",
                account_count=1,
                updated_on=AS_OF,
            )
        )
        session.flush()
        session.add(
            CaseAccount(
                case_id=case_id,
                account_id=f"A-{customer_id}",
                joined_on=date(2026, 10, 1),
                delinquent=True,
                dpd=50,
                bucket="M2",
                overdue_amount=1_500_00,
                currency="CNY",
                account_status="active",
            )
        )
        if opened:
            session.add(CaseEvent(case_id=case_id, occurred_on=AS_OF, kind="opened", as_of=AS_OF))
    return case_id


def promise(engine: Engine, case_id: str, due_on: date, *, status: str = "open") -> int:
    with transaction(engine) as session:
        row = Promise(
            case_id=case_id,
            currency="CNY",
            amount=500_00,
            paid_amount=0,
            status=status,
            taken_at=NOW - timedelta(days=5),
            taken_on=AS_OF - timedelta(days=5),
            first_due_on=due_on,
            last_due_on=due_on,
            closed_on=AS_OF if status == "broken" else None,
        )
        session.add(row)
        session.flush()
        session.add(
            PromiseInstallment(
                promise_id=row.id, seq=1, due_on=due_on, amount=500_00, paid_amount=0, status=status
            )
        )
        return row.id


def plan(engine: Engine, case_id: str, due_on: date) -> int:
    with transaction(engine) as session:
        row = Arrangement(
            case_id=case_id,
            kind="plan",
            method="equal",
            rounding="last",
            status="active",
            currency="CNY",
            owed_amount=1_500_00,
            total_amount=1_500_00,
            installment_count=3,
            needs_approval=False,
            proposed_at=NOW - timedelta(days=40),
            starts_on=AS_OF - timedelta(days=30),
        )
        session.add(row)
        session.flush()
        for seq in range(3):
            session.add(
                ArrangementInstallment(
                    arrangement_id=row.id,
                    seq=seq + 1,
                    due_on=due_on + timedelta(days=30 * (seq - 1)),
                    amount=500_00,
                    paid_amount=0,
                    status="paid" if seq == 0 else "open",
                )
            )
        return row.id


def night(
    engine: Engine, as_of: date = AS_OF, config_text: str | None = None, now: datetime = NOW
) -> ReminderOutcome:
    config = (
        load_reminders()
        if config_text is None
        else validate(parse_yaml(config_text, "r.yaml"), type(load_reminders()))
    )
    with engine.begin() as connection:
        return queue_reminders(connection, as_of, now, config, "Asia/Shanghai")


def messages(engine: Engine) -> dict[str, OutboxMessage]:
    with transaction(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        session.expunge_all()
        return {row.idempotency_key: row for row in rows}


def test_each_kind_is_queued_on_its_night_with_its_template_language_and_time(engine: Engine) -> None:
    ids = approve_all(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    english = promise(
        engine, customer(engine, "P2", language="en-GB", zone="Europe/London"), date(2026, 11, 22)
    )
    promise(engine, customer(engine, "P3"), date(2026, 11, 23))  # due the day after: not tonight
    planned = plan(engine, customer(engine, "L1"), date(2026, 11, 24))
    broken = promise(engine, customer(engine, "B1"), date(2026, 11, 19), status="broken")
    opened = customer(engine, "O1", opened=True)
    mortgage = customer(engine, "O2", opened=True, product="mortgage")

    outcome = night(engine)

    found = messages(engine)
    assert sorted(found) == sorted(
        [
            f"reminder:promise_reminder:{promised}:2026-11-22",
            f"reminder:promise_reminder:{english}:2026-11-22",
            f"reminder:plan_reminder:{planned}:2026-11-24",
            f"reminder:broken_promise:{broken}:2026-11-20",
            f"reminder:first_delinquency:{opened}:2026-11-20",
            f"reminder:first_delinquency:{mortgage}:2026-11-20",
        ]
    )
    assert outcome.queued == 6 and not outcome.skipped
    zh = found[f"reminder:promise_reminder:{promised}:2026-11-22"]
    assert zh.body == "客户P1您好，您承诺于2026年11月22日还款¥500.00。拒收请回复TD"
    assert (zh.channel, zh.language, zh.template_id) == (
        "sms",
        "zh-CN",
        ids[("promise_reminder", "sms", "zh-CN")],
    )
    assert zh.next_attempt_at == NINE_IN_SHANGHAI and zh.not_after == NINE_IN_SHANGHAI + timedelta(hours=12)
    assert zh.contact_point_id is not None and zh.purpose == "promise_reminder"
    en = found[f"reminder:promise_reminder:{english}:2026-11-22"]
    assert en.body.startswith("Dear 客户P2, you promised CN¥500.00 on November 22, 2026.")
    assert en.language == "en" and en.next_attempt_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert (
        found[f"reminder:plan_reminder:{planned}:2026-11-24"].body
        == "您的还款计划将于2026年11月24日到期¥500.00。"
    )
    assert found[f"reminder:broken_promise:{broken}:2026-11-20"].next_attempt_at == TEN_IN_SHANGHAI
    first = found[f"reminder:first_delinquency:{opened}:2026-11-20"]
    assert (first.channel, first.body) == ("sms", "您的信用卡已逾期¥1,500.00。")
    letter = found[f"reminder:first_delinquency:{mortgage}:2026-11-20"]
    assert (letter.channel, letter.subject) == ("letter", "逾期通知")
    assert letter.contact_point_id == address_of(engine, letter.customer_id)
    assert letter.body == "客户O2：寄往北京市朝阳区建国路88号"
    assert (letter.late_policy, letter.not_after) == ("expire", TEN_IN_SHANGHAI + timedelta(hours=72))
    assert outcome.note() == "reminders 提醒: 6 queued"


def test_a_rerun_of_the_night_queues_nothing_twice(engine: Engine) -> None:
    approve_all(engine)
    promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    customer(engine, "O1", opened=True)
    assert night(engine).queued == 2

    again = night(engine)

    assert (again.queued, again.already, again.skipped) == (0, 2, {})
    assert len(messages(engine)) == 2
    assert again.note() == "reminders 提醒: 0 queued, 2 queued before"
    with engine.connect() as connection:
        assert verify(connection).intact
        audited = connection.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "message.queue"))
        assert sorted(audited) == sorted(str(m.id) for m in messages(engine).values())


def test_queue_many_answers_a_key_already_there_and_refuses_it_with_another_content(engine: Engine) -> None:
    customer(engine, "P1")
    spec = {
        "channel": "sms",
        "customer_id": "P1",
        "case_id": "C-P1",
        "contact_point_id": None,
        "language": "zh-CN",
        "subject": None,
        "body": "您好",
        "purpose": "manual",
        "template_id": None,
        "idempotency_key": "k-1",
        "send_from": NINE_IN_SHANGHAI,
    }
    with transaction(engine) as session:
        (first,) = queue_many(session, SYSTEM, [spec], now=NOW)
    with transaction(engine) as session:
        again, second = queue_many(session, SYSTEM, [spec, spec | {"idempotency_key": "k-2"}], now=NOW)
        assert (first.created, again.created, second.created) == (True, False, True)
        assert again.message.id == first.message.id
    assert messages(engine)["k-2"].next_attempt_at == NINE_IN_SHANGHAI
    with pytest.raises(KeyReusedError), transaction(engine) as session:
        queue_many(session, SYSTEM, [spec | {"body": "另一条"}], now=NOW)
    with engine.connect() as connection:
        assert verify(connection).intact


def test_without_an_approved_template_a_reminder_is_skipped_and_counted(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(template("promise_reminder", "zh-CN", status="draft"))
        session.add(template("first_delinquency", "en"))  # an English one is no use to zh-CN
    promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    customer(engine, "O1", opened=True)

    outcome = night(engine)

    assert outcome.queued == 0 and outcome.skipped == {"no approved template": 2}
    assert messages(engine) == {}
    assert outcome.note() == "reminders 提醒: 0 queued, 2 skipped: no approved template 2"


def test_an_english_customer_gets_the_chinese_version_when_no_english_one_is_approved(engine: Engine) -> None:
    approve_all(engine)
    customer(engine, "O1", opened=True, language="en")
    night(engine)
    (only,) = messages(engine).values()
    assert only.language == "zh-CN" and only.body.startswith("您的信用卡")


def test_a_hold_a_plan_in_force_or_no_contact_point_skips(engine: Engine) -> None:
    approve_all(engine)
    held = customer(engine, "H1")
    promise(engine, held, date(2026, 11, 22))
    with transaction(engine) as session:
        session.add(Hold(customer_id="H1", kind="cease", evidence="客户来电要求停止联系", placed_at=NOW))
        session.add(Hold(customer_id="H1", kind="vulnerability", evidence="x" * 8, placed_at=NOW))
    lifted = customer(engine, "H2")
    promise(engine, lifted, date(2026, 11, 22))
    with transaction(engine) as session:
        session.add(
            Hold(
                customer_id="H2", kind="cease", evidence="客户来电要求停止联系", placed_at=NOW, lifted_at=NOW
            )
        )
    planned = customer(engine, "L1")
    promise(engine, planned, date(2026, 11, 22))
    arrangement = plan(engine, planned, date(2026, 11, 24))
    promise(engine, customer(engine, "N1", points=("email",)), date(2026, 11, 22))

    outcome = night(engine)

    assert outcome.skipped == {"hold": 1, "plan in force": 1, "no contact point": 1}
    assert sorted(messages(engine)) == sorted(
        [
            f"reminder:plan_reminder:{arrangement}:2026-11-24",  # the plan's own reminder goes out
            f"reminder:promise_reminder:{promise_id(engine, lifted)}:2026-11-22",
        ]
    )


def test_a_night_run_again_long_after_skips_what_expired(engine: Engine) -> None:
    approve_all(engine)
    promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    customer(engine, "O1", opened=True)
    outcome = night(engine, now=NOW + timedelta(days=1))  # the SMS was good until 21:00 on the 21st
    assert outcome.skipped == {"past its validity": 1} and outcome.queued == 1
    (late,) = messages(engine).values()
    assert late.purpose == "first_delinquency" and late.next_attempt_at == NOW + timedelta(days=1)


def test_two_installments_of_one_promise_due_the_same_day_make_one_reminder(engine: Engine) -> None:
    approve_all(engine)
    promised = promise(engine, customer(engine, "P1"), date(2026, 11, 22))
    with transaction(engine) as session:
        session.add(
            PromiseInstallment(
                promise_id=promised,
                seq=2,
                due_on=date(2026, 11, 22),
                amount=300_00,
                paid_amount=0,
                status="open",
            )
        )
    assert night(engine).queued == 1
    assert list(messages(engine)) == [f"reminder:promise_reminder:{promised}:2026-11-22"]


def promise_id(engine: Engine, case_id: str) -> int:
    with transaction(engine) as session:
        return session.scalars(select(Promise.id).where(Promise.case_id == case_id)).one()


def test_the_configuration_picks_the_most_specific_entry_and_can_disable(engine: Engine) -> None:
    approve_all(engine)
    promise(engine, customer(engine, "P1"), date(2026, 11, 24))
    customer(engine, "O1", opened=True)
    config = """\
reminders:
  - kind: promise_reminder
    template: promise_reminder
    days_before: 1
  - kind: promise_reminder
    language: zh-CN
    template: promise_reminder
    days_before: 3
    send_at: "20:30"
  - kind: first_delinquency
    enabled: false
    template: first_delinquency
"""
    outcome = night(engine, config_text=config)
    (only,) = messages(engine).values()
    assert outcome.queued == 1 and only.purpose == "promise_reminder"
    assert only.next_attempt_at == datetime(2026, 11, 21, 12, 30, tzinfo=UTC) and only.not_after is None


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        (
            "reminders:\n  - kind: promise_reminder\n    template: promise_reminder\n    sendat: '09:00'\n",
            "line 4: reminders[0].sendat",
        ),
        (
            "reminders:\n  - kind: promise_reminder\n    template: promise_reminder\n    send_at: '9h'\n",
            "line 4: reminders[0].send_at",
        ),
        ("reminders:\n  - kind: reminder\n    template: x\n", "line 2: reminders[0].kind"),
        (
            "reminders:\n  - kind: plan_reminder\n    channel: fax\n    template: x\n",
            "line 3: reminders[0].channel",
        ),
    ],
)
def test_the_file_errors_name_file_line_and_key(tmp_path: Path, text: str, wanted: str) -> None:
    path = tmp_path / "reminders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RemindersFileError) as caught:
        load_reminders(path)
    assert f"{path}, {wanted}" in str(caught.value)


def test_the_shipped_file_loads() -> None:
    shipped = load_reminders()
    assert shipped.rule_for("first_delinquency", "mortgage", "en").channel == "letter"  # type: ignore[union-attr]
    assert shipped.rule_for("plan_reminder", "credit_card", "zh-CN").days_before == 3  # type: ignore[union-attr]


def test_a_few_thousand_promises_are_reminded_set_based(engine: Engine) -> None:
    """The night's statements do not grow with the promises: a few thousand reminders are queued in
    statements of a thousand rows (the speed is the benchmark's to measure, not a test's)."""
    count = 3000
    with transaction(engine) as session:
        session.add(template("promise_reminder", "zh-CN"))
    with engine.begin() as connection:
        connection.execute(
            Customer.__table__.insert(),
            [{"customer_id": f"V{n:05d}", "name": "王", "language": "zh-CN"} for n in range(count)],
        )
        connection.execute(
            ContactPoint.__table__.insert(),
            [
                {
                    "customer_id": f"V{n:05d}",
                    "type": "mobile",
                    "value": "13800000000",
                    "is_primary": True,
                    "party": "debtor",
                    "do_not_contact": False,
                }
                for n in range(count)
            ],
        )
        connection.execute(
            Case.__table__.insert(),
            [
                {
                    "case_id": f"C-V{n:05d}",
                    "customer_id": f"V{n:05d}",
                    "status": "open",
                    "opened_on": AS_OF,
                    "worst_dpd": 40,
                    "bucket": "M2",
                    "overdue_total": 100_00,
                    "currency": "CNY",
                    "account_count": 1,
                    "updated_on": AS_OF,
                    "broken_promises": 0,
                }
                for n in range(count)
            ],
        )
        ids = (
            connection.execute(
                Promise.__table__.insert().returning(Promise.id),
                [
                    {
                        "case_id": f"C-V{n:05d}",
                        "currency": "CNY",
                        "amount": 100_00,
                        "paid_amount": 0,
                        "status": "open",
                        "taken_at": NOW,
                        "taken_on": AS_OF,
                        "first_due_on": date(2026, 11, 22),
                        "last_due_on": date(2026, 11, 22),
                        "version": 1,
                    }
                    for n in range(count)
                ],
            )
            .scalars()
            .all()
        )
        connection.execute(
            PromiseInstallment.__table__.insert(),
            [
                {
                    "promise_id": i,
                    "seq": 1,
                    "due_on": date(2026, 11, 22),
                    "amount": 100_00,
                    "paid_amount": 0,
                    "status": "open",
                }
                for i in ids
            ],
        )
    statements: list[str] = []

    def count_statement(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        outcome = night(engine)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert outcome.queued == count
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == count
    assert len(statements) < 100, f"{count} reminders took {len(statements)} statements"


def test_the_nightly_run_queues_the_reminders_and_says_so(engine: Engine) -> None:
    clock = FixedClock(datetime(2024, 1, 20, 19, 0, tzinfo=UTC))  # 03:00 the next morning in Shanghai
    insert_book(
        engine,
        [AccountFact("A", "K1", "CNY", "active")],
        [InstallmentFact("A", 1, date(2024, 1, 10), 1_000)],
        [],
    )
    with transaction(engine) as session:
        session.add(template("first_delinquency", "zh-CN"))
        session.add(ContactPoint(customer_id="K1", type="mobile", value="13800000000", is_primary=True))

    def night() -> list[str]:
        duck = DuckDBEngine(memory_limit="500MB", threads=1)
        try:
            [summary] = run_batch(
                engine, [date(2024, 1, 20)], duck, DelinquencyRules(), clock, reminders=load_reminders()
            )
        finally:
            duck.close()
        return [note for note in summary.notes if note.startswith("reminders")]

    assert night() == ["reminders 提醒: 1 queued"]
    (only,) = messages(engine).values()
    assert only.purpose == "first_delinquency" and only.next_attempt_at == datetime(
        2024, 1, 21, 2, 0, tzinfo=UTC
    )
    assert night() == ["reminders 提醒: 0 queued, 1 queued before"]


def test_a_letter_reminder_is_worked_to_its_address(engine: Engine, tmp_path: Path) -> None:
    approve_all(engine)
    mortgage = customer(engine, "O2", opened=True, product="mortgage")
    night(engine)
    clock = FixedClock(TEN_IN_SHANGHAI + timedelta(minutes=1))
    provider = LetterProvider(tmp_path, lambda: AS_OF)

    work(engine, {"letter": provider}, clock, once=True, settings=settings_for(engine))

    letter = messages(engine)[f"reminder:first_delinquency:{mortgage}:2026-11-20"]
    assert (letter.state, letter.stop_reason) == (MessageState.SENT, None)
    assert len(list(tmp_path.rglob("*.pdf"))) == 1


def address_of(engine: Engine, customer_id: str) -> int:
    with engine.connect() as connection:
        return connection.scalars(
            select(ContactPoint.id).where(
                ContactPoint.customer_id == customer_id, ContactPoint.type == "address"
            )
        ).one()
