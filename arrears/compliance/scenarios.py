"""Scenario files (compliance-scenarios/README.md): loading them and replaying them through the gate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from arrears.compliance.decision import Decision, Verdict
from arrears.compliance.facts import Facts, Request
from arrears.compliance.gate import decide
from arrears.compliance.messages import reason
from arrears.compliance.packs import PackError, available_packs, load_pack, tighten
from arrears.compliance.parsing import ScenarioError, facts_from_mapping, parse_instant, request_from_mapping

REFUSED = ("error", "refused")
"""Expected decisions that a refused (loosening) policy also satisfies, beside block."""


@dataclass(frozen=True)
class Expectation:
    decision: str
    rules: tuple[str, ...] = ()
    next_allowed_at: datetime | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    pack_id: str
    tighten: Mapping[str, Any]
    facts: Facts
    request: Request
    expect: Expectation
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    decision: Decision
    matched: bool
    problems: tuple[str, ...] = field(default=())


def load_file(path: Path) -> list[Scenario]:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not YAML: {error}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: the scenarios are a list under `scenarios:`")
    scenarios = [_scenario(item, f"{path}#{i}") for i, item in enumerate(data["scenarios"])]
    ids = [s.id for s in scenarios]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError(f"{path}: duplicate scenario ids: {', '.join(duplicates)}")
    return scenarios


def _scenario(data: Mapping[str, Any], where: str) -> Scenario:
    try:
        scenario_id = str(data["id"])
        pack_id = str(data.get("pack", "cn"))
        if pack_id not in available_packs():
            raise ScenarioError(f"pack {pack_id!r} is not one of {', '.join(available_packs())}")
        expect = data.get("expect") or {}
        next_allowed = expect.get("next_allowed_at")
        return Scenario(
            id=scenario_id,
            pack_id=pack_id,
            tighten=dict(data.get("tighten") or {}),
            facts=facts_from_mapping(data),
            request=request_from_mapping(data.get("request") or {}),
            expect=Expectation(
                decision=str(expect.get("decision", "")).lower(),
                rules=_rule_list(expect.get("rules")),
                next_allowed_at=None
                if next_allowed is None
                else parse_instant(next_allowed, "expect.next_allowed_at"),
            ),
            source=where,
        )
    except ScenarioError as error:
        raise ScenarioError(f"{where} ({data.get('id', '?')}): {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise ScenarioError(f"{where} ({data.get('id', '?')}): {error!r}") from None


def _rule_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(r) for r in value)


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, with a directory standing for the YAML files in it."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path])
    return found


def run(scenario: Scenario) -> Decision:
    """The gate's answer; a policy that loosens its pack is refused, and so is everything under it."""
    try:
        pack = tighten(load_pack(scenario.pack_id), scenario.tighten)
    except PackError as error:
        refusal = reason("TENANT-POLICY", error.message_zh, error.message_en)
        return Decision(Verdict.BLOCK, (refusal,), scenario.pack_id, "refused")
    return decide(scenario.request, scenario.facts, pack)


def replay(scenarios: Iterable[Scenario]) -> list[Outcome]:
    return [_compare(s, run(s)) for s in scenarios]


def _compare(scenario: Scenario, decision: Decision) -> Outcome:
    expect = scenario.expect
    problems: list[str] = []
    refused = decision.pack_version == "refused"
    decision_ok = expect.decision == decision.verdict.value or (refused and expect.decision in REFUSED)
    if not decision_ok:
        problems.append(f"decision {decision.verdict.value}, expected {expect.decision}")
    missing = [r for r in expect.rules if r not in decision.rule_ids]
    if missing:
        problems.append(f"missing rules {', '.join(missing)}")
    if expect.next_allowed_at is not None and decision.next_allowed_at != expect.next_allowed_at:
        got = decision.next_allowed_at.isoformat() if decision.next_allowed_at else "none"
        problems.append(f"next_allowed_at {got}, expected {expect.next_allowed_at.isoformat()}")
    return Outcome(scenario, decision, not problems, tuple(problems))
