"""A strategy from draft to approval in a real browser (Playwright driving Debian's Chromium, never a
downloaded browser), on SQLite and PostgreSQL: the analyst pastes a strategy naming a template
that does not exist, sees the error on its line beside the text (kept), fixes it, saves the
draft; a supervisor, another person, approves it. Skipped, with the reason, where
/usr/bin/chromium is absent (CI installs it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.cases.models import FieldVisit
from arrears.strategy.models import Strategy
from tests.api.conftest import Api
from tests.strategy.test_nightly import approve, night
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM
from tests.web.test_strategy_pages import DOCUMENT, UNKNOWN_TEMPLATE, VISITS, strategist
from tests.web.test_supervise import floor

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture
def chromium(browser: Callable[..., Any]) -> Iterator[Any]:
    browser()  # the browser fixture's setting: cookies over plain HTTP
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def signed_in_page(chromium: Any, api: Api, username: str) -> Any:
    page = chromium.new_context(locale="en-US").new_page()
    page.goto(api.url + "/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(api.url + "/**")
    return page


def test_an_analyst_fixes_the_error_shown_and_another_person_approves(
    api: Api, chromium: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in_page(chromium, api, "chen.plan")
    analyst.get_by_role("link", name="Strategies").click()
    analyst.get_by_role("link", name="Draft a strategy").click()
    text = analyst.get_by_label("The strategy (YAML)")
    text.fill(UNKNOWN_TEMPLATE)
    analyst.get_by_role("button", name="Save the draft").click()
    error = analyst.locator("[data-findings] li.error")
    error.wait_for()
    assert "no approved letter template nowhere" in error.inner_text()
    line = UNKNOWN_TEMPLATE.splitlines().index("      - {day: 1, action: letter, template: nowhere}") + 1
    assert error.get_attribute("data-line") == str(line)
    assert text.input_value() == UNKNOWN_TEMPLATE  # nothing lost
    assert text.get_attribute("aria-invalid") == "true"

    text.fill(DOCUMENT)
    analyst.get_by_label("What changes, for the record").fill("calls first")
    analyst.get_by_role("button", name="Save the draft").click()
    analyst.wait_for_url(api.url + "/strategies/*?done=drafted")
    assert analyst.get_by_role("status").inner_text().startswith("The draft is saved.")
    address = analyst.url.split("?")[0]
    strategy_id = int(address.rsplit("/", 1)[1])
    assert analyst.get_by_role("button", name="Approve").count() == 0

    boss = signed_in_page(chromium, api, "wang.boss")
    boss.goto(address)
    boss.get_by_role("button", name="Approve").click()
    boss.wait_for_url(address + "?done=approved")
    assert boss.locator("[data-status]").first.get_attribute("data-status") == "approved"
    with Session(api.engine) as session:
        row = session.get(Strategy, strategy_id)
        assert row is not None and row.status == "approved" and row.note == "calls first"
        assert row.decided_by is not None and row.decided_by != row.drafted_by


def test_a_supervisor_confirms_a_proposed_visit_with_the_agent_and_day_chosen(
    api: Api, chromium: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    place = floor(api, signed_up)
    agent = signed_up("zhao.field", role=Role.FIELD_AGENT, team_id=place.team)
    approve(api.engine, VISITS)
    night(api.engine)
    boss = signed_in_page(chromium, api, "wang.boss")
    boss.goto(api.url + "/strategy-actions/proposed")
    first = boss.locator("section[data-action]").first
    day = first.get_by_label("Visit on")
    assert (day.get_attribute("min"), day.get_attribute("max")) == ("2026-11-21", "2027-11-22")
    first.get_by_label("Field agent").select_option(label="zhao.field")
    day.fill("2026-11-25")
    first.get_by_label("Note").fill("on the way to the branch")  # the confirmation's (declining has its own)
    first.get_by_role("button", name="Confirm").click()
    boss.wait_for_url(api.url + "/strategy-actions/proposed?done=confirmed*")
    with Session(api.engine) as session:
        [visit] = session.query(FieldVisit).all()
        assert (visit.agent_id, visit.planned_on.isoformat()) == (agent.id, "2026-11-25")
        assert visit.reason.endswith(": on the way to the branch")
    with boss.expect_navigation():  # the page's script sends the language form on change
        boss.get_by_role("combobox", name="Language").select_option("zh-CN")
    assert "外访人员" in boss.content()
