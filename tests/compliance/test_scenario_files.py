"""Scenario files: a bad key refused with its line; one bad scenario does not stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.compliance.parsing import ScenarioError
from arrears.compliance.scenarios import load_file, read_file

runner = CliRunner()

GOOD = """\
  - id: GOOD-{n}
    pack: cn
    debtor: {{timezone: Asia/Shanghai}}
    contact_points: [{{id: N1, type: mobile, party: debtor}}]
    events: []
    request: {{kind: contact, at: "2026-03-10T23:00:00+08:00", channel: call, to: N1}}
    expect: {{decision: block, rules: [CN-TIME-1]}}
"""
BAD_EVENT = """\
  - id: BAD-sms-outcome
    pack: cn
    debtor: {timezone: Asia/Shanghai}
    contact_points: [{id: N1, type: mobile, party: debtor}]
    events:
      - {at: "2026-03-10T09:00:00+08:00", kind: sms, to: N1, outcome: no_answer}
    request: {kind: contact, at: "2026-03-10T10:00:00+08:00", channel: call, to: N1}
    expect: {decision: allow}
"""


def write(tmp_path: Path, text: str, name: str = "scenarios.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            ("    pack: cn\n", "    pack: cn\n    tigthen: {quiet_start: '21:00'}\n"),
            3,
            "scenarios[0].tigthen is not a known key",
        ),
        (
            ("    events: []\n", "    events: []\n    timezone: Asia/Shanghai\n"),
            6,
            "scenarios[0].timezone is not a known key",
        ),
        (("type: mobile", "type: pager"), 4, "contact_points[0].type 'pager' is not one of"),
        (("channel: call", "channel: fax"), 6, "request.channel 'fax' is not one of"),
        (("kind: contact,", "kind: question,"), 6, "request 'question' is not one of contact, text"),
        (("decision: block", "decision: blocked"), 7, "expect.decision 'blocked' is not one of"),
        (
            ("{timezone: Asia/Shanghai}", "{timezone: Asia/Shenzhen}"),
            3,
            "'Asia/Shenzhen' is not an IANA time zone",
        ),
    ],
)
def test_an_unknown_or_misplaced_key_is_refused_with_its_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    path = write(tmp_path, "scenarios:\n" + GOOD.format(n=1).replace(*change))
    with pytest.raises(ScenarioError) as refused:
        load_file(path)
    text = refused.value.message("en")
    assert f"scenarios.yaml, line {line + 1}" in text and message in text


def test_a_key_that_does_not_belong_to_its_event_kind_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "scenarios:\n" + BAD_EVENT)
    with pytest.raises(ScenarioError) as refused:
        load_file(path)
    text = refused.value.message("en")
    assert (
        "line 7: scenarios[0].events[0]: outcome is not a key of a sms event; its keys: at, debt, debts, to"
        in text
    )
    assert "不是 sms 事件的键" in refused.value.message("zh-CN")


def test_one_bad_scenario_leaves_the_others_readable(tmp_path: Path) -> None:
    path = write(
        tmp_path, "scenarios:\n" + GOOD.format(n=1) + BAD_EVENT + GOOD.format(n=2) + GOOD.format(n=1)
    )
    found = read_file(path)
    assert [s.id for s in found.scenarios] == ["GOOD-1", "GOOD-2"]
    messages = [p.message("en") for p in found.problems]
    assert len(messages) == 2
    assert "scenarios[1].events[0]" in messages[0]
    assert "line 24: scenarios[3].id 'GOOD-1' is used by an earlier scenario" in messages[1]


def test_replay_runs_the_good_scenarios_and_reports_the_bad_one(tmp_path: Path) -> None:
    mixed = write(tmp_path, "scenarios:\n" + GOOD.format(n=1) + BAD_EVENT + GOOD.format(n=2), "mixed.yaml")
    result = runner.invoke(app, ["compliance", "replay", str(mixed)])
    assert result.exit_code == 1
    assert "PASS GOOD-1" in result.output and "PASS GOOD-2" in result.output
    assert "ERROR" in result.output and "mixed.yaml, line 14: scenarios[1].events[0]" in result.output
    assert "2/3 scenarios matched" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty.yaml: the file is empty"),
        ("# nothing yet\n", "empty.yaml: the file is empty"),
        ("scenarios: []\n", "empty.yaml: the file holds no scenarios"),
        ("- id: X\n", "empty.yaml, line 1: the file [{'id': 'X'}] should be a mapping of keys to values"),
        (
            "scenario:\n  - id: X\n",
            "empty.yaml, line 1: scenario is not a known key here; known keys: scenarios",
        ),
    ],
)
def test_an_empty_or_shapeless_file_fails_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    empty = write(tmp_path, text, "empty.yaml")
    good = write(tmp_path, "scenarios:\n" + GOOD.format(n=1), "good.yaml")
    result = runner.invoke(app, ["compliance", "replay", str(empty), str(good)])
    assert result.exit_code == 1
    assert f"ERROR {empty}" in result.output and message in result.output
    assert "PASS GOOD-1" in result.output
    assert "1/1 scenarios matched; 1 file could not be read" in result.output
    assert "Traceback" not in result.output
