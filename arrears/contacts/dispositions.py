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
from arrears.yamlfile import FileModel, load_yaml

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


class UnknownDispositionError(InvalidInputError):
    code = "unknown_disposition"
    default_message = N_("{code} is not a disposition code; known: {known}")


@cache
def dispositions(path: Path = SHIPPED) -> Mapping[str, Disposition]:
    """The codes of the file at ``path``, by code (each code once)."""
    loaded = load_yaml(path, DispositionFile)
    return {d.code: d for d in loaded.codes}


def disposition(code: str, path: Path = SHIPPED) -> Disposition:
    known = dispositions(path)
    if code not in known:
        raise UnknownDispositionError(code=repr(code[:40]), known=", ".join(known))
    return known[code]
