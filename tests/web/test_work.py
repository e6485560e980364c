"""My work, next case and the case page over real HTTP, on SQLite and PostgreSQL: the collector's
queue counts, the next-case form taking the case the queues' service hands out, a case out of
scope as a 404 page, and both languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise
from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.compliance.models import ComplianceDecision
from arrears.contacts.models import Contact
from arrears.disputes.models import Dispute, Hold
from arrears.queues.models import Lease
from tests.api.conftest import API_NOW, Api
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import TODAY, Queued, add_callback, add_cases, add_promise, case_id_of
from tests.web.conftest import collector_with_password, hidden, sign_in


def _desk(api: Api) -> tuple[int, Desk]:
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    return team, desk


def test_my_work_shows_my_queue_counts_and_next_case_opens_the_case(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    other = collector_with_password(signed_up, team, "han.mei")
    add_cases(
        api.engine,
        [
            Queued("a", team, me.id, overdue=300_000),
            Queued("b", team, me.id, overdue=100_000),
            Queued("c", team, other.id),
        ],
    )
    client = browser()
    assert sign_in(client, "li.lei").status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert '<td class="number" data-queue-cases="M2">2</td>' in home.text  # mine only, not han.mei's
    assert "CN¥4,000.00" in home.text  # the overdue of my two cases, in the reader's locale
    taken = client.post("/next-case", data={"csrf_token": hidden(home.text, "csrf_token")})
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/cases/{case_id_of('a')}"  # the larger expected recovery
    with Session(api.engine) as session:
        assert session.scalars(select(Lease.case_id).where(Lease.collector_id == me.id)).all() == [
            case_id_of("a")
        ]
    case = client.get(taken.headers["location"])
    assert case.status_code == 200
    assert case_id_of("a") in case.text and "A-Na" in case.text and "CN¥3,000.00" in case.text
    with Session(api.engine) as session:
        looks = session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.action.like("%case%"), AuditEntry.object_id == case_id_of("a")
            )
        ).all()
    assert looks, "the look at the case is on the audit trail"


def test_next_case_without_a_case_says_so(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    collector_with_password(signed_up, team)
    client = browser()
    sign_in(client, "li.lei")
    token = hidden(client.get("/").text, "csrf_token")
    taken = client.post("/next-case", data={"csrf_token": token})
    assert taken.status_code == 303 and taken.headers["location"] == "/?empty=1"
    assert "No case in your queues can be worked now" in client.get("/?empty=1").text


def test_next_case_needs_the_csrf_token(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id)])
    client = browser()
    sign_in(client, "li.lei")
    refused = client.post("/next-case", data={})
    assert refused.status_code == 403
    with Session(api.engine) as session:
        assert session.scalars(select(Lease.case_id)).all() == []


def test_a_case_out_of_scope_is_a_404_page(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, desk = _desk(api)
    elsewhere = desk.team("T2")
    collector_with_password(signed_up, team)
    stranger = collector_with_password(signed_up, elsewhere, "han.mei")
    add_cases(api.engine, [Queued("far", elsewhere, stranger.id)])
    client = browser()
    sign_in(client, "li.lei")
    answer = client.get(f"/cases/{case_id_of('far')}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in answer.text
    assert "客户 far" not in answer.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    through_the_api = client.get(f"/api/v1/cases/{case_id_of('far')}")  # the same session cookie
    assert through_the_api.status_code == 404
    assert through_the_api.headers["content-type"] == "application/problem+json"


def test_a_role_without_the_permission_gets_a_403_page(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("auditor.one", role="auditor")
    client = browser()
    sign_in(client, "auditor.one")
    home = client.get("/")
    assert home.status_code == 200 and "Next case" not in home.text
    refused = client.post("/next-case", data={"csrf_token": hidden(home.text, "csrf_token")})
    assert refused.status_code == 403
    assert "queue.work" in refused.text


def test_both_languages(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id, overdue=123_456)])
    chinese = browser("zh-CN,zh;q=0.9")
    sign_in(chinese, "li.lei")
    page = chinese.get("/").text
    assert '<html lang="zh-CN">' in page
    for words in ("我的工作", "下一个案件", "我的队列", "退出登录", "¥1,234.56", "2026年11月1日"):
        assert words in page, words
    english = browser("en")
    sign_in(english, "li.lei")
    page = english.get("/").text
    for words in ("My work", "Next case", "My queues", "Sign out", "CN¥1,234.56", "November 1, 2026"):
        assert words in page, words
    # the switcher's choice beats Accept-Language
    switched = english.post(
        "/language", data={"language": "zh-CN", "next": "/", "form_token": hidden(page, "form_token")}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    assert "我的工作" in english.get("/").text


def test_static_files_are_versioned_and_cached(api: Api) -> None:
    client = api.client()
    page = client.get("/sign-in").text
    address = page.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert address.startswith("/static/") and address.endswith("/app.css")
    answer = client.get(address)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    assert (
        "immutable" in answer.headers["cache-control"]
        and "max-age=31536000" in answer.headers["cache-control"]
    )
    assert client.get("/static/000000000000/app.css").status_code == 404
    assert client.get(address.replace("app.css", "../__init__.py")).status_code == 404


def _contact(case_id: str, customer_id: str, user_id: int, disposition: str, **values: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "customer_id": customer_id,
        "channel": "call",
        "direction": "outbound",
        "party": "debtor",
        "started_at": API_NOW - timedelta(hours=1),
        "started_on": TODAY,
        "disposition": disposition,
        "note_flags": [],
        "violations": [],
        "after_the_fact": False,
        "review_status": "none",
        "source": "collector",
        "recorded_at": API_NOW - timedelta(hours=1),
        "recorded_by": user_id,
    } | values


def test_my_day_due_today_and_my_numbers(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    other = collector_with_password(signed_up, team, "han.mei")
    add_cases(
        api.engine,
        [
            Queued("a", team, me.id),
            Queued("b", team, me.id),
            Queued("c", team, other.id),
            Queued("d", team, me.id),
        ],
    )
    add_promise(api.engine, case_id_of("a"), status="open", due_on=TODAY, closed_on=None)
    add_promise(api.engine, case_id_of("b"), status="open", due_on=TODAY + timedelta(days=1), closed_on=None)
    add_promise(api.engine, case_id_of("c"), status="open", due_on=TODAY, closed_on=None)  # han.mei's
    add_callback(api.engine, case_id_of("b"), API_NOW + timedelta(hours=3))  # 13:00 in Shanghai
    add_callback(api.engine, case_id_of("a"), API_NOW + timedelta(days=1))  # tomorrow
    with api.engine.begin() as connection:
        connection.execute(
            insert(Contact),
            [
                _contact(case_id_of("a"), "Na", me.id, "no_answer"),
                _contact(case_id_of("a"), "Na", me.id, "promise"),
                _contact(case_id_of("b"), "Nb", me.id, "right_party_contact"),
                _contact(case_id_of("b"), "Nb", me.id, "no_answer", started_on=TODAY - timedelta(days=1)),
                _contact(case_id_of("c"), "Nc", other.id, "promise"),
            ],
        )
        connection.execute(
            insert(Promise).values(
                case_id=case_id_of("d"),
                currency="CNY",
                amount=88_800,
                paid_amount=0,
                status="open",
                taken_at=API_NOW,
                taken_on=TODAY,
                taken_by=me.id,
                first_due_on=TODAY + timedelta(days=7),
                last_due_on=TODAY + timedelta(days=7),
                version=1,
            )
        )
    client = browser("zh-CN")
    sign_in(client, "li.lei")
    page = client.get("/").text
    due = page.split("data-promises-due>")[1].split("</ul>")[0]
    assert case_id_of("a") in due and "¥500.00" in due
    assert case_id_of("b") not in due and case_id_of("c") not in due
    callbacks = page.split("data-callbacks-due>")[1].split("</ul>")[0]
    assert case_id_of("b") in callbacks and "13:00" in callbacks and case_id_of("a") not in callbacks
    assert '<dd class="number" data-contacts>3</dd>' in page
    assert '<dd class="number" data-right-party>2</dd>' in page
    assert '<dd class="number" data-promises-taken>1</dd>' in page
    assert "¥888.00" in page.split("data-promised>")[1].split("</dd>")[0]
    assert "今日到期的还款承诺" in page and "我的今日业绩" in page


def test_the_case_page_shows_holds_disputes_and_the_timeline_first(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id), Queued("b", team, me.id)])
    add_promise(api.engine, case_id_of("a"), status="open", due_on=TODAY, closed_on=None)
    with api.engine.begin() as connection:
        connection.execute(
            insert(Hold).values(
                customer_id="Na",
                case_id=case_id_of("a"),
                kind="hardship",
                evidence="letter from the customer",
                placed_at=API_NOW - timedelta(days=2),
                version=1,
            )
        )
        connection.execute(
            insert(Dispute).values(
                case_id=case_id_of("a"),
                customer_id="Na",
                kind="amount",
                description="the amount is wrong",
                status="open",
                received_at=API_NOW - timedelta(days=1),
                verify_by=TODAY + timedelta(days=10),
                version=1,
            )
        )
    client = browser("zh-CN")
    sign_in(client, "li.lei")
    page = client.get(f"/cases/{case_id_of('a')}")
    assert page.status_code == 200, page.text
    alert = page.text.split("data-holds>")[1].split("</section>")[0]
    assert "冻结：经济困难" in alert and "自2026年11月19日起" in alert
    assert "争议" in alert and "2026年12月1日" in alert
    assert page.text.index("data-holds") < page.text.index("customer-title")
    title = page.text.split("<title>")[1].split("</title>")[0]
    assert title.startswith(f"案件 {case_id_of('a')}") and "<" not in title  # the title is text only
    assert "<td>个人贷款</td>" in page.text and "personal_loan" not in page.text  # the product's name
    timeline = page.text.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert timeline.count("<li id=") >= 2  # the promise and the dispute at least
    quiet = client.get(f"/cases/{case_id_of('b')}").text
    assert "data-holds" not in quiet
    with Session(api.engine) as session:
        looks = set(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.in_(["hold.read", "case.timeline"]))
            )
        )
    assert looks == {"hold.read", "case.timeline"}


def test_each_contact_point_with_the_gates_answer_now(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team, _ = _desk(api)
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id)])
    day = browser("en")
    sign_in(day, "li.lei")
    page = day.get(f"/cases/{case_id_of('a')}").text
    row = page.split("<tr data-point=")[1].split("</tr>")[0]
    assert "Allowed now" in row and "+8613812345678" not in row  # masked for a collector
    api.clock.advance(timedelta(hours=13))  # 23:00 in Shanghai: quiet hours
    night = browser("zh-CN")
    sign_in(night, "li.lei")
    page = night.get(f"/cases/{case_id_of('a')}").text
    row = page.split("<tr data-point=")[1].split("</tr>")[0]
    assert "禁止联系" in row, row
    assert "下次允许" in row and "08:00" in row, row
    with Session(api.engine) as session:
        assert session.scalars(select(ComplianceDecision.id)).all() == []  # a look, not a contact


def test_a_queue_holding_two_currencies_is_one_row_with_both_amounts() -> None:
    from datetime import date

    from arrears.queues.service import QueueSize
    from arrears.web.pages import _by_queue

    sizes = [
        QueueSize(team_id=1, queue="early", currency="CNY", cases=3, overdue=300_00, mean_dpd=10.0,
                  oldest_entry=date(2026, 11, 2)),
        QueueSize(team_id=1, queue="early", currency="USD", cases=1, overdue=50_00, mean_dpd=30.0,
                  oldest_entry=date(2026, 11, 1)),
        QueueSize(team_id=1, queue="late", currency="CNY", cases=2, overdue=900_00, mean_dpd=95.0,
                  oldest_entry=None),
    ]  # fmt: skip
    early, late = _by_queue(sizes)
    assert (early.queue, early.cases, early.overdue) == ("early", 4, {"CNY": 300_00, "USD": 50_00})
    assert early.mean_dpd == 15.0 and early.oldest_entry == date(2026, 11, 1)
    assert (late.queue, late.cases, late.overdue, late.oldest_entry) == ("late", 2, {"CNY": 900_00}, None)
