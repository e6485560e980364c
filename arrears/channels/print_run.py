"""The print vendor's batch of a day: the letters the outbox sent that day, gathered.

The rules:

- A day's letters are the letter messages ``sent`` (or later ``delivered``) whose PDF the letter
  provider wrote under ``letters/<day>/`` (their ``provider_message_id``): the day is the bank's
  business date of the send, the one printed on the letter.
- :func:`print_day` re-renders each letter from the message as sent (the PDF is invariant: the
  same bytes as the file the provider wrote) into the batch folder with
  :func:`arrears.channels.letters.print_batch`: one PDF per letter, then the manifest CSV. The
  folder is ``<outbox_dir>/print/<day>`` unless another is given.
- A batch is made once: a folder that has its manifest is a batch that exists
  (:class:`BatchExistsError`, 409) unless ``again`` says to make it anew (a vendor who lost it).
  A day without a letter is :class:`NoLettersError`.
- Each batch made is audited (``letters.print_batch``: the day, the count, the folder; no name
  or address). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.channels.letters import MANIFEST, Letter, print_batch
from arrears.channels.models import MessageChannel, MessageState, OutboxMessage
from arrears.channels.providers.letters import FOLDER, letter_of
from arrears.channels.worker import outgoing
from arrears.errors import ConflictError, NotFoundError
from arrears.i18n import N_


class BatchExistsError(ConflictError):
    code = "print_batch_exists"
    default_message = N_("The print batch of {day} exists already ({folder}); --again makes it anew")


class NoLettersError(NotFoundError):
    code = "no_letters"
    default_message = N_("No letter was sent on {day}")


@dataclass(frozen=True)
class Batch:
    day: date
    manifest: Path
    letters: int


def batch_folder(outbox_dir: Path, day: date) -> Path:
    return outbox_dir / "print" / day.isoformat()


def letters_of(session: Session, day: date) -> list[Letter]:
    """The letters sent on ``day`` (see the module), in the order they were sent."""
    sent = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == MessageChannel.LETTER,
            OutboxMessage.state.in_([MessageState.SENT, MessageState.DELIVERED]),
            OutboxMessage.provider_message_id.like(f"{FOLDER}/{day.isoformat()}/%"),
        )
        .order_by(OutboxMessage.sent_at, OutboxMessage.id)
    )
    return [letter_of(outgoing(session, message), day) for message in sent]


def print_day(
    session: Session,
    actor: Actor,
    outbox_dir: Path,
    day: date,
    *,
    now: datetime,
    folder: Path | None = None,
    again: bool = False,
) -> Batch:
    """Make the print batch of ``day`` (see the module)."""
    folder = folder or batch_folder(outbox_dir, day)
    if (folder / MANIFEST).exists() and not again:
        raise BatchExistsError(day=day.isoformat(), folder=str(folder))
    letters = letters_of(session, day)
    if not letters:
        raise NoLettersError(day=day.isoformat())
    manifest = print_batch(letters, folder)
    record(
        session,
        actor,
        "letters.print_batch",
        at=now,
        object_type="print_batch",
        object_id=day.isoformat(),
        after={"letters": len(letters), "folder": str(folder), "again": again},
    )
    return Batch(day, manifest, len(letters))
