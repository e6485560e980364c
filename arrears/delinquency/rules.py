"""Delinquency rules: the bucket table, materiality thresholds and roll classes.

Pure values and functions; no database, engine or CLI code. The batch definition
(:mod:`arrears.delinquency.definition`) turns these into SQL, the reference
(:mod:`arrears.delinquency.reference`) applies them row by row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from arrears.i18n import N_, Text
from arrears.money import is_currency
from arrears.yamlfile import Document, FileModel, YamlFileError, problem, read_yaml, validate

ROLL_NEW = "new"
ROLL_SAME = "same"
ROLL_FORWARD = "forward"
ROLL_BACK = "back"
ROLL_CURED = "cured"
ROLLS = (ROLL_NEW, ROLL_SAME, ROLL_FORWARD, ROLL_BACK, ROLL_CURED)

_BUCKET_NAME = re.compile(r"^[A-Za-z0-9+_\-]{1,16}$")


class RulesError(YamlFileError):
    """A bucket table or threshold that cannot define delinquency (a ``ValueError`` too)."""

    code = "invalid_delinquency_rules"
    default_message = N_("The delinquency rules cannot be used")


@dataclass(frozen=True, slots=True)
class Bucket:
    """A DPD band, ``low`` to ``high`` days inclusive; ``high`` None is open-ended."""

    name: str
    low: int
    high: int | None


DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("M0", 0, 0),
    Bucket("M1", 1, 30),
    Bucket("M2", 31, 60),
    Bucket("M3", 61, 90),
    Bucket("M4", 91, 120),
    Bucket("M5", 121, 150),
    Bucket("M6", 151, 180),
    Bucket("M7+", 181, None),
)


@dataclass(frozen=True, slots=True)
class DelinquencyRules:
    """The bucket table and the per-currency materiality thresholds (minor units).

    The first bucket is the current one (DPD 0): an account in it is not delinquent, and
    moving into it from a later bucket is a cure.
    """

    buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    materiality: Mapping[str, int] = field(default_factory=dict)
    default_materiality: int = 0

    def __post_init__(self) -> None:
        _check_buckets(self.buckets)
        for currency, threshold in self.materiality.items():
            if not is_currency(currency):
                raise RulesError(N_("{currency} is not an ISO 4217 currency code"), currency=repr(currency))
            if threshold < 0:
                raise RulesError(
                    N_("the materiality threshold for {currency} must be 0 or more, not {threshold}"),
                    currency=currency,
                    threshold=threshold,
                )
        if self.default_materiality < 0:
            raise RulesError(N_("the default materiality threshold must be 0 or more"))

    def threshold(self, currency: str) -> int:
        return self.materiality.get(currency, self.default_materiality)

    def bucket_for(self, dpd: int) -> Bucket:
        for bucket in self.buckets:
            if bucket.high is None or dpd <= bucket.high:
                return bucket
        raise RulesError(N_("no bucket holds DPD {dpd}"), dpd=dpd)  # unreachable: the last is open-ended

    def rank(self, bucket_name: str) -> int:
        for index, bucket in enumerate(self.buckets):
            if bucket.name == bucket_name:
                return index
        raise RulesError(N_("unknown bucket {bucket}"), bucket=repr(bucket_name))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.buckets)

    @property
    def fingerprint(self) -> str:
        """The rules as one stable text: a state computed under them is kept beside it."""
        bands = ";".join(f"{b.name}:{b.low}-{'' if b.high is None else b.high}" for b in self.buckets)
        thresholds = ",".join(f"{c}={t}" for c, t in sorted(self.materiality.items()))
        return f"{bands}|{thresholds}|{self.default_materiality}"


def _check_buckets(buckets: tuple[Bucket, ...]) -> None:
    if not buckets:
        raise RulesError(N_("the bucket table is empty"))
    expected_low = 0
    for index, bucket in enumerate(buckets):
        if not _BUCKET_NAME.match(bucket.name):
            raise RulesError(
                N_("bucket name {name}: use letters, digits, + _ - (at most 16)"), name=repr(bucket.name)
            )
        if bucket.low != expected_low:
            raise RulesError(
                N_("bucket {name} starts at {low}, expected {expected}"),
                name=bucket.name,
                low=bucket.low,
                expected=expected_low,
            )
        last = index == len(buckets) - 1
        if bucket.high is None:
            if not last:
                raise RulesError(N_("only the last bucket may be open-ended, not {name}"), name=bucket.name)
            return
        if bucket.high < bucket.low:
            raise RulesError(N_("bucket {name} ends before it starts"), name=bucket.name)
        expected_low = bucket.high + 1
    raise RulesError(N_("the last bucket must be open-ended (no upper bound)"))


def roll_between(previous: str | None, current: str, rules: DelinquencyRules) -> str:
    """How an account moved between its previous snapshot's bucket and this one."""
    if previous is None:
        return ROLL_NEW
    before, after = rules.rank(previous), rules.rank(current)
    if after == before:
        return ROLL_SAME
    if after > before:
        return ROLL_FORWARD
    return ROLL_CURED if after == 0 else ROLL_BACK


class BucketSpec(FileModel):
    """One band of a rules file: ``{name: M1, low: 1, high: 30}``; no ``high`` is open-ended."""

    name: str
    low: int
    high: int | None = None


class RulesFile(FileModel):
    """A delinquency rules file, as the ``--rules`` option reads it."""

    buckets: list[BucketSpec] | None = None
    materiality: dict[str, int] = Field(default_factory=dict)
    default_materiality: int = 0


def load_rules(path: Path) -> DelinquencyRules:
    """Rules from a YAML file::

    buckets: [{name: M0, low: 0, high: 0}, {name: M1, low: 1, high: 30}, {name: M2+, low: 31}]
    materiality: {JPY: 100, CNY: 500}
    default_materiality: 0

    Every key is checked (an unknown or misplaced one is refused with its line), and so is the
    table itself (bands that leave a DPD without a bucket).
    """
    document = read_yaml(path, error=RulesError)
    spec = validate(document, RulesFile, error=RulesError)
    buckets = DEFAULT_BUCKETS
    if spec.buckets is not None:
        buckets = tuple(Bucket(b.name, b.low, b.high) for b in spec.buckets)
    try:
        _check_buckets(buckets)
    except RulesError as error:
        raise _at(document, "buckets", error) from None
    try:
        return DelinquencyRules(buckets, dict(spec.materiality), spec.default_materiality)
    except RulesError as error:
        raise _at(
            document, "default_materiality" if spec.default_materiality < 0 else "materiality", error
        ) from None


def _at(document: Document, key: str, error: RulesError) -> RulesError:
    """The error of a rules file's value, with the file, the line and the key."""
    cause = Text.of(error.template, **error.params)
    return RulesError(
        N_("{problems}"),
        problems=problem(document, (key,), N_("{file}, line {line}: {key}: {problem}"), problem=cause),
    )
