"""A strategy as written (催收策略): segments as a decision table over case facts, each segment's
treatment path of timed steps, the experiments run on segments, and the costs of each channel.

The document is YAML, read into the pydantic models below: unknown keys are refused and every
problem is named with its file, line and key (:mod:`arrears.yamlfile`). What these models check
is the shape of one document; what needs the portfolio, the rule pack or the bank's templates
and queues (overlaps, gaps, impossible steps, unknown names) is :mod:`arrears.strategy.validation`.

Hit policy: unique. Every open case must fall in exactly one segment (``otherwise``, when given,
takes the cases no segment takes). A condition over a list holds when the case's fact is in the
list; over a range when it lies within the bounds (a bound left out is open); all the
conditions of a segment must hold.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from arrears.errors import InvalidFileError, InvalidInputError
from arrears.i18n import N_
from arrears.money import parse_major
from arrears.yamlfile import FileModel

CODE = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
MAX_SEGMENTS = 200
MAX_STEPS = 60
LONGEST_PATH_DAYS = 365


class StrategyFileError(InvalidFileError):
    code = "invalid_strategy"
    default_message = N_("The strategy cannot be used")


class Names(FileModel):
    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def of(self, language: str) -> str:
        return self.zh_cn if language.startswith("zh") else self.en


class Range(FileModel):
    """A closed range of whole numbers; a bound left out is open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise InvalidInputError(N_("min {low} is above max {high}"), low=self.min, high=self.max)
        return self


class AmountRange(FileModel):
    """A closed range of amounts in ``currency``, written in major units ("5000.00"); a case in
    another currency does not match."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    min: str | None = None
    max: str | None = None

    @model_validator(mode="after")
    def _amounts(self) -> AmountRange:
        low, high = self.minor_bounds
        if low is not None and high is not None and low > high:
            raise InvalidInputError(N_("min {low} is above max {high}"), low=self.min, high=self.max)
        return self

    @property
    def minor_bounds(self) -> tuple[int | None, int | None]:
        return (
            None if self.min is None else parse_major(self.min, self.currency),
            None if self.max is None else parse_major(self.max, self.currency),
        )


HoldState = Literal["none", "deceased", "bankruptcy", "cease", "dispute", "hardship", "vulnerability"]
"""A case's hold: ``none``, else the gravest standing hold on the customer (in this order)."""


class When(FileModel):
    """The conditions of a segment over the case's facts (docs/strategy.md lists each fact)."""

    bucket: list[str] | None = Field(default=None, min_length=1)
    dpd: Range | None = None
    score: Range | None = None
    score_band: list[str] | None = Field(default=None, min_length=1)
    score_reason: list[str] | None = Field(default=None, min_length=1)
    """Any of the case's score reason codes is one of these."""
    overdue: AmountRange | None = None
    product: list[str] | None = Field(default=None, min_length=1)
    broken_promises: Range | None = None
    promise: list[Literal["none", "open"]] | None = Field(default=None, min_length=1)
    plan: list[Literal["none", "in_force"]] | None = Field(default=None, min_length=1)
    hold: list[HoldState] | None = Field(default=None, min_length=1)
    placed: bool | None = None
    language: list[str] | None = Field(default=None, min_length=1)
    country: list[str] | None = Field(default=None, min_length=1)
    age: Range | None = None
    days_open: Range | None = None
    last_contact: list[str] | None = Field(default=None, min_length=1)
    """The outcome (disposition code) of the case's latest contact, ``none`` when never contacted."""
    uplift_band: list[Literal["persuadable", "sure_thing", "lost_cause", "do_not_disturb"]] | None = Field(
        default=None, min_length=1
    )
    uplift_arm: list[Annotated[str, Field(pattern=CODE)]] | None = Field(default=None, min_length=1)
    """The arm of the active uplift model under which the case is likeliest to pay (its best arm)."""

    def constrained(self) -> dict[str, object]:
        """The facts this segment reads, with their conditions."""
        return {name: value for name, value in self if value is not None}


class Segment(FileModel):
    code: str = Field(pattern=CODE)
    names: Names
    when: When
    path: str = Field(pattern=CODE)


class Otherwise(FileModel):
    """The segment of the cases no other segment takes."""

    code: str = Field(pattern=CODE)
    names: Names
    path: str = Field(pattern=CODE)


class Window(FileModel):
    """Local wall-clock hours of the customer, [from, to)."""

    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        return time_of_day(value)


Action = Literal["sms", "email", "letter", "call", "field_visit", "agency_placement", "legal_referral"]
MESSAGE_ACTIONS = frozenset({"sms", "email", "letter"})
SERIOUS_ACTIONS = frozenset({"field_visit", "agency_placement", "legal_referral"})
"""Steps with serious consequences: proposals a person confirms."""
StopCondition = Literal["paid", "cured", "promise_active", "plan_active", "hold"]
ALL_STOPS: tuple[StopCondition, ...] = ("paid", "cured", "promise_active", "plan_active", "hold")


class Step(FileModel):
    """One timed action of a path: on the ``day``-th day of the case in its segment (1: the day
    it entered)."""

    day: int = Field(ge=1, le=LONGEST_PATH_DAYS)
    action: Action
    template: str | None = Field(default=None, pattern=CODE)
    """The template code of a message (its approved version in the customer's language is used)."""
    at: str | None = None
    """A message's local send time (HH:MM); default 10:00."""
    window: Window | Literal["best"] | None = None
    """A call's local hours, or ``best``: the hour of the customer's past right-party contacts."""
    queue: str | None = Field(default=None, pattern=CODE)
    """A call task's queue; default the case's own."""
    agency: str | None = Field(default=None, max_length=64)
    placement_days: int | None = Field(default=None, ge=1, le=366)
    confirm: bool = True
    """A serious step waits for a person's confirmation (false only where the rule pack allows)."""

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        return None if value is None else time_of_day(value)

    @model_validator(mode="after")
    def _fits_action(self) -> Step:
        needs = {
            "template": self.action in MESSAGE_ACTIONS,
            "window": self.action == "call",
            "agency": self.action == "agency_placement",
        }
        for key, needed in needs.items():
            given = getattr(self, key) is not None
            if needed and not given:
                raise InvalidInputError(N_("a {action} step needs {key}"), action=self.action, key=key)
            if given and not needed:
                raise InvalidInputError(N_("a {action} step takes no {key}"), action=self.action, key=key)
        if self.at is not None and self.action not in MESSAGE_ACTIONS:
            raise InvalidInputError(N_("a {action} step takes no {key}"), action=self.action, key="at")
        if not self.confirm and self.action not in SERIOUS_ACTIONS:
            raise InvalidInputError(
                N_("only a serious step is confirmed (confirm: {action})"), action=self.action
            )
        return self

    @property
    def send_at(self) -> str:
        return self.at or "10:00"


class Path(FileModel):
    names: Names
    stop_when: list[StopCondition] = Field(default_factory=lambda: list(ALL_STOPS))
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)

    @field_validator("steps")
    @classmethod
    def _one_per_day_and_action(cls, steps: list[Step]) -> list[Step]:
        seen: set[tuple[int, str]] = set()
        for step in steps:
            if (step.day, step.action) in seen:
                raise InvalidInputError(
                    N_("day {day} has two {action} steps"), day=step.day, action=step.action
                )
            seen.add((step.day, step.action))
        return sorted(steps, key=lambda s: (s.day, s.action))


class Arm(FileModel):
    name: str = Field(pattern=CODE)
    share: str
    """A fraction in decimal ("0.1") or a percentage ("10%")."""
    path: str | None = Field(default=None, pattern=CODE)
    """The arm's path; left out: the segment's own (the champion); ``none``: no action (a control)."""

    @property
    def fraction(self) -> Decimal:
        text = self.share.strip()
        try:
            value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
        except ArithmeticError:
            raise InvalidInputError(
                N_("{share} is not a share (write 0.1 or 10%)"), share=text[:20]
            ) from None
        if not 0 < value <= 1:
            raise InvalidInputError(N_("{share} is not a share between 0 and 1"), share=text[:20])
        return value


class Experiment(FileModel):
    code: str = Field(pattern=CODE)
    segment: str = Field(pattern=CODE)
    starts_on: date
    ends_on: date | None = None
    arms: list[Arm] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def _arms(self) -> Experiment:
        names = [arm.name for arm in self.arms]
        if len(set(names)) != len(names):
            raise InvalidInputError(N_("experiment {code} names an arm twice"), code=self.code)
        total = sum((arm.fraction for arm in self.arms), Decimal(0))
        if total != 1:
            raise InvalidInputError(
                N_("the shares of experiment {code} add up to {total}, not 1"),
                code=self.code,
                total=str(total),
            )
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise InvalidInputError(N_("experiment {code} ends before it starts"), code=self.code)
        return self


class Costs(FileModel):
    """What one action costs the bank, in major units of ``currency`` (for previews and net results)."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    sms: str = "0"
    email: str = "0"
    letter: str = "0"
    call: str = "0"
    field_visit: str = "0"
    agency_placement: str = "0"
    legal_referral: str = "0"

    def minor(self, action: str) -> int:
        return parse_major(str(getattr(self, action)), self.currency)


class StrategyDocument(FileModel):
    strategy: str = Field(pattern=CODE)
    names: Names
    description: str | None = Field(default=None, max_length=4000)
    costs: Costs | None = None
    segments: list[Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)
    otherwise: Otherwise | None = None
    paths: dict[str, Path] = Field(min_length=1)
    experiments: list[Experiment] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _references(self) -> StrategyDocument:
        codes = [s.code for s in self.all_segments]
        for code in codes:
            if codes.count(code) > 1:
                raise InvalidInputError(N_("segment {code} is defined twice"), code=code)
        for segment in self.all_segments:
            self._path_known(
                segment.path, N_("segment {code} follows path {path}, which is not defined"), segment.code
            )
        for experiment in self.experiments:
            if experiment.segment not in codes:
                raise InvalidInputError(
                    N_("experiment {code} is on segment {segment}, which is not defined"),
                    code=experiment.code,
                    segment=experiment.segment,
                )
            for arm in experiment.arms:
                if arm.path not in (None, "none"):
                    self._path_known(
                        arm.path, N_("arm {code} follows path {path}, which is not defined"), arm.name
                    )
        self._one_experiment_per_segment()
        return self

    def _path_known(self, path: str, message: str, code: str) -> None:
        if path not in self.paths:
            raise InvalidInputError(message, code=code, path=path)

    def _one_experiment_per_segment(self) -> None:
        ordered = sorted(self.experiments, key=lambda e: (e.segment, e.starts_on))
        for first, second in pairwise(ordered):
            if first.segment == second.segment and (
                first.ends_on is None or first.ends_on >= second.starts_on
            ):
                raise InvalidInputError(
                    N_("experiments {first} and {second} run on segment {segment} at the same time"),
                    first=first.code,
                    second=second.code,
                    segment=first.segment,
                )

    @property
    def all_segments(self) -> list[Segment | Otherwise]:
        return [*self.segments, *([self.otherwise] if self.otherwise else [])]

    def segment(self, code: str) -> Segment | Otherwise:
        return next(s for s in self.all_segments if s.code == code)

    def running(self, as_of: date) -> list[Experiment]:
        """The experiments running on ``as_of`` (at most one per segment)."""
        return [e for e in self.experiments if e.starts_on <= as_of <= (e.ends_on or date.max)]


def time_of_day(value: str) -> str:
    if not HH_MM.fullmatch(value):
        raise InvalidInputError(N_("{value} is not a time of day (write it like 09:00)"), value=value[:20])
    return value
