"""Every outbound path that records a contact passes the gate: the only code that makes a contact
row is ``record_contact`` in arrears/contacts/service.py, and it refuses an outbound contact
without the gate's decision. A contact written any other way fails this test."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import OperationalError

import arrears
from arrears.audit.models import AuditEntry
from arrears.cases.models import Case
from arrears.clock import FixedClock
from arrears.contacts.common import Gatekeeping
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import GATE_LOCK, check_contact, pack_of
from arrears.contacts.models import Contact
from arrears.contacts.service import (
    ContactBlockedError,
    ContactInputError,
    Draft,
    UngatedContactError,
    record_contact,
    record_outbound,
)
from arrears.db import transaction
from arrears.portfolio.models import ContactPoint, Customer

PACKAGE = Path(arrears.__file__).parent
SERVICE = PACKAGE / "contacts" / "service.py"
INSERT_SQL = re.compile(r"insert\s+into\s+[\"`]?contacts\b", re.IGNORECASE)


def _constructions(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module makes a contact row: ``Contact(...)``, ``insert(Contact)``, ``Contact.__table__``,
    the ORM class by another name, or SQL text inserting into ``contacts``."""
    found: list[tuple[int, str]] = []
    aliases = {"Contact"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "arrears.contacts.models":
            aliases |= {a.asname for a in node.names if a.name == "Contact" and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func_node = node.func
            name = func_node.id if isinstance(func_node, ast.Name) else getattr(func_node, "attr", None)
            if name in aliases:
                found.append((node.lineno, "Contact(...)"))
            if name in ("insert", "Insert") and any(
                (isinstance(a, ast.Name) and a.id in aliases)
                or (isinstance(a, ast.Constant) and a.value == "contacts")
                for a in node.args
            ):
                found.append((node.lineno, "insert(Contact)"))
        table = isinstance(node, ast.Attribute) and node.attr == "__table__"
        if table and isinstance(node.value, ast.Name) and node.value.id in aliases:  # type: ignore[attr-defined]
            found.append((node.lineno, "Contact.__table__"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and INSERT_SQL.search(node.value):
            found.append((node.lineno, "INSERT INTO contacts"))
    return found


def _owner(tree: ast.AST, line: int) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.lineno <= line <= (node.end_lineno or node.lineno):
            return node.name
    return None


def test_only_record_contact_makes_a_contact_row() -> None:
    places: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, what in _constructions(tree):
            places.append(f"{path.relative_to(PACKAGE)}:{_owner(tree, line)}:{what}")
    assert places == ["contacts/service.py:record_contact:Contact(...)"], places


def test_the_scan_finds_a_contact_made_elsewhere() -> None:
    sneaky = (
        "from arrears.contacts.models import Contact as C\n"
        "from sqlalchemy import insert, text\n"
        "def a(s): s.add(C(case_id='x'))\n"
        "def b(s): s.execute(insert(C).values(case_id='x'))\n"
        "def c(s): s.execute(text('INSERT INTO contacts (case_id) VALUES (1)'))\n"
        "def d(s): s.execute(C.__table__.insert())\n"
    )
    assert sorted(what for _, what in _constructions(ast.parse(sneaky))) == [
        "Contact(...)",
        "Contact.__table__",
        "INSERT INTO contacts",
        "insert(Contact)",
    ]


def test_record_contact_refuses_an_outbound_contact_without_a_decision(engine: Engine) -> None:
    at = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(Customer).values(customer_id="G1", name="G", timezone="Asia/Shanghai"))
        point = connection.execute(
            insert(ContactPoint)
            .values(customer_id="G1", type="mobile", value="+8613800000000", party="debtor")
            .returning(ContactPoint.id)
        ).scalar_one()
        connection.execute(
            insert(Case).values(
                case_id="C-G1",
                customer_id="G1",
                status="open",
                opened_on=date(2026, 11, 1),
                worst_dpd=40,
                bucket="M2",
                overdue_total=1,
                currency="CNY",
                account_count=1,
                updated_on=date(2026, 11, 21),
            )
        )
    ctx = Gatekeeping(pack_of("cn", None), dispositions(), FixedClock(at), "Asia/Shanghai")
    outbound = Draft(
        channel="sms",
        direction="outbound",
        party="debtor",
        disposition="message_sent",
        contact_point_id=point,
    )
    with transaction(engine) as session:
        case = session.get(Case, "C-G1")
        assert case is not None
        with pytest.raises(UngatedContactError):
            record_contact(
                session,
                case,
                outbound,
                started_at=at,
                gated=None,
                note_flags=[],
                recorded_by=None,
                source="outbox",
                ctx=ctx,
            )
        inbound = Draft(
            channel="call", direction="inbound", party="debtor", disposition="right_party_contact"
        )
        record_contact(
            session,
            case,
            inbound,
            started_at=at,
            gated=None,
            note_flags=[],
            recorded_by=None,
            source="system",
            ctx=ctx,
        )
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1


def _one_case(engine: Engine, customer_id: str = "G2") -> int:
    with engine.begin() as connection:
        connection.execute(
            insert(Customer).values(customer_id=customer_id, name="G", timezone="Asia/Shanghai")
        )
        point = connection.execute(
            insert(ContactPoint)
            .values(customer_id=customer_id, type="mobile", value="+8613800000000", party="debtor")
            .returning(ContactPoint.id)
        ).scalar_one()
        connection.execute(
            insert(Case).values(
                case_id=f"C-{customer_id}",
                customer_id=customer_id,
                status="open",
                opened_on=date(2026, 11, 1),
                worst_dpd=40,
                bucket="M2",
                overdue_total=1,
                currency="CNY",
                account_count=1,
                updated_on=date(2026, 11, 21),
            )
        )
    return int(point)


def test_the_outbox_path_passes_the_gate_and_its_refusals_are_kept(engine: Engine) -> None:
    point = _one_case(engine)
    clock = FixedClock(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    ctx = Gatekeeping(pack_of("cn", None), dispositions(), clock, "Asia/Shanghai")
    sms = Draft(
        channel="sms",
        direction="outbound",
        party="debtor",
        disposition="message_sent",
        contact_point_id=point,
    )
    with transaction(engine) as session:
        sent = record_outbound(session, "C-G2", sms, ctx=ctx, source="outbox")
        assert (sent.gate_verdict, sent.source, sent.recorded_by) == ("allow", "outbox", None)
    clock.advance(timedelta(hours=13))  # 23:00 in Shanghai
    with transaction(engine) as session:
        with pytest.raises(ContactBlockedError) as refused:
            record_outbound(session, "C-G2", sms, ctx=ctx, source="outbox")
        assert "CN-TIME-1" in refused.value.extensions["rules"]
    with transaction(engine) as session:
        rows = session.scalars(select(Contact).order_by(Contact.id)).all()
        assert [(r.disposition, r.gate_verdict) for r in rows] == [
            ("message_sent", "allow"),
            ("refused_by_gate", "block"),
        ]
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [(e.action, e.outcome, e.actor_name) for e in entries] == [
            ("contact.log", "ok", "system"),
            ("contact.refused", "refused", "system"),
        ]
        with pytest.raises(ContactInputError):
            record_outbound(session, "C-G2", replace(sms, after_the_fact=True), ctx=ctx, source="outbox")


def test_a_customers_gate_questions_take_turns(engine: Engine) -> None:
    point = _one_case(engine)
    clock = FixedClock(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    with transaction(engine) as first:
        check_contact(
            first,
            customer_id="G2",
            channel="call",
            contact_point_id=point,
            at=clock.now(),
            pack=pack_of("cn", None),
            clock=clock,
            requested_by="test",
        )
        if engine.dialect.name == "postgresql":
            with engine.connect() as other:
                key = func.hashtextextended(GATE_LOCK + "G2", 0)
                assert other.scalar(select(func.pg_try_advisory_xact_lock(key))) is False
                assert other.scalar(
                    select(func.pg_try_advisory_xact_lock(func.hashtextextended(GATE_LOCK + "G3", 0)))
                )
        else:
            with engine.connect() as other:
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
                with pytest.raises(OperationalError):
                    other.exec_driver_sql("BEGIN IMMEDIATE")
