"""The model registry over real HTTP, on SQLite and PostgreSQL: the API's list and one version
(every figure kept, the reliability table), the pages /models and /models/{purpose}/{version}
(the calibration error beside the AUC, the reliability diagram and its table, an uplift model's
Qini and arms), in both languages; refused to a role without model.read; unknown is 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from arrears.audit.trail import SYSTEM
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.scoring import service as scoring_service
from arrears.scoring import use_cases
from arrears.scoring.datasets import LabelledData
from arrears.scoring.uplift import UpliftModel, train
from arrears.strategy import uplift as strategy_uplift
from arrears.strategy.models import StrategyRun
from arrears.strategy.uplift_drift import UpliftDrift, Variable, run_counts
from tests.api.conftest import API_NOW, Api
from tests.scoring.synthetic import portfolio
from tests.strategy.test_nightly import AS_OF, approve
from tests.strategy.test_uplift import store_synthetic, synthetic, three_arms
from tests.web.test_supervise import signed_in


def store_cure_models(engine: Engine) -> None:
    """cure 1: cross-validated (3 folds) and active; cure 2: stored without cross-validation."""
    table, outcome = portfolio(1500, seed=2)
    data = LabelledData(table, outcome, "synthetic")
    for version, folds in ((1, 3), (2, 0)):
        with transaction(engine) as session:
            trained = use_cases.train_and_register(
                session, "cure", data, "synthetic portfolio",
                use_cases.TrainingOptions.checked("boosting", 30, "platt", folds),
                FixedClock(API_NOW), "test", activate=version == 1,
            )  # fmt: skip
            assert trained.version == version


def _cells(page: str, marker: str) -> list[str]:
    start = page.index(marker)
    row = page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]


def test_the_api_lists_every_version_and_gives_one_with_its_reliability(api: Api) -> None:
    store_cure_models(api.engine)
    store_synthetic(api.engine)
    analyst = api.as_(api.person(Role.STRATEGY_ANALYST))
    listed = analyst.get("/api/v1/models")
    assert listed.status_code == 200, listed.text
    shown = [(m["purpose"], m["version"], m["is_active"]) for m in listed.json()["models"]]
    assert shown == [("cure", 2, False), ("cure", 1, True), ("uplift_contact", 1, True)]
    cure = listed.json()["models"][1]
    assert 0.5 < cure["headline"]["auc"] < 1 and 0 < cure["headline"]["ece"] < 0.2
    assert (cure["headline"]["qini"] is None and "metrics" not in cure) or cure["metrics"] is None
    assert listed.json()["models"][0]["headline"] == {"auc": None, "brier": None, "ece": None, "qini": None}
    uplift = listed.json()["models"][2]["headline"]
    assert uplift["auc"] is None and uplift["qini"] > 0.1 and 0 <= uplift["ece"] < 0.06

    one = analyst.get("/api/v1/models/cure/1")
    assert one.status_code == 200, one.text
    overall = one.json()["metrics"]["overall"]
    assert len(overall["reliability"]) == 10 and sum(r["accounts"] for r in overall["reliability"]) == 1500
    assert overall["auc"] == cure["headline"]["auc"] and one.json()["data_checksum"]
    assert "artifact" not in one.json()
    assert (
        analyst.get("/api/v1/models", params={"purpose": "uplift_contact"}).json()["models"][0]["kind"]
        == "uplift"
    )
    assert analyst.get("/api/v1/models/cure/9").status_code == 404
    assert analyst.get("/api/v1/models/Cure!/1").status_code in (400, 422)  # not a purpose's name
    chinese = api.as_(api.person(Role.STRATEGY_ANALYST), **{"Accept-Language": "zh-CN"})
    assert "path.version: 至少为 1" in chinese.get("/api/v1/models/cure/0").json()["detail"]
    assert "path.purpose: 格式不符" in chinese.get("/api/v1/models/Cure!/1").json()["detail"]
    collector = api.as_(api.person(Role.COLLECTOR, team_id=api.team("T1")))
    assert collector.get("/api/v1/models").status_code == 403
    assert collector.get("/api/v1/models/cure/1").status_code == 403


def test_the_pages_show_the_calibration_beside_the_auc_and_the_reliability_diagram(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    analyst = signed_in(browser, "chen.plan")
    empty = analyst.get("/models")
    assert empty.status_code == 200 and "No model is trained yet." in empty.text
    assert 'href="/models"' in empty.text  # in the analyst's navigation
    store_cure_models(api.engine)
    store_synthetic(api.engine)
    headline = api.as_(api.person(Role.STRATEGY_ANALYST)).get("/api/v1/models").json()["models"]

    listed = analyst.get("/models")
    assert listed.status_code == 200, listed.text
    cells = _cells(listed.text, 'data-model="cure-1"')
    assert cells[:4] == ["cure", "Version 1", "boosting", "active"]
    assert cells[5:8] == [f"{headline[1]['headline'][k]:.4f}" for k in ("auc", "brier", "ece")]
    assert _cells(listed.text, 'data-model="cure-2"')[5:] == ["—"] * 4
    assert _cells(listed.text, 'data-model="uplift_contact-1"')[8] == f"{headline[2]['headline']['qini']:.4f}"

    page = analyst.get("/models/cure/1")
    assert page.status_code == 200, page.text
    assert '<svg role="img" aria-label="Reliability: predicted chance of paying' in page.text
    assert "<script" not in page.text.split("<main", 1)[1]
    overall = _cells(page.text, 'data-figures="overall"')
    assert (
        overall[0] == "all"
        and overall[1] == "1,500"
        and overall[3] == f"{headline[1]['headline']['auc']:.4f}"
    )
    groups = page.text.split('data-series="1"', 1)[1].split("</table>", 1)[0]
    assert groups.count("<tr>") == 11  # the heading and ten equal-mass groups

    uplift = analyst.get("/models/uplift_contact/1")
    assert uplift.status_code == 200
    assert _cells(uplift.text, 'data-arm="treated"')[0] == "contacted (treated)"
    assert 'data-series="2"' in uplift.text  # both arms drawn and tabled
    assert "persuadable" in uplift.text

    bare = analyst.get("/models/cure/2")
    assert bare.status_code == 200 and "data-no-reliability" in bare.text and "<svg" not in bare.text
    assert analyst.get("/models/cure/9").status_code == 404

    chinese = signed_in(browser, "chen.plan", "zh-CN").get("/models/uplift_contact/1")
    assert chinese.status_code == 200
    assert "可靠性" in chinese.text and "联系（处理组）" in chinese.text


def test_an_uplift_model_over_several_arms_shows_each_arm_s_qini(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    model, metrics = train(three_arms(), rounds=40, seed=1, gain_threshold=0.1)
    with transaction(api.engine) as session:
        scoring_service.register(
            session, model, scoring_service.TrainingRecord(strategy_uplift.PURPOSE, "three arms", {}, metrics, "0" * 64),
            FixedClock(API_NOW), "test",
        )  # fmt: skip
    pages = {}
    for language in ("en", "zh-CN"):
        page = signed_in(browser, "chen.plan", language).get("/models/uplift_contact/1")
        assert page.status_code == 200
        for arm in ("sms", "call"):
            assert _cells(page.text, f'data-arm="{arm}"')[-2:] == [f"{metrics['qini_by_arm'][arm]:.4f}", "40"]
        assert _cells(page.text, 'data-arm="quiet"')[-2:] == ["—", "40"]  # the control has no Qini of its own
        for group in ("all", "persuadable"):
            found = metrics["gain_seen"][group]
            cells = _cells(page.text, f'data-group="{group}"')
            assert cells[1:] == [
                f"{found['customers']:,}",
                f"{found['predicted']:.3f}",
                f"{found['seen']:.3f}",
                f"{found['low']:.3f} – {found['high']:.3f}",
            ]
        pages[language] = page.text
    assert "Qini against the control" in pages["en"] and "Gain seen" in pages["en"]
    assert "相对对照组的 Qini" in pages["zh-CN"] and "Qini against the control" not in pages["zh-CN"]
    assert "实测增益" in pages["zh-CN"] and "Gain seen" not in pages["zh-CN"]


def test_who_may_read_the_registry(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    store_cure_models(api.engine)
    signed_up("li.lei", role=Role.COLLECTOR, team_id=api.team("T1"))
    collector = signed_in(browser, "li.lei")
    for address in ("/models", "/models/cure/1"):
        answer = collector.get(address)
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert 'href="/models"' not in collector.get("/").text
    for name, role in (("zhou.check", Role.COMPLIANCE_OFFICER), ("zhao.audit", Role.AUDITOR)):
        signed_up(name, role=role)
        assert signed_in(browser, name).get("/models/cure/1").status_code == 200


def store_uplift(engine: Engine, model: UpliftModel, metrics: dict[str, Any], *, activate: bool) -> int:
    with transaction(engine) as session:
        row = scoring_service.register(
            session,
            model,
            scoring_service.TrainingRecord("uplift_contact", "synthetic", {}, metrics, "0" * 64),
            FixedClock(API_NOW),
            "test",
        )
        if activate:
            strategy_uplift.activate_version(session, SYSTEM, row.version, API_NOW)
        return row.version


def kept_night(engine: Engine, day: date, strategy_id: int, drift: UpliftDrift) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(StrategyRun).values(
                as_of=day, strategy_id=strategy_id, engine="duckdb", finished_at=API_NOW,
                counts={"strategy_cases": drift.cases, **run_counts(drift)},
            )
        )  # fmt: skip


def test_an_uplift_model_s_page_shows_its_latest_night_s_drift_and_how_its_threshold_was_set(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User]
) -> None:
    model, metrics = train(synthetic(2000), rounds=10, seed=1)
    derived = {"how": "break_even", "gain": 0.012, "currency": "CNY", "contact_cost": "3.00",
               "value_per_payer": "250.00", "value_from": "data", "payers": 812, "break_even": "0.012000"}  # fmt: skip
    store_uplift(api.engine, model, metrics | {"threshold_basis": derived}, activate=True)  # version 1
    old = UpliftModel(model.models, model.features, model.products)  # stored before the profile was kept
    unwatched = {k: v for k, v in metrics.items() if k not in ("profile", "threshold_basis")}
    store_uplift(api.engine, old, unwatched, activate=False)  # version 2
    store_uplift(api.engine, model, metrics, activate=False)  # version 3: watched, never scored with
    strategy_id = approve(api.engine)

    def variables(dpd: float, stability: str) -> tuple[Variable, ...]:
        return (
            Variable("dpd", dpd, 0.0206, stability),
            Variable("gain", 0.0312, 0.0206, "stable"),
            Variable("overdue", 0.0021, 0.0206, "stable"),
        )

    kept_night(api.engine, AS_OF - timedelta(days=1), strategy_id,
               UpliftDrift(1, 1_200, 55, variables(0.0103, "stable"), None, 0.1, 0.25))  # fmt: skip
    kept_night(api.engine, AS_OF, strategy_id,
               UpliftDrift(1, 1_250, 55, variables(0.4132, "alert"), None, 0.1, 0.25))  # fmt: skip
    signed_up("chen.plan", role=Role.STRATEGY_ANALYST)
    analyst = signed_in(browser, "chen.plan")

    page = analyst.get("/models/uplift_contact/1")
    assert page.status_code == 200, page.text
    drift = page.text.split("data-drift>", 1)[1].split("</section>", 1)[0]
    assert f'data-drift-night="{AS_OF.isoformat()}"' in drift and "1,250 cases scored" in drift
    assert _cells(drift, 'data-variable="dpd"') == ["days past due dpd", "0.4132", "0.0206", "alert"]
    assert 'data-variable="dpd" data-stability="alert"' in drift
    assert _cells(drift, 'data-variable="gain"')[3] == "stable"
    assert "warning above 0.1, alert above 0.25" in drift
    chart = drift.split("<figure data-drift-chart>", 1)[1].split("</figure>", 1)[0]
    assert 'aria-label="PSI of each variable, night by night"' in chart and "<script" not in chart
    assert "days past due dpd" in chart and "predicted gain from contact gain" in chart and ">alert<" in chart
    basis = page.text.split('data-figure="threshold-basis">', 1)[1].split("</dd>", 1)[0]
    assert "the break-even of a contact costing 3.00 CNY against 250.00 CNY" in basis and "812" in basis

    chinese = signed_in(browser, "chen.plan", "zh-CN").get("/models/uplift_contact/1")
    assert chinese.status_code == 200
    zh_drift = chinese.text.split("data-drift>", 1)[1].split("</section>", 1)[0]
    assert "漂移" in chinese.text and _cells(zh_drift, 'data-variable="dpd"')[3] == "警报"
    assert _cells(zh_drift, 'data-variable="dpd"')[0] == "逾期天数 dpd"
    assert _cells(zh_drift, 'data-variable="gain"')[3] == "稳定" and "盈亏平衡" in chinese.text
    assert (
        'aria-label="各变量逐夜的 PSI"' in zh_drift
        and "逾期天数 dpd" in zh_drift.split("data-drift-chart", 1)[1]
    )

    old_page = analyst.get("/models/uplift_contact/2")
    assert old_page.status_code == 200 and "data-drift-unwatched" in old_page.text
    assert "stored without its training sample&#39;s profile" in old_page.text
    assert "not recorded (stored before it was kept)" in old_page.text
    fresh = analyst.get("/models/uplift_contact/3")
    assert fresh.status_code == 200 and "No night has scored cases with this version yet." in fresh.text
    assert "data-drift-chart" not in fresh.text


def test_the_api_gives_the_uplift_model_s_drift_night_by_night(api: Api) -> None:
    model, metrics = train(synthetic(2000), rounds=10, seed=1)
    store_uplift(api.engine, model, metrics, activate=True)  # version 1
    store_uplift(api.engine, model, metrics, activate=False)  # version 2: never scored with
    strategy_id = approve(api.engine)
    for day, dpd, stability in ((AS_OF - timedelta(days=1), 0.0103, "stable"), (AS_OF, 0.4132, "alert")):
        variables = (Variable("dpd", dpd, 0.0206, stability), Variable("gain", 0.0312, 0.0206, "stable"))
        kept_night(api.engine, day, strategy_id, UpliftDrift(1, 1_250, 55, variables, None, 0.1, 0.25))
    analyst = api.as_(api.person(Role.STRATEGY_ANALYST))

    answer = analyst.get("/api/v1/models/uplift_contact/1/drift")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["purpose"], body["version"]) == ("uplift_contact", 1)
    assert [night["as_of"] for night in body["nights"]] == [
        AS_OF.isoformat(),
        (AS_OF - timedelta(days=1)).isoformat(),
    ]
    latest = body["nights"][0]
    assert (latest["cases"], latest["needed"], latest["reason"], latest["warn"], latest["alert"]) == (
        1_250, 55, None, 0.1, 0.25
    )  # fmt: skip
    assert latest["variables"][0] == {"name": "dpd", "psi": 0.4132, "noise": 0.0206, "stability": "alert"}
    assert body["nights"][1]["variables"][0]["stability"] == "stable"
    one = analyst.get("/api/v1/models/uplift_contact/1/drift", params={"nights": 1}).json()
    assert [night["as_of"] for night in one["nights"]] == [AS_OF.isoformat()]
    assert analyst.get("/api/v1/models/uplift_contact/2/drift").json()["nights"] == []

    assert analyst.get("/api/v1/models/uplift_contact/9/drift").status_code == 404
    refused = analyst.get("/api/v1/models/uplift_contact/1/drift", params={"nights": 0})
    assert refused.status_code == 422 and "nights" in refused.text
    too_long = analyst.get(
        "/api/v1/models/uplift_contact/1/drift",
        params={"nights": "9" * 5000},
        headers={"Accept-Language": "zh-CN"},
    )
    assert too_long.status_code == 422 and "query.nights: 数字过长，无法读取" in too_long.json()["detail"]
    collector = api.as_(api.person(Role.COLLECTOR))
    assert collector.get("/api/v1/models/uplift_contact/1/drift").status_code == 403
    auditor = api.as_(api.person(Role.AUDITOR))
    assert auditor.get("/api/v1/models/uplift_contact/1/drift").status_code == 200
