"""The disposition codes a contact is logged with, what each counts as, and its call outcome
for the compliance gate; read from ``dispositions.yaml`` (or the bank's ``ARREARS_DISPOSITIONS``)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.yamlfile import FileModel, YamlFileError, load_yaml

SHIPPED = Path(__file__).with_name("dispositions.yaml")


class Counts(StrEnum):
    ATTEMPT = "attempt"
    CONNECTED = "connected"
    THIRD_PARTY = "third_party"
    RIGHT_PARTY = "right_party"
    PROMISE = "promise"


CountName = Literal["attempt", "connected", "third_party", "right_party", "promise"]
CallOutcome = Literal[
    "no_answer", "voicemail", "not_connected", "conversation", "wrong_party", "invalid_number"
]


class Disposition(FileModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    zh_cn: str = Field(alias="zh-CN", min_length=1)
    en: str = Field(min_length=1)
    counts_as: list[CountName] = Field(default_factory=list)
    call_outcome: CallOutcome | None = None

    def label(self, language: str) -> str:
        return self.zh_cn if language.startswith("zh") else self.en

    def counts(self, what: Counts) -> bool:
        return what.value in self.counts_as


class DispositionFile(FileModel):
    codes: list[Disposition] = Field(min_length=1)


REFUSED_BY_GATE = "refused_by_gate"
"""The code of a contact the gate refused: it never happened (counts as nothing)."""
CALLBACK_REQUESTED = "callback_requested"
"""The code of a conversation where the customer asked to be called back: a callback time is needed."""
REQUIRED = (REFUSED_BY_GATE,)
"""Codes every list must hold: the service writes them itself."""


class UnknownDispositionError(InvalidInputError):
    code = "unknown_disposition"
    default_message = N_("{code} is not a disposition code; known: {known}")


class DispositionFileError(YamlFileError):
    code = "invalid_dispositions"
    default_message = N_("The disposition codes cannot be used")


@cache
def dispositions(path: Path | None = None) -> Mapping[str, Disposition]:
    """The codes of the file at ``path`` (the shipped list when None), by code, in file order.

    A code given twice, or a list without the codes the service writes itself (``refused_by_gate``),
    is refused naming the file."""
    source = path or SHIPPED
    loaded = load_yaml(source, DispositionFile, error=DispositionFileError)
    by_code: dict[str, Disposition] = {}
    for item in loaded.codes:
        if item.code in by_code:
            raise DispositionFileError(
                N_("{file}: the code {code} is given twice"), file=str(source), code=item.code
            )
        by_code[item.code] = item
    missing = [code for code in REQUIRED if code not in by_code]
    if missing:
        raise DispositionFileError(
            N_("{file}: the codes {codes} are missing (the service writes them)"),
            file=str(source),
            codes=", ".join(missing),
        )
    return by_code


def disposition(code: str, path: Path | None = None) -> Disposition:
    known = dispositions(path)
    if code not in known:
        raise UnknownDispositionError(code=repr(code[:40]), known=", ".join(known))
    return known[code]


def markdown_table(path: Path | None = None) -> str:
    """The codes as the Markdown table of docs/casework.md (code, zh-CN, en, counts as)."""
    lines = ["| code | zh-CN | en | counts as |", "| --- | --- | --- | --- |"]
    for item in dispositions(path).values():
        counts = ", ".join(item.counts_as) or "—"
        lines.append(f"| `{item.code}` | {item.zh_cn} | {item.en} | {counts} |")
    return "\n".join(lines) + "\n"
