"""The evidence pages over real HTTP, on SQLite and PostgreSQL: an experiment's report (each arm's
rates with their intervals, the comparison with the control, the sequential test's verdict, the
power, two inline charts) and a supervisor's decision recorded with the report it rests on; the
latest night's fairness report with its flags and chart; both refused to a collector."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.cases.models import Case
from arrears.disputes.models import Hold
from arrears.portfolio.models import Customer
from arrears.strategy.models import ExperimentDecision
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.strategy.test_experiments import experiment_book
from tests.strategy.test_nightly import AS_OF, NOW, night
from tests.web.conftest import hidden
from tests.web.test_strategy_pages import DOCUMENT as PAGES_DOCUMENT
from tests.web.test_strategy_pages import draft, drafted_id, post, strategist
from tests.web.test_supervise import signed_in

HORIZON = 10


def cured_champions(api: Api, arms: dict[str, str], count: int) -> None:
    champions = sorted(case for case, arm in arms.items() if arm == "champion")[:count]
    with api.engine.begin() as connection:
        connection.execute(
            update(Case)
            .where(Case.case_id.in_(champions))
            .values(status="closed", closed_on=AS_OF + timedelta(days=4), close_reason="cured")
        )


def decide(client: httpx.Client, page: str, **fields: str) -> httpx.Response:
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    if 'data-form="decide"' in shown.text:
        names = ("csrf_token", "idempotency_key", "horizon", "minimum_effect")
        form = {name: hidden(shown.text, name) for name in names}
    else:  # no form for this reader: what a hand-made request would send
        form = {"csrf_token": hidden(shown.text, "csrf_token"), "horizon": str(HORIZON)}
    return client.post("/experiments/m1-calls/decide", data=form | fields)


def test_an_experiment_s_report_and_the_decision_kept_with_it(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    arms = experiment_book(api.engine)  # 30 M1 cases, champion (a call) against quiet (nothing)
    cured_champions(api, arms, 3)
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    signed_up("wang.boss", role=Role.SUPERVISOR)
    signed_up("zhou.check", role=Role.COMPLIANCE_OFFICER)
    api.clock.advance(timedelta(days=HORIZON))  # every member past a 10-day horizon
    page = f"/experiments/m1-calls?horizon={HORIZON}&minimum_effect=0.1"
    analyst = signed_in(browser, "chen.plan")
    shown = analyst.get(page)
    assert shown.status_code == 200, shown.text
    assert 'data-arm="champion"' in shown.text and 'data-arm="quiet"' in shown.text
    assert 'data-waiting="0"' in shown.text and 'data-comparison="quiet"' in shown.text
    assert shown.text.count('<svg role="img"') == 2 and "<script" not in shown.text.split("</head>")[1]
    assert "Rates per arm, with 95% intervals (%)" in shown.text
    assert "Cure rate: challenger minus control, by day (points)" in shown.text
    assert 'data-hint="' in shown.text and 'data-power="quiet"' in shown.text
    assert "data-net" in shown.text  # the BCa interval of the net amounts per account
    assert 'data-form="decide"' not in shown.text  # an analyst reads; a supervisor decides
    assert decide(analyst, page, outcome="keep_champion", note="x").status_code == 403

    boss = signed_in(browser, "wang.boss", "zh-CN")
    chinese = boss.get(page)
    assert "<h1>实验 m1-calls</h1>" in chinese.text and 'data-form="decide"' in chinese.text
    no_arm = decide(boss, page, outcome="promote", note="挑战者更好")
    assert no_arm.status_code == 400 and "data-problem" in no_arm.text and "挑战者更好" in no_arm.text
    no_note = decide(boss, page, outcome="keep_champion", note=" ")
    assert no_note.status_code == 400
    done = decide(boss, page, outcome="keep_champion", note="冠军的出催率更高")
    assert done.status_code == 303 and done.headers["location"].endswith("&done=true")
    after = boss.get(done.headers["location"])
    assert 'data-decision="keep_champion"' in after.text and "冠军的出催率更高" in after.text
    assert "wang.boss" in after.text
    with Session(api.engine) as session:
        kept = session.scalars(select(ExperimentDecision)).one()
    assert kept.evidence["horizon_days"] == HORIZON and kept.evidence["control"] == "champion"
    assert {a["arm"] for a in kept.evidence["arms"]} == {"champion", "quiet"}
    [entry] = audit_entries(api, "experiment.decide")
    assert entry["actor_id"] == kept.decided_by and entry["reason"] == "冠军的出催率更高"

    officer = signed_in(browser, "zhou.check")  # reads strategies, decides nothing
    assert officer.get(page).status_code == 200
    assert decide(officer, page, outcome="extend", note="x").status_code == 403
    assert analyst.get("/experiments/nothing").status_code == 404
    assert analyst.get("/experiments/m1-calls?minimum_effect=2").status_code == 400


def test_the_fairness_report_of_the_latest_night_with_its_flags(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    strategist(api, signed_up)
    analyst = signed_in(browser, "chen.plan", "zh-CN")
    assert "尚无公平性报告" in analyst.get("/strategy-fairness").text
    made = drafted_id(draft(analyst, PAGES_DOCUMENT))
    boss = signed_in(browser, "wang.boss")
    assert post(boss, f"/strategies/{made}", f"/strategies/{made}/approve").status_code == 303
    with api.engine.begin() as connection:
        connection.execute(
            update(Customer).where(Customer.customer_id.in_(["Na", "Nb"])).values(country="CN")
        )
        connection.execute(update(Customer).where(Customer.customer_id == "Nc").values(country="HK"))
        # Nc's cease request holds the case: no legal referral for the only customer in HK
        connection.execute(
            insert(Hold).values(customer_id="Nc", kind="cease", evidence="letter", placed_at=NOW, version=1)
        )
    night(api.engine)
    page = analyst.get("/strategy-fairness")
    assert page.status_code == 200, page.text
    assert 'data-attribute="region"' in page.text and "参照组 CN" in page.text
    assert 'data-group="CN"' in page.text and 'data-group="HK"' in page.text
    hk = page.text.split('data-group="HK"')[1].split("</tr>")[0]
    assert 'data-measure="escalated" data-flagged' in hk and "已标记" in hk  # 0% against 100%
    cn = page.text.split('data-group="CN"')[1].split("</tr>")[0]
    assert "data-flagged" not in cn
    assert page.text.count('<svg role="img"') == 1
    assert signed_in(browser, "li.lei").get("/strategy-fairness").status_code == 403
