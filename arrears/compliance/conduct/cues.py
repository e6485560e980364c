"""Cues: the structure of what is said, for the trained model (model.py) to read beside its n-grams.

A cue is a class of words from ``rules.yaml`` (``cues:``) that says who is spoken of (a relation
of the debtor's: family, work, friends and neighbours, the contact list, the children's school),
what is done or threatened (telling, being known, the body, the home, property, the job, the
name), and how (a condition, a menace, our people, knowing where and when, a question, a
reassurance). Each match is read with the structure the rules use (structure.py): negated ("我们
不会联系您的家人" gives ``tell~neg``), someone else's words ("客户说" gives ``~rep``), or plain. Two
plain cues of different kinds in one sentence or the next make a pair (``rel_family&tell``): a
linear model cannot weigh a conjunction by itself, and the pairs are what carries across phrasings
(a relation and a contact in a condition, a relative and a routine, a menace and the home).

Every cue feature keeps its span, so a finding can say which cues triggered it and where.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from arrears.compliance.conduct.rules import RuleBook, load_rules
from arrears.compliance.conduct.structure import (
    MARK_REACH_EN,
    MARK_REACH_ZH,
    negation_after,
    negation_before,
    reported_by_other,
    scope_of,
)

PREFIX = "s:"
"""Cue features' names start with this (``s:tell``, ``s:tell~neg``, ``s:rel_family&tell``)."""
PAIR_REACH = 1
"""Pairs are made of cues at most this many sentences apart."""
_SENTENCE_END = re.compile(r"[。！？!?\n]+|\.(?=\s|$)")


@dataclass(frozen=True)
class Cue:
    name: str
    start: int
    end: int
    """The match in the normalised text (``end`` exclusive)."""
    sentence: int
    how: str
    """``""`` plain, ``"neg"`` negated, ``"rep"`` someone else's words."""


def find_cues(text: str, book: RuleBook | None = None) -> list[Cue]:
    """Every cue match in a normalised text, in order, with how it is said."""
    book = book or load_rules()
    if not book.cues:
        return []
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    found: list[Cue] = []
    for name, pattern in book.cues:
        for match in pattern.finditer(text):
            start, end = match.span()
            if end == start:
                continue
            scope = scope_of(text, start)
            how = ""
            if reported_by_other(text, scope, start) is not None:
                how = "rep"
            elif (
                negation_before(text, scope, start, MARK_REACH_ZH, MARK_REACH_EN) is not None
                or negation_after(text, scope, end) is not None
            ):
                how = "neg"
            found.append(Cue(name, start, end, bisect.bisect_right(ends, start), how))
    found.sort(key=lambda c: (c.start, c.name))
    return found


def cue_features(text: str, book: RuleBook | None = None) -> Iterator[tuple[str, int, int]]:
    """The cue features of a normalised text with their spans: each cue (``s:tell``, negated
    ``s:tell~neg``, reported ``s:tell~rep``) and each pair of plain cues near each other, a cue
    paired with the nearest following cue of each other kind only: the same pairs are present, and a
    text of one long sentence (a note with no punctuation) makes a pair per cue and kind, not one
    for every two of its thousands of cues."""
    cues = find_cues(text, book)
    plain = [c for c in cues if not c.how]
    for cue in cues:
        yield (f"{PREFIX}{cue.name}~{cue.how}" if cue.how else f"{PREFIX}{cue.name}", cue.start, cue.end)
    for first, seconds in zip(plain, _nearest_of_each_kind(plain), strict=True):
        for second in seconds:
            if second.sentence - first.sentence > PAIR_REACH:
                break
            a, b = sorted((first.name, second.name))
            yield (f"{PREFIX}{a}&{b}", min(first.start, second.start), max(first.end, second.end))


def _nearest_of_each_kind(cues: list[Cue]) -> list[list[Cue]]:
    """For each cue (in text order), the nearest cue after it of each other kind, in text order."""
    following: dict[str, int] = {}
    nearest: list[list[Cue]] = [[] for _ in cues]
    for i in range(len(cues) - 1, -1, -1):
        after = sorted(j for name, j in following.items() if name != cues[i].name)
        nearest[i] = [cues[j] for j in after]
        following[cues[i].name] = i
    return nearest


def is_cue(feature: str) -> bool:
    return feature.startswith(PREFIX) or feature.startswith(f"3p|{PREFIX}")
