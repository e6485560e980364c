"""``arrears qa``: call transcripts imported from files, the week's QA scores, the review sample
and the checker's agreement with reviewers, through the same services as the API, as the system
(the operating-system user who ran the command is the actor on the audit trail)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import true

from arrears.auth.cli import cli_actor, say, work
from arrears.cli_options import date_option
from arrears.clock import local_date
from arrears.config import get_settings
from arrears.contacts.gate import pack_of
from arrears.i18n import N_
from arrears.qa import repository, service
from arrears.qa.schemas import TranscriptsFile
from arrears.yamlfile import YamlFileError, read_yaml, validate

app = typer.Typer(help="Conversation quality assurance 质检.", no_args_is_help=True)
console = Console()
WIDE = 10_000


def _out() -> Console:
    return console if console.is_terminal else Console(width=WIDE)


class TranscriptFileError(YamlFileError):
    code = "invalid_transcript_file"
    default_message = N_("The transcript file cannot be used")


@app.command("import")
def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="YAML or JSON files: transcripts: [{contact_id, turns}]")
    ],
) -> None:
    """Attach transcripts to their contacts, each collector's turn checked; one transaction a file,
    all or nothing. A contact that has a transcript already is skipped and named."""
    settings = get_settings()
    pack = pack_of(settings.compliance_pack, settings.compliance_policy)
    for file in files:
        parsed = validate(
            read_yaml(file, error=TranscriptFileError), TranscriptsFile, error=TranscriptFileError
        )
        imported, skipped, findings = 0, [], 0
        with work() as (session, now):
            for item in parsed.transcripts:
                if repository.transcript_of_contact(session, item.contact_id) is not None:
                    skipped.append(item.contact_id)
                    continue
                row = service.import_transcript(
                    session,
                    cli_actor(),
                    item.spec(item.contact_id, "file"),
                    visible=true(),
                    pack=pack,
                    now=now,
                    with_model=settings.qa_content_model,
                )
                imported += 1
                findings += row.finding_count
        console.print(
            say(
                N_("{file}: {imported} transcripts imported, {findings} findings; already there: {skipped}"),
                file=str(file),
                imported=imported,
                findings=findings,
                skipped=", ".join(map(str, skipped)) or "-",
            )
        )


@app.command("scores")
def scores(
    week: Annotated[
        date | None, date_option("--week", help="Any day of the week (default: this week).")
    ] = None,
) -> None:
    """The week's QA scores per collector, lowest mean first."""
    with work() as (session, now):
        day = week or local_date(now, get_settings().bank_timezone)
        rows = service.week_scores(session, cli_actor(), day, visible=true())
    table = Table(
        say(N_("collector")),
        say(N_("calls")),
        say(N_("mean score")),
        say(N_("lowest")),
        say(N_("findings")),
        say(N_("calls flagged")),
        title=say(N_("QA scores, week of {monday}"), monday=service.week_of(day).isoformat()),
        box=box.SIMPLE,
    )
    for row in rows:
        table.add_row(
            row.collector or "-",
            str(row.calls),
            f"{row.mean_score:.1f}",
            str(row.lowest_score),
            str(row.findings),
            str(row.flagged_calls),
        )
    _out().print(table)


@app.command("sample")
def sample(
    week: Annotated[date, date_option("--week", help="Any day of the week drawn from.")],
    per_band: Annotated[
        int, typer.Option("--per-band", min=1, help="Calls drawn from each score band.")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", min=0, help="The same seed draws the same calls.")] = 1,
) -> None:
    """Draw the week's calls for people's review, stratified by score band."""
    with work() as (session, now):
        drawn = service.draw_sample(session, cli_actor(), week, per_band, visible=true(), seed=seed, now=now)
    for band, _, _ in service.SCORE_BANDS:
        ids = sorted(tid for tid, b in drawn.items() if b == band)
        console.print(f"{band}: {len(ids)} " + " ".join(map(str, ids)))


@app.command("agreement")
def agreement() -> None:
    """The checker's running precision and recall against reviewers' verdicts, per category."""
    with work() as (session, _):
        rows = service.agreement(session, cli_actor(), visible=true())
    table = Table(
        say(N_("category")),
        say(N_("agree")),
        say(N_("false alarm")),
        say(N_("missed")),
        say(N_("precision")),
        say(N_("recall")),
        box=box.SIMPLE,
    )
    for row in rows:
        table.add_row(
            row.category,
            str(row.agree),
            str(row.disagree),
            str(row.missed),
            "-" if row.precision is None else f"{row.precision:.3f}",
            "-" if row.recall is None else f"{row.recall:.3f}",
        )
    _out().print(table)
