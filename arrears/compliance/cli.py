"""``arrears compliance ...``: replay scenarios, show packs, check a text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from arrears.cli_options import out_file_option
from arrears.errors import InvalidInputError, one_of
from arrears.i18n import N_

if TYPE_CHECKING:
    from arrears.compliance.decision import Reason
    from arrears.compliance.scenarios import Outcome

app = typer.Typer(
    help="Compliance: rule packs, the contact gate, content checks (合规).", no_args_is_help=True
)
console = Console()


def _language() -> str:
    from arrears.config import message_language

    return message_language()


def _both(reason: Reason) -> str:
    return f"{escape(reason.message('en'))} / {escape(reason.message('zh-CN'))}"


@app.command("replay")
def replay_command(
    files: Annotated[
        list[Path], typer.Argument(help="Scenario files (YAML) or folders of them.", exists=True)
    ],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each reason's message.")] = False,
) -> None:
    """Replay scenario files through the gate: one line per scenario; exit 0 only when all match.

    A scenario that cannot be read is reported (ERROR) and the others still run.
    """
    from arrears.compliance.parsing import ScenarioError
    from arrears.compliance.scenarios import read_file, replay, scenario_files

    language = _language()
    total = matched = unreadable = 0
    for path in scenario_files(files):
        try:
            found = read_file(path)
        except ScenarioError as error:
            console.print(f"[red]ERROR[/] {escape(error.message(language))}", soft_wrap=True)
            unreadable += 1
            continue
        for problem in found.problems:
            console.print(f"[red]ERROR[/] {escape(problem.message(language))}", soft_wrap=True)
        total += len(found.problems)
        for outcome in replay(found.scenarios):
            total += 1
            matched += outcome.matched
            _print_outcome(outcome, verbose)
    failed = matched < total or unreadable > 0
    summary = f"{matched}/{total} scenarios matched"
    if unreadable:
        summary += f"; {unreadable} file{'s' if unreadable > 1 else ''} could not be read"
    console.print(f"[{'red' if failed else 'green'}]{summary}[/]")
    if failed:
        raise typer.Exit(1)


def _print_outcome(outcome: Outcome, verbose: bool) -> None:
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
            console.print(f"    [red]refused[/] {_both(r)}", soft_wrap=True)
    if verbose:
        for r in decision.reasons:
            console.print(f"    {r.rule_id}: {_both(r)}", soft_wrap=True)


@app.command("packs")
def packs_command(
    policy: Annotated[
        Path | None, typer.Option("--policy", help="A bank policy file: {pack: cn, tighten: {...}}.")
    ] = None,
) -> None:
    """List the shipped packs and their parameters, or a bank policy's effective parameters.

    A policy that cannot be read, or that loosens its pack, is refused (exit 2).
    """
    from dataclasses import asdict

    from arrears.compliance.packs import available_packs, load_pack, load_policy

    language = _language()
    packs = [load_policy(policy)] if policy else [load_pack(p) for p in available_packs()]
    for pack in packs:
        console.print(
            f"[bold]{pack.id}[/] {pack.label}  {escape(pack.title_en)} / {escape(pack.title_zh)}",
            soft_wrap=True,
        )
        for name, value in asdict(pack.parameters).items():
            if name == "holidays":
                layers = pack.parameters.holidays.layers
                shown = "; ".join(layer.describe().render(language) for layer in layers) or "-"
            else:
                shown = str(value)
            console.print(f"    {name}: {escape(shown)}", soft_wrap=True)


@app.command("check-text")
def check_text_command(
    text: Annotated[str, typer.Argument(help="The text to check.")],
    pack_id: Annotated[str, typer.Option("--pack", help="cn, us-regf or uk-fca.")] = "cn",
    purpose: Annotated[str, typer.Option(help="template, script or note.")] = "template",
    channel: Annotated[
        str | None, typer.Option(help="call, sms, email, letter, visit, wechat or voicemail.")
    ] = None,
    party: Annotated[
        str, typer.Option(help="Who the text is for (debtor, spouse, guarantor ...).")
    ] = "debtor",
) -> None:
    """Check a template, script or note against the content rules; exit 1 unless allowed.

    An unknown pack, purpose, channel or party is refused with the list of known ones (exit 2).
    """
    from arrears.compliance.conduct.evaluation import MAX_ITEM_TEXT
    from arrears.compliance.content import check_text
    from arrears.compliance.facts import CHANNELS, PARTIES, TEXT_PURPOSES, TextRequest, canonical_channel
    from arrears.compliance.packs import available_packs, load_pack

    if len(text) > MAX_ITEM_TEXT:
        raise InvalidInputError(
            N_("The text has {length} characters; at most {maximum} are checked at once"),
            length=len(text),
            maximum=MAX_ITEM_TEXT,
        )
    one_of(pack_id, available_packs(), "--pack")
    one_of(purpose, sorted(TEXT_PURPOSES), "--purpose")
    one_of(party, sorted(PARTIES), "--party")
    if channel is not None:
        channel = one_of(canonical_channel(channel), sorted(CHANNELS), "--channel")
    decision = check_text(TextRequest(purpose, text, channel, party), load_pack(pack_id))
    console.print(f"{decision.verdict.value} [{escape(', '.join(decision.rule_ids))}]")
    for r in decision.reasons:
        console.print(f"    {r.rule_id}: {_both(r)}", soft_wrap=True)
    if not decision.allowed:
        raise typer.Exit(1)


@app.command("evaluate-content")
def evaluate_content_command(
    corpus: Annotated[Path, typer.Argument(help="The corpus folder (a folder per split: dev/, heldout/ …).")],
    split: Annotated[
        str, typer.Option(help="A split (dev, heldout, heldout2 … the newest held-out part), or all.")
    ] = "dev",
    markdown: Annotated[
        Path | None, typer.Option(help="Also write the tables as Markdown to this file ('-': print them).")
    ] = None,
    misses: Annotated[int, typer.Option(min=0, help="List this many items the checker got wrong.")] = 0,
    with_model: Annotated[
        bool,
        typer.Option(
            "--with-model", help="The rules with the shipped model and reader, as the checker runs them."
        ),
    ] = False,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model", help="The trained model's file (default: the shipped one); implies --with-model."
        ),
    ] = None,
) -> None:
    """Precision and recall of the conduct checker per category and language, with a confusion table.

    An unreadable corpus is refused naming the file and the item (exit 2).
    """
    from arrears.compliance.conduct import evaluation, report

    one_of(split, [*evaluation.SPLITS, "all"], "--split")
    language = _language()
    items = evaluation.load_corpus(corpus, split)
    if with_model or model_file is not None:
        from arrears.compliance.conduct.model import check_with_model, describe, load_model
        from arrears.i18n import translate

        model = load_model(model_file)
        console.print(translate(N_("The rules with the model: {model}"), language, model=describe(model)))
        measured = evaluation.evaluate(
            items, lambda text, party, speaker: check_with_model(text, party, speaker, model=model)
        )
    else:
        measured = evaluation.evaluate(items)
    wide = console if console.is_terminal else Console(width=160)
    for table in report.tables(measured, language):
        wide.print(table)
    console.print(report.summary(measured, language))
    for judged in measured.misses[:misses]:
        expected = ", ".join(judged.item.labels) or "-"
        found = ", ".join(sorted(judged.found)) or "-"
        console.print(f"{judged.item.id}: {expected} → {found}  {escape(judged.item.text)}", soft_wrap=True)
    if markdown is not None:
        text = report.markdown(measured, language, split)
        if str(markdown) == "-":
            console.print(text, markup=False, soft_wrap=True)
        else:
            markdown.write_text(text + "\n", "utf-8")


@app.command("train-content-model")
def train_content_model_command(
    corpus: Annotated[
        Path,
        typer.Argument(
            help="The corpus folder: its splits open to training (dev/ up to the latest held-out part "
            "opened) and train-extra/ are trained on."
        ),
    ],
    out: Annotated[Path, out_file_option("--out", help="Where to write the model (JSON).")],
    examples: Annotated[
        Path | None,
        typer.Option(help="More labelled items to train on (default: the checker's written examples)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the learners.")] = 0,
    measure: Annotated[
        bool, typer.Option(help="Print grouped cross-validated figures (a few minutes).")
    ] = True,
) -> None:
    """Train the conduct model on the corpus' splits open to training (dev up to the latest
    held-out part opened), its
    train-extra/ folder and the written examples; with the sentence model when the qa-model extra
    is installed.

    No other split is read. The same corpus, seed and encoder write the same file.
    """
    from arrears.compliance.conduct import model_training

    language = _language()
    extra = examples if examples is not None else model_training.EXAMPLES
    given = extra if extra.exists() else None
    parts = model_training.training_items(corpus, given)
    trained = model_training.train(parts, seed=seed, measure=measure, probe=given)
    trained.model.save(out)
    wide = console if console.is_terminal else Console(width=200)
    for scheme, variants in (trained.measured or {}).items():
        wide.print(model_training.variants_table(variants, scheme, language))
    console.print(model_training.written(trained.model, out, language), soft_wrap=True)
