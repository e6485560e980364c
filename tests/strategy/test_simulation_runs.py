"""Simulation runs kept (issue #15 §6): the comparison stored exactly and drawn again the same,
``arrears sim strategy --record`` (audited), ``arrears sim runs [--show ID]``, and
GET /api/v1/simulations[/{id}] (paged, 404, 403 for a role without simulation.read)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from arrears.audit.models import AuditEntry
from arrears.audit.trail import Actor
from arrears.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from arrears.cli import app
from arrears.config import Settings
from arrears.db import transaction
from arrears.strategy import service, simulations
from arrears.strategy.repository import parse_document
from arrears.strategy.simulation import report, stored
from arrears.strategy.simulation.pair import Plan, bank_for, simulate_pair
from arrears.strategy.simulation.report import Comparison
from tests.api.conftest import Api
from tests.strategy.test_simulation import NOTHING, REMIND, START

RAN_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
ANALYST = Actor(user_id=None, name="system:test", role="system")


def plan_of(customers: int = 300, days: int = 12, seed: int = 2) -> Plan:
    documents = (parse_document(NOTHING, "a"), parse_document(REMIND, "b"))
    names = (documents[0].strategy, documents[1].strategy)
    return Plan(documents, names, customers, days, seed, START, bank_for(Settings()))


@cache
def small_comparison() -> Comparison:
    """300 customers over 12 days, one strategy after the other (some 2 s; kept for the module)."""
    return simulate_pair(plan_of(), parallel=False)


def record_small_run(engine: Engine, at: datetime = RAN_AT) -> int:
    """A run of NOTHING against REMIND kept in ``engine``'s database; its id."""
    with transaction(engine) as session:
        row = simulations.record_run(
            session, ANALYST, (NOTHING, REMIND), plan_of(), small_comparison(), seconds=Decimal("2.5"), now=at
        )
        return row.id


def _same_chart(svg: str) -> str:
    """The chart without the random id pygal gives each drawing."""
    return re.sub(r"chart-[0-9a-f-]{36}", "chart", svg)


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def test_a_comparison_kept_is_drawn_again_the_same_in_both_languages() -> None:
    comparison = small_comparison()
    kept = json.loads(json.dumps(stored.to_json(comparison)))
    assert _floats(kept) == [], "no number with a fraction in the stored JSON"
    again = stored.from_json(kept, names=("nothing", "remind"), customers=300, days=12, seed=2)
    for language in ("en", "zh-CN"):
        assert report.rows(again, language) == report.rows(comparison, language)
        assert report.sizing(again, language) == report.sizing(comparison, language)
        assert _same_chart(report.chart(again, language)) == _same_chart(report.chart(comparison, language))
    assert again.line("collected").result == comparison.line("collected").result
    assert again.champion_daily == comparison.champion_daily and sum(again.challenger_daily) > 0


def test_a_measure_no_longer_known_is_left_out() -> None:
    kept = stored.to_json(small_comparison())
    kept["lines"][0]["measure"] = "retired-measure"
    again = stored.from_json(kept, names=("a", "b"), customers=300, days=12, seed=2)
    assert len(again.lines) == len(small_comparison().lines) - 1


# --- the command line ---------------------------------------------------------------------------

runner = CliRunner(env={"COLUMNS": "220", "ARREARS_LANGUAGE": "en"})


def _table_of(output: str) -> str:
    """The comparison's title, table and sizing sentence, as printed."""
    start = output.index("nothing against remind")
    end = output.index("(80% power, 5% two-sided).") + len("(80% power, 5% two-sided).")
    return output[start:end]


def test_a_run_recorded_on_the_command_line_is_listed_and_shown_again(
    command_line_database: Engine, tmp_path: Path
) -> None:
    with transaction(command_line_database) as session:  # the champion is a stored version
        champion_id = service.draft(session, ANALYST, NOTHING, "a.yaml", note=None, now=RAN_AT).id
    champion, challenger = tmp_path / "a.yaml", tmp_path / "b.yaml"
    champion.write_text(NOTHING, "utf-8")
    challenger.write_text(REMIND, "utf-8")
    files = ["--champion", str(champion), "--challenger", str(challenger)]
    size = ["--customers", "300", "--days", "12", "--seed", "2", "--start", "2026-11-21", "--serial"]
    ran = runner.invoke(app, ["sim", "strategy", *files, *size, "--record"])
    assert ran.exit_code == 0, ran.output
    assert "Recorded as simulation run 1." in ran.output
    listed = runner.invoke(app, ["sim", "runs"])
    assert listed.exit_code == 0, listed.output
    assert f"nothing (#{champion_id})" in listed.output and "remind" in listed.output
    assert "2026-11-21" in listed.output and "system:" in listed.output
    shown = runner.invoke(app, ["sim", "runs", "--show", "1"])
    assert shown.exit_code == 0, shown.output
    assert _table_of(shown.output) == _table_of(ran.output)
    assert f"sha256:{simulations.digest(REMIND)}" in shown.output
    missing = runner.invoke(app, ["sim", "runs", "--show", "9"])
    assert missing.exit_code != 0 and "No simulation run 9" in missing.output
    with Session(command_line_database) as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "simulation.record"))
        assert entry.object_id == "1" and entry.actor_name.startswith("system:")
        after = json.loads(entry.after)
        assert after["champion_digest"] == simulations.digest(NOTHING) and after["customers"] == 300
        row = simulations.run(session, ANALYST, 1)
        assert row.champion_strategy_id == champion_id and row.challenger_strategy_id is None
        assert row.champion_document == NOTHING and row.ran_at.tzinfo is not None
        assert row.customers == 300 and row.days == 12 and row.seed == 2 and row.first_night == START


def test_a_run_not_asked_to_be_recorded_is_not(command_line_database: Engine, tmp_path: Path) -> None:
    champion = tmp_path / "a.yaml"
    champion.write_text(NOTHING, "utf-8")
    files = ["--champion", str(champion), "--challenger", str(champion)]
    ran = runner.invoke(app, ["sim", "strategy", *files, "--customers", "100", "--days", "2", "--serial"])
    assert ran.exit_code == 0, ran.output
    assert "Recorded" not in ran.output
    with Session(command_line_database) as session:
        assert simulations.runs(session, ANALYST) == []


# --- the API ------------------------------------------------------------------------------------

READERS = [role for role, granted in ROLE_PERMISSIONS.items() if Permission.SIMULATION_READ in granted]


def test_the_roles_that_read_simulations() -> None:
    assert set(READERS) == {Role.STRATEGY_ANALYST, Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR}


def test_simulation_runs_over_http(api: Api) -> None:
    first, second = record_small_run(api.engine), record_small_run(api.engine)
    reader = api.as_(api.person(Role.STRATEGY_ANALYST))
    page = reader.get("/api/v1/simulations", params={"limit": 1})
    assert page.status_code == 200, page.text
    [newest] = page.json()["runs"]
    assert newest["id"] == second and newest["lines"] is None and newest["champion"]["document"] is None
    following = reader.get("/api/v1/simulations", params={"limit": 1, "cursor": page.json()["next_cursor"]})
    assert [r["id"] for r in following.json()["runs"]] == [first] and following.json()["next_cursor"] is None
    forged = reader.get("/api/v1/simulations", params={"cursor": "bm90IG91cnM"})
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"

    one = reader.get(f"/api/v1/simulations/{first}")
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["champion"] == {
        "name": "nothing",
        "strategy_id": None,
        "digest": simulations.digest(NOTHING),
        "document": NOTHING,
    }
    assert body["customers"] == 300 and body["seed"] == 2 and body["first_night"] == "2026-11-21"
    assert body["ran_at"] == "2026-11-22T09:30:00Z" and body["seconds"] == "2.500"
    printed = report.rows(small_comparison(), "en")
    assert [(line["label"], line["champion"], line["challenger"]) for line in body["lines"]] == [
        (row[0], row[1].removesuffix("%"), row[2].removesuffix("%")) for row in printed
    ]
    collected = body["lines"][0]
    assert collected["measure"] == "collected" and collected["unit"] == "money"
    assert f"[{collected['lower']}, {collected['upper']}]" == printed[0][4]
    assert collected["reading"] == small_comparison().line("collected").better
    assert "accounts an arm" in body["sizing"]
    assert len(body["champion_collected"]) == 12 and all("." in a for a in body["champion_collected"])
    chinese = reader.get(f"/api/v1/simulations/{first}", headers={"Accept-Language": "zh-CN"}).json()
    assert (
        chinese["lines"][0]["label"]
        == report.rows(small_comparison(), "zh-CN")[0][0]
        != "collected per account"
    )

    missing = reader.get("/api/v1/simulations/999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    for role in (Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR):
        assert api.as_(api.person(role)).get(f"/api/v1/simulations/{first}").status_code == 200


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COMPLIANCE_OFFICER, Role.CUSTOMER])
def test_a_role_without_simulation_read_is_refused(api: Api, role: Role) -> None:
    run_id = record_small_run(api.engine)
    outsider = api.as_(api.person(role))
    for path in ("/api/v1/simulations", f"/api/v1/simulations/{run_id}"):
        refused = outsider.get(path)
        assert refused.status_code == 403 and "simulation.read" in refused.json()["detail"]


def test_a_run_to_record_without_a_database_stops_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.config import get_settings

    monkeypatch.setenv("ARREARS_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    get_settings.cache_clear()
    champion = tmp_path / "a.yaml"
    champion.write_text(NOTHING, "utf-8")
    files = ["--champion", str(champion), "--challenger", str(champion)]
    try:
        ran = runner.invoke(app, ["sim", "strategy", *files, "--customers", "100", "--days", "2", "--record"])
    finally:
        get_settings.cache_clear()
    assert ran.exit_code != 0 and "arrears db upgrade" in ran.output
    assert "nothing against nothing" not in ran.output  # nothing was simulated
