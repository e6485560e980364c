"""A call reviewed in a real browser (Playwright driving Debian's Chromium): the compliance officer
opens the QA page, draws the week's sample, opens the flagged call, sees the evidence highlighted,
answers each finding and notes what the checker missed; the page then shows the checker against
reviewers. Skipped, with the reason, where /usr/bin/chromium is absent (CI installs it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.contacts.helpers import desk
from tests.qa.test_transcripts import CUSTOMER, THREAT, a_call, turns
from tests.web.test_browser import CHROMIUM
from tests.web.test_browser_strategy import chromium, signed_in_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


def test_an_officer_reviews_a_flagged_call(
    api: Api,
    chromium: Any,  # noqa: F811 - the fixture imported above
    signed_up: Callable[..., User],
    cheap_hashing: object,
) -> None:
    d = desk(api)
    made = api.as_(d.supervisor).post(
        f"/api/v1/contacts/{a_call(d)}/transcript",
        json={
            "turns": turns(("agent", THREAT), ("customer", CUSTOMER), ("agent", "好的，那我下周再跟您确认"))
        },
    )
    assert made.status_code == 201, made.text
    findings = [(t["seq"], f) for t in made.json()["turns"] for f in t["findings"]]
    signed_up("sun.officer", role=Role.COMPLIANCE_OFFICER)
    page = signed_in_page(chromium, api, "sun.officer")
    page.get_by_role("link", name="Quality assurance").click()
    page.get_by_label("Week of", exact=True).fill("2026-11-18")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("button", name="Draw this week's sample").click()
    assert page.get_by_role("status").inner_text() == "The sample is drawn."
    page.get_by_role("link", name=f"Call {made.json()['contact_id']}").click()

    marked = page.locator("mark.finding")
    assert marked.count() >= 1 and findings[0][1]["evidence"] in marked.first.inner_text()
    for seq, finding in findings:
        category = finding["category"]
        page.locator(f"#verdict-{seq}-{category}").select_option(f"{seq}|{category}|agree")
    page.locator("#missed-3").select_option("3|insult")  # the reviewer hears what the text does not show
    page.get_by_role("button", name="Record the verdicts").click()
    page.wait_for_url(api.url + "/qa?done=reviewed")
    assert page.get_by_role("status").inner_text() == "The review is closed."
    overall = page.locator('[data-agreement] tr[data-category="all"] td')
    assert overall.nth(0).inner_text() == str(len(findings)) and overall.nth(2).inner_text() == "1"
