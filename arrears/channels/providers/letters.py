"""Letters through the outbox: each letter rendered to a PDF file for the bank's own print run.

- :meth:`LetterProvider.send` renders the message's subject and body (as queued) with the
  recipient's name and postal address (the customer's ``address`` contact point, unmasked: the
  print run is the bank's) to ``<outbox_dir>/letters/<date>/<letter id>.pdf``, ``<date>`` the
  bank's business date of the send. The file is written to a temporary name and renamed, so a
  file that exists is a whole letter. The provider's id of the message is that path, relative
  to the outbox folder: the print batch of a day (:func:`arrears.channels.print_run.gather`)
  reads the day and the file from it.
- :meth:`LetterProvider.find` is "the file exists" (under any date: a worker that died after
  writing it and is reconciled the next day does not print it twice).
- The PDF is invariant (:func:`arrears.channels.letters.render_pdf`): the same letter rendered
  again, for the batch, gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from arrears.channels.letters import LETTER_ID, Letter, render_pdf
from arrears.channels.providers.base import Accepted, Outgoing, PermanentError, TransientError

FOLDER = "letters"


def letter_id(key: str) -> str:
    """The letter's id (its file's stem): the key when it is a safe id, else its SHA-256."""
    if LETTER_ID.fullmatch(key) and not key.startswith("."):
        return key
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def letter_of(message: Outgoing, dated: date) -> Letter:
    """The letter of an outgoing message, dated ``dated``."""
    if not message.to.strip():
        raise PermanentError("no_address", "the letter has no postal address")
    return Letter(
        letter_id=letter_id(message.idempotency_key),
        customer_name=message.recipient_name or "",
        postal_address=message.to,
        language=message.language,
        body=message.body,
        dated=dated,
        reference=f"{message.case_id or message.message_id}-{dated:%Y%m%d}",
        subject=message.subject,
    )


class LetterProvider:
    """Letters as PDF files under ``<outbox_dir>/letters/<date>/`` (see the module)."""

    name = "letters"
    channel = "letter"

    def __init__(self, outbox_dir: Path, today: Callable[[], date]) -> None:
        self.root = outbox_dir
        self.today = today

    def send(self, message: Outgoing) -> Accepted:
        found = self.find(message)
        if found is not None:
            return found
        dated = self.today()
        letter = letter_of(message, dated)
        relative = Path(FOLDER) / dated.isoformat() / f"{letter.letter_id}.pdf"
        try:
            _write_atomically(self.root / relative, render_pdf(letter).pdf)
        except OSError as error:  # a full or unmounted disk: the next attempt may find it back
            raise TransientError("file_error", type(error).__name__) from None
        return Accepted(relative.as_posix())

    finds = True

    def find(self, message: Outgoing) -> Accepted | None:
        name = f"{letter_id(message.idempotency_key)}.pdf"
        for path in sorted((self.root / FOLDER).glob(f"*/{name}")):
            return Accepted(path.relative_to(self.root).as_posix())
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
