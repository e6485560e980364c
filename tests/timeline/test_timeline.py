"""The case timeline over real HTTP: every source appears, newest first, in the caller's language,
contact points masked per role; pages are stable and complete; out of scope is 404."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text

from arrears.arrangements.models import Arrangement, Promise
from arrears.auth.permissions import Role
from arrears.cases.models import CaseAccount, FieldVisit, Placement
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.portfolio.models import Account, ContactPoint, Payment
from arrears.timeline import service
from arrears.timeline.sources import read
from tests.api.conftest import API_NOW, Api
from tests.api.work_book import audit_entries
from tests.disputes.helpers import Desk, desk

MOBILE = "+8613812345678"
EVERY_KIND = {
    "case_opened",
    "assignment",
    "contact",
    "promise_taken",
    "promise_outcome",
    "arrangement_proposed",
    "arrangement_decided",
    "arrangement_ended",
    "payment",
    "hold_placed",
    "hold_lifted",
    "dispute_raised",
    "dispute_closed",
    "complaint_received",
    "complaint_responded",
    "complaint_closed",
    "placement",
    "placement_recalled",
    "visit",
}


def contacts(api: Api, d: Desk, count: int, at: datetime, **values: Any) -> None:
    with transaction(api.engine) as session:
        point = session.query(ContactPoint).filter_by(customer_id=d.customer_id).first()
        assert point is not None
        for _ in range(count):
            session.add(
                Contact(
                    case_id=d.case_id,
                    customer_id=d.customer_id,
                    channel="call",
                    direction="outbound",
                    contact_point_id=point.id,
                    party="debtor",
                    started_at=at,
                    started_on=at.date(),
                    disposition="no_answer",
                    source="collector",
                    recorded_at=at,
                    recorded_by=d.collector.user_id,
                    **values,
                )
            )


def payments(api: Api, d: Desk, count: int, paid_on: date, prefix: str = "P") -> None:
    with transaction(api.engine) as session:
        for n in range(count):
            session.add(
                Payment(
                    payment_id=f"{prefix}{d.case_id}-{n:03d}",
                    account_id=d.account_id,
                    paid_on=paid_on,
                    currency="CNY",
                    amount=10_000 + n,
                    channel="bank_transfer",
                )
            )


def every_source(api: Api, d: Desk) -> None:
    """One record (or more) of each source, at instants before the API's now."""
    base = API_NOW - timedelta(days=3)
    contacts(
        api, d, 1, base, gate_verdict="block", violations=["CN-TIME-1"], after_the_fact=True, note="客户未接"
    )
    payments(api, d, 1, date(2026, 11, 15))
    agency = api.agency(f"AG-{d.case_id}")
    with transaction(api.engine) as session:
        session.add(
            Promise(
                case_id=d.case_id,
                currency="CNY",
                amount=50_000,
                paid_amount=20_000,
                status="broken",
                taken_at=base + timedelta(hours=1),
                taken_on=(base + timedelta(hours=1)).date(),
                taken_by=d.collector.user_id,
                first_due_on=date(2026, 11, 19),
                last_due_on=date(2026, 11, 19),
                closed_on=date(2026, 11, 20),
            )
        )
        session.add(
            Arrangement(
                case_id=d.case_id,
                kind="settlement",
                method="single",
                rounding="last_installment",
                status="cancelled",
                currency="CNY",
                owed_amount=120_000,
                total_amount=100_000,
                discount_amount=20_000,
                installment_count=1,
                needs_approval=True,
                proposed_at=base + timedelta(hours=2),
                proposed_by=d.collector.user_id,
                decided_at=base + timedelta(hours=3),
                decided_by=d.boss.user_id,
                ended_on=date(2026, 11, 20),
            )
        )
        session.add(
            Placement(
                account_id=d.account_id,
                agency_id=agency,
                starts_on=date(2026, 11, 18),
                ends_on=date(2026, 12, 18),
                placed_at=base + timedelta(hours=4),
                placed_by=d.boss.user_id,
                reason="委外催收，期限一个月",
                recalled_at=base + timedelta(hours=5),
                recalled_by=d.boss.user_id,
                recall_reason="客户已联系银行，收回委外",
            )
        )
        agent = api.person(Role.FIELD_AGENT, team_id=d.team)
        session.add(
            FieldVisit(
                case_id=d.case_id,
                customer_id=d.customer_id,
                agent_id=agent.user_id,
                planned_on=date(2026, 11, 25),
                status="planned",
                assigned_at=base + timedelta(hours=6),
                assigned_by=d.boss.user_id,
                reason="上门核实客户居住地址",
            )
        )
    boss, officer = api.as_(d.boss), api.as_(d.officer)
    hold = officer.post(
        f"/api/v1/customers/{d.customer_id}/holds",
        json={"kind": "hardship", "evidence": "客户失业，提供离职证明"},
    ).json()
    assert (
        officer.post(
            f"/api/v1/holds/{hold['id']}/lift", json={"reason": "客户已再就业，恢复联系"}
        ).status_code
        == 200
    )
    dispute = (
        api.as_(d.collector)
        .post(
            f"/api/v1/cases/{d.case_id}/disputes",
            json={"kind": "amount", "description": "客户对逾期金额有异议"},
        )
        .json()
    )
    resolved = boss.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        json={"outcome": "upheld", "resolution": "核实后更正罚息金额"},
    )
    assert resolved.status_code == 200
    complaint = (
        api.as_(d.collector)
        .post(
            f"/api/v1/cases/{d.case_id}/complaints",
            json={"category": "conduct", "description": "客户投诉催收员态度恶劣"},
        )
        .json()
    )
    assert boss.post(
        f"/api/v1/complaints/{complaint['id']}/respond", json={"response": "已致歉并批评教育"}
    ).is_success
    assert boss.post(
        f"/api/v1/complaints/{complaint['id']}/close", json={"reason": "客户接受处理结果"}
    ).is_success


def timeline(client: httpx.Client, case_id: str, **params: Any) -> httpx.Response:
    return client.get(f"/api/v1/cases/{case_id}/timeline", params=params)


def test_every_source_appears_newest_first_in_the_callers_language(api: Api) -> None:
    d = desk(api, "TL")
    every_source(api, d)

    english = timeline(api.as_(d.collector, **{"Accept-Language": "en"}), d.case_id, limit=200)
    assert english.status_code == 200, english.text
    entries = english.json()["entries"]
    assert {e["kind"] for e in entries} == EVERY_KIND
    instants = [datetime.fromisoformat(e["at"]) for e in entries]
    assert instants == sorted(instants, reverse=True)
    assert entries[-1]["kind"] == "case_opened" and entries[-1]["title"] == "Case opened"

    by_kind = {e["kind"]: e for e in entries}
    contact = by_kind["contact"]
    assert contact["title"] == "call (outbound): No answer"
    assert any("+86138****5678" in detail for detail in contact["details"])
    assert not any(MOBILE in detail for e in entries for detail in e["details"])
    assert "Rules broken: CN-TIME-1" in contact["details"]
    assert contact["actor"] == {"id": d.collector.user_id, "name": d.collector.username}
    assert by_kind["payment"]["links"]["account_id"] == d.account_id
    assert by_kind["promise_outcome"]["title"] == "Promise broken: 200.00 of 500.00 CNY paid"
    assert by_kind["dispute_closed"]["title"] == "Dispute upheld"
    assert by_kind["hold_placed"]["title"] == "Hold placed: hardship"
    assert by_kind["assignment"]["actor"] is None  # the system's first assignment

    chinese = timeline(api.as_(d.collector, **{"Accept-Language": "zh-CN"}), d.case_id, limit=200).json()
    assert chinese["language"] == "zh-CN"
    zh = {e["kind"]: e for e in chinese["entries"]}
    assert zh["case_opened"]["title"] == "案件开立"
    assert zh["contact"]["title"] == "电话（外呼）：无人接听"
    assert zh["dispute_closed"]["title"] == "异议成立"
    assert [e["id"] for e in chinese["entries"]] == [e["id"] for e in entries]

    # A role that sees phones in full (the customer, their own) sees the number.
    customer = api.person(Role.CUSTOMER, customer_id=d.customer_id)
    full = timeline(api.as_(customer), d.case_id, limit=200).json()["entries"]
    assert any(MOBILE in detail for e in full if e["kind"] == "contact" for detail in e["details"])
    looks = audit_entries(api, "case.timeline")
    assert len(looks) == 3 and {look["customer_id"] for look in looks} == {d.customer_id}


def test_pages_are_stable_and_complete_over_ties(api: Api) -> None:
    d = desk(api, "TP")
    tie = API_NOW - timedelta(days=1)
    contacts(api, d, 23, tie)
    payments(api, d, 9, date(2026, 11, 20))
    payments(api, d, 4, date(2026, 11, 19), prefix="Q")
    client = api.as_(d.collector)
    whole = [(e["kind"], e["id"]) for e in timeline(client, d.case_id, limit=200).json()["entries"]]
    assert len(whole) == 23 + 9 + 4 + 2  # and the opening and the first assignment

    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        answer = timeline(client, d.case_id, **params).json()
        pages.append([(e["kind"], e["id"]) for e in answer["entries"]])
        if len(pages) == 2:  # something new happens while the pages are read: it stays out of them
            contacts(api, d, 2, API_NOW - timedelta(minutes=5))
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert all(len(page) == 5 for page in pages[:-1])
    assert [item for page in pages for item in page] == whole


def test_the_timeline_is_scoped_and_refuses_a_forged_cursor(api: Api) -> None:
    d = desk(api, "TS")
    other = desk(api, "TT")
    assert timeline(api.as_(other.collector), d.case_id).status_code == 404
    assert timeline(api.as_(other.boss), d.case_id).status_code == 404
    assert timeline(api.as_(d.collector), "C-NO-SUCH").status_code == 404
    assert timeline(api.as_(d.collector), d.case_id, cursor="bm90LWEtY3Vyc29y").status_code == 400
    forged = "WyJ0aW1lbGluZSIsInllc3RlcmRheSIsImNvbnRhY3QiLCIxIl0"  # ["timeline","yesterday","contact","1"]
    assert timeline(api.as_(d.collector), d.case_id, cursor=forged).status_code == 400
    assert timeline(api.as_(d.officer), d.case_id).status_code == 200
    assert timeline(api.as_(api.person(Role.AUDITOR)), d.case_id).status_code == 200


def test_an_agency_sees_the_payments_of_its_placed_accounts_only(api: Api) -> None:
    d = desk(api, "TA")
    payments(api, d, 2, date(2026, 11, 20))
    agency = api.agency("AG-TA")
    with transaction(api.engine) as session:
        session.add(
            Account(
                account_id="A-TA-2",
                customer_id=d.customer_id,
                product="credit_card",
                currency="CNY",
                opened_on=date(2025, 1, 1),
                status="active",
            )
        )
        session.flush()
        session.add(
            CaseAccount(
                case_id=d.case_id,
                account_id="A-TA-2",
                joined_on=date(2026, 11, 1),
                delinquent=True,
                dpd=40,
                bucket="M2",
                overdue_amount=1000,
                currency="CNY",
                account_status="active",
            )
        )
        session.add(
            Payment(
                payment_id="X-TA-2", account_id="A-TA-2", paid_on=date(2026, 11, 20), currency="CNY", amount=1
            )
        )
    user = api.person(Role.AGENCY_USER, agency_id=agency)
    assert timeline(api.as_(user), d.case_id).status_code == 404
    with transaction(api.engine) as session:
        session.add(
            Placement(
                account_id=d.account_id,
                agency_id=agency,
                starts_on=date(2026, 11, 20),
                ends_on=date(2026, 12, 20),
                placed_at=API_NOW - timedelta(hours=1),
                reason="委外催收一个月",
            )
        )
    seen = timeline(api.as_(user), d.case_id, limit=200).json()["entries"]
    assert sorted(e["links"]["account_id"] for e in seen if e["kind"] == "payment") == [d.account_id] * 2
    every = timeline(api.as_(d.collector), d.case_id, limit=200).json()["entries"]
    assert len([e for e in every if e["kind"] == "payment"]) == 3


def test_the_batch_events_reader_reads_the_case_events_shape(engine: Engine) -> None:
    """The batch's case_events of one case, each kind titled, and none of another case's."""
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO customers (customer_id, name) VALUES ('P1', 'Test Customer')"))
        connection.execute(
            text(
                "INSERT INTO cases (case_id, customer_id, status, opened_on, worst_dpd, bucket, "
                "overdue_total, currency, account_count, updated_on) VALUES "
                "(:case, 'P1', 'closed', :on, 1, 'M1', 100, 'CNY', 1, :on)"
            ),
            [{"case": "C-1", "on": date(2026, 11, 1)}, {"case": "C-2", "on": date(2026, 11, 1)}],
        )
        connection.execute(
            text(
                "INSERT INTO case_events (id, case_id, occurred_on, kind, from_bucket, to_bucket, "
                "account_id, as_of) VALUES (:id, :case, :on, :kind, :f, :t, :a, :on)"
            ),
            [
                {
                    "id": 1,
                    "case": "C-1",
                    "on": date(2026, 11, 1),
                    "kind": "opened",
                    "f": None,
                    "t": "M1",
                    "a": None,
                },
                {
                    "id": 2,
                    "case": "C-1",
                    "on": date(2026, 11, 12),
                    "kind": "bucket_changed",
                    "f": "M1",
                    "t": "M2",
                    "a": None,
                },
                {
                    "id": 3,
                    "case": "C-1",
                    "on": date(2026, 11, 12),
                    "kind": "account_joined",
                    "f": None,
                    "t": None,
                    "a": "A-9",
                },
                {
                    "id": 4,
                    "case": "C-1",
                    "on": date(2026, 11, 20),
                    "kind": "cured",
                    "f": "M2",
                    "t": "M0",
                    "a": None,
                },
                {
                    "id": 5,
                    "case": "C-2",
                    "on": date(2026, 11, 20),
                    "kind": "bucket_changed",
                    "f": "M9",
                    "t": "M0",
                    "a": None,
                },
            ],
        )
    with transaction(engine) as session:
        found = [
            entry
            for source in service.batch_event_sources("C-1")
            for entry in read(session, source, None, 10, "Asia/Shanghai")
        ]
    by_id = {entry.id: entry for entry in found}
    assert sorted(by_id) == [1, 2, 3, 4]  # event 5 is another case's
    assert by_id[2].title.render("en") == "Bucket M1 → M2"
    assert by_id[3].links == {"account_id": "A-9"} and by_id[4].kind == "case_cured"
    assert by_id[1].at == datetime.fromisoformat("2026-11-01T00:00:00+08:00")
