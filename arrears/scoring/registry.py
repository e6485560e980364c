"""The feature registry: every feature a model may use, with its meaning in zh-CN and en.

A feature declares its name, whether it is numeric or categorical, how its value reads
(a count, a share, days...), a description and a phrase template in each language. Models
only see feature names and a matrix; reason codes look phrases up here. A later context
(contact history, promises, holds) adds its features by calling :meth:`FeatureRegistry.register`
from its own module and listing that module in :data:`FEATURE_MODULES`; no model code changes.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from arrears.errors import NotFoundError, echo
from arrears.i18n import N_

LANGUAGES = ("zh-CN", "en")


class Kind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class Unit(StrEnum):
    """How a value reads in a phrase."""

    COUNT = "count"
    SHARE = "share"  # 0.8 reads "80%"
    DAYS = "days"
    MONTHS = "months"
    BUCKET = "bucket"  # 2 reads "M2"
    AMOUNT = "amount"  # major units of the account's currency, rounded for reading
    YEARS = "years"
    NUMBER = "number"
    CATEGORY = "category"
    STATUS = "status"  # a statement's repayment status: -2 no balance, -1 paid in full, 0 minimum, k late


class UnknownFeatureError(NotFoundError, KeyError):
    """A model or data set names a feature the registry does not know."""

    code = "unknown_feature"
    default_message = N_("The feature is not in the registry")


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    kind: Kind
    unit: Unit
    group: str
    description: Mapping[str, str]
    phrase: Mapping[str, str]
    """Templates with ``{value}``, e.g. "paid {value} of dues in the last 6 months"."""
    missing_phrase: Mapping[str, str] = field(default_factory=dict)
    """Said when the value is missing (no payment on record); defaults to "{description}: none"."""

    def __post_init__(self) -> None:
        for label, texts in (("description", self.description), ("phrase", self.phrase)):
            absent = [lang for lang in LANGUAGES if not texts.get(lang)]
            if absent:
                raise ValueError(f"feature {self.name!r} has no {label} in {', '.join(absent)}")
        if self.kind is Kind.CATEGORICAL and self.unit is not Unit.CATEGORY:
            raise ValueError(f"categorical feature {self.name!r} must use the category unit")

    def say(self, value: float | str | None, language: str) -> str:
        """The feature's value as a short phrase a collector can read."""
        lang = language if language in LANGUAGES else "en"
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.missing_phrase.get(lang) or f"{self.description[lang]}: " + (
                "无" if lang == "zh-CN" else "none"
            )
        return self.phrase[lang].format(value=format_value(value, self.unit, lang))


def format_value(value: float | str, unit: Unit, language: str) -> str:
    if isinstance(value, str) or unit is Unit.CATEGORY:
        return str(value)
    zh = language == "zh-CN"
    if unit is Unit.SHARE:
        return f"{value:.0%}"
    if unit is Unit.BUCKET:
        number = round(value)
        return "M7+" if number >= 7 else f"M{number}"
    if unit is Unit.STATUS:
        return _status_text(round(value), zh)
    if unit is Unit.AMOUNT:
        return f"{value:,.0f}"
    if unit is Unit.NUMBER:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    number = round(value)
    if zh:
        suffix = {Unit.DAYS: "天", Unit.MONTHS: "个月", Unit.YEARS: "年", Unit.COUNT: ""}[unit]
        return f"{number}{suffix}"
    words = {Unit.DAYS: "day", Unit.MONTHS: "month", Unit.YEARS: "year", Unit.COUNT: ""}
    word = words[unit]
    if not word:
        return str(number)
    return f"{number} {word}" + ("" if number == 1 else "s")


def _status_text(status: int, zh: bool) -> str:
    if status <= -2:
        return "无欠款" if zh else "no balance"
    if status == -1:
        return "全额还款" if zh else "paid in full"
    if status == 0:
        return "还了最低还款额" if zh else "paid the minimum"
    if zh:
        return f"逾期{status}个月"
    return f"{status} month{'s' if status > 1 else ''} late"


class FeatureRegistry:
    def __init__(self, features: Iterable[Feature] = ()) -> None:
        self._features: dict[str, Feature] = {}
        for feature in features:
            self.register(feature)

    def register(self, feature: Feature) -> Feature:
        known = self._features.get(feature.name)
        if known is not None and known != feature:
            raise ValueError(f"feature {feature.name!r} is already registered differently")
        self._features[feature.name] = feature
        return feature

    def __getitem__(self, name: str) -> Feature:
        try:
            return self._features[name]
        except KeyError:
            raise UnknownFeatureError(
                N_("feature {name} is not in the registry"), name=repr(echo(name))
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._features

    def __iter__(self) -> Iterator[Feature]:
        return iter(self._features.values())

    def names(self, group: str | None = None) -> list[str]:
        return [f.name for f in self._features.values() if group is None or f.group == group]

    def get(self, name: str) -> Feature | None:
        return self._features.get(name)


FEATURE_MODULES: list[str] = [
    "arrears.scoring.catalog",
]
"""Modules that register features on import; a new context adds one line here."""

_DEFAULT: FeatureRegistry | None = None


def default_registry() -> FeatureRegistry:
    """The process-wide registry, filled by the modules of :data:`FEATURE_MODULES`."""
    global _DEFAULT  # noqa: PLW0603 - built once per process
    if _DEFAULT is None:
        _DEFAULT = FeatureRegistry()
        for module in FEATURE_MODULES:
            importlib.import_module(module).register_features(_DEFAULT)
    return _DEFAULT
