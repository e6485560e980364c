"""Scenario files (docs/compliance-scenarios.md): loading them and replaying them through the gate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from arrears.compliance.decision import Decision, Verdict
from arrears.compliance.facts import Facts, Request
from arrears.compliance.gate import decide
from arrears.compliance.messages import reason
from arrears.compliance.packfile import Tightening
from arrears.compliance.packs import PackError, load_pack, tighten
from arrears.compliance.parsing import (
    ScenarioError,
    ScenarioFileModel,
    ScenarioModel,
    facts_of,
    request_of,
)
from arrears.errors import ArrearsError
from arrears.i18n import N_
from arrears.yamlfile import Document, problem, read_yaml, validate, validate_each

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


@dataclass(frozen=True)
class ScenarioFile:
    """The scenarios of one file that could be read, and what is wrong with each one that could not."""

    path: Path
    scenarios: list[Scenario]
    problems: list[ArrearsError]


def read_file(path: Path) -> ScenarioFile:
    """A scenario file: a bad scenario is reported and the others kept; a file that is not YAML,
    not a list under ``scenarios:`` or holds none raises :class:`ScenarioError`."""
    document = read_yaml(path, error=ScenarioError)
    top = validate(document, ScenarioFileModel, error=ScenarioError)
    if not top.scenarios:
        raise ScenarioError(
            N_("{file}: the file holds no scenarios (they are a list under scenarios:)"), file=str(path)
        )
    scenarios: list[Scenario] = []
    problems: list[ArrearsError] = []
    seen: set[str] = set()
    for index, result in enumerate(
        validate_each(document, ("scenarios",), ScenarioModel, error=ScenarioError)
    ):
        if isinstance(result, ArrearsError):
            problems.append(result)
        elif result.id in seen:
            problems.append(_duplicate(document, index, result.id))
        else:
            seen.add(result.id)
            scenarios.append(_scenario(result, f"{path}#{index}"))
    return ScenarioFile(path, scenarios, problems)


def load_file(path: Path) -> list[Scenario]:
    """Every scenario of a file; any problem in it raises (the first one)."""
    found = read_file(path)
    if found.problems:
        raise found.problems[0]
    return found.scenarios


def _duplicate(document: Document, index: int, scenario_id: str) -> ScenarioError:
    return ScenarioError(
        N_("{problems}"),
        problems=problem(
            document,
            ("scenarios", index, "id"),
            N_("{file}, line {line}: {key} {value} is used by an earlier scenario"),
            value=repr(scenario_id),
        ),
    )


def _scenario(model: ScenarioModel, where: str) -> Scenario:
    expect = model.expect
    return Scenario(
        id=model.id,
        pack_id=model.pack,
        tighten={} if model.tighten is None else raw_tightening(model.tighten),
        facts=facts_of(model),
        request=request_of(model.request),
        expect=Expectation(
            decision=expect.decision,
            rules=_rule_list(expect.rules),
            next_allowed_at=expect.next_allowed_at,
        ),
        source=where,
    )


def raw_tightening(tightening: Tightening) -> dict[str, Any]:
    """The settings as the file wrote them ("21:00", not a time), as a decision records them."""
    values = tightening.model_dump(exclude_unset=True)
    for name in ("quiet_start", "quiet_end"):
        if name in values and values[name] is not None:
            values[name] = values[name].strftime("%H:%M")
    if "holidays" in values and values["holidays"] is not None:
        changes = values["holidays"]
        values["holidays"] = changes.get("add", []) if not changes.get("remove") else changes
    return values


def _rule_list(value: list[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


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
        refusal = reason("TENANT-POLICY", error.text)
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
