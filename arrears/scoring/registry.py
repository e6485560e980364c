"""The feature registry: every feature a model may use, and how it reads in each language.

A feature declares its name, whether it is numeric or categorical, how its value reads
(a count, a share, days...), a description and a phrase template. Both are English source
messages marked with :func:`arrears.i18n.N_` and translated through the project's one text
catalogue when shown (the Chinese is in ``arrears/locale/zh_CN/LC_MESSAGES/arrears.po``), like
the unit words a value reads with. Models only see feature names and a matrix; reason codes
look phrases up here. A later context (contact history, promises, holds) adds its features by
calling :meth:`FeatureRegistry.register` from its own module under ``arrears/`` and listing that
module in :data:`FEATURE_MODULES`; ``make messages`` then brings its texts into the catalogue to
be translated. No model code changes.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from arrears.errors import NotFoundError, echo
from arrears.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, catalogue, translate


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


MISSING = N_("{description}: none")
"""Said of a missing value when the feature has no phrase of its own for it."""


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    kind: Kind
    unit: Unit
    group: str
    description: str
    """A marked English message, e.g. ``N_("share of dues paid in 6 months")``."""
    phrase: str
    """A marked English template with ``{value}``, e.g. ``N_("paid {value} of dues in the last 6 months")``.

    It may also use ``{description}`` (the translated description) and ``{name}`` (the feature's name).
    """
    missing_phrase: str | None = None
    """Said when the value is missing (no payment on record); defaults to "{description}: none"."""

    def __post_init__(self) -> None:
        if self.kind is Kind.CATEGORICAL and self.unit is not Unit.CATEGORY:
            raise ValueError(f"categorical feature {self.name!r} must use the category unit")

    def texts(self) -> list[str]:
        """The feature's messages, as the catalogue holds them."""
        return [self.description, self.phrase, *([self.missing_phrase] if self.missing_phrase else [])]

    def say(self, value: float | str | None, language: str) -> str:
        """The feature's value as a short phrase a collector can read."""
        lang = language if language in LANGUAGES else SOURCE_LANGUAGE
        description = translate(self.description, lang)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return translate(self.missing_phrase or MISSING, lang, description=description, name=self.name)
        shown = format_value(value, self.unit, lang)
        return translate(self.phrase, lang, value=shown, description=description, name=self.name)


_UNIT_WORDS = {
    Unit.DAYS: (N_("{count} day"), N_("{count} days")),
    Unit.MONTHS: (N_("{count} month"), N_("{count} months")),
    Unit.YEARS: (N_("{count} year"), N_("{count} years")),
}
"""How a whole number of days, months or years reads: singular, then plural."""

_STATUS_WORDS = {-2: N_("no balance"), -1: N_("paid in full"), 0: N_("paid the minimum")}
_MONTHS_LATE = (N_("{count} month late"), N_("{count} months late"))


def format_value(value: float | str, unit: Unit, language: str) -> str:
    """A value as it reads in a phrase, its unit words in ``language``."""
    if isinstance(value, str) or unit is Unit.CATEGORY:
        return str(value)
    if unit is Unit.SHARE:
        return translate(N_("{share:.0%}"), language, share=value)
    if unit is Unit.BUCKET:
        number = round(value)
        return "M7+" if number >= 7 else f"M{number}"
    if unit is Unit.STATUS:
        return _status_text(round(value), language)
    if unit is Unit.AMOUNT:
        return translate(N_("{amount:,.0f}"), language, amount=value)
    if unit is Unit.NUMBER:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    number = round(value)
    words = _UNIT_WORDS.get(unit)
    if words is None:
        return str(number)
    return translate(_one_or_more(words, number), language, count=number)


def _status_text(status: int, language: str) -> str:
    if status <= 0:
        return translate(_STATUS_WORDS[max(status, -2)], language)
    return translate(_one_or_more(_MONTHS_LATE, status), language, count=status)


def _one_or_more(words: tuple[str, str], count: int) -> str:
    return words[0] if count == 1 else words[1]


def untranslated(feature: Feature) -> list[str]:
    """The languages the catalogue cannot say the feature's texts in."""
    return [
        language
        for language in LANGUAGES
        if language != SOURCE_LANGUAGE and not all(catalogue(language).get(text) for text in feature.texts())
    ]


class FeatureRegistry:
    def __init__(self, features: Iterable[Feature] = ()) -> None:
        self._features: dict[str, Feature] = {}
        for feature in features:
            self.register(feature)

    def register(self, feature: Feature) -> Feature:
        """Add a feature; refused when its texts are not translated in every language."""
        absent = untranslated(feature)
        if absent:
            raise ValueError(
                f"feature {feature.name!r} has texts not translated in {', '.join(absent)}"
                " (mark them with N_, run `make messages` and fill them in)"
            )
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
