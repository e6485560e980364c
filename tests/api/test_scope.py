"""Row scoping over real HTTP, each rule of arrears.cases.scope: what a caller sees is the same
through the case list, the case, the customer and the account (tests.api.reading.sees), and a
change of assignment, team, placement or visit takes effect at once, with the same token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.book import TODAY, Book, account_id_of
from tests.api.conftest import Api, Person
from tests.api.reading import seen_of, without_request

EVERYONE = ["K1", "K2", "K3", "K4", "K5"]


@dataclass
class World:
    book: Book
    t1: int
    t2: int
    me: Person
    colleague: Person


def world(api: Api) -> World:
    """Five cases: K1 assigned to me (team T1), K2 in T1's pool, K3 assigned to a colleague in T1,
    K4 in T2's pool, K5 assigned to no one."""
    book = Book(api.engine)
    t1, t2 = api.team("T1"), api.team("T2")
    me = api.person(Role.COLLECTOR, "me", team_id=t1)
    colleague = api.person(Role.COLLECTOR, "colleague", team_id=t1)
    for n, customer in enumerate(EVERYONE):
        book.case(customer, dpd=30 + n)
    book.assign("C-K1-20261101", t1, me.user_id)
    book.assign("C-K2-20261101", t1)
    book.assign("C-K3-20261101", t1, colleague.user_id)
    book.assign("C-K4-20261101", t2)
    return World(book, t1, t2, me, colleague)


def test_a_collector_sees_their_cases_and_their_teams_pool_until_moved(api: Api) -> None:
    w = world(api)
    mine = api.as_(w.me)
    assert seen_of(mine, EVERYONE) == {"K1", "K2"}
    assert seen_of(api.as_(w.colleague), EVERYONE) == {"K2", "K3"}

    # reassigned from the pool to the colleague: gone from my list at once
    w.book.assign("C-K2-20261101", w.t1, w.colleague.user_id)
    assert seen_of(mine, EVERYONE) == {"K1"}
    w.book.assign("C-K2-20261101", w.t1)

    # moved to T2 (same token): T1's pool is gone, T2's appears; my own case stays mine
    with api.engine.begin() as connection:
        connection.execute(update(User).where(User.id == w.me.user_id).values(team_id=w.t2))
    assert seen_of(mine, EVERYONE) == {"K1", "K4"}


def test_a_supervisor_sees_the_teams_they_lead(api: Api) -> None:
    w = world(api)
    boss = api.person(Role.SUPERVISOR, "boss")
    assert seen_of(api.as_(boss), EVERYONE) == set()
    api.lead(boss, w.t1)
    assert seen_of(api.as_(boss), EVERYONE) == {"K1", "K2", "K3"}
    api.lead(boss, w.t2)
    assert seen_of(api.as_(boss), EVERYONE) == {"K1", "K2", "K3", "K4"}


def test_an_agency_sees_what_is_placed_with_it_until_recalled_or_ended(api: Api) -> None:
    w = world(api)
    agency, other = api.agency("AG1"), api.agency("AG2")
    user = api.person(Role.AGENCY_USER, "agent-ag1", agency_id=agency)
    stranger = api.person(Role.AGENCY_USER, "agent-ag2", agency_id=other)
    placed = w.book.place(account_id_of("K4"), agency)
    w.book.place(account_id_of("K5"), agency, starts_on=TODAY - timedelta(30), ends_on=TODAY - timedelta(1))
    w.book.place(account_id_of("K3"), agency, starts_on=TODAY + timedelta(1))
    w.book.place(account_id_of("K2"), agency, starts_on=TODAY - timedelta(10), ends_on=TODAY)  # its last day

    client = api.as_(user)
    assert seen_of(client, EVERYONE) == {"K2", "K4"}
    assert seen_of(api.as_(stranger), EVERYONE) == set()

    # recalled while the agency user holds a token: invisible from that moment, same token
    w.book.recall(placed, api.clock.now())
    assert seen_of(client, EVERYONE) == {"K2"}


def test_an_agency_sees_only_the_placed_accounts_of_a_case(api: Api) -> None:
    book = Book(api.engine)
    book.case("K9", products=("personal_loan", "credit_card"))
    agency = api.agency("AG1")
    book.place(account_id_of("K9", 2), agency)
    client = api.as_(api.person(Role.AGENCY_USER, agency_id=agency))
    case = client.get("/api/v1/cases/C-K9-20261101").json()
    assert [a["account_id"] for a in case["accounts"]] == [account_id_of("K9", 2)]
    assert [p["account_id"] for p in case["placements"]] == [account_id_of("K9", 2)]
    assert client.get(f"/api/v1/accounts/{account_id_of('K9', 2)}").status_code == 200
    assert client.get(f"/api/v1/accounts/{account_id_of('K9', 1)}").status_code == 404


def test_a_field_agent_sees_the_customers_of_their_planned_visits(api: Api) -> None:
    w = world(api)
    agent = api.person(Role.FIELD_AGENT, "walker", team_id=w.t1)
    other = api.person(Role.FIELD_AGENT, "runner", team_id=w.t1)
    planned = w.book.visit("C-K5-20261101", "K5", agent.user_id)
    w.book.visit("C-K3-20261101", "K3", agent.user_id, status="cancelled")
    w.book.visit("C-K1-20261101", "K1", other.user_id)
    client = api.as_(agent)
    assert seen_of(client, EVERYONE) == {"K5"}
    w.book.set_visit(planned, "done")
    assert seen_of(client, EVERYONE) == set()


def test_a_customer_sees_only_their_own(api: Api) -> None:
    world(api)
    customer = api.person(Role.CUSTOMER, "k1-online", customer_id="K1")
    assert seen_of(api.as_(customer), EVERYONE) == {"K1"}


def test_auditors_compliance_administrators_and_analysts_see_everything(api: Api) -> None:
    world(api)
    for role in (Role.AUDITOR, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR, Role.STRATEGY_ANALYST):
        assert seen_of(api.as_(api.person(role)), EVERYONE) == set(EVERYONE), role


def test_out_of_scope_answers_exactly_what_a_missing_id_answers(api: Api) -> None:
    w = world(api)
    agency = api.agency("AG1")
    placed = w.book.place(account_id_of("K4"), agency)
    agency_user = api.person(Role.AGENCY_USER, agency_id=agency)
    w.book.recall(placed, api.clock.now())
    for person in (w.me, agency_user):
        client = api.as_(person, **{"Accept-Language": "zh-CN"})
        for hidden, missing in (
            ("/api/v1/customers/K4", "/api/v1/customers/NOBODY"),
            ("/api/v1/cases/C-K4-20261101", "/api/v1/cases/C-NOBODY-20261101"),
            (f"/api/v1/accounts/{account_id_of('K4')}", "/api/v1/accounts/NO-SUCH-ACCOUNT"),
        ):
            out_of_scope, absent = client.get(hidden), client.get(missing)
            assert out_of_scope.status_code == absent.status_code == 404
            assert out_of_scope.headers["content-type"] == absent.headers["content-type"]
            assert without_request(out_of_scope.json()) == without_request(absent.json())
            assert out_of_scope.json()["instance"] == hidden.split("?")[0]
            assert "K4" not in out_of_scope.text.replace(hidden, "")
    # and the administrator, who sees K4, gets it
    assert api.as_(api.person(Role.ADMINISTRATOR)).get("/api/v1/customers/K4").status_code == 200
