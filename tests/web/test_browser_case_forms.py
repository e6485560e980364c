"""The collector's main flow with the keyboard only, in a real browser (Playwright driving Debian's
Chromium, headless): sign in → next case (``n``) → log a contact (``c``, Ctrl+Enter) → take a
promise (``p``, Ctrl+Enter); then the plan calculator's live preview. Skipped, with the reason,
where /usr/bin/chromium is absent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseInstallment
from arrears.auth.models import User
from arrears.contacts.models import Contact
from tests.api.book import Book
from tests.api.conftest import Api
from tests.queues.helpers import Desk, queue, queue_set
from tests.queues.test_next import Queued, add_cases, case_id_of
from tests.web.conftest import PASSWORD, collector_with_password
from tests.web.test_browser import CHROMIUM, page

__all__ = ["page"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


def focused(page: Any, element_id: str) -> None:
    """The element the page's autofocus gives the keyboard (applied once the page is parsed:
    waited for, up to 5 s, rather than read at once on a loaded machine)."""
    page.wait_for_function(
        f"document.activeElement && document.activeElement.id === {element_id!r}", timeout=5000
    )
    assert page.evaluate("document.activeElement.id") == element_id


def test_keyboard_only_next_case_log_a_contact_take_a_promise(
    api: Api, page: Any, signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    desk = Desk(api.engine)
    team = desk.team("T1")
    desk.activate(queue_set(queue("m2", "T1")))
    me = collector_with_password(signed_up, team)
    add_cases(api.engine, [Queued("a", team, me.id)])
    Book(api.engine).installments("A-Na", [(date(2026, 11, 1), 100_000)])
    case = case_id_of("a")

    page.goto(api.url + "/")
    page.get_by_label("User name").focus()
    page.keyboard.type("li.lei")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(api.url + "/")

    page.keyboard.press("n")
    page.wait_for_url(api.url + f"/cases/{case}")
    assert page.get_by_role("navigation", name="Case actions").is_visible()

    page.keyboard.press("c")
    page.wait_for_url(api.url + f"/cases/{case}/contact")
    focused(page, "f-disposition")  # autofocus: type at once
    page.keyboard.type("Promise")  # the select's type-ahead: "Promise to pay"
    page.keyboard.press("Tab")
    page.keyboard.type("客户同意月底前还款")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(api.url + f"/cases/{case}?done=contact")
    assert page.locator("[data-done]").inner_text() == "The contact is logged."

    page.keyboard.press("p")
    page.wait_for_url(api.url + f"/cases/{case}/promise")
    focused(page, "f-amount-0")
    page.keyboard.type("500.00")
    page.keyboard.press("Tab")
    page.keyboard.type("11302026")  # en-US: mm/dd/yyyy
    page.keyboard.press("Control+Enter")
    page.wait_for_url(api.url + f"/cases/{case}?done=promise")
    assert page.locator("[data-done]").inner_text() == "The promise is taken."

    page.keyboard.press("l")  # the plan form: its calculator previews as the fields change
    page.wait_for_url(api.url + f"/cases/{case}/plan")
    page.locator("#f-count").fill("3")
    live = page.locator("[data-live-result]").inner_text()
    assert "CN¥333.33" in live and "CN¥333.34" in live and "CN¥1,000.00" in live, live

    with Session(api.engine) as session:
        assert session.scalars(select(Contact.disposition)).all() == ["promise"]
        assert session.scalars(select(Promise.case_id)).all() == [case]
        assert session.scalars(select(PromiseInstallment.due_on)).all() == [date(2026, 11, 30)]
