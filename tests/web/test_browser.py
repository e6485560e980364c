"""One flow in a real browser: Playwright driving Debian's Chromium (never a downloaded browser),
headless, against the served app on SQLite and PostgreSQL: sign in → my work → next case (with
the keyboard shortcut ``n``). Skipped, with the reason shown, where /usr/bin/chromium is absent
(CI installs it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.test_placements import place
from tests.api.work_book import add_cases as add_book
from tests.api.work_book import supervisor_of
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import Queued, add_cases, case_id_of
from tests.web.conftest import PASSWORD, collector_with_password

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture
def page(browser: Callable[..., Any]) -> Iterator[Any]:
    """A Chromium page (English), the cookies not Secure: the test server speaks plain HTTP."""
    browser()  # the browser fixture's setting: cookies over plain HTTP
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = chromium.new_context(locale="en-US")
        yield context.new_page()
        context.close()
        chromium.close()


def test_sign_in_my_work_next_case(
    api: Api, page: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id, overdue=300_000), Queued("b", team, me.id)])

    page.goto(api.url + "/")
    assert page.url.startswith(api.url + "/sign-in?next=")
    page.get_by_label("User name").fill("li.lei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(api.url + "/")
    assert page.get_by_role("heading", name="My work").is_visible()
    assert page.locator('[data-queue-cases="M2"]').inner_text() == "2"

    page.locator("main h1").click()  # the shortcut works anywhere but in a field
    page.keyboard.press("n")
    page.wait_for_url(api.url + f"/cases/{case_id_of('a')}")
    assert page.get_by_role("heading", name=f"Case {case_id_of('a')}").is_visible()
    assert page.get_by_role("cell", name="CN¥3,000.00").is_visible()


def _sign_in(page: Any, api: Api, username: str) -> None:
    page.goto(api.url + "/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(api.url + "/**")


def test_a_call_in_quiet_hours_is_refused_with_the_next_allowed_time(
    api: Api, page: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    api.clock.advance(timedelta(hours=13))  # 23:00 in Shanghai
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id)])
    _sign_in(page, api, "li.lei")
    page.goto(api.url + f"/cases/{case_id_of('a')}/contact")
    page.get_by_label("Note").fill("tried the mobile")
    page.get_by_role("button", name="Log the contact").click()
    refusal = page.locator("[data-refusal]")
    refusal.wait_for()
    said = refusal.inner_text()
    assert "Next allowed" in said and "8:00" in said, said


def test_an_agency_user_opens_the_cases_placed_with_the_agency_only(
    api: Api, page: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    boss, (team,) = supervisor_of(api, "east")
    book = add_book(api, "PLC", 2, team_id=team)
    agency = api.agency("field-agency")
    signed_up("agent.wu", role=Role.AGENCY_USER, agency_id=agency)
    placed = place(api.as_(boss), book.account_ids[:1], agency)
    assert placed.status_code == 201, placed.text
    _sign_in(page, api, "agent.wu")
    mine, other = book.case_ids
    assert page.goto(api.url + f"/cases/{mine}").status == 200
    assert page.get_by_role("heading", name=f"Case {mine}").is_visible()
    refused = page.goto(api.url + f"/cases/{other}")
    assert refused.status == 404 and page.get_by_role("heading", name="Not found").is_visible()
    assert page.goto(api.url + f"/cases/{other}/contact").status == 404
