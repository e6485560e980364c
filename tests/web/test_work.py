"""My work, next case and the case page over real HTTP, on SQLite and PostgreSQL: the collector's
queue counts, the next-case form taking the case the queues' service hands out, a case out of
scope as a 404 page, and both languages."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditEntry
from arrears.auth.models import User
from arrears.queues.models import Lease
from tests.api.conftest import Api
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import Queued, add_cases, case_id_of
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
