"""``arrears outbox``: the outbox's worker (``work``), its counts (``status``) and the print
vendor's batch of a day's letters (``print-batch``, :mod:`arrears.channels.print_run`).

``work`` sends as the system (the contacts it records are the outbox's), with the providers the
settings choose (:mod:`arrears.channels.providers.configured`). Ctrl-C (or SIGTERM) stops it after
the message in hand: what it had claimed and not begun stays ``sending`` until its lease ends,
then a worker reconciles it."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.auth.cli import cli_actor, say
from arrears.channels import outbox, print_run
from arrears.channels.models import MessageChannel, MessageState
from arrears.channels.providers.configured import providers_for
from arrears.channels.worker import BATCH, Tally, work
from arrears.clock import SystemClock
from arrears.config import get_settings
from arrears.db import open_database, transaction
from arrears.i18n import N_

app = typer.Typer(help="The outbox: send messages, see their states 消息发件箱.", no_args_is_help=True)
console = Console()


@app.command("work")
def work_command(
    channel: Annotated[
        MessageChannel | None,
        typer.Option("--channel", help="Only this channel 仅此渠道.", show_default=False),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Stop when no message is due 无待发消息即退出.")
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1000, help="Messages claimed at a time.")
    ] = BATCH,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", min=0.1, help="Messages a second per provider, at most 每秒上限.", show_default=False
        ),
    ] = None,
) -> None:
    """Send due messages, through the compliance gate, until stopped 发送到期消息."""
    settings = get_settings()
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGINT, signal.SIGTERM)}
    providers = providers_for(settings, SystemClock())
    try:
        with open_database(settings) as engine:
            total = work(
                engine,
                providers,
                SystemClock(),
                channel=None if channel is None else channel.value,
                once=once,
                batch=batch,
                settings=settings,
                rate=rate,
                stop=stop,
                on_batch=_report,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for provider in providers.values():
            close = getattr(provider, "close", None)
            if close is not None:
                close()
    console.print(say(N_("Outbox worker stopped: {tally}"), tally=_counted(total)))


TALLY_LABELS = {
    "claimed": N_("claimed"),
    "sent": N_("sent"),
    "retried": N_("to retry"),
    "dead": N_("dead"),
    "deferred": N_("deferred by the gate"),
    "expired": N_("expired"),
    "stopped": N_("stopped"),
    "reconciled": N_("reconciled"),
}


def _counted(tally: Tally) -> str:
    return ", ".join(f"{say(label)} {getattr(tally, name)}" for name, label in TALLY_LABELS.items())


def _report(done: Tally) -> None:
    if done.claimed or done.reconciled:
        console.print(say(N_("A batch: {tally}"), tally=_counted(done)))


@app.command("status")
def status() -> None:
    """Messages per channel and state 各渠道各状态消息数."""
    with open_database(get_settings()) as engine, transaction(engine) as session:
        counted = outbox.counts(session)
    channels = list(counted)
    table = Table(say(N_("State")), *channels, box=box.SIMPLE_HEAD)  # a row per state: it stays narrow
    for state in MessageState:
        table.add_row(state.value, *(f"{counted[c].get(state.value, 0):,}" for c in channels))
    console.print(table)


@app.command("print-batch")
def print_batch_command(
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day the letters were sent 寄出日期.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The batch's folder (default: <outbox_dir>/print/<date>).", show_default=False
        ),
    ] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Make a batch that exists anew 重新生成已有批次.")
    ] = False,
) -> None:
    """The print vendor's batch of a day's letters: one PDF each and the manifest 信函打印批次."""
    settings = get_settings()
    with open_database(settings) as engine, transaction(engine) as session:
        made = print_run.print_day(
            session,
            cli_actor(),
            settings.outbox_dir,
            day.date(),
            now=SystemClock().now(),
            folder=out,
            again=again,
        )
    said = N_("Print batch of {day}: {count} letters, manifest {manifest}")
    console.print(say(said, day=made.day.isoformat(), count=made.letters, manifest=str(made.manifest)))
