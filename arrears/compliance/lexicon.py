"""The versioned content lexicon and the normalisation of texts before they are matched."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

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


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    text = (
        resources.files("arrears.compliance").joinpath("lexicon").joinpath("content.yaml").read_text("utf-8")
    )
    return lexicon_from_mapping(yaml.safe_load(text))


def lexicon_from_mapping(data: dict[str, Any]) -> Lexicon:
    return Lexicon(
        version=str(data["version"]),
        categories={name: _patterns(data["categories"].get(name, {})) for name in CATEGORIES},
        safe_phrases=_patterns(data.get("safe_phrases", {})),
        debt_terms=_patterns(data["debt_terms"]),
        opt_out=_patterns(data["opt_out"]),
        collection_demand=_patterns(data.get("collection_demand", {})),
        letter_elements={name: _patterns({"zh": spec}) for name, spec in data["letter_elements"].items()},
        traditional=_traditional_map(data.get("traditional", "")),
    )


def _patterns(spec: dict[str, list[str]]) -> PatternSet:
    return PatternSet(
        zh=tuple(re.compile(p) for p in spec.get("zh", [])),
        en=tuple(re.compile(p) for p in spec.get("en", [])),
    )


def _traditional_map(pairs: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for pair in pairs.split():
        if len(pair) == 2 and pair[0] != pair[1]:
            mapping[ord(pair[0])] = pair[1]
    return mapping
