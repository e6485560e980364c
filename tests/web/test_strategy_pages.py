"""The strategy pages over real HTTP, on SQLite and PostgreSQL: a draft from pasted YAML (its shape
error and its checks' errors shown beside the text, which is kept; saved once it passes), a
version with its findings, preview, approval by another person (four eyes: the author refused,
on the page), rejection and retirement with a reason, the diff of two versions; the proposals a
supervisor confirms or declines; each page refused to a role without its permission; both
languages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from arrears.auth import permissions
from arrears.auth.models import User
from arrears.auth.permissions import Permission, PersonalField, Role
from arrears.auth.principal import Principal
from arrears.cases.models import FieldVisit
from arrears.disputes.models import Hold
from arrears.strategy.models import Strategy, StrategyAction
from arrears.web.strategy_pages import why_lines
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.queues.test_next import case_id_of
from tests.strategy.test_nightly import EXPERIMENT, approve, night
from tests.web.conftest import hidden
from tests.web.test_supervise import floor, signed_in

DOCUMENT = EXPERIMENT.replace("      - {day: 1, action: letter, template: first_delinquency}\n", "")
"""Calls for M1 (with an experiment: half the segment gets no action), a legal referral for M2."""
UNKNOWN_TEMPLATE = DOCUMENT.replace(
    "  firm:\n    names: {zh-CN: 严, en: Firm}\n    steps:\n",
    "  firm:\n    names: {zh-CN: 严, en: Firm}\n    steps:\n      - {day: 1, action: letter, template: nowhere}\n",
)
BAD_KEY = DOCUMENT.replace("when: {hold: [none], bucket: [M1]}", "wen: {hold: [none], bucket: [M1]}")


def strategist(api: Api, signed_up: Callable[..., User]) -> None:
    """The supervision floor (wang.boss leads T1; li.lei's cases a, b, c in M2) and an analyst."""
    floor(api, signed_up)
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)


def draft(client: httpx.Client, document: str, intent: str = "save", note: str = "") -> httpx.Response:
    form = client.get("/strategies/new")
    assert form.status_code == 200, form.text
    return client.post(
        "/strategies/new",
        data={
            "csrf_token": hidden(form.text, "csrf_token"),
            "idempotency_key": hidden(form.text, "idempotency_key"),
            "document": document,
            "note": note,
            "intent": intent,
        },
    )


def drafted_id(answer: httpx.Response) -> int:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.endswith("?done=drafted"), location
    return int(location.split("/")[2].split("?")[0])


def post(client: httpx.Client, page: str, action: str, **fields: Any) -> httpx.Response:
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={"csrf_token": hidden(shown.text, "csrf_token"), **fields})


def status_of(api: Api, strategy_id: int) -> tuple[str, int | None]:
    with Session(api.engine) as session:
        row = session.get(Strategy, strategy_id)
        assert row is not None
        return row.status, row.decided_by


def test_a_draft_with_errors_keeps_its_text_and_shows_each_error_with_its_line(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in(browser, "chen.plan")
    shape = draft(analyst, BAD_KEY)
    assert shape.status_code == 400 and "data-problem" in shape.text
    assert "segments[1].wen is not a known key here" in shape.text and "line 6" in shape.text
    assert "wen: {hold: [none], bucket: [M1]}" in shape.text  # the text is kept
    checked = draft(analyst, UNKNOWN_TEMPLATE)
    assert checked.status_code == 422, checked.text
    assert 'data-where="paths.firm.steps[1].template"' in checked.text
    line = UNKNOWN_TEMPLATE.splitlines().index("      - {day: 1, action: letter, template: nowhere}") + 1
    assert f'data-line="{line}"' in checked.text and "no approved letter template nowhere" in checked.text
    assert "template: nowhere" in checked.text and 'data-segment="m2"' in checked.text  # kept, previewed
    assert audit_entries(api, "strategy.draft") == []  # nothing stored
    preview = draft(analyst, DOCUMENT, intent="check")
    assert preview.status_code == 200 and "data-valid" in preview.text
    assert 'data-segment="m2"><th scope="row"><code>m2</code></th><td class="number">3</td>' in preview.text
    assert 'data-step="firm:1:legal_referral"' in preview.text
    assert audit_entries(api, "strategy.draft") == []
    made = drafted_id(draft(analyst, DOCUMENT, note="first"))
    [entry] = audit_entries(api, "strategy.draft")
    assert entry["object_id"] == str(made) and entry["reason"] == "first"
    page = analyst.get(f"/strategies/{made}?done=drafted")
    assert page.status_code == 200 and "The draft is saved." in page.text
    assert 'data-form="approve"' not in page.text and "another person approves it" in page.text
    listed = analyst.get("/strategies")
    assert f'data-strategy="{made}" data-status="draft"' in listed.text and "chen.plan" in listed.text


def test_the_same_draft_form_sent_twice_stores_one_version(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in(browser, "chen.plan")
    form = analyst.get("/strategies/new")
    fields = {
        "csrf_token": hidden(form.text, "csrf_token"),
        "idempotency_key": hidden(form.text, "idempotency_key"),
        "document": DOCUMENT,
        "intent": "save",
    }
    first, second = analyst.post("/strategies/new", data=fields), analyst.post("/strategies/new", data=fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(audit_entries(api, "strategy.draft")) == 1


def test_another_person_approves_the_author_is_refused_on_the_page(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in(browser, "chen.plan")
    made = drafted_id(draft(analyst, DOCUMENT))
    page = f"/strategies/{made}"
    refused = post(analyst, page, f"{page}/approve")  # an analyst may not approve at all
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    # the author, promoted to supervisor since, still may not approve their own draft
    with api.engine.begin() as connection:
        connection.execute(update(User).where(User.username == "chen.plan").values(role="supervisor"))
    author = signed_in(browser, "chen.plan")
    assert 'data-form="approve"' not in author.get(page).text
    own = post(author, page, f"{page}/approve")
    assert own.status_code == 403 and "data-problem" in own.text
    assert "approved by someone other than the person who drafted it" in own.text
    assert status_of(api, made) == ("draft", None)

    boss = signed_in(browser, "wang.boss")
    shown = boss.get(page)
    assert 'data-form="approve"' in shown.text and 'data-step="firm:1:legal_referral"' in shown.text
    assert "strategy: night" in shown.text and "data-valid" in shown.text
    stale = post(boss, page, f"{page}/approve", version="99")
    assert stale.status_code == 412 and "data-problem" in stale.text
    past = post(boss, page, f"{page}/approve", active_from="2000-01-01")
    assert past.status_code == 400 and "2000-01-01" in past.text
    done = post(boss, page, f"{page}/approve", active_from="2026-11-21")
    assert done.status_code == 303 and done.headers["location"] == f"{page}?done=approved"
    boss_id = next(e["actor_id"] for e in audit_entries(api, "strategy.approve"))
    assert status_of(api, made) == ("approved", boss_id)
    after = boss.get(done.headers["location"])
    assert "The version is approved." in after.text and 'data-form="retire"' in after.text
    no_reason = post(boss, page, f"{page}/retire", reason=" ")
    assert no_reason.status_code == 400 and status_of(api, made)[0] == "approved"
    retired = post(boss, page, f"{page}/retire", reason="replaced")
    assert retired.status_code == 303 and status_of(api, made)[0] == "retired"
    [entry] = audit_entries(api, "strategy.retire")
    assert entry["reason"] == "replaced"


def test_a_draft_rejected_with_a_reason_and_the_diff_of_two_versions_in_chinese(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in(browser, "chen.plan")
    first = drafted_id(draft(analyst, DOCUMENT))
    second = drafted_id(
        draft(analyst, DOCUMENT.replace("window: best", 'window: {from: "09:00", to: "12:00"}'))
    )
    boss = signed_in(browser, "wang.boss", "zh-CN")
    page = boss.get(f"/strategies/{second}")
    assert (
        '<h2 id="versions-title">各版本 <code>night</code></h2>' in page.text
        and f'data-diff="{first}"' in page.text
    )
    diff = boss.get(f"/strategies/{first}/diff/{second}")
    assert diff.status_code == 200 and "变更" in diff.text
    assert 'data-kind="removed">-      - {day: 2, action: call, window: best}' in diff.text
    assert 'data-kind="added">+      - {day: 2, action: call, window: {from: &#34;09:00&#34;' in diff.text
    rejected = post(boss, f"/strategies/{second}", f"/strategies/{second}/reject", reason="上午不宜")
    assert rejected.status_code == 303 and status_of(api, second)[0] == "rejected"
    assert "草稿已驳回" in boss.get(rejected.headers["location"]).text
    [entry] = audit_entries(api, "strategy.reject")
    assert entry["reason"] == "上午不宜"


def test_a_supervisor_confirms_and_declines_the_proposed_steps(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    made = drafted_id(draft(signed_in(browser, "chen.plan"), DOCUMENT))
    boss = signed_in(browser, "wang.boss")
    assert post(boss, f"/strategies/{made}", f"/strategies/{made}/approve").status_code == 303
    night(api.engine)
    waiting = boss.get("/strategy-actions/proposed")
    assert waiting.status_code == 200
    ids = _proposed(api)
    assert len(ids) == 3
    for case_key in "abc":
        assert f'href="/cases/{case_id_of(case_key)}"' in waiting.text
    assert "<code>bucket=M2</code>" in waiting.text and "<code>m2</code>" in waiting.text
    assert "Night · <code>night</code>" in waiting.text and "Firm · <code>firm</code>" in waiting.text
    in_chinese = signed_in(browser, "wang.boss", "zh-CN").get("/strategy-actions/proposed").text
    assert "夜间 · <code>night</code>" in in_chinese and "严 · <code>firm</code>" in in_chinese
    form = waiting.text
    confirm = boss.post(
        f"/strategy-actions/{ids[0]}/confirm",
        data={"csrf_token": hidden(form, "csrf_token"), "idempotency_key": "k-1", "note": "checked the file"},
    )
    assert confirm.status_code == 303
    assert confirm.headers["location"] == f"/strategy-actions/proposed?done=confirmed&action={ids[0]}"
    shown = boss.get(confirm.headers["location"])
    with Session(api.engine) as session:
        referred = session.get(StrategyAction, ids[0])
        assert referred is not None and referred.case_event_id is not None
    link = f'href="/cases/{referred.case_id}#case_legal_referral-{referred.case_event_id}"'
    assert (
        shown.status_code == 200
        and link in shown.text
        and "The step is confirmed and carried out." in shown.text
    )
    case_page = boss.get(f"/cases/{referred.case_id}").text
    assert f'id="case_legal_referral-{referred.case_event_id}"' in case_page
    again = boss.post(
        f"/strategy-actions/{ids[0]}/confirm",
        data={"csrf_token": hidden(form, "csrf_token"), "idempotency_key": "k-1", "note": "checked the file"},
    )
    assert again.status_code == 303  # the same form sent twice: one answer
    decline = boss.post(
        f"/strategy-actions/{ids[1]}/decline",
        data={"csrf_token": hidden(form, "csrf_token"), "idempotency_key": "k-2", "note": "a plan is coming"},
    )
    assert decline.status_code == 303
    with Session(api.engine) as session:
        rows = {a.id: (a.status, a.decided_by) for a in session.query(StrategyAction)}
    boss_id = audit_entries(api, "strategy_action.confirm")[0]["actor_id"]
    assert rows[ids[0]] == ("confirmed", boss_id) and rows[ids[1]] == ("declined", boss_id)
    assert rows[ids[2]] == ("proposed", None)
    assert [e["reason"] for e in audit_entries(api, "strategy_action.decline")] == ["a plan is coming"]
    assert len(audit_entries(api, "strategy_action.confirm")) == 1
    gone = boss.post(
        f"/strategy-actions/{ids[1]}/confirm",
        data={"csrf_token": hidden(form, "csrf_token"), "idempotency_key": "k-3"},
    )
    assert gone.status_code == 409 and "was already answered (declined" in gone.text  # answered already
    analyst = signed_in(browser, "chen.plan")
    assert analyst.get("/strategy-actions/proposed").status_code == 403


def _proposed(api: Api) -> list[int]:
    with Session(api.engine) as session:
        return [
            a.id for a in session.query(StrategyAction).order_by(StrategyAction.id) if a.status == "proposed"
        ]


def test_the_case_page_shows_the_strategy_s_actions_with_why(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    made = drafted_id(draft(signed_in(browser, "chen.plan"), DOCUMENT))
    boss = signed_in(browser, "wang.boss")
    assert post(boss, f"/strategies/{made}", f"/strategies/{made}/approve").status_code == 303
    night(api.engine)
    collector = signed_in(browser, "li.lei", "zh-CN")
    page = collector.get(f"/cases/{case_id_of('a')}")
    assert page.status_code == 200
    assert '<h2 id="strategy-title">策略动作</h2>' in page.text
    assert 'data-status="proposed"' in page.text and "诉讼移交" in page.text
    assert "<code>night</code> v1" in page.text and "<code>hold=none</code>" in page.text
    looks = [e for e in audit_entries(api, "strategy_action.read") if e["object_id"] == case_id_of("a")]
    assert looks and looks[-1]["customer_id"] == "Na"


def test_the_pages_are_refused_to_roles_without_their_permission(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    collector = signed_in(browser, "li.lei")
    for address in ("/strategies", "/strategies/new", "/strategy-fairness", "/experiments/m1-calls"):
        answer = collector.get(address)
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html"), address
    home = collector.get("/").text
    assert 'href="/strategies"' not in home and 'href="/strategy-actions/proposed"' not in home
    boss = signed_in(browser, "wang.boss")
    assert boss.get("/strategies/new").status_code == 403  # a supervisor approves, does not draft
    assert post(boss, "/strategies", "/strategies/new", document=DOCUMENT).status_code == 403
    nav = boss.get("/strategies").text
    assert 'href="/strategy-actions/proposed"' in nav and 'href="/strategy-fairness"' in nav
    analyst = signed_in(browser, "chen.plan")
    assert 'href="/strategy-actions/proposed"' not in analyst.get("/strategies").text
    assert analyst.get("/strategies/999").status_code == 404


def test_an_age_the_segment_read_is_masked_unless_the_reader_sees_birth_dates() -> None:
    action = StrategyAction(why={"strategy": "s", "version": 2, "facts": {"age": 41, "bucket": "M2"}})
    collector = Principal(user_id=1, username="li.lei", role=Role.COLLECTOR)
    customer = Principal(user_id=2, username="n", role=Role.CUSTOMER, customer_id="Na")
    assert not collector.sees(PersonalField.BIRTH_DATE) and customer.sees(PersonalField.BIRTH_DATE)
    assert why_lines(action, collector)["facts"] == {"age": "••", "bucket": "M2"}
    assert why_lines(action, customer)["facts"] == {"age": 41, "bucket": "M2"}
    assert action.why["facts"]["age"] == 41  # the record itself is untouched


VISITS = """
strategy: night
names: {zh-CN: 夜间, en: Night}
segments:
  - {code: m2, names: {zh-CN: M2, en: M2}, when: {bucket: [M2]}, path: visit}
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
  visit:
    names: {zh-CN: 外访, en: Visit}
    steps: [{day: 1, action: field_visit}]
"""


def test_a_confirmed_visit_is_planned_from_the_page_and_a_refusal_is_shown_in_chinese(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    place = floor(api, signed_up)
    agent = signed_up("zhao.field", role=Role.FIELD_AGENT, team_id=place.team)
    approve(api.engine, VISITS)
    night(api.engine)
    ids = _proposed(api)
    boss = signed_in(browser, "wang.boss", "zh-CN")
    page = boss.get("/strategy-actions/proposed")
    assert page.status_code == 200
    assert f'<option value="{agent.id}">zhao.field</option>' in page.text and "外访人员" in page.text
    form = page.text
    with api.engine.begin() as connection:
        connection.execute(
            insert(Hold).values(
                customer_id="Na", kind="cease", evidence="letter", placed_at=api.clock.now(), version=1
            )
        )
    held_case = next(i for i in ids if _case_of(api, i) == case_id_of("a"))
    refused = boss.post(
        f"/strategy-actions/{held_case}/confirm",
        data={"csrf_token": hidden(form, "csrf_token"), "idempotency_key": "v-1", "agent_id": str(agent.id)},
    )
    assert refused.status_code == 409 and "暂停状态（停止联系）" in refused.text
    other = next(i for i in ids if i != held_case)
    careless = (
        ("planned_on", "2026-13-45", 400, "planned_on：日期格式如 2026-12-31"),
        ("agent_id", "赵", 400, "agent_id：请填写整数"),
        ("planned_on", "2031-01-01", 400, "planned_on（2031-01-01）超过 366 天之后"),
        ("note", "长" * 100_000, 422, "body.note: 最多 500 个字符"),
    )
    for key, (field, value, status, said) in enumerate(careless):
        bad = boss.post(
            f"/strategy-actions/{other}/confirm",
            data={
                "csrf_token": hidden(form, "csrf_token"),
                "idempotency_key": f"bad-{key}",
                "agent_id": str(agent.id),
            }
            | {field: value},
        )
        assert (bad.status_code, said in bad.text, "Traceback" in bad.text) == (status, True, False), field
    planned = boss.post(
        f"/strategy-actions/{other}/confirm",
        data={
            "csrf_token": hidden(form, "csrf_token"),
            "idempotency_key": "v-2",
            "agent_id": str(agent.id),
            "planned_on": "2026-11-24",
            "note": "上门核实",
        },
    )
    assert planned.status_code == 303, planned.text
    with Session(api.engine) as session:
        action = session.get(StrategyAction, other)
        assert action is not None and action.visit_id is not None and action.status == "confirmed"
        visit = session.get(FieldVisit, action.visit_id)
        assert visit is not None and (visit.agent_id, visit.planned_on.isoformat()) == (
            agent.id,
            "2026-11-24",
        )
        held = session.get(StrategyAction, held_case)
        assert held is not None and held.status == "proposed" and held.visit_id is None
    shown = boss.get(planned.headers["location"]).text
    assert f'href="/cases/{action.case_id}#visit-{action.visit_id}"' in shown and "已确认并执行" in shown
    assert f'id="visit-{action.visit_id}"' in boss.get(f"/cases/{action.case_id}").text
    assert [e["object_id"] for e in audit_entries(api, "visit.assign")] == [str(action.visit_id)]


def test_a_step_the_reader_cannot_carry_out_shows_no_confirm_button(
    api: Api,
    browser: Callable[..., httpx.Client],
    signed_up: Callable[..., User],
    cheap_hashing: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    floor(api, signed_up)
    approve(api.engine, VISITS)
    night(api.engine)
    narrower = permissions.ROLE_PERMISSIONS[Role.SUPERVISOR] - {Permission.VISIT_ASSIGN}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.SUPERVISOR, narrower)  # type: ignore[arg-type]
    page = signed_in(browser, "wang.boss").get("/strategy-actions/proposed")
    assert page.status_code == 200 and page.text.count("data-not-yours") == 3
    assert 'name="agent_id"' not in page.text and "/confirm" not in page.text
    assert page.text.count("/decline") == 3


def _case_of(api: Api, action_id: int) -> str:
    with Session(api.engine) as session:
        row = session.get(StrategyAction, action_id)
        assert row is not None
        return row.case_id
