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
from typing import Any

import yaml

from arrears.money import exponent

ROLL_NEW = "new"
ROLL_SAME = "same"
ROLL_FORWARD = "forward"
ROLL_BACK = "back"
ROLL_CURED = "cured"
ROLLS = (ROLL_NEW, ROLL_SAME, ROLL_FORWARD, ROLL_BACK, ROLL_CURED)

_BUCKET_NAME = re.compile(r"^[A-Za-z0-9+_\-]{1,16}$")


class RulesError(ValueError):
    """A bucket table or threshold that cannot define delinquency."""


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
            exponent(currency)
            if threshold < 0:
                raise RulesError(f"materiality threshold for {currency} must be >= 0, got {threshold}")
        if self.default_materiality < 0:
            raise RulesError("the default materiality threshold must be >= 0")

    def threshold(self, currency: str) -> int:
        return self.materiality.get(currency, self.default_materiality)

    def bucket_for(self, dpd: int) -> Bucket:
        for bucket in self.buckets:
            if bucket.high is None or dpd <= bucket.high:
                return bucket
        raise RulesError(f"no bucket holds DPD {dpd}")  # unreachable: the last band is open-ended

    def rank(self, bucket_name: str) -> int:
        for index, bucket in enumerate(self.buckets):
            if bucket.name == bucket_name:
                return index
        raise RulesError(f"unknown bucket {bucket_name!r}")

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
        raise RulesError("the bucket table is empty")
    expected_low = 0
    for index, bucket in enumerate(buckets):
        if not _BUCKET_NAME.match(bucket.name):
            raise RulesError(f"bucket name {bucket.name!r}: use letters, digits, + _ - (at most 16)")
        if bucket.low != expected_low:
            raise RulesError(f"bucket {bucket.name} starts at {bucket.low}, expected {expected_low}")
        last = index == len(buckets) - 1
        if bucket.high is None:
            if not last:
                raise RulesError(f"only the last bucket may be open-ended, not {bucket.name}")
            return
        if bucket.high < bucket.low:
            raise RulesError(f"bucket {bucket.name} ends before it starts")
        expected_low = bucket.high + 1
    raise RulesError("the last bucket must be open-ended (no upper bound)")


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


def load_rules(path: Path) -> DelinquencyRules:
    """Rules from a YAML file::

    buckets: [{name: M0, low: 0, high: 0}, {name: M1, low: 1, high: 30}, {name: M2+, low: 31}]
    materiality: {JPY: 100, CNY: 500}
    default_materiality: 0
    """
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a mapping with buckets and materiality")
    buckets = DEFAULT_BUCKETS
    if "buckets" in raw:
        buckets = tuple(
            Bucket(str(b["name"]), int(b["low"]), None if b.get("high") is None else int(b["high"]))
            for b in raw["buckets"]
        )
    materiality = {str(k): int(v) for k, v in (raw.get("materiality") or {}).items()}
    return DelinquencyRules(buckets, materiality, int(raw.get("default_materiality", 0)))
