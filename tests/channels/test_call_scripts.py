"""Call scripts (话术): drafted and approved through the templates' workflow (a compliance officer,
the content check, never the author), audited; which script a case gets (its bucket's own, else
the generic one; the reader's language, else the customer's, else zh-CN; approved only; none);
rendered with the case's facts; never queued by the outbox; the shipped scripts pass every pack."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.audit.trail import SYSTEM
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case
from arrears.cases.views import CaseNotFoundError
from arrears.channels import templates
from arrears.channels.call_scripts import CallScript, languages_for, script_code, script_for_case
from arrears.channels.models import MessageTemplate
from arrears.channels.outbox import InvalidMessageError, queue_many, queue_message
from arrears.channels.rendering import sample_context
from arrears.channels.template_files import read_template
from arrears.channels.templates import (
    OwnTemplateError,
    TemplateDraft,
    TemplateRefusedError,
    content_check,
)
from arrears.contacts.gate import pack_of
from arrears.db import transaction
from arrears.errors import InvalidInputError, PermissionDeniedError
from arrears.portfolio.models import Customer
from tests.channels.helpers import NOW, seed

TODAY = date(2026, 11, 21)
EXAMPLES = Path(__file__).parents[2] / "examples" / "templates"
PACK = pack_of("cn", None)


def _people(engine: Engine) -> tuple[Principal, Principal]:
    """A supervisor (drafts) and a compliance officer (approves, and reads every case)."""
    made = []
    with engine.begin() as connection:
        for role in (Role.SUPERVISOR, Role.COMPLIANCE_OFFICER):
            user_id = connection.execute(
                insert(User)
                .values(username=role.value, role=role.value, created_at=NOW, active=True)
                .returning(User.id)
            ).scalar_one()
            made.append(Principal(user_id=user_id, username=role.value, role=role))
    return made[0], made[1]


def _script(engine: Engine, code: str, language: str, body: str, *, approve: bool = True) -> MessageTemplate:
    """A call script drafted by the system and, unless told otherwise, approved by the officer."""
    with transaction(engine) as session:
        officer = Principal(
            user_id=session.scalars(select(User.id).where(User.username == "compliance_officer")).one(),
            username="compliance_officer",
            role=Role.COMPLIANCE_OFFICER,
        )
        row = templates.draft(session, SYSTEM, TemplateDraft(code, "call", language, body), now=NOW)
        if approve:
            row = templates.approve(session, officer, row.id, expected=None, pack=PACK, now=NOW)
        session.expunge(row)
        return row


def _read(
    engine: Engine, reader: Principal, case_id: str = "C-M00000", language: str | None = "zh-CN"
) -> CallScript | None:
    with transaction(engine) as session:
        return script_for_case(session, reader, case_id, language=language, today=TODAY)


def test_a_script_is_approved_by_a_compliance_officer_never_its_author_and_audited(engine: Engine) -> None:
    writer, officer = _people(engine)
    spec = TemplateDraft("call_script.m2", "call", "zh-CN", "您好，请问是{{ customer_name }}本人吗？")
    with transaction(engine) as session:
        row = templates.draft(session, writer, spec, now=NOW)
        with pytest.raises(PermissionDeniedError):
            templates.approve(session, writer, row.id, expected=None, pack=PACK, now=NOW)
        by_system = templates.draft(session, SYSTEM, spec, now=NOW)
        with pytest.raises(OwnTemplateError):
            templates.approve(session, SYSTEM, by_system.id, expected=None, pack=PACK, now=NOW)
        templates.approve(session, officer, row.id, expected=None, pack=PACK, now=NOW)
        assert (row.status, row.approved_by, row.channel) == ("approved", officer.user_id, "call")
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(row.id)).order_by(AuditEntry.seq)
        ).all()
    assert list(audited) == ["template.draft", "template.approve"]


@pytest.mark.parametrize(
    ("language", "body", "rule"),
    [
        ("zh-CN", "{{ customer_name }}，再不还款后果自负。", "threat"),
        ("zh-CN", "不还的话我们就通知你的单位和家人。", "disclosure"),
        ("en", "Pay {{ overdue_amount | money }} today or you will be arrested.", "false_legal"),
        ("en", "We know where you live, {{ customer_name }}.", "threat"),
    ],
)
def test_the_content_check_blocks_a_threatening_script(
    engine: Engine, language: str, body: str, rule: str
) -> None:
    _people(engine)
    with pytest.raises(TemplateRefusedError) as refused:
        _script(engine, "call_script", language, body)
    assert refused.value.extensions["rules"], rule
    with Session(engine) as session:
        assert session.scalars(select(MessageTemplate.status)).all() == []  # the draft rolled back too


def test_only_a_call_script_has_a_script_code(engine: Engine) -> None:
    writer, _ = _people(engine)
    with transaction(engine) as session:
        for code, channel in (
            ("promise_reminder", "call"),
            ("call_script.m1", "sms"),
            ("call_script", "email"),
        ):
            with pytest.raises(InvalidInputError, match="call_script"):
                templates.draft(session, writer, TemplateDraft(code, channel, "zh-CN", "您好"), now=NOW)


def test_the_bucket_own_script_else_the_generic_one_approved_only(engine: Engine) -> None:
    seed(engine)  # C-M00000 in M2, the customer speaks zh-CN
    _, officer = _people(engine)
    assert _read(engine, officer) is None
    generic = _script(engine, "call_script", "zh-CN", "通用话术：{{ customer_name }}")
    _script(engine, "call_script.m2", "zh-CN", "M2 草稿", approve=False)
    _script(engine, "call_script.m3", "zh-CN", "M3 话术")
    found = _read(engine, officer)
    assert found is not None and found.template.id == generic.id and found.text == "通用话术：王小明"
    own = _script(
        engine, "call_script.m2", "zh-CN", "M2 话术：{{ customer_name }}，{{ overdue_amount | money }}"
    )
    found = _read(engine, officer)
    assert found is not None and found.template.id == own.id and found.bucket == "M2"
    assert found.text == "M2 话术：王小明，¥100.00"
    with transaction(engine) as session:
        templates.retire(session, officer, own.id, expected=None, now=NOW)
    found = _read(engine, officer)
    assert found is not None and found.template.id == generic.id
    with engine.begin() as connection:
        connection.execute(update(Case).values(bucket="M7+"))
    plus = _script(engine, "call_script.m7plus", "zh-CN", "M7+ 话术")
    found = _read(engine, officer)
    assert found is not None and found.template.id == plus.id and found.bucket == "M7+"


def test_the_reader_language_else_the_customer_else_zh_cn(engine: Engine) -> None:
    seed(engine, language="en")
    _, officer = _people(engine)
    assert languages_for("zh-CN", "en") == ["zh-CN", "en"] and languages_for("en", None) == ["en", "zh-CN"]
    assert languages_for(None, "fr") == ["zh-CN"]
    english = _script(engine, "call_script", "en", "Hello {{ customer_name }}: {{ overdue_amount | money }}")
    found = _read(engine, officer, language="zh-CN")  # none in zh-CN: the customer's English one
    assert found is not None and found.template.id == english.id and found.language == "en"
    assert found.text == "Hello 王小明: CN¥100.00"
    chinese = _script(engine, "call_script.m2", "zh-CN", "M2：{{ overdue_amount | money }}")
    found = _read(engine, officer, language="zh-CN")
    assert found is not None and found.template.id == chinese.id and found.text == "M2：¥100.00"
    # the reader's language first, even over another language's bucket script
    found = _read(engine, officer, language="en")
    assert found is not None and found.template.id == english.id
    with engine.begin() as connection:
        connection.execute(update(Customer).values(language="ja"))
    found = _read(engine, officer, language="ja")  # neither speaks a script's language: zh-CN
    assert found is not None and found.template.id == chinese.id


def test_a_script_that_does_not_render_for_the_case_says_why(engine: Engine) -> None:
    seed(engine)
    _, officer = _people(engine)
    # approved: the sample context has a promise; this case has none
    _script(engine, "call_script", "zh-CN", "您承诺{{ promise_date | date }}还款。")
    found = _read(engine, officer)
    assert found is not None and found.text is None and found.problem is not None
    assert "line 1" in found.problem.message("en")


def test_a_case_out_of_scope_is_not_found_and_the_customer_sees_no_script(engine: Engine) -> None:
    seed(engine)
    _people(engine)
    _script(engine, "call_script", "zh-CN", "您好")
    stranger = Principal(user_id=99, username="x", role=Role.COLLECTOR, team_id=None)
    with pytest.raises(CaseNotFoundError):
        _read(engine, stranger)
    with pytest.raises(CaseNotFoundError):
        _read(engine, Principal(user_id=1, username="auditor", role=Role.AUDITOR), case_id="C-NOBODY")
    auditor = Principal(user_id=1, username="auditor", role=Role.AUDITOR)
    assert _read(engine, auditor) is not None
    customer = Principal(user_id=2, username="c", role=Role.CUSTOMER, customer_id="M00000")
    assert _read(engine, customer) is None  # their own case, but a script is the staff's


def test_the_outbox_never_queues_a_call_script(engine: Engine) -> None:
    customer, point = seed(engine, point="mobile")[0]
    _people(engine)
    script = _script(engine, "call_script", "zh-CN", "您好，{{ customer_name }}")
    message: dict[str, Any] = {
        "channel": "sms",
        "customer_id": customer,
        "case_id": f"C-{customer}",
        "contact_point_id": point,
        "language": "zh-CN",
        "subject": None,
        "body": "您好，王小明",
        "purpose": "manual",
        "template_id": script.id,
        "idempotency_key": "script-1",
    }
    with transaction(engine) as session:
        with pytest.raises(InvalidMessageError, match="call script"):
            queue_message(session, SYSTEM, now=NOW, **message)
        with pytest.raises(InvalidMessageError, match="call script"):
            queue_many(session, SYSTEM, [message], now=NOW)
        with pytest.raises(InvalidMessageError, match="not a channel of the outbox"):
            queue_message(session, SYSTEM, now=NOW, **(message | {"channel": "call", "template_id": None}))
        queue_message(
            session, SYSTEM, now=NOW, **(message | {"template_id": None})
        )  # the same text, no script
    assert script_code("M1") == "call_script.m1" and script_code("M7+") == "call_script.m7plus"


@pytest.mark.parametrize("pack", ["cn", "us-regf", "uk-fca"])
def test_the_shipped_call_scripts_pass_the_content_check_of_every_pack(pack: str) -> None:
    files = sorted(EXAMPLES.glob("call_script*.call.*.txt"))
    assert {read_template(f).code for f in files} == {
        "call_script",
        "call_script.m1",
        "call_script.m2",
        "call_script.m3",
    }
    assert len(files) == 8
    for path in files:
        spec = read_template(path)
        row = MessageTemplate(
            code=spec.code, channel=spec.channel, language=spec.language, body=spec.body, settings=None
        )
        assert content_check(row, pack_of(pack, None), sample_context(TODAY)) == [], path.name


def test_the_checker_reads_a_call_script_as_a_script() -> None:
    row = MessageTemplate(
        code="call_script", channel="call", language="zh-CN", body="请问是{{ customer_name }}本人吗？"
    )
    at = datetime(2026, 11, 21, tzinfo=UTC)
    # no SMS opt-out, no letter elements: a script has no required elements
    assert content_check(row, pack_of("us-regf", None), sample_context(at.date())) == []
    row.body = "你这个老赖"
    assert [r["rule_id"] for r in content_check(row, PACK, sample_context(at.date()))]
