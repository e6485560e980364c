"""``arrears compliance replay``: one line per scenario, exit 0 only when all match."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app

SCENARIOS = Path(__file__).parent / "scenarios"
runner = CliRunner()

WRONG = """
scenarios:
  - id: WRONG-expects-allow-at-night
    pack: cn
    debtor: {timezone: Asia/Shanghai}
    contact_points: [{id: N1, type: mobile, party: debtor}]
    events: []
    request: {kind: contact, at: "2026-03-10T23:00:00+08:00", channel: call, to: N1}
    expect: {decision: allow, rules: []}
"""


def test_replay_of_the_public_scenarios_passes() -> None:
    files = [str(SCENARIOS / "public-cn.yaml"), str(SCENARIOS / "public-us.yaml")]
    result = runner.invoke(app, ["compliance", "replay", *files])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("PASS")]
    assert len(lines) == 16
    assert any("AT-US-01" in line and "US-REGF-7IN7" in line for line in lines)
    assert "16/16 scenarios matched" in result.output


def test_a_mismatch_fails_the_replay(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(WRONG, "utf-8")
    result = runner.invoke(app, ["compliance", "replay", str(SCENARIOS / "public-cn.yaml"), str(wrong)])
    assert result.exit_code == 1
    assert "FAIL WRONG-expects-allow-at-night" in result.output
    assert "got block [CN-TIME-1]" in result.output


def test_an_unreadable_file_fails_the_replay(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "scenarios:\n  - id: X\n    request: {kind: contact, at: '2026-03-10T10:00:00'}\n", "utf-8"
    )
    result = runner.invoke(app, ["compliance", "replay", str(broken)])
    assert result.exit_code == 1
    assert "no UTC offset" in result.output


def test_a_loosening_policy_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("pack: cn\ntighten: {max_conversations_per_day: 5}\n", "utf-8")
    result = runner.invoke(app, ["compliance", "packs", "--policy", str(policy)])
    assert result.exit_code == 2
    assert "may only be tightened" in result.output


def test_check_text_exits_non_zero_on_a_threat() -> None:
    result = runner.invoke(
        app, ["compliance", "check-text", "--pack", "cn", "--purpose", "script", "我是法院的"]
    )
    assert result.exit_code == 1
    assert "CN-CONDUCT-1" in result.output
    clean = runner.invoke(app, ["compliance", "check-text", "--pack", "cn", "法院判决后可申请强制执行"])
    assert clean.exit_code == 0


def test_a_scenario_that_loosens_its_pack_names_the_refusal_without_verbose(tmp_path: Path) -> None:
    loosened = tmp_path / "loosened.yaml"
    loosened.write_text(
        WRONG.replace("WRONG-expects-allow-at-night", "LOOSE")
        .replace("pack: cn", 'pack: cn\n    tighten: {quiet_start: "23:00"}')
        .replace("23:00:00+08:00", "22:30:00+08:00"),
        "utf-8",
    )
    result = runner.invoke(app, ["compliance", "replay", str(loosened)])
    assert result.exit_code == 1
    assert "FAIL LOOSE" in result.output and "got block [TENANT-POLICY]" in result.output
    assert "refused" in result.output and "quiet_start may only be tightened" in result.output
    assert "只能收紧" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: call, to: N1, outcome: conversation", "kind: dispute_open"), "kind 'dispute_open'"),
        (("outcome: conversation", "outcome: busy"), "outcome 'busy'"),
        (("pack: cn", "pack: us"), "pack 'us'"),
    ],
)
def test_a_typo_in_a_scenario_is_an_error_not_silently_ignored(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with_event = WRONG.replace(
        "events: []", 'events: [{at: "2026-03-10T09:00:00+08:00", kind: call, to: N1, outcome: conversation}]'
    )
    typo = tmp_path / "typo.yaml"
    typo.write_text(with_event.replace(*change), "utf-8")
    result = runner.invoke(app, ["compliance", "replay", str(typo)])
    assert result.exit_code == 1
    assert "ERROR" in result.output and message in result.output


@pytest.mark.parametrize(
    ("option", "value", "known"),
    [
        ("--pack", "xx", "cn, us-regf, uk-fca"),
        ("--party", "neighbour", "attorney, debtor, emergency_contact, employer, executor, guarantor"),
        ("--channel", "fax", "call, email, letter, sms, visit, voicemail, wechat"),
        ("--purpose", "poem", "note, script, template"),
    ],
)
def test_check_text_refuses_an_unknown_value_with_the_known_ones(option: str, value: str, known: str) -> None:
    result = runner.invoke(app, ["compliance", "check-text", option, value, "请尽快还款"])
    assert result.exit_code == 2
    assert f"{option} must be one of {known}" in result.output and f"not '{value}'" in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )


def test_check_text_refuses_a_text_longer_than_a_transcript_turn() -> None:
    result = runner.invoke(app, ["compliance", "check-text", "=SUM(A1)" + "再不还就曝光你" * 1500])
    assert result.exit_code == 2
    assert "The text has 10508 characters; at most 10000 are checked at once" in result.output
    assert isinstance(result.exception, SystemExit)


def test_check_text_takes_a_channel_alias() -> None:
    result = runner.invoke(
        app, ["compliance", "check-text", "--channel", "text", "--pack", "us-regf", "Pay now."]
    )
    assert result.exit_code == 1
    assert "US-REGF-EOPTOUT" in result.output


def test_a_malformed_policy_is_refused_with_its_line_and_no_traceback(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("pack: cn\ntighten:\n  quiet_start: '21:00'\n  max_calls_per_day: 2\n", "utf-8")
    result = runner.invoke(app, ["compliance", "packs", "--policy", str(policy)])
    assert result.exit_code == 2
    assert "policy.yaml, line 4: tighten.max_calls_per_day is not a known key here" in result.output
    assert "Traceback" not in result.output


def test_packs_show_holiday_calendars(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "pack: cn\ntighten:\n  holidays: {add: [cn-rest-days], remove: ['2026-03-07']}\n", "utf-8"
    )
    result = runner.invoke(app, ["compliance", "packs", "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "calendars: cn-rest-days; dates added: -; dates taken out: 2026-03-07" in result.output
