"""The file sink, the embedded default: one file per message under ``<outbox_dir>/<channel>/``.

The file is named by the message's idempotency key (:func:`file_name`), so :meth:`FileSink.find`
is "the file exists": a worker that died after writing it finds it and does not write it again.
A file is written whole or not at all (a temporary file in the same directory, then renamed over
the name), so a file that exists is a complete message.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from arrears.channels.providers.base import Accepted, Outgoing, TransientError

SAFE_KEY = re.compile(r"[A-Za-z0-9._=+-]{1,120}")


def file_name(key: str) -> str:
    """The key itself when it is a safe file name, else its SHA-256 (no path tricks, no case clashes
    on case-insensitive file systems are possible with the hash; a safe key is kept readable)."""
    if SAFE_KEY.fullmatch(key) and not key.startswith("."):
        return f"{key}.txt"
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.txt"


def render(message: Outgoing) -> str:
    lines = [
        f"Message-Key: {message.idempotency_key}",
        f"Channel: {message.channel}",
        f"To: {message.to}",
        f"Language: {message.language}",
    ]
    if message.recipient_name:
        lines.append(f"Name: {message.recipient_name}")
    if message.subject is not None:
        lines.append(f"Subject: {message.subject}")
    return "\n".join(lines) + "\n\n" + message.body + "\n"


class FileSink:
    """A provider that writes messages to files (see the module)."""

    name = "file"

    def __init__(self, directory: Path, channel: str) -> None:
        self.channel = channel
        self.directory = directory / channel

    def path_of(self, message: Outgoing) -> Path:
        return self.directory / file_name(message.idempotency_key)

    def send(self, message: Outgoing) -> Accepted:
        path = self.path_of(message)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(render(message))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:  # a full or unmounted disk: the next attempt may find it back
            raise TransientError("file_error", type(error).__name__) from None
        return Accepted(path.name)

    finds = True

    def find(self, message: Outgoing) -> Accepted | None:
        path = self.path_of(message)
        return Accepted(path.name) if path.exists() else None
