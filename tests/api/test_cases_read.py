"""GET /api/v1/cases (filters, cursor pagination over the caller's scope) and GET /api/v1/cases/{id}
(customer, accounts, score with reasons in the caller's language, assignment, placements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from arrears.api.paging import encode_cursor
from arrears.auth.permissions import Role
from tests.api.book import TODAY, Book, account_id_of, case_id_of
from tests.api.conftest import Api, Person
from tests.api.reading import audit, listed

REASONS = [
    {"feature": "days_since_last_payment", "value": 45.0, "effect": -0.5},
    {"feature": "bucket_now", "value": 2.0, "effect": 0.25},
]


@dataclass
class Cases:
    book: Book
    t1: int
    t2: int
    li: Person


def cases(api: Api) -> Cases:
    """K1..K7: statuses, buckets, DPDs, currencies, products, assignments and scores to filter on."""
    book = Book(api.engine)
    t1, t2 = api.team("T1"), api.team("T2")
    li = api.person(Role.COLLECTOR, "li", team_id=t1)
    book.case("K1", dpd=95, bucket="M4", overdue=900_000, products=("personal_loan", "credit_card"))
    book.case("K2", dpd=45, bucket="M2", overdue=150_000)
    book.case("K3", dpd=45, bucket="M2", overdue=50_000, products=("credit_card",))
    book.case("K4", dpd=20, bucket="M1", overdue=10_000, currency="JPY")
    book.case("K5", dpd=0, bucket="M0", overdue=0, status="closed")
    book.case("K6", dpd=61, bucket="M3", overdue=150_001)
    book.case("K7", dpd=31, bucket="M2", overdue=149_999)
    book.assign(case_id_of("K1"), t1, li.user_id)
    book.assign(case_id_of("K2"), t1)
    book.assign(case_id_of("K6"), t2)
    model = book.model()
    book.score(model, case_id_of("K1"), account_id_of("K1", 1), 540, "E", reasons=REASONS)
    book.score(model, case_id_of("K1"), account_id_of("K1", 2), 700, "A")
    book.score(model, case_id_of("K2"), account_id_of("K2"), 650, "B")
    book.score(model, case_id_of("K3"), account_id_of("K3"), 530, "E")
    # an older date's score is not the case's score any more
    book.score(model, case_id_of("K6"), account_id_of("K6"), 500, "E", as_of=TODAY - timedelta(days=1))
    return Cases(book, t1, t2, li)


def test_filters_narrow_the_list_in_sort_order(api: Api) -> None:
    w = cases(api)
    client = api.as_(api.person(Role.AUDITOR))
    everything = [case_id_of(k) for k in ("K1", "K6", "K2", "K3", "K7", "K4", "K5")]
    assert listed(client) == everything  # worst DPD first, ties by case id
    ids = {k: case_id_of(k) for k in ("K1", "K2", "K3", "K4", "K5", "K6", "K7")}
    expectations: list[tuple[dict[str, object], list[str]]] = [
        ({"status": "closed"}, [ids["K5"]]),
        ({"status": "open", "bucket": "M2"}, [ids["K2"], ids["K3"], ids["K7"]]),
        ({"dpd_min": 31, "dpd_max": 61}, [ids["K6"], ids["K2"], ids["K3"], ids["K7"]]),
        ({"dpd_min": 100}, []),
        ({"team": w.t1}, [ids["K1"], ids["K2"]]),
        ({"team": w.t2}, [ids["K6"]]),
        ({"collector": w.li.user_id}, [ids["K1"]]),
        ({"product": "credit_card"}, [ids["K1"], ids["K3"]]),
        ({"score_band": "E"}, [ids["K1"], ids["K3"]]),  # K1's lowest account; K6's score is old
        ({"score_band": "A"}, []),
        ({"balance_min": "1500.00"}, [ids["K1"], ids["K6"], ids["K2"]]),
        ({"balance_min": "1500", "balance_max": "1500.00"}, [ids["K2"]]),
        ({"balance_max": "1499.99", "bucket": "M2"}, [ids["K3"], ids["K7"]]),
        ({"balance_min": "10000", "currency": "JPY"}, [ids["K4"]]),
        ({"balance_min": "0", "currency": "USD"}, []),
    ]
    for filters, wanted in expectations:
        for limit in (1, 2, 50):
            assert listed(client, limit=limit, **filters) == wanted, (filters, limit)


def test_bad_filters_are_problems_not_errors(api: Api) -> None:
    cases(api)
    client = api.as_(api.person(Role.AUDITOR))
    for params, status, code in (
        ({"balance_min": "12.345"}, 400, "money"),
        ({"balance_min": "lots"}, 400, "money"),
        ({"balance_min": "1", "currency": "XYZ"}, 400, "money"),
        ({"status": "lost"}, 422, "malformed"),
        ({"dpd_min": -1}, 422, "malformed"),
        ({"limit": 500}, 422, "malformed"),
        ({"cursor": "%%%"}, 400, "invalid_cursor"),
        ({"cursor": encode_cursor("cases", 10**30, "C")}, 400, "invalid_cursor"),
        ({"cursor": encode_cursor("cases", "45", "C")}, 400, "invalid_cursor"),
        ({"dpd_min": 10**30}, 422, "malformed"),
        ({"team": 10**30}, 422, "malformed"),
    ):
        answer = client.get("/api/v1/cases", params=params)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (params, answer.text)


def test_huge_amounts_narrow_instead_of_failing(api: Api) -> None:
    cases(api)
    client = api.as_(api.person(Role.AUDITOR))
    huge = "9" * 30
    assert listed(client, balance_min=huge) == []
    assert len(listed(client, balance_max=huge, status="open")) == 5  # the CNY ones
    assert listed(client, balance_min=f"-{huge}", currency="JPY") == [case_id_of("K4")]


def test_list_items_carry_figures_assignment_and_score(api: Api) -> None:
    w = cases(api)
    page = api.as_(api.person(Role.AUDITOR)).get("/api/v1/cases", params={"limit": 2}).json()
    first = page["items"][0]
    assert first == {
        "case_id": case_id_of("K1"),
        "customer_id": "K1",
        "status": "open",
        "opened_on": "2026-11-01",
        "closed_on": None,
        "close_reason": None,
        "worst_dpd": 95,
        "bucket": "M4",
        "overdue": {"amount": "9000.00", "currency": "CNY"},
        "account_count": 2,
        "updated_on": "2026-11-21",
        "team_id": w.t1,
        "collector_id": w.li.user_id,
        "score": 540,
        "band": "E",
    }
    assert page["items"][1]["score"] is None  # K6: scored on an older date only
    assert page["limit"] == 2 and page["next_cursor"]


def test_pagination_over_a_scoped_list_has_no_gaps_or_repeats(api: Api) -> None:
    book = Book(api.engine)
    t1, t2 = api.team("T1"), api.team("T2")
    me = api.person(Role.COLLECTOR, team_id=t1)
    other = api.person(Role.COLLECTOR, team_id=t1)
    expected: list[tuple[int, str]] = []
    for n in range(30):
        customer = f"P{n:02d}"
        dpd = [90, 45, 45, 45, 31, 0][n % 6]  # many ties: the case id breaks them
        case_id = book.case(customer, dpd=dpd)
        if n % 5 == 0:
            book.assign(case_id, t1, other.user_id)  # a colleague's: not mine
        elif n % 5 == 1:
            book.assign(case_id, t2)  # another team's pool
        elif n % 5 == 2:
            book.assign(case_id, t1, me.user_id)
            expected.append((dpd, case_id))
        elif n % 5 == 3:
            book.assign(case_id, t1)
            expected.append((dpd, case_id))
        # n % 5 == 4: assigned to no one
    wanted = [case_id for _, case_id in sorted(expected, key=lambda key: (-key[0], key[1]))]
    client = api.as_(me)
    for limit in (1, 3, 4, 12, 200):
        assert listed(client, limit=limit) == wanted, limit
    assert len(wanted) == 12
    mine_only = [c for c in wanted if int(c[3:5]) % 5 == 2]
    assert listed(client, limit=2, collector=me.user_id) == mine_only
    assert listed(client, limit=5, dpd_min=45) == [
        c for dpd, c in sorted(expected, key=lambda k: (-k[0], k[1])) if dpd >= 45
    ]


def test_a_case_page(api: Api) -> None:
    w = cases(api)
    agency = api.agency("AG1")
    w.book.place(account_id_of("K1", 2), agency)
    boss = api.person(Role.SUPERVISOR, "boss")
    api.lead(boss, w.t1)

    answer = api.as_(boss, **{"Accept-Language": "en"}).get(f"/api/v1/cases/{case_id_of('K1')}")
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert case["customer"] == {
        "customer_id": "K1",
        "name": "张伟 K1",
        "national_id": "110***********1234",
        "birth_date": "1990-**-**",
    }
    assert [(a["account_id"], a["product"], a["dpd"], a["overdue"]["amount"]) for a in case["accounts"]] == [
        (account_id_of("K1", 1), "personal_loan", 95, "9000.00"),
        (account_id_of("K1", 2), "credit_card", 94, "0.00"),
    ]
    assert case["assignment"]["team_code"] == "T1"
    assert case["assignment"]["collector"] == "li"
    assert case["assignment"]["reason"] == "test book"
    assert [(p["account_id"], p["agency"]) for p in case["placements"]] == [(account_id_of("K1", 2), "AG1")]
    scoring = case["scoring"]
    assert (scoring["score"], scoring["band"], scoring["account_id"]) == (540, "E", account_id_of("K1", 1))
    english = [r["text"] for r in scoring["reasons"]]
    assert english == ["▼ last payment 45 days ago", "▲ currently in M2"]
    assert [(r["feature"], r["effect"]) for r in scoring["reasons"]] == [
        ("days_since_last_payment", -0.5),
        ("bucket_now", 0.25),
    ]

    chinese = api.as_(boss, **{"Accept-Language": "zh-CN"}).get(f"/api/v1/cases/{case_id_of('K1')}").json()
    assert chinese["scoring"]["reasons"][0]["text"] == "▼ 最近一次还款在45天前"
    assert [r["text"] for r in chinese["scoring"]["reasons"]] != english

    entries = audit(api.engine, "case.read")
    assert [(e.actor_id, e.object_type, e.object_id, e.customer_id) for e in entries] == [
        (boss.user_id, "case", case_id_of("K1"), "K1")
    ] * 2

    # a collector's role has no placement.read: no placements on their page
    mine = api.as_(w.li).get(f"/api/v1/cases/{case_id_of('K1')}").json()
    assert mine["placements"] is None
    assert mine["assignment"]["collector_id"] == w.li.user_id
    # an unassigned, unscored case
    bare = api.as_(api.person(Role.AUDITOR)).get(f"/api/v1/cases/{case_id_of('K7')}").json()
    assert bare["assignment"] is None and bare["scoring"] is None and bare["score"] is None
    assert bare["placements"] == []
