"""The conduct rules file (``rules.yaml``), read and checked like every other shipped file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Literal, get_args

from pydantic import Field

from arrears.compliance.conduct.prefix import _top_level_alternatives, guarded, non_capturing
from arrears.compliance.lexicon import Pattern, PatternsSpec
from arrears.i18n import N_
from arrears.yamlfile import FileModel, YamlFileError, parse_yaml, validate

Category = Literal[
    "threat",
    "reputation",
    "third_party_leverage",
    "disclosure",
    "impersonation",
    "false_legal",
    "insult",
    "new_borrowing",
    "false_fee_deadline",
    "forbidden_time",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
Severity = Literal["high", "medium", "low"]


class ConductRulesError(YamlFileError):
    """The shipped conduct rules cannot be used."""

    code = "invalid_conduct_rules"
    default_message = N_("The conduct rules cannot be used")


class RuleSpec(FileModel):
    id: str
    category: Category
    pack_key: str | None = None
    severity: Severity
    zh: list[Pattern] = Field(default_factory=list)
    en: list[Pattern] = Field(default_factory=list)
    negatable: bool = True
    reportable: bool = True
    party: Literal["any", "third", "debtor"] = "any"
    unless: PatternsSpec = PatternsSpec()
    requires: PatternsSpec = PatternsSpec()
    """Words every match of the rule needs somewhere in the text: the rule is skipped without them
    (for speed only; a test keeps it true on the examples and the corpus' dev split)."""


class EvasionSpec(FileModel):
    find: Pattern
    read: str


class RulesFile(FileModel):
    version: str
    words: dict[str, list[Pattern]] = Field(default_factory=dict)
    """Named word classes ("family", "tell"), used in patterns as ``{family}``."""
    evasions: list[EvasionSpec] = Field(default_factory=list)
    cues: dict[str, PatternsSpec] = Field(default_factory=dict)
    """Classes of words the trained model reads as structure (cues.py), not rules: nothing is
    found by a cue alone."""
    rules: list[RuleSpec]


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    pack_key: str
    severity: str
    zh: re.Pattern[str] | None
    en: re.Pattern[str] | None
    negatable: bool
    reportable: bool
    third_party_only: bool
    debtor_only: bool
    unless: re.Pattern[str] | None
    requires_zh: re.Pattern[str] | None = None
    requires_en: re.Pattern[str] | None = None


Search = tuple[Rule, re.Pattern[str], "re.Pattern[str] | None"]
"""A rule, one of its patterns, and the words that pattern requires in the text."""


@dataclass(frozen=True)
class RuleBook:
    version: str
    evasions: tuple[tuple[re.Pattern[str], str], ...]
    rules: tuple[Rule, ...]
    cues: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @cached_property
    def _searches(self) -> dict[tuple[bool, bool, bool], tuple[Search, ...]]:
        plans: dict[tuple[bool, bool, bool], tuple[Search, ...]] = {}
        for to_debtor in (True, False):
            for zh in (True, False):
                for en in (True, False):
                    plans[(to_debtor, zh, en)] = tuple(
                        (rule, pattern, requires)
                        for rule in self.rules
                        if not (rule.third_party_only and to_debtor)
                        and not (rule.debtor_only and not to_debtor)
                        for pattern, requires in (
                            (rule.zh if zh else None, rule.requires_zh),
                            (rule.en if en else None, rule.requires_en),
                        )
                        if pattern is not None
                    )
        return plans

    def searches(self, to_debtor: bool, zh: bool, en: bool) -> tuple[Search, ...]:
        """The patterns to search, in the rules' order, for a text to the debtor's side or not, with
        Chinese or Latin letters in it (worked out once per book, not per text)."""
        return self._searches[(to_debtor, zh, en)]


@lru_cache(maxsize=1)
def load_rules() -> RuleBook:
    text = resources.files("arrears.compliance.conduct").joinpath("rules.yaml").read_text("utf-8")
    document = parse_yaml(text, "arrears/compliance/conduct/rules.yaml", error=ConductRulesError)
    return rule_book(validate(document, RulesFile, error=ConductRulesError))


def rule_book(spec: RulesFile) -> RuleBook:
    words = _expanded_words(spec.words)
    return RuleBook(
        version=spec.version,
        evasions=tuple((re.compile(e.find), e.read) for e in spec.evasions),
        rules=tuple(_rule(rule, words) for rule in spec.rules),
        cues=tuple(
            (name, pattern)
            for name, cue in spec.cues.items()
            if (pattern := _alternation([*cue.zh, *cue.en], words)) is not None
        ),
    )


_WORD_REFERENCE = re.compile(r"\{([a-z_]+)\}")
"""``{family}`` in a pattern: a word class (``{0,4}``, a repetition, has digits, not letters)."""


def _expanded_words(words: dict[str, list[str]]) -> dict[str, str]:
    """Each class as one group; a class may use classes defined before it."""
    expanded: dict[str, str] = {}
    for name, patterns in words.items():
        expanded[name] = "(?:" + guarded("|".join(_expand(p, expanded) for p in patterns)) + ")"
    return expanded


def _expand(pattern: str, words: dict[str, str]) -> str:
    def word(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in words:
            raise ConductRulesError(N_("Unknown word class {name} in {pattern}"), name=name, pattern=pattern)
        return words[name]

    return _WORD_REFERENCE.sub(word, pattern)


def _rule(spec: RuleSpec, words: dict[str, str]) -> Rule:
    return Rule(
        id=spec.id,
        category=spec.category,
        pack_key=spec.pack_key or spec.category,
        severity=spec.severity,
        zh=_alternation(spec.zh, words, runs=True),
        en=_alternation(spec.en, words, runs=True),
        negatable=spec.negatable,
        reportable=spec.reportable,
        third_party_only=spec.party == "third",
        debtor_only=spec.party == "debtor",
        unless=_alternation([*spec.unless.zh, *spec.unless.en], words),
        requires_zh=_alternation(spec.requires.zh, words),
        requires_en=_alternation(spec.requires.en, words),
    )


_SHARED = ("^", "\\b")
"""Tests that begin alternatives and are shared by them: the start of the text, a word boundary."""


def _alternation(patterns: list[str], words: dict[str, str], *, runs: bool = False) -> re.Pattern[str] | None:
    """One pattern for a list (one search instead of many), word classes spelled out.

    The alternatives that begin at a word boundary (``\\b(?:tell|call)…``, most English ones)
    share that test, after the others, and so do those that begin at the start of the text:
    Python's ``re`` enters every alternative that begins with a test at every place of the text,
    and one shared test lets the places inside a word fail once (an English text is read about
    twice as fast). Where two alternatives match at the same place, the first in this order is
    the match (the same findings on the corpus and the examples)."""
    if not patterns:
        return None
    alternatives = [a for p in patterns for a in _top_level_alternatives(_expand(p, words))]
    shared = {prefix: [a[len(prefix) :] for a in alternatives if a.startswith(prefix)] for prefix in _SHARED}
    parts = [f"(?:{a})" for a in alternatives if not a.startswith(_SHARED)]
    parts += [
        prefix + "(?:" + guarded("|".join(f"(?:{a})" for a in group), runs=runs) + ")"
        for prefix, group in shared.items()
        if group
    ]
    return re.compile(non_capturing(guarded("|".join(parts), runs=runs)))
