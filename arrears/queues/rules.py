"""A queue set as written: the YAML document of queues, their rules over case facts, and their
assignment rules (pydantic models that refuse unknown keys and name the file, line and key).

A case belongs to the FIRST queue whose rule matches it; a rule with no condition matches every
case (a catch-all), and only the last queue may be one (a queue after it could never take a case).
Every condition of a rule must hold; a list condition holds when the case's fact is one of the list.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from arrears.errors import InvalidFileError, InvalidInputError
from arrears.i18n import N_
from arrears.yamlfile import FileModel, parse_yaml, validate

MAX_QUEUES = 200
CODE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class QueueSetFileError(InvalidFileError):
    code = "invalid_queue_set"
    default_message = N_("The queue set cannot be used")


class Names(FileModel):
    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Band(FileModel):
    """A closed range of whole numbers; a bound left out is open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise InvalidInputError(N_("min {low} is above max {high}"), low=self.min, high=self.max)
        return self


class BalanceBand(Band):
    """The case's overdue total in minor units of ``currency`` (a case in another currency does
    not match)."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Rule(FileModel):
    """Conditions over a case's facts, all of which must hold (none: every case)."""

    buckets: list[str] | None = Field(default=None, min_length=1)
    dpd: Band | None = None
    products: list[str] | None = Field(default=None, min_length=1)
    """The product of the case's worst account."""
    balance: BalanceBand | None = None
    currencies: list[str] | None = Field(default=None, min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    """The customer's language (BCP 47)."""
    countries: list[str] | None = Field(default=None, min_length=1)
    """The customer's country (ISO 3166-1 alpha-2)."""
    branches: list[str] | None = Field(default=None, min_length=1)
    """The branch of the case's worst account."""
    score: Band | None = None
    """The best score of the case's accounts on the latest scored date."""
    broken_promises: int | None = Field(default=None, ge=0)
    """At least this many promises found broken."""
    placed: bool | None = None
    """An account of the case placed with an agency today (true) or none (false)."""
    held: bool | None = None
    """An open hold on the customer (true) or none (false)."""

    @property
    def catch_all(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


class Assignment(FileModel):
    strategy: Literal["balanced"] = "balanced"
    sticky: bool = True
    """A case stays with its collector while it stays in this queue."""
    skills: bool = True
    """A collector takes only cases in their languages and products (an empty list: any)."""
    reassign_after_days: int | None = Field(default=None, ge=1, le=3650)
    """No right-party contact, promise or payment in this many days: another collector takes it."""


class Queue(FileModel):
    code: str = Field(pattern=CODE_PATTERN)
    name: Names
    team: str | int
    """The team that works the queue, by code or id."""
    rule: Rule = Field(default_factory=Rule)
    assignment: Assignment = Field(default_factory=Assignment)


class QueueSetDocument(FileModel):
    default_capacity: int = Field(default=500, ge=0, le=1_000_000)
    """Open cases at most for a collector who has no profile."""
    queues: list[Queue] = Field(min_length=1, max_length=MAX_QUEUES)

    @field_validator("queues")
    @classmethod
    def _distinct(cls, queues: list[Queue]) -> list[Queue]:
        codes = [q.code for q in queues]
        for code in codes:
            if codes.count(code) > 1:
                raise InvalidInputError(N_("queue code {code} appears twice"), code=code)
        for queue in queues[:-1]:
            if queue.rule.catch_all:
                raise InvalidInputError(
                    N_("queue {code} matches every case: only the last queue may"), code=queue.code
                )
        return queues


def parse_document(text: str, source: str) -> QueueSetDocument:
    """The queue set of a YAML text, or QueueSetFileError naming the line and key."""
    return validate(
        parse_yaml(text, source, error=QueueSetFileError), QueueSetDocument, error=QueueSetFileError
    )
