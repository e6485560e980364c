"""The behavioural simulator: customers drawn from the generator, production's evaluation and gate
day by day, common random numbers, and the comparison's paired intervals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import Settings
from arrears.sim.profile import Behaviour
from arrears.strategy.repository import parse_document
from arrears.strategy.simulation.model import Responses
from arrears.strategy.simulation.pair import Plan, bank_for, check, simulate_pair
from arrears.strategy.simulation.population import Population, Templates, draw_population, templates
from arrears.strategy.simulation.report import compare
from arrears.strategy.simulation.run import Outcome, SimulationBank, simulate
from arrears.strategy.statistics import paired_mean_difference

START = date(2026, 11, 21)
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "strategies" / "cn-cards.yaml"

SHELL = """
strategy: {code}
names: {{zh-CN: 测试, en: Test}}
costs: {{currency: CNY, sms: "0.05", call: "4.00"}}
segments:
  - code: all
    names: {{zh-CN: 全部, en: All}}
    when: {{hold: [none, deceased, bankruptcy, cease, dispute, hardship, vulnerability]}}
    path: main
paths:
  main:
    names: {{zh-CN: 主, en: Main}}
    steps: {steps}
"""
NOTHING = SHELL.format(code="nothing", steps="[]")
REMIND = SHELL.format(
    code="remind",
    steps="""
      - {day: 1, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 2, action: call, window: best}
      - {day: 8, action: sms, template: first_delinquency, at: "10:00"}
      - {day: 9, action: call, window: best}""",
)


@pytest.fixture(scope="module")
def bank() -> SimulationBank:
    return bank_for(Settings())


@pytest.fixture(scope="module")
def found() -> Templates:
    return templates(5, START, customers=3_000)


@pytest.fixture(scope="module")
def people(found: Templates) -> Population:
    return draw_population(4_000, 5, START, found)


def run(text: str, people: Population, bank: SimulationBank, days: int = 30, **more: object) -> Outcome:
    return simulate(parse_document(text, "test"), people, start=START, days=days, seed=5, bank=bank, **more)  # type: ignore[arg-type]


def test_the_customers_come_from_the_generator_and_the_seed(found: Templates) -> None:
    assert set(np.unique(found.behaviour)) <= {
        Behaviour.LATE_THEN_CURES,
        Behaviour.PARTIAL,
        Behaviour.STOPS_PAYING,
    }
    assert (found.monthly_due > 0).all()
    first, again = draw_population(500, 9, START, found), draw_population(500, 9, START, found)
    other = draw_population(500, 10, START, found)
    assert np.array_equal(first.ability, again.ability) and np.array_equal(first.reach, again.reach)
    assert not np.array_equal(first.ability, other.ability)
    # the traits follow the behaviour: who stopped paying can find less than who pays late
    late = first.behaviour == Behaviour.LATE_THEN_CURES
    stops = first.behaviour == Behaviour.STOPS_PAYING
    assert first.ability[late].mean() > first.ability[stops].mean() + 0.3


def test_left_alone_late_payers_cure_and_those_who_stopped_do_not(
    people: Population, bank: SimulationBank
) -> None:
    """The model's calibration on the generator: late payers cure within their episode of one to
    six months, customers who stopped paying hardly ever cure."""
    alone = run(NOTHING, people, bank, days=180)
    late = people.behaviour == Behaviour.LATE_THEN_CURES
    stops = people.behaviour == Behaviour.STOPS_PAYING
    assert alone.cured[late].mean() > 0.6
    assert alone.cured[stops].mean() < 0.15
    assert sum(alone.actions.values()) == 0 and alone.cost.sum() == 0


def test_the_same_strategy_twice_is_the_same_to_the_cent(people: Population, bank: SimulationBank) -> None:
    """Common random numbers: the luck is the seed's, not the order of the runs."""
    first, second = run(REMIND, people, bank), run(REMIND, people, bank)
    assert np.array_equal(first.collected, second.collected)
    difference = paired_mean_difference(first.collected, second.collected)
    assert difference.difference == 0 and difference.lower == difference.upper == 0


def test_contacts_collect_more_than_none_and_cost_what_the_strategy_says(
    people: Population, bank: SimulationBank
) -> None:
    alone, reminded = run(NOTHING, people, bank), run(REMIND, people, bank)
    comparison = compare(alone, reminded, names=("nothing", "remind"), days=30, seed=5)
    collected = comparison.line("collected")
    assert collected.result.lower > 0 and collected.better == "challenger"  # the planted effect is found
    assert comparison.line("cured").result.difference > 0
    sms, calls = reminded.contacts["sms"].sum(), reminded.contacts["call"].sum()
    assert sms > 0 and calls > 0
    assert reminded.cost.sum() == sms * 5 + calls * 400  # CNY 0.05 and 4.00 in fen, no agency
    assert reminded.complaints.sum() > alone.complaints.sum() == 0


def test_the_gate_refuses_what_production_would(people: Population, bank: SimulationBank) -> None:
    """A text at 23:00 local breaks CN-TIME-1 (the strategy's checks would refuse it before it got
    here): none is sent. An opt-out stops the channel: the second text of who opted out is refused."""
    late_night = REMIND.replace('at: "10:00"', 'at: "23:00"')
    night = run(late_night, people, bank, days=10)
    assert night.contacts["sms"].sum() == 0
    assert night.actions["sms"] == 0 and night.blocked.sum() >= people.size  # every case's day-1 text
    reach = people.reach.copy()
    reach[:, 0] = 1.0  # every text read, and (below) every reader opts out of texts on the first
    readers = replace(people, reach=reach)
    quit_ = run(REMIND, readers, bank, days=10, responses=Responses(opt_out={"sms": 1.0, "email": 0.0}))
    assert quit_.opted_out.all()
    assert (quit_.contacts["sms"] == 1).all()
    still_open_on_day_8 = quit_.blocked > 0
    assert still_open_on_day_8.mean() > 0.5  # their day-8 text refused (OPT-OUT)


def test_a_complaint_holds_collection(people: Population, bank: SimulationBank) -> None:
    """A complaint is a dispute hold: the path stops for it (stop_when: hold, the default) and,
    where a path does not stop, the gate refuses the contact (HOLD-DISPUTE)."""
    touchy = Responses(complaint={"sms": 1.0, "email": 0.0, "letter": 0.0, "call": 0.0, "field_visit": 0.0})
    stopped = run(REMIND, people, bank, days=2, responses=touchy)  # the day-1 text, the day-2 call
    complained = stopped.complaints > 0
    assert complained.mean() > 0.5
    assert stopped.contacts["call"][complained].sum() == 0 and stopped.blocked.sum() == 0
    assert stopped.contacts["call"][~complained].sum() > 0
    unstopped = REMIND.replace("    steps:", "    stop_when: [paid, cured]\n    steps:")
    refused = run(unstopped, people, bank, days=2, responses=touchy)
    assert np.array_equal(refused.complaints, stopped.complaints)  # the same luck
    assert refused.contacts["call"][complained].sum() == 0
    assert (refused.blocked[complained] == 1).mean() > 0.95  # all but the cured


def test_the_pair_runs_side_by_side_as_one_after_the_other(found: Templates, bank: SimulationBank) -> None:
    documents = (parse_document(NOTHING, "a"), parse_document(REMIND, "b"))
    plan = Plan(documents, ("nothing", "remind"), 400, 6, 3, START, bank)
    seen: list[tuple[str, int]] = []
    parallel = simulate_pair(plan, lambda role, done: seen.append((role, done)))
    serial = simulate_pair(plan, parallel=False)
    assert parallel.lines == serial.lines
    assert ("champion", 6) in seen and ("challenger", 6) in seen


def test_the_checks_run_before_a_simulation(bank: SimulationBank) -> None:
    aged = parse_document(NOTHING.replace("when: {hold:", "when: {age: {min: 60}, hold:"), "aged")
    report = check(aged, bank, frozenset({"age"}), START)
    assert not report.valid
    for example in (EXAMPLE, EXAMPLE.with_name("cn-cards-call-first.yaml")):
        assert check(
            parse_document(example.read_text("utf-8"), "example"), bank, frozenset({"age"}), START
        ).valid


runner = CliRunner(env={"COLUMNS": "220", "ARREARS_LANGUAGE": "en"})


def test_the_command_compares_two_strategies_and_writes_the_table_and_chart(tmp_path: Path) -> None:
    champion, challenger = tmp_path / "a.yaml", tmp_path / "b.yaml"
    champion.write_text(NOTHING, "utf-8")
    challenger.write_text(REMIND, "utf-8")
    files = ["--champion", str(champion), "--challenger", str(challenger)]
    size = ["--customers", "300", "--days", "12", "--seed", "2", "--start", "2026-11-21", "--serial"]
    out = ["--markdown", str(tmp_path / "r.md"), "--chart", str(tmp_path / "c.svg")]
    result = runner.invoke(app, ["sim", "strategy", *files, *size, *out])
    assert result.exit_code == 0, result.output
    assert "nothing against remind: 300 customers, 12 days, seed 2" in result.output
    assert "collected per account" in result.output and "complaints per 1,000 accounts" in result.output
    assert "an experiment needs" in result.output and "accounts an arm (80% power" in result.output
    assert (tmp_path / "r.md").read_text("utf-8").startswith("| measure | champion | challenger |")
    svg = (tmp_path / "c.svg").read_text("utf-8")
    assert "<svg" in svg and "<script" not in svg and "nothing" in svg and "remind" in svg


def test_the_command_names_a_strategy_that_fails_its_checks(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.yaml", tmp_path / "b.yaml"
    good.write_text(NOTHING, "utf-8")
    bad.write_text(NOTHING.replace("when: {hold:", "when: {bucket: [M9], hold:"), "utf-8")
    result = runner.invoke(
        app, ["sim", "strategy", "--champion", str(good), "--challenger", str(bad), "--customers", "100"]
    )
    assert result.exit_code != 0
    assert "b.yaml does not pass the strategy checks" in result.output and "M9" in result.output
