"""The check of the whole test run's log (tests/conftest.py): no personal data in clear in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from arrears.auth.masking import MASKS, find_personal


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    field: str
    masked: str
    """The value found, masked: the report must not repeat it in clear either."""

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: a {self.field} in clear ({self.masked})"


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Every national id, phone number or e-mail address (by its shape) in the files' lines."""
    findings = []
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for field, value in find_personal(line):
                    findings.append(Finding(path, number, str(field), MASKS[field](value)))
    return findings
