"""Every scenario file in tests/compliance/scenarios replays to its expected answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.compliance.scenarios import Scenario, load_file, replay

SCENARIOS = Path(__file__).parent / "scenarios"
ALL = [s for path in sorted(SCENARIOS.glob("*.yaml")) for s in load_file(path)]


@pytest.mark.parametrize("scenario", ALL, ids=[s.id for s in ALL])
def test_scenario_replays_to_its_expected_answer(scenario: Scenario) -> None:
    (outcome,) = replay([scenario])
    assert outcome.matched, f"{scenario.id}: {'; '.join(outcome.problems)}"


def test_the_public_scenarios_are_all_there() -> None:
    ids = {s.id for s in ALL}
    assert {"AT-CN-01a", "AT-CN-13a", "AT-US-01", "AT-US-28c"} <= ids
