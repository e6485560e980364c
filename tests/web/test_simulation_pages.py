"""The simulation runs' pages over real HTTP, on SQLite and PostgreSQL: the list and one run's
report (the table the command printed, the experiment's size, the chart, both documents, the
stored version linked for who may read strategies), in both languages; refused to a role without
simulation.read; an unknown run is 404."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from markupsafe import escape

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.db import transaction
from arrears.strategy import service
from arrears.strategy.simulation import report
from tests.api.conftest import Api
from tests.strategy.test_simulation import NOTHING
from tests.strategy.test_simulation_runs import ANALYST, RAN_AT, record_small_run, small_comparison
from tests.web.test_supervise import signed_in


def _runs(api: Api) -> tuple[int, int]:
    """The champion stored as a version, then a run kept; its id and the version's."""
    with transaction(api.engine) as session:
        version = service.draft(session, ANALYST, NOTHING, "a.yaml", note=None, now=RAN_AT).id
    return record_small_run(api.engine), version


def test_the_list_and_a_run_s_report(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    analyst = signed_in(browser, "chen.plan")
    empty = analyst.get("/simulations")
    assert empty.status_code == 200 and "No simulation run is kept yet." in empty.text
    assert 'href="/simulations"' in empty.text  # in the analyst's navigation
    run_id, version = _runs(api)

    listed = analyst.get("/simulations")
    assert listed.status_code == 200, listed.text
    assert f'<a href="/simulations/{run_id}">Run {run_id}</a>' in listed.text
    assert f'<a href="/strategies/{version}"><code>nothing</code></a>' in listed.text
    net = small_comparison().line("net")
    assert report.interval(net) in listed.text

    shown = analyst.get(f"/simulations/{run_id}")
    assert shown.status_code == 200, shown.text
    for row in report.rows(small_comparison(), "en"):
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", _row(shown.text, row[0]))
        assert cells == [str(escape(cell)) for cell in row]
    assert str(escape(report.sizing(small_comparison(), "en"))) in shown.text
    assert '<svg role="img" aria-label="collected per account to date (CNY)"' in shown.text
    assert "<script" not in shown.text.split("<main", 1)[1] and "<?xml" not in shown.text
    assert f'<a href="/strategies/{version}"><code>nothing</code></a>' in shown.text
    assert "<code>remind</code>" in shown.text and 'href="/strategies/None"' not in shown.text
    assert "action: sms, template: first_delinquency" in shown.text  # the challenger's document

    chinese = signed_in(browser, "chen.plan", "zh-CN").get(f"/simulations/{run_id}")
    assert chinese.status_code == 200
    first = report.rows(small_comparison(), "zh-CN")[0][0]
    assert first != "collected per account" and f'<th scope="row">{first}</th>' in chinese.text
    assert "模拟" in chinese.text

    strategy = analyst.get(f"/strategies/{version}")
    assert f'<a href="/simulations/{run_id}" data-simulation="{run_id}">Run {run_id}</a>' in strategy.text
    assert "nothing against remind" in strategy.text

    missing = analyst.get("/simulations/999")
    assert missing.status_code == 404


def _row(page: str, label: str) -> str:
    start = page.index(f'<th scope="row">{escape(label)}</th>')
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_who_may_see_the_runs_and_who_may_follow_the_links(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    run_id, version = _runs(api)
    signed_up("li.lei", role=Role.COLLECTOR, team_id=api.team("T1"))
    signed_up("zhou.check", role=Role.COMPLIANCE_OFFICER)
    for name in ("li.lei", "zhou.check"):
        client = signed_in(browser, name)
        for address in ("/simulations", f"/simulations/{run_id}"):
            answer = client.get(address)
            assert answer.status_code == 403, address
            assert answer.headers["content-type"].startswith("text/html")
        assert 'href="/simulations"' not in client.get("/").text
    officer = signed_in(browser, "zhou.check").get(f"/strategies/{version}")  # reads strategies, not runs
    assert officer.status_code == 200 and "data-simulation=" not in officer.text
    signed_up("qian.admin", role=Role.ADMINISTRATOR)  # reads runs, not strategies: no link to one
    admin = signed_in(browser, "qian.admin")
    page = admin.get(f"/simulations/{run_id}")
    assert page.status_code == 200 and f"/strategies/{version}" not in page.text
    assert "<code>nothing</code>" in page.text
