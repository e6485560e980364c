"""The versioned content lexicon and the normalisation of texts before they are matched."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, Field

from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.yamlfile import FileModel, YamlFileError, parse_yaml, validate

CATEGORIES = (
    "threat",
    "insult",
    "impersonation",
    "false_legal",
    "disclosure",
    "public_posting",
    "collection_fee",
    "new_borrowing",
)
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\ufeff*·•]+")


@dataclass(frozen=True)
class PatternSet:
    zh: tuple[re.Pattern[str], ...]
    en: tuple[re.Pattern[str], ...]

    def find(self, text: NormalisedText) -> str | None:
        """The first matched fragment, or None."""
        for pattern in self.zh:
            found = pattern.search(text.zh)
            if found:
                return found.group(0)
        for pattern in self.en:
            found = pattern.search(text.en)
            if found:
                return found.group(0)
        return None


@dataclass(frozen=True)
class NormalisedText:
    zh: str
    """Simplified Chinese, full-width folded, lower-cased, spaces and separators removed."""
    en: str
    """Lower-cased, whitespace collapsed."""


@dataclass(frozen=True)
class Lexicon:
    version: str
    categories: dict[str, PatternSet]
    safe_phrases: PatternSet
    debt_terms: PatternSet
    opt_out: PatternSet
    collection_demand: PatternSet
    letter_elements: dict[str, PatternSet]
    traditional: dict[int, str]

    def normalise(self, text: str) -> NormalisedText:
        folded = unicodedata.normalize("NFKC", text).translate(self.traditional).lower()
        zh = _INVISIBLE.sub("", folded)
        en = re.sub(r"\s+", " ", folded).strip()
        for pattern in self.safe_phrases.zh:
            zh = pattern.sub("〇", zh)
        for pattern in self.safe_phrases.en:
            en = pattern.sub(" ", en)
        return NormalisedText(zh=zh, en=en)


class LexiconError(YamlFileError):
    """The shipped content lexicon cannot be used."""

    code = "invalid_lexicon"
    default_message = N_("The content lexicon cannot be used")


def _pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise InvalidInputError(N_("not a regular expression: {problem}"), problem=str(error)) from None
    return value


Pattern = Annotated[str, AfterValidator(_pattern)]


class PatternsSpec(FileModel):
    zh: list[Pattern] = Field(default_factory=list)
    en: list[Pattern] = Field(default_factory=list)


class CategoriesSpec(FileModel):
    threat: PatternsSpec = PatternsSpec()
    insult: PatternsSpec = PatternsSpec()
    impersonation: PatternsSpec = PatternsSpec()
    false_legal: PatternsSpec = PatternsSpec()
    disclosure: PatternsSpec = PatternsSpec()
    public_posting: PatternsSpec = PatternsSpec()
    collection_fee: PatternsSpec = PatternsSpec()
    new_borrowing: PatternsSpec = PatternsSpec()


class LexiconFile(FileModel):
    """``lexicon/content.yaml``: patterns per category and per required element."""

    version: str
    categories: CategoriesSpec
    safe_phrases: PatternsSpec = PatternsSpec()
    debt_terms: PatternsSpec
    opt_out: PatternsSpec
    collection_demand: PatternsSpec = PatternsSpec()
    letter_elements: dict[str, PatternsSpec]
    traditional: str = ""


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    text = (
        resources.files("arrears.compliance").joinpath("lexicon").joinpath("content.yaml").read_text("utf-8")
    )
    document = parse_yaml(text, "arrears/compliance/lexicon/content.yaml", error=LexiconError)
    return lexicon_from_file(validate(document, LexiconFile, error=LexiconError))


def lexicon_from_file(spec: LexiconFile) -> Lexicon:
    return Lexicon(
        version=spec.version,
        categories={name: _patterns(getattr(spec.categories, name)) for name in CATEGORIES},
        safe_phrases=_patterns(spec.safe_phrases),
        debt_terms=_patterns(spec.debt_terms),
        opt_out=_patterns(spec.opt_out),
        collection_demand=_patterns(spec.collection_demand),
        letter_elements={name: _patterns(element) for name, element in spec.letter_elements.items()},
        traditional=_traditional_map(spec.traditional),
    )


def _patterns(spec: PatternsSpec) -> PatternSet:
    return PatternSet(
        zh=tuple(re.compile(p) for p in spec.zh),
        en=tuple(re.compile(p) for p in spec.en),
    )


def _traditional_map(pairs: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for pair in pairs.split():
        if len(pair) == 2 and pair[0] != pair[1]:
            mapping[ord(pair[0])] = pair[1]
    return mapping
