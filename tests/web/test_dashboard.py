"""The supervisor's dashboard over real HTTP, on SQLite and PostgreSQL: each figure against a small
hand-built data set, the filters and their refusals, the CSV and XLSX exports (neutralised, the
per-collector one audited), the permission, both languages, and the number of SQL statements a
render takes (the same for a larger portfolio: the figures are counted in SQL)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, select, update

from arrears.arrangements.models import Promise
from arrears.audit.models import AuditEntry
from arrears.auth.models import Team, TeamLeader, User
from arrears.auth.permissions import Role
from arrears.cases.models import CaseEvent
from arrears.contacts.models import Contact
from arrears.delinquency.models import DelinquencyRange, SnapshotDate
from arrears.portfolio.models import Account, Payment
from arrears.reports import totals
from arrears.web.dashboard import contrast, heat
from tests.api.conftest import API_NOW, Api
from tests.queues.test_next import TODAY, Queued, add_cases, case_id_of
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_browser import CHROMIUM, page

__all__ = ["page"]

FIRST_SNAPSHOT, LAST_SNAPSHOT = date(2026, 11, 1), date(2026, 11, 20)
DAY = TODAY - timedelta(days=1)


def _range(
    account: str, customer: str, start: date, end: date | None, bucket: str, outstanding: int
) -> dict[str, Any]:
    rank = int(bucket[1])
    return {
        "account_id": account,
        "valid_from": start,
        "valid_to": end,
        "customer_id": customer,
        "currency": "CNY",
        "status": "active",
        "overdue_since": None if rank == 0 else start - timedelta(days=30 * rank - 1),
        "bucket": bucket,
        "bucket_rank": rank,
        "overdue_amount": 0 if rank == 0 else outstanding // 2,
        "outstanding_amount": outstanding,
        "roll": "new",
    }


def _contact(case: str, customer: str, user_id: int, team_id: int, disposition: str) -> dict[str, Any]:
    return {
        "case_id": case_id_of(case),
        "customer_id": customer,
        "channel": "call",
        "direction": "outbound",
        "party": "debtor",
        "started_at": API_NOW - timedelta(days=1),
        "started_on": DAY,
        "disposition": disposition,
        "note_flags": [],
        "violations": [],
        "after_the_fact": False,
        "review_status": "none",
        "source": "collector",
        "recorded_at": API_NOW - timedelta(days=1),
        "recorded_by": user_id,
        "team_id": team_id,
    }


def _promise(case: str, status: str, closed_on: date) -> dict[str, Any]:
    return {
        "case_id": case_id_of(case),
        "currency": "CNY",
        "amount": 50_000,
        "paid_amount": 0,
        "status": status,
        "taken_at": API_NOW - timedelta(days=10),
        "taken_on": TODAY - timedelta(days=10),
        "first_due_on": closed_on - timedelta(days=1),
        "last_due_on": closed_on - timedelta(days=1),
        "closed_on": closed_on,
        "version": 1,
    }


@pytest.fixture
def book(api: Api, signed_up: Callable[..., User], cheap_hashing: object) -> dict[str, int]:
    """Teams T1 (led by wang.zhu) and T2; li.lei in T1 with cases a and b, han.mei in T2 with c;
    a credit card account of customer Na beside the loans; two snapshots, events, promises,
    payments and contacts."""
    t1, t2 = api.team("T1"), api.team("T2")
    boss = signed_up("wang.zhu", role=Role.SUPERVISOR)
    me = signed_up("li.lei", role=Role.COLLECTOR, team_id=t1)
    other = signed_up("han.mei", role=Role.COLLECTOR, team_id=t2)
    signed_up("zhao.an", role=Role.STRATEGY_ANALYST)
    add_cases(
        api.engine,
        [
            Queued("a", t1, me.id, opened_on=TODAY - timedelta(days=3)),
            Queued("b", t1, me.id, opened_on=TODAY - timedelta(days=51)),
            Queued("c", t2, other.id),
        ],
    )
    with api.engine.begin() as connection:
        connection.execute(insert(TeamLeader).values(team_id=t1, user_id=boss.id))
        connection.execute(
            insert(Account).values(
                account_id="A-X",
                customer_id="Na",
                product="credit_card",
                currency="CNY",
                opened_on=date(2025, 1, 1),
                status="active",
            )
        )
        connection.execute(insert(SnapshotDate), [{"as_of": FIRST_SNAPSHOT}, {"as_of": LAST_SNAPSHOT}])
        connection.execute(
            insert(DelinquencyRange),
            [
                _range("A-Na", "Na", FIRST_SNAPSHOT, LAST_SNAPSHOT, "M0", 100_000),
                _range("A-Na", "Na", LAST_SNAPSHOT, None, "M1", 100_000),
                _range("A-Nb", "Nb", FIRST_SNAPSHOT, None, "M2", 200_000),
                _range("A-Nc", "Nc", FIRST_SNAPSHOT, LAST_SNAPSHOT, "M1", 50_000),
                _range("A-Nc", "Nc", LAST_SNAPSHOT, None, "M0", 50_000),
                _range("A-X", "Na", FIRST_SNAPSHOT, None, "M3", 300_000),
            ],
        )
        totals.rebuild(connection, [FIRST_SNAPSHOT, LAST_SNAPSHOT])  # as the nights would have
        connection.execute(
            insert(CaseEvent),
            [
                {
                    "case_id": case_id_of("c"),
                    "occurred_on": FIRST_SNAPSHOT,
                    "kind": "opened",
                    "as_of": FIRST_SNAPSHOT,
                },
                {
                    "case_id": case_id_of("a"),
                    "occurred_on": date(2026, 11, 18),
                    "kind": "opened",
                    "as_of": date(2026, 11, 18),
                },
                {
                    "case_id": case_id_of("c"),
                    "occurred_on": LAST_SNAPSHOT,
                    "kind": "cured",
                    "as_of": LAST_SNAPSHOT,
                },
                {
                    "case_id": case_id_of("b"),
                    "occurred_on": LAST_SNAPSHOT,
                    "kind": "bucket_changed",
                    "as_of": LAST_SNAPSHOT,
                },
            ],
        )
        connection.execute(
            insert(Promise),
            [
                _promise("a", "kept", date(2026, 11, 19)),
                _promise("b", "broken", date(2026, 11, 19)),
                _promise("c", "partially_kept", LAST_SNAPSHOT),
                _promise("c", "superseded", LAST_SNAPSHOT),
            ],
        )
        payments = [
            ("P1", "A-Na", date(2026, 11, 19), 30_000, None),
            ("P2", "A-Nb", date(2026, 11, 19), 20_000, None),
            ("P4", "A-X", date(2026, 11, 19), 50_000, None),
            ("P3", "A-Nb", LAST_SNAPSHOT, 5_000, "P2"),
        ]
        for payment_id, account, paid_on, amount, reverses in payments:
            connection.execute(
                insert(Payment).values(
                    payment_id=payment_id,
                    account_id=account,
                    paid_on=paid_on,
                    currency="CNY",
                    amount=amount,
                    reverses=reverses,
                )
            )
        connection.execute(
            insert(Contact),
            [
                _contact("a", "Na", me.id, t1, "no_answer"),
                _contact("a", "Na", me.id, t1, "promise"),
                _contact("b", "Nb", me.id, t1, "right_party_contact"),
                _contact("c", "Nc", other.id, t2, "no_answer"),
            ],
        )
    return {"t1": t1, "t2": t2, "me": me.id, "other": other.id}


_TAG = re.compile(r"<[^>]+>")


def rows_of(page: str, figure: str) -> list[list[str]]:
    """The body rows of the table ``data-figure=figure``, each cell's text."""
    table = page.split(f'data-figure="{figure}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([_TAG.sub("", c).strip() for c in cells])
    return rows


def signed_in(browser: Callable[..., httpx.Client], name: str, language: str = "en") -> httpx.Client:
    client = browser(language)
    assert sign_in(client, name).status_code == 303
    return client


def test_the_figures_of_a_supervisor(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]
) -> None:
    client = signed_in(browser, "wang.zhu")
    page = client.get("/dashboard")
    assert page.status_code == 200, page.text
    text = page.text
    assert "<script" not in text.split("</head>", 1)[1]  # the charts need no script
    assert "kozea" not in text and "<?xml" not in text  # pygal links nothing, inlines the SVG
    assert text.count("<svg") >= 6
    assert rows_of(text, "buckets") == [
        ["November 1, 2026", "M0", "CNY", "1", "CN¥1,000.00"],
        ["November 1, 2026", "M1", "CNY", "1", "CN¥500.00"],
        ["November 1, 2026", "M2", "CNY", "1", "CN¥2,000.00"],
        ["November 1, 2026", "M3", "CNY", "1", "CN¥3,000.00"],
        ["November 20, 2026", "M0", "CNY", "1", "CN¥500.00"],
        ["November 20, 2026", "M1", "CNY", "1", "CN¥1,000.00"],
        ["November 20, 2026", "M2", "CNY", "1", "CN¥2,000.00"],
        ["November 20, 2026", "M3", "CNY", "1", "CN¥3,000.00"],
    ]
    roll = rows_of(text, "roll")
    assert roll[0][:4] == ["M0", "1", "·", "100.0%"]  # M0 → M1
    assert roll[1][:3] == ["M1", "1", "100.0%"]  # M1 → M0: cured
    assert 'style="background:#7f1d1d;color:#ffffff" data-roll="M0-M1">100.0%' in text
    assert rows_of(text, "flows") == [
        ["November 1, 2026", "1", "0"],
        ["November 18, 2026", "1", "0"],
        ["November 20, 2026", "0", "1"],
    ]
    assert rows_of(text, "promises") == [
        ["November 19, 2026", "1", "0", "1", "50.0%"],
        ["November 20, 2026", "0", "1", "0", "0.0%"],
    ]
    # the supervisor's contacts: their team's only (T1: 3 attempts, 2 right-party)
    assert rows_of(text, "contacts") == [["November 20, 2026", "3", "2", "2", "66.7%", "66.7%"]]
    assert rows_of(text, "collected") == [
        ["November 19, 2026", "CNY", "3", "CN¥1,000.00"],
        ["November 20, 2026", "CNY", "0", "-CN¥50.00"],
    ]
    assert rows_of(text, "queues") == [["T1", "M2", "2", "1", "0", "1", "0"]]
    assert rows_of(text, "collectors") == [["T1", "li.lei", "3", "2", "1", "66.7%", "50.0%"]]
    assert rows_of(text, "teams") == [["T1", "3", "2", "1", "66.7%", "50.0%"]]
    assert f'<option value="{book["t2"]}"' not in text  # only the teams they lead to filter on
    foreign = client.get("/dashboard", params={"team": str(book["t2"])}).text  # a team they do not lead
    assert "han.mei" not in foreign
    assert "No figures for this period." in foreign.split('id="queues"')[1].split("</section>")[0]


def test_filters_product_team_and_period(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]
) -> None:
    client = signed_in(browser, "zhao.an")  # an analyst reports on every team
    whole = client.get("/dashboard").text
    assert rows_of(whole, "contacts") == [["November 20, 2026", "4", "2", "2", "50.0%", "50.0%"]]
    assert [r[:3] for r in rows_of(whole, "queues")] == [["T1", "M2", "2"], ["T2", "M2", "1"]]
    cards = client.get("/dashboard", params={"product": "credit_card"}).text
    assert [r[1] for r in rows_of(cards, "buckets")] == ["M3", "M3"]
    assert rows_of(cards, "collected") == [["November 19, 2026", "CNY", "1", "CN¥500.00"]]
    team2 = client.get("/dashboard", params={"team": str(book["t2"])}).text
    assert rows_of(team2, "collectors") == [["T2", "han.mei", "1", "0", "0", "0.0%", "—"]]
    short = client.get("/dashboard", params={"from": "2026-11-19", "to": "2026-11-19"}).text
    assert [r[0] for r in rows_of(short, "promises")] == ["November 19, 2026"]
    assert "Two snapshot dates in the period are needed" in short


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-13-01"}, "from &#39;2026-13-01&#39; is not a date: write it as YYYY-MM-DD"),
        ({"to": "yesterday"}, "to &#39;yesterday&#39; is not a date"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "from (2026-11-20) is after to (2026-11-01)"),
        ({"from": "2020-01-01"}, "A period of at most 366 days"),
        ({"team": "T1"}, "team &#39;T1&#39; is not a team&#39;s number"),
        ({"product": "=1+1"}, "&#39;=1+1&#39; is not a product"),
    ],
)
def test_a_bad_filter_is_a_clear_400(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int], params: dict[str, str], message: str
) -> None:
    answer = signed_in(browser, "wang.zhu").get("/dashboard", params=params)
    assert answer.status_code == 400
    assert message in answer.text


def test_a_collector_may_not_see_it(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]
) -> None:
    client = signed_in(browser, "li.lei")
    assert 'href="/dashboard"' not in client.get("/").text  # not in the collector's header
    for path in ("/dashboard", "/dashboard/queues.csv", "/dashboard/collectors.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 403, path
    assert browser().get("/dashboard").status_code == 303  # no session: to the sign-in


def test_exports_csv_and_xlsx_neutralised_and_the_collectors_audited(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]
) -> None:
    with api.engine.begin() as connection:
        connection.execute(update(Team).where(Team.id == book["t1"]).values(name='=HYPERLINK("x")'))
    client = signed_in(browser, "wang.zhu")
    page = client.get("/dashboard", params={"product": "personal_loan"}).text
    assert 'href="/dashboard/queues.csv?product=personal_loan"' in page
    queues = client.get("/dashboard/queues.csv")
    assert queues.status_code == 200
    assert queues.headers["content-type"].startswith("text/csv")
    assert "attachment" in queues.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(queues.content.decode("utf-8-sig"))))
    assert rows == [
        ["Team", "Queue", "Cases", "0–7 days", "8–30 days", "31–90 days", "over 90 days"],
        ['\'=HYPERLINK("x")', "M2", "2", "1", "0", "1", "0"],
    ]
    collected = client.get("/dashboard/collected.csv")
    assert list(csv.reader(io.StringIO(collected.content.decode("utf-8-sig"))))[1:] == [
        ["2026-11-19", "CNY", "3", "1000.00"],
        ["2026-11-20", "CNY", "0", "-50.00"],
    ]
    with api.engine.connect() as connection:
        before = connection.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) or 0
    sheet = client.get("/dashboard/collectors.xlsx")
    assert sheet.status_code == 200
    book_ = load_workbook(io.BytesIO(sheet.content))
    values = [list(r) for r in book_.active.iter_rows(values_only=True)]
    assert values[0] == [
        "Team",
        "Collector",
        "Attempts",
        "Right-party contacts",
        "Promises",
        "RPC rate",
        "Promise rate",
    ]
    assert values[1][:5] == ['\'=HYPERLINK("x")', "li.lei", 3, 2, 1]
    assert float(values[1][5]) == pytest.approx(0.6667)
    with api.engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntry.action, AuditEntry.object_id, AuditEntry.after).where(AuditEntry.seq > before)
        ).all()
    assert [(a, o) for a, o, _ in audited] == [("report.export", "dashboard.collectors")]
    after = json.loads(audited[0][2]) if isinstance(audited[0][2], str) else audited[0][2]
    assert after["format"] == "xlsx" and after["rows"] == 1
    assert client.get("/dashboard/nothing.csv").status_code == 404
    assert client.get("/dashboard/queues.pdf").status_code == 404


def test_in_chinese(api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]) -> None:
    page = signed_in(browser, "wang.zhu", "zh-CN").get("/dashboard").text
    assert '<html lang="zh-CN">' in page
    assert "<h1>报表看板</h1>" in page
    assert "迁徙率" in page and "承诺兑现率" in page
    assert rows_of(page, "collected")[0] == ["2026年11月19日", "CNY", "3", "¥1,000.00"]


@contextmanager
def counted(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(api.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(api.engine, "before_cursor_execute", count)


def test_one_statement_per_figure_whatever_the_size(
    api: Api, browser: Callable[..., httpx.Client], book: dict[str, int]
) -> None:
    client = signed_in(browser, "zhao.an")
    with counted(api) as small:
        assert client.get("/dashboard").status_code == 200
    add_cases(api.engine, [Queued(f"x{i}", book["t2"], book["other"]) for i in range(40)])
    with api.engine.begin() as connection:
        connection.execute(
            insert(Contact),
            [_contact(f"x{i}", f"Nx{i}", book["other"], book["t2"], "promise") for i in range(40)],
        )
        connection.execute(
            insert(DelinquencyRange),
            [_range(f"A-Nx{i}", f"Nx{i}", FIRST_SNAPSHOT, None, "M2", 10_000) for i in range(40)],
        )
    with counted(api) as large:
        page = client.get("/dashboard").text
    assert rows_of(page, "queues")[1][:3] == ["T2", "M2", "41"]
    reading = [s for s in small if "delinquency_ranges" in s or "contacts" in s or "payments" in s]
    assert len(small) == len(large)  # no statement per row
    assert len(reading) <= 5
    assert len(small) <= 20, small


def test_the_api_gives_the_same_figures(api: Api, book: dict[str, int]) -> None:
    analyst = api.as_(api.person(Role.STRATEGY_ANALYST))
    answer = analyst.get("/api/v1/reports/dashboard")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["first"] == "2026-08-24" and data["last"] == "2026-11-21"  # the last 90 days
    assert data["snapshot_dates"] == ["2026-11-01", "2026-11-20"]
    assert data["promises"][0] == {
        "day": "2026-11-19",
        "kept": 1,
        "partly_kept": 0,
        "broken": 1,
        "kept_rate": "0.5000",
    }
    assert [(c["day"], c["amount"]) for c in data["collected"]] == [
        ("2026-11-19", "1000.00"),
        ("2026-11-20", "-50.00"),
    ]
    assert data["contacts"][0]["right_party_rate"] == "0.5000"
    assert data["roll_rates"]["rows"][0]["cells"][1]["rate"] == "1.0000"  # M0 → M1
    cards = analyst.get(
        "/api/v1/reports/dashboard", params={"product": "credit_card", "team_id": book["t1"]}
    ).json()
    assert [(b["bucket"], b["outstanding"]) for b in cards["buckets"]] == [
        ("M3", "3000.00"),
        ("M3", "3000.00"),
    ]
    assert [q["team_id"] for q in cards["queues"]] == [book["t1"]]
    assert analyst.get("/api/v1/reports/dashboard", params={"from": "soon"}).status_code == 422
    backwards = analyst.get("/api/v1/reports/dashboard", params={"from": "2026-11-20", "to": "2026-11-01"})
    assert backwards.status_code == 400
    assert backwards.json()["detail"] == "from (2026-11-20) is after to (2026-11-01)"
    collector = api.as_(api.person(Role.COLLECTOR, team_id=book["t1"]))
    assert collector.get("/api/v1/reports/dashboard").status_code == 403


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)
def test_in_a_browser_filters_charts_and_tables(api: Api, page: Any, book: dict[str, int]) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(api.url + "/dashboard")
    page.get_by_label("User name").fill("zhao.an")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(api.url + "/dashboard")
    assert page.get_by_role("heading", name="Dashboard", exact=True).is_visible()
    assert page.get_by_role("img", name="Accounts by bucket").is_visible()  # the SVG, labelled
    page.get_by_label("Team", exact=True).select_option(label="T2")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/dashboard?*team={book['t2']}*")
    section = page.locator("#collectors")
    section.get_by_text("The figures as a table").click()
    assert section.get_by_role("cell", name="han.mei").is_visible()
    assert (
        section.get_by_role("link", name="XLSX").get_attribute("href").endswith(f"team={book['t2']}&product=")
    )
    assert all(url.startswith(api.url) for url in asked)  # nothing fetched from elsewhere


def test_the_heat_maps_text_keeps_its_contrast() -> None:
    for step in range(101):
        style = heat(Decimal(step) / 100)
        background, text = (part.split(":#")[1] for part in style.split(";"))
        colours = [tuple(int(c[i : i + 2], 16) for i in (0, 2, 4)) for c in (background, text)]
        assert contrast(*colours) >= 4.5, (step, style)
    assert heat(None) == heat(Decimal(0)) == "background:#ffffff;color:#000000"
