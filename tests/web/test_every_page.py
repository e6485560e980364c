"""Every page, in a real browser (Playwright driving Debian's Chromium), in both languages, as a
person whose role may open it: the accessibility check (axe-core, shipped inside the
``axe-playwright-python`` package: nothing is fetched) finds no serious or critical violation, and
the Chinese page shows no English word the catalogue should have translated.

The pages are read from the app: a new page fails :func:`test_every_page_is_visited` until it is
listed in :data:`VISITS` (or in :data:`NOT_PAGES` with the reason). Skipped, with the reason, where
/usr/bin/chromium is absent (CI installs it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import true

from arrears.api.access import endpoints
from arrears.api.app import create_app
from arrears.audit.trail import SYSTEM
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.cases.models import Case
from arrears.compliance.packs import load_pack
from arrears.config import load_settings
from arrears.contacts.models import Contact
from arrears.db import transaction
from arrears.qa import service
from arrears.qa.schemas import TranscriptIn
from tests.api.conftest import Api
from tests.conftest import DATABASES
from tests.qa.test_transcripts import CUSTOMER as SAID
from tests.qa.test_transcripts import THREAT, turns
from tests.queues.test_next import case_id_of
from tests.strategy.test_nightly import night
from tests.strategy.test_simulation_runs import record_small_run
from tests.web.conftest import sign_in
from tests.web.portal_kit import RecordingSms, signed_in_customer
from tests.web.test_model_pages import store_cure_models
from tests.web.test_strategy_pages import DOCUMENT as STRATEGY
from tests.web.test_strategy_pages import draft, drafted_id, post
from tests.web.test_supervise import OWED, floor, propose_settlement, signed_in

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)

CASE = case_id_of("a")
CUSTOMER = "customer of A-Na"
"""The customer of case a, signed in to the portal with the one-time code the outbox sent."""
VISITS: dict[str, tuple[str, str]] = {
    "/sign-in": ("", "/sign-in"),
    "/": ("li.lei", "/"),
    "/cases/{case_id}": ("li.lei", f"/cases/{CASE}"),
    "/cases/{case_id}/contact": ("li.lei", f"/cases/{CASE}/contact"),
    "/cases/{case_id}/callback": ("li.lei", f"/cases/{CASE}/callback"),
    "/cases/{case_id}/promise": ("li.lei", f"/cases/{CASE}/promise"),
    "/cases/{case_id}/plan": ("li.lei", f"/cases/{CASE}/plan"),
    "/cases/{case_id}/settlement": ("li.lei", f"/cases/{CASE}/settlement"),
    "/cases/{case_id}/dispute": ("li.lei", f"/cases/{CASE}/dispute"),
    "/cases/{case_id}/complaint": ("li.lei", f"/cases/{CASE}/complaint"),
    "/cases/{case_id}/hold": ("li.lei", f"/cases/{CASE}/hold"),
    "/cases/{case_id}/reveal": ("li.lei", f"/cases/{CASE}/reveal?field=national_id"),
    "/approvals": ("wang.boss", "/approvals"),
    "/queues": ("wang.boss", "/queues"),
    "/reassign": ("wang.boss", "/reassign"),
    "/placements": ("wang.boss", "/placements"),
    "/dashboard": ("wang.boss", "/dashboard"),
    "/review": ("zhou.check", "/review"),
    "/template-approvals": ("zhou.check", "/template-approvals"),
    "/rule-pack": ("zhou.check", "/rule-pack"),
    "/audit": ("zhao.audit", "/audit"),
    "/audit/verify": ("zhao.audit", "/audit/verify"),
    "/admin": ("qian.admin", "/admin"),
    "/strategies": ("chen.plan", "/strategies"),
    "/strategies/new": ("chen.plan", "/strategies/new"),
    "/strategies/{strategy_id}": ("wang.boss", "/strategies/2"),
    "/strategies/{strategy_id}/diff/{other_id}": ("chen.plan", "/strategies/1/diff/2"),
    "/strategy-actions/proposed": ("wang.boss", "/strategy-actions/proposed"),
    "/experiments/{code}": ("wang.boss", "/experiments/m1-calls"),
    "/strategy-fairness": ("chen.plan", "/strategy-fairness"),
    "/simulations": ("chen.plan", "/simulations"),
    "/simulations/{run_id}": ("chen.plan", "/simulations/1"),
    "/models": ("chen.plan", "/models"),
    "/models/{purpose}/{version}": ("chen.plan", "/models/cure/1"),
    "/qa": ("zhou.check", "/qa?week=2026-11-16"),
    "/qa/transcripts/{transcript_id}": ("zhou.check", "/qa/transcripts/1"),
    "/portal/sign-in": ("", "/portal/sign-in"),
    "/portal/code": ("", "/portal/code"),
    "/portal": (CUSTOMER, "/portal"),
}
"""Each page path: who opens it (none: signed out) and the address visited."""
NOT_PAGES = {"/dashboard/{figure}.{kind}": "a CSV or XLSX download, not a page"}

SERIOUS = {"serious", "critical"}
WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
KEPT_AS_IS = {
    "CNY",
    "USD",
    "DPD",
    "CSV",
    "XLSX",
    "SMS",
    "PDF",
    "English",
    "Ctrl",
    "Enter",
    "Esc",
    "Escape",
    "Arrears",
    "YAML",
    "BCa",
    "Wilson",
    "Newcombe",
    "Katz",
    "AUC",
    "Brier",
    "ECE",
    "Qini",
}
"""Words a Chinese page shows as they are: codes, units, formats, keys, the names of statistical
methods. (Data is marked in the templates as HTML marks what is not to be translated:
``translate="no"``, or ``<code>``.)"""
TEST_DATA = {"the", "nightly", "assignment", "A-Na"}
"""Words of the test data itself: the reason typed for its cases' assignment, an account number."""

VISIBLE_TEXT = """() => {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('script, style, code, kbd, samp, [hidden], [translate="no"]')) continue;
    const lang = element.closest('[lang]');
    if (lang && !lang.lang.startsWith('zh')) continue;
    if (!element.getClientRects().length) continue;
    words.push(node.textContent);
  }
  for (const input of document.querySelectorAll('input[placeholder], [aria-label], [title]')) {
    for (const attribute of ['placeholder', 'aria-label', 'title']) {
      if (input.getAttribute(attribute)) words.push(input.getAttribute(attribute));
    }
  }
  return words.join('\\n');
}"""


def test_every_page_is_visited() -> None:
    app = create_app(load_settings(database_url="sqlite://"))
    pages = {route.path for route in endpoints(app) if route.is_page and "GET" in route.methods}
    assert pages - set(VISITS) - set(NOT_PAGES) == set(), "list the new page in VISITS"
    assert set(VISITS) <= pages


@pytest.fixture
def chromium(browser: Callable[..., httpx.Client]) -> Iterator[Any]:
    browser()  # cookies over plain HTTP
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def people(api: Api, signed_up: Callable[..., User], browser: Callable[..., httpx.Client]) -> None:
    """The floor of the supervision tests (a team, its leader wang.boss, collectors li.lei and
    han.mei with cases), a settlement waiting for approval, and a person of each other role."""
    floor(api, signed_up)
    propose_settlement(signed_in(browser, "li.lei"), CASE, OWED * 80 // 100)
    signed_up("zhou.check", role=Role.COMPLIANCE_OFFICER)
    signed_up("zhao.audit", role=Role.AUDITOR)
    signed_up("qian.admin", role=Role.ADMINISTRATOR)
    strategies(api, browser, signed_up)
    transcript(api)


def transcript(api: Api) -> None:
    """A call on case a with its transcript (transcript 1): a threat found and highlighted."""
    at = api.clock.now()
    with transaction(api.engine) as session:
        case = session.get_one(Case, CASE)
        call = Contact(
            case_id=CASE, customer_id=case.customer_id, channel="call", direction="outbound", party="debtor",
            started_at=at, disposition="right_party_contact", source="collector", recorded_at=at,
            started_on=at.date(),
        )  # fmt: skip
        session.add(call)
        session.flush()
        given = TranscriptIn.model_validate({"turns": turns(("agent", THREAT), ("customer", SAID))})
        service.import_transcript(
            session, SYSTEM, given.spec(call.id, "api"), visible=true(), pack=load_pack("cn"), now=at
        )


def strategies(api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]) -> None:
    """An analyst (chen.plan) drafts two versions, wang.boss approves the first, a night runs: a
    legal referral proposed on each M2 case, the fairness report kept; the second waits. A
    simulation run is kept (run 1), and two cure models (version 1 cross-validated)."""
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    analyst = signed_in(browser, "chen.plan")
    first = drafted_id(draft(analyst, STRATEGY))
    drafted_id(draft(analyst, STRATEGY.replace("window: best", 'window: {from: "09:00", to: "12:00"}')))
    boss = signed_in(browser, "wang.boss")
    assert post(boss, f"/strategies/{first}", f"/strategies/{first}/approve").status_code == 303
    night(api.engine)
    record_small_run(api.engine)
    store_cure_models(api.engine)


def cookies_of(api: Api, browser: Callable[..., httpx.Client], username: str) -> list[dict[str, Any]]:
    if not username:
        return []
    client = browser("en")
    if username == CUSTOMER:
        signed_in_customer(client, api, RecordingSms(), "A-Na")
    else:
        assert sign_in(client, username).status_code == 303
    return [{"name": name, "value": value, "url": api.url} for name, value in client.cookies.items()]


@pytest.mark.parametrize("database_kind", [DATABASES[0]], indirect=True)
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_page_passes_the_accessibility_check_and_speaks_the_language(
    api: Api,
    browser: Callable[..., httpx.Client],
    signed_up: Callable[..., User],
    chromium: Any,
    cheap_hashing: object,
    language: str,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    people(api, signed_up, browser)
    axe = Axe()
    found: dict[str, list[str]] = {}
    untranslated: dict[str, set[str]] = {}
    for path, (username, address) in VISITS.items():
        context = chromium.new_context(locale=language)
        context.add_cookies(
            [
                *cookies_of(api, browser, username),
                {"name": "arrears_language", "value": language, "url": api.url},
            ]
        )
        page = context.new_page()
        answer = page.goto(api.url + address)
        assert answer is not None and answer.status == 200, f"{address}: {answer and answer.status}"
        assert page.locator("html").get_attribute("lang") == language, address
        results = axe.run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v["impact"] in SERIOUS
        ]
        if serious:
            found[path] = serious
        if language == "zh-CN":
            shown = " ".join(t for t in page.evaluate(VISIBLE_TEXT).split() if not _a_code(t))
            words = set(WORD.findall(shown)) - KEPT_AS_IS - TEST_DATA - {username}
            english = {w for w in words if not _a_name_or_code(w)}
            if english:
                untranslated[path] = english
        context.close()
    assert found == {}, found
    assert untranslated == {}, sorted(untranslated.items())


def _a_code(token: str) -> bool:
    """An identifier, not a word: with a digit (C-Na-20261101), dotted or snake (case.assign,
    queue_set), or a rule id in capitals (TENANT-POLICY)."""
    bare = token.strip(".,;:()（）、，。")
    return any(c.isdigit() for c in bare) or "." in bare or "_" in bare or (bare.isupper() and "-" in bare)


def _a_name_or_code(word: str) -> bool:
    """A person's user name (li.lei), a case or team code (C-…, T1), a Latin name of the test data."""
    return word in {
        "li",
        "lei",
        "han",
        "mei",
        "wang",
        "boss",
        "zhou",
        "check",
        "zhao",
        "audit",
        "qian",
        "admin",
        "chen",
        "plan",
    }
