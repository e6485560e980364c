"""``arrears compliance ...``: replay scenarios, show packs, check a text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    help="Compliance: rule packs, the contact gate, content checks (合规).", no_args_is_help=True
)
console = Console()


@app.command("replay")
def replay_command(
    files: Annotated[
        list[Path], typer.Argument(help="Scenario files (YAML) or folders of them.", exists=True)
    ],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each reason's message.")] = False,
) -> None:
    """Replay scenario files through the gate: one line per scenario; exit 0 only when all match."""
    from arrears.compliance.parsing import ScenarioError
    from arrears.compliance.scenarios import load_file, replay, scenario_files

    total = failed = 0
    for path in scenario_files(files):
        try:
            scenarios = load_file(path)
        except ScenarioError as error:
            console.print(f"[red]ERROR[/] {escape(str(error))}")
            failed += 1
            continue
        for outcome in replay(scenarios):
            total += 1
            failed += not outcome.matched
            _print_outcome(outcome, verbose)
    style = "green" if failed == 0 else "red"
    console.print(f"[{style}]{total - failed if total >= failed else 0}/{total} scenarios matched[/]")
    if failed:
        raise typer.Exit(1)


def _print_outcome(outcome: object, verbose: bool) -> None:
    from arrears.compliance.scenarios import Outcome

    assert isinstance(outcome, Outcome)
    scenario, decision = outcome.scenario, outcome.decision
    mark = "[green]PASS[/]" if outcome.matched else "[red]FAIL[/]"
    expected = f"{scenario.expect.decision} [{', '.join(scenario.expect.rules)}]"
    got = f"{decision.verdict.value} [{', '.join(decision.rule_ids)}]"
    line = f"{mark} {escape(scenario.id)}  expected {escape(expected)}  got {escape(got)}"
    if decision.next_allowed_at is not None:
        line += f"  next {decision.next_allowed_at.isoformat()}"
    if outcome.problems:
        line += f"  [red]({escape('; '.join(outcome.problems))})[/]"
    console.print(line, soft_wrap=True)
    if decision.pack_version == "refused" and not verbose:
        for r in decision.reasons:
            refusal = f"{escape(r.message_en)} / {escape(r.message_zh)}"
            console.print(f"    [red]refused[/] {refusal}", soft_wrap=True)
    if verbose:
        for r in decision.reasons:
            console.print(f"    {r.rule_id}: {escape(r.message_en)} / {escape(r.message_zh)}", soft_wrap=True)


@app.command("packs")
def packs_command(
    policy: Annotated[
        Path | None, typer.Option("--policy", help="A bank policy file: {pack: cn, tighten: {...}}.")
    ] = None,
) -> None:
    """List the shipped packs and their parameters, or a bank policy's effective parameters."""
    from dataclasses import asdict

    from arrears.compliance.packs import PackError, available_packs, load_pack, load_policy

    try:
        packs = [load_policy(policy)] if policy else [load_pack(p) for p in available_packs()]
    except PackError as error:
        console.print(f"[red]refused[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    for pack in packs:
        console.print(f"[bold]{pack.id}[/] {pack.label}  {pack.title_en} / {pack.title_zh}")
        for name, value in asdict(pack.parameters).items():
            shown = sorted(d.isoformat() for d in value) if name == "holidays" else value
            console.print(f"    {name}: {escape(str(shown))}")


@app.command("check-text")
def check_text_command(
    text: Annotated[str, typer.Argument(help="The text to check.")],
    pack_id: Annotated[str, typer.Option("--pack", help="cn, us-regf or uk-fca.")] = "cn",
    purpose: Annotated[str, typer.Option(help="template, script or note.")] = "template",
    channel: Annotated[str | None, typer.Option(help="sms, email, letter, call ...")] = None,
    party: Annotated[str, typer.Option(help="Who the text is for.")] = "debtor",
) -> None:
    """Check a template, script or note against the content rules; exit 1 unless allowed."""
    from arrears.compliance.content import check_text
    from arrears.compliance.facts import TextRequest
    from arrears.compliance.packs import load_pack

    decision = check_text(TextRequest(purpose, text, channel, party), load_pack(pack_id))
    console.print(f"{decision.verdict.value} [{escape(', '.join(decision.rule_ids))}]")
    for r in decision.reasons:
        console.print(f"    {r.rule_id}: {escape(r.message_en)} / {escape(r.message_zh)}", soft_wrap=True)
    if not decision.allowed:
        raise typer.Exit(1)
