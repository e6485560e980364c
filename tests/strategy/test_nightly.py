"""The nightly strategy step on SQLite and PostgreSQL: segments kept, the day's actions written
once with why, the gate's refusals rescheduled or escalated, serious steps proposed."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select, update

from arrears.audit.trail import SYSTEM
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.channels import templates
from arrears.channels.models import OutboxMessage
from arrears.channels.templates import TemplateDraft
from arrears.compliance.packs import load_pack
from arrears.contacts.models import ContactPreference
from arrears.db import transaction
from arrears.disputes.models import Hold
from arrears.strategy import arms, messages
from arrears.strategy.evaluation import DuckDBStrategyEngine
from arrears.strategy.models import CaseSegment, Strategy, StrategyAction
from arrears.strategy.nightly import NightOutcome, run_night
from tests.api.book import Book, case_id_of

AS_OF = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
DOCUMENT = """
strategy: night
names: {zh-CN: 夜间, en: Night}
segments:
  - {code: held, names: {zh-CN: 暂停, en: Held}, when: {hold: [cease, dispute]}, path: quiet}
  - {code: m1, names: {zh-CN: M1, en: M1}, when: {hold: [none], bucket: [M1]}, path: gentle}
  - {code: m2, names: {zh-CN: M2, en: M2}, when: {hold: [none], bucket: [M2]}, path: firm}
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
  gentle:
    names: {zh-CN: 温, en: Gentle}
    steps:
      - {day: 1, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 2, action: sms, template: first_delinquency, at: "23:30"}
      - {day: 2, action: call, window: best}
  firm:
    names: {zh-CN: 严, en: Firm}
    steps:
      - {day: 1, action: letter, template: first_delinquency}
      - {day: 1, action: legal_referral}
"""


def approve(engine: Engine, document: str = DOCUMENT, active_from: date = AS_OF) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(Strategy)
                .values(
                    code="night",
                    number=1,
                    document=document,
                    digest=hashlib.sha256(document.encode()).hexdigest(),
                    status="approved",
                    drafted_at=NOW,
                    decided_at=NOW,
                    active_from=active_from,
                    version=1,
                )
                .returning(Strategy.id)
            ).scalar_one()
        )


def approved_sms_template(engine: Engine) -> None:
    """first_delinquency by SMS in zh-CN, drafted by the system and approved by a compliance officer."""
    with engine.begin() as connection:
        officer = connection.execute(
            insert(User)
            .values(username="officer", role="compliance_officer", created_at=NOW, active=True)
            .returning(User.id)
        ).scalar_one()
    with transaction(engine) as session:
        body = "【银行】{{ customer_name }}您好，您的欠款{{ overdue_amount | money }}已逾期，请尽快还款。{{ opt_out }}"
        row = templates.draft(
            session, SYSTEM, TemplateDraft("first_delinquency", "sms", "zh-CN", body), now=NOW
        )
        who = Principal(user_id=officer, username="officer", role=Role.COMPLIANCE_OFFICER)
        templates.approve(session, who, row.id, expected=None, pack=load_pack("cn"), now=NOW)


def night(engine: Engine, as_of: date = AS_OF) -> NightOutcome:
    duck = DuckDBStrategyEngine()
    try:
        with engine.begin() as connection:
            return run_night(connection, as_of, NOW, duck, load_pack("cn"), "Asia/Shanghai")
    finally:
        duck.close()


def actions(engine: Engine) -> dict[tuple[str, str, int], StrategyAction]:
    with engine.connect() as connection:
        rows = connection.execute(select(StrategyAction)).all()
    return {(r.case_id, r.action, r.day): r for r in rows}


def test_without_an_approved_strategy_nothing_is_chosen(engine: Engine) -> None:
    Book(engine).case("a", dpd=5, bucket="M1")
    approve(engine, active_from=AS_OF + timedelta(days=1))
    outcome = night(engine)
    assert outcome.strategy is None and "no approved strategy" in outcome.note()
    assert actions(engine) == {}


def test_a_night_chooses_the_actions_with_why_and_writes_them_once(engine: Engine) -> None:
    book = Book(engine)
    book.case("early", dpd=5, bucket="M1")
    book.case("late", dpd=45, bucket="M2")
    book.case("held", dpd=5, bucket="M1")
    with engine.begin() as connection:
        connection.execute(
            insert(Hold).values(customer_id="held", kind="cease", evidence="letter", placed_at=NOW, version=1)
        )
    approved_sms_template(engine)
    approve(engine)
    outcome = night(engine)
    assert outcome.cases == 3 and outcome.moved == 3
    assert outcome.segments == {"m1": 1, "m2": 1, "held": 1}
    chosen = actions(engine)
    assert set(chosen) == {
        (case_id_of("early"), "sms", 1),
        (case_id_of("late"), "letter", 1),
        (case_id_of("late"), "legal_referral", 1),
    }
    sms = chosen[(case_id_of("early"), "sms", 1)]
    assert sms.status == "done" and sms.verdict == "allow"
    with engine.connect() as connection:
        message = connection.execute(
            select(OutboxMessage).where(OutboxMessage.id == sms.outbox_message_id)
        ).one()
    assert message.idempotency_key == sms.key and message.purpose == "strategy"
    assert message.next_attempt_at == sms.planned_at and "1,234.56" in message.body
    letter = chosen[(case_id_of("late"), "letter", 1)]
    assert letter.status == "skipped" and letter.outbox_message_id is None
    assert letter.reasons[0]["en"] == "no approved template"
    assert sms.planned_at == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the next morning
    assert sms.why["segment"] == "m1" and sms.why["facts"] == {"bucket": "M1", "hold": "none"}
    assert sms.why["version"] == 1 and sms.details["template"] == "first_delinquency"
    referral = chosen[(case_id_of("late"), "legal_referral", 1)]
    assert referral.status == "proposed" and referral.needs_confirmation
    again = night(engine)  # the same night run again
    assert again.already == 3 and sum(again.actions.values()) == 0
    assert len(actions(engine)) == 3
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_next_night_goes_on_along_the_path_and_the_gate_reschedules(engine: Engine) -> None:
    book = Book(engine)
    book.case("early", dpd=5, bucket="M1")
    book.case("gone", dpd=5, bucket="M1")
    approve(engine)
    night(engine)
    with engine.begin() as connection:
        connection.execute(update(Case).where(Case.customer_id == "gone").values(status="closed"))
    outcome = night(engine, AS_OF + timedelta(days=1))
    assert outcome.moved == 0 and outcome.cases == 1
    chosen = actions(engine)
    late_sms = chosen[(case_id_of("early"), "sms", 2)]
    assert late_sms.status == "rescheduled" and late_sms.verdict == "block"  # 23:30 is night time
    assert late_sms.next_allowed_at is not None and late_sms.next_allowed_at > late_sms.planned_at
    assert "CN-TIME" in " ".join(late_sms.rule_ids) or late_sms.rule_ids
    assert chosen[(case_id_of("early"), "call", 2)].status == "planned"
    with engine.connect() as connection:
        stood = connection.execute(select(CaseSegment.case_id, CaseSegment.entered_on)).all()
    assert stood == [(case_id_of("early"), AS_OF)]  # the closed case left the table


EXPERIMENT = (
    DOCUMENT.replace(
        """      - {day: 1, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 2, action: sms, template: first_delinquency, at: "23:30"}
""",
        "",
    )
    + """
experiments:
  - code: m1-calls
    segment: m1
    starts_on: 2026-11-01
    arms: [{name: champion, share: "50%"}, {name: quiet, share: "50%", path: none}]
"""
)


def test_an_experiment_splits_its_segment_by_a_stable_hash(engine: Engine) -> None:
    book = Book(engine)
    customers = [f"x{n:02d}" for n in range(24)]
    for customer in customers:
        book.case(customer, dpd=5, bucket="M1")
    approve(engine, EXPERIMENT)
    night(engine)
    expected = {
        case_id_of(c): arms.assign(
            "m1-calls", c, [arms.Arm("champion", Decimal("0.5")), arms.Arm("quiet", Decimal("0.5"))]
        )
        for c in customers
    }
    with engine.connect() as connection:
        stood = dict(connection.execute(select(CaseSegment.case_id, CaseSegment.arm)).all())
    assert stood == {case_id: f"m1-calls:{arm}" for case_id, arm in expected.items()}
    assert set(expected.values()) == {"champion", "quiet"}
    night(engine, AS_OF + timedelta(days=1))
    chosen = actions(engine)
    called = {case_id for (case_id, action, _day) in chosen if action == "call"}
    assert called == {
        case_id for case_id, arm in expected.items() if arm == "champion"
    }  # the control: nothing
    assert {r.arm for r in chosen.values()} == {"m1-calls:champion"}
    with engine.connect() as connection:
        again = dict(connection.execute(select(CaseSegment.case_id, CaseSegment.arm)).all())
    assert again == stood  # a customer never changes arm


def test_the_gate_reads_each_customer_s_own_facts(engine: Engine) -> None:
    book = Book(engine)
    book.case("fine", dpd=5, bucket="M1")
    book.case("optout", dpd=5, bucket="M1")
    with engine.begin() as connection:
        connection.execute(
            insert(ContactPreference).values(
                customer_id="optout", kind="opt_out", channel="sms", recorded_at=NOW - timedelta(days=3)
            )
        )
    approved_sms_template(engine)
    approve(engine)
    night(engine)
    chosen = actions(engine)
    refused = chosen[(case_id_of("optout"), "sms", 1)]
    assert refused.status == "escalated" and refused.verdict == "block" and refused.next_allowed_at is None
    assert refused.rule_ids and refused.reasons[0]["rule_id"] in refused.rule_ids
    assert chosen[(case_id_of("fine"), "sms", 1)].status == "done"


def test_a_missed_night_run_late_does_not_choose_again_what_a_later_night_chose(engine: Engine) -> None:
    """The actions chosen before are read from the nights after the previous one evaluated: a
    night run after a later one finds what that one chose for it (the same step, the same key)."""
    Book(engine).case("early", dpd=5, bucket="M1")
    approve(engine)
    night(engine)
    later = night(engine, AS_OF + timedelta(days=2))  # the night between missed: it owes day 2 and 3
    assert (case_id_of("early"), "sms", 2) in actions(engine) and sum(later.actions.values()) >= 1
    chosen = actions(engine)
    day_two = [key for key in chosen if key[2] == 2]
    between = night(engine, AS_OF + timedelta(days=1))  # run late: owes day 2, chosen already
    assert len(day_two) == 2 and between.already == len(day_two) and sum(between.actions.values()) == 0
    assert actions(engine).keys() == chosen.keys()


def test_a_night_names_a_bounded_number_of_ids_per_statement(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10M accounts a night has more customers than SQLite takes variables in one statement:
    the messages are written in chunks; the gate's facts, the segments, the members and the
    actions chosen before name their ids as one bound value (arrears.db.keys, tests/test_db_keys.py)."""
    monkeypatch.setattr(messages, "CHUNK", 2)
    book = Book(engine)
    for n in range(5):
        book.case(f"c{n}", dpd=5, bucket="M1")
    approved_sms_template(engine)
    approve(engine)
    night(engine)
    chosen = actions(engine)
    assert sorted(a.status for a in chosen.values()) == ["done"] * 5
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(OutboxMessage)) == 5


def test_the_nights_planned_calls_go_to_the_work_lists_once_routed_by_their_queue(engine: Engine) -> None:
    from arrears.auth.models import Team
    from arrears.contacts.models import CallTask
    from arrears.queues.models import QueueSet

    book = Book(engine)
    book.case("early", dpd=5, bucket="M1")
    book.case("routed", dpd=45, bucket="M2")
    with engine.begin() as connection:
        team = connection.execute(
            insert(Team).values(code="CALLS", name="Calls", created_at=NOW).returning(Team.id)
        ).scalar_one()
        queues = "queues:\n  - {code: calls, name: {zh-CN: 外呼, en: Calls}, team: CALLS}\n"
        connection.execute(
            insert(QueueSet).values(
                number=1, document=queues, digest="d", status="active", created_at=NOW, version=1
            )
        )
    document = DOCUMENT.replace(
        "      - {day: 1, action: legal_referral}\n",
        '      - {day: 1, action: call, window: {from: "14:00", to: "16:00"}, queue: calls}\n',
    )
    approve(engine, document)
    first = night(engine)
    assert first.call_tasks == 1 and "1 call tasks in the work lists" in first.note()
    second = night(engine, AS_OF + timedelta(days=1))
    assert second.call_tasks == 1
    assert night(engine, AS_OF + timedelta(days=1)).call_tasks == 0  # run again: none twice
    chosen = actions(engine)
    with engine.connect() as connection:
        made = {row.case_id: row for row in connection.execute(select(CallTask)).all()}
    routed, early = made[case_id_of("routed")], made[case_id_of("early")]
    assert routed.action_id == chosen[(case_id_of("routed"), "call", 1)].id
    assert routed.due_on == AS_OF + timedelta(days=1) and routed.team_id == team
    assert (routed.window_start, routed.window_end) == (
        datetime(2026, 11, 22, 6, 0, tzinfo=UTC),  # 14:00 to 16:00 in Shanghai
        datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    )
    assert routed.best is False and routed.status == "open" and routed.why["segment"] == "m2"
    assert early.due_on == AS_OF + timedelta(days=2) and early.best is True and early.team_id is None
    assert (early.window_start, early.window_end) == (  # best: the default hours for now
        datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    )
