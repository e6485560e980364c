"""The conduct checker: findings with their category, severity and evidence in the original text."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from arrears.compliance.conduct.normalise import HAS_CJK, HAS_LATIN, Normalised, normalise
from arrears.compliance.conduct.rules import Rule, RuleBook, load_rules
from arrears.compliance.conduct.structure import negation_after, negation_before, reported_by_other, scope_of

DEBTOR_SIDE = frozenset({"debtor", "spouse", "attorney", "guarantor", "unknown"})
"""Parties a text may speak of the debt to (the pack narrows this further, see content.py)."""
OTHER_SPEAKERS = frozenset({"customer", "other"})
"""Whose words are not the collector's conduct: the customer's, and anyone else's on a call (a
relative who answered: ``other`` in a transcript). A "system" text (a template, an SMS the bank
sends) is the bank's own, and is checked like a collector's."""


@dataclass(frozen=True)
class Finding:
    category: str
    rule: str
    """The conduct rule's id in rules.yaml ("threat.violence")."""
    pack_key: str
    severity: str
    start: int
    end: int
    """The evidence: ``text[start:end]`` of the original text."""
    evidence: str


@dataclass(frozen=True)
class Dropped:
    """A match the structure set aside, and why (for explaining a non-finding)."""

    rule: str
    evidence: str
    because: str


@dataclass(frozen=True)
class Checked:
    findings: tuple[Finding, ...]
    dropped: tuple[Dropped, ...]

    @property
    def categories(self) -> set[str]:
        return {f.category for f in self.findings}


def check_conduct(
    text: str, *, party: str = "debtor", speaker: str = "collector", book: RuleBook | None = None
) -> Checked:
    """What ``text``, said or sent by ``speaker`` to ``party``, breaks.

    A customer's own words are not the collector's conduct: they raise nothing.
    """
    if speaker in OTHER_SPEAKERS or not text:
        return Checked((), ())
    book = book or load_rules()
    normalised = normalise(text, book.evasions)
    has_zh = HAS_CJK.search(normalised.text) is not None
    has_en = HAS_LATIN.search(normalised.text) is not None
    findings: list[Finding] = []
    dropped: list[Dropped] = []
    plain = normalised.text
    for rule, pattern, requires in book.searches(party in DEBTOR_SIDE, has_zh, has_en):
        if requires is not None and requires.search(plain) is None:
            continue
        first = pattern.search(plain)
        if first is not None:
            _judge(rule, _every_match(pattern, plain, first), normalised, text, findings, dropped)
    return Checked(tuple(_one_per_rule(findings)), tuple(dropped))


def _every_match(pattern: re.Pattern[str], text: str, first: re.Match[str]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, its first match already found by a search (not sought again)."""
    if first.end() == first.start():  # finditer must move past an empty match: let it
        return pattern.finditer(text, first.start())
    return itertools.chain((first,), pattern.finditer(text, first.end()))


def _judge(
    rule: Rule,
    matches: Iterable[re.Match[str]],
    normalised: Normalised,
    original: str,
    findings: list[Finding],
    dropped: list[Dropped],
) -> None:
    plain = normalised.text
    lawful: dict[tuple[int, int], bool] = {}
    for found in matches:
        start, end = found.span()
        if end == start:
            continue
        span = normalised.original_span(start, end)
        evidence = original[span[0] : span[1]]
        because = _set_aside(rule, plain, start, end, lawful)
        if because is not None:
            dropped.append(Dropped(rule.id, evidence, because))
            continue
        findings.append(Finding(rule.category, rule.id, rule.pack_key, rule.severity, *span, evidence))


def _set_aside(
    rule: Rule, text: str, start: int, end: int, lawful: dict[tuple[int, int], bool]
) -> str | None:
    """Why the match at ``start``–``end`` is not a finding, or None. ``lawful`` keeps whether the
    rule's ``unless`` is in each sentence already searched: a long text with no sentence mark is
    one sentence, and searching it again for each of a rule's thousands of matches cost seconds."""
    scope = scope_of(text, start)
    if rule.unless is not None:
        sentence = scope.sentence
        if sentence not in lawful:
            lawful[sentence] = rule.unless.search(text, *sentence) is not None
        if lawful[sentence]:
            return "lawful statement"
    if rule.reportable:
        cue = reported_by_other(text, scope, start)
        if cue is not None:
            return f"reported speech “{cue}”"
    if rule.negatable:
        negation = negation_before(text, scope, start) or negation_after(text, scope, end)
        if negation is not None:
            return f"negated by “{negation}”"
    return None


def _one_per_rule(findings: list[Finding]) -> list[Finding]:
    """The first finding of each rule: enough evidence to explain it, without repeats."""
    seen: set[str] = set()
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.rule not in seen:
            seen.add(finding.rule)
            kept.append(finding)
    return kept
