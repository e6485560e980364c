"""Measuring the conduct checker on a labelled corpus: precision and recall per category and per
language, and which categories it confuses (docs/qa.md says how the corpus is laid out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field

from arrears.compliance.conduct.checker import Checked, check_conduct
from arrears.compliance.conduct.rules import CATEGORIES, Category
from arrears.i18n import N_
from arrears.yamlfile import Document, FileModel, YamlFileError, read_yaml, validate_each

SPLITS = (
    "dev",
    "heldout",
    "heldout2",
    "heldout3",
    "heldout4",
    "heldout5",
    "heldout6",
    "heldout7",
    "heldout8",
    "heldout9",
    "heldout10",
    "heldout11",
    "heldout12",
    "heldout13",
)
"""dev: tuned on; heldout: the first held-out part, measured once in session 14 and open to tuning
since; heldout2: written apart in session 15, measured once before round 3 and open to tuning
since; heldout3: written apart in session 16, measured before and after round 3, open to round
4's tuning; heldout4: written apart in session 17, measured before and after round 4, open to
round 5's tuning; heldout5: written apart in session 18, measured before and after round 5, open to
round 6's training; heldout6: written apart in session 19, measured before and after round 6, open to
round 7's training; heldout7: written apart in session 21 while round 7 trained, measured before
and after round 7, open to round 8's; heldout8: written apart in session 24, measured before and
after round 8; heldout9: written apart in session 26, measured before and after round 9;
heldout10: written apart in session 27, measured before and after round 10; heldout11: written
apart in session 28, measured before and after round 11; heldout12: written apart in session 29,
measured before and after round 12; heldout13: written apart in session 30, the figures that count
now (data/qa/corpus/README.md)."""
NONE = "none"
"""The confusion table's row and column for 'no category'."""


class CorpusError(YamlFileError):
    """A corpus file cannot be read."""

    code = "invalid_corpus"
    default_message = N_("The labelled corpus cannot be read")


class EvidenceSpec(FileModel):
    label: Category
    span: str


MAX_ITEM_TEXT = 10_000
"""The longest text an item may hold: a transcript turn's limit (arrears.qa.schemas), far above the
corpus's longest (333 characters). The sentence encoder reads a text whole, its cost growing
faster than its length (an item of 100,000 characters took 40 s)."""


class CorpusItem(FileModel):
    id: str
    text: str = Field(min_length=1, max_length=MAX_ITEM_TEXT)
    lang: Literal["zh-Hans", "zh-Hant", "en", "mixed"]
    speaker: Literal["collector", "customer", "system"]
    party: Literal["debtor", "family", "employer", "colleague", "third_party", "unknown"]
    source: Literal["call", "note", "sms", "email", "letter", "template", "chat"]
    labels: list[Category] = Field(default_factory=list)
    evidence: list[EvidenceSpec] = Field(default_factory=list)
    why: str | None = None


@dataclass(frozen=True)
class Judged:
    item: CorpusItem
    found: frozenset[str]


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float | None:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        labelled = self.true_positive + self.false_negative
        return self.true_positive / labelled if labelled else None

    def add(self, expected: bool, found: bool) -> None:
        if expected and found:
            self.true_positive += 1
        elif found:
            self.false_positive += 1
        elif expected:
            self.false_negative += 1


@dataclass
class Report:
    items: int = 0
    by_category: dict[str, Tally] = field(default_factory=lambda: {c: Tally() for c in CATEGORIES})
    by_language: dict[str, Tally] = field(default_factory=dict)
    by_language_category: dict[tuple[str, str], Tally] = field(default_factory=dict)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(labelled, found) pairs: the diagonal is agreement, ``none`` stands for no category."""
    exact: int = 0
    misses: list[Judged] = field(default_factory=list)


def load_corpus(folder: Path, split: str) -> list[CorpusItem]:
    """The items of ``split`` (a name of :data:`SPLITS`, or all: those the folder has) under
    ``folder``; a CorpusError naming the file and item when one cannot be read."""
    if not folder.is_dir():
        raise CorpusError(N_("{folder} is not a folder"), folder=str(folder))
    splits = [name for name in SPLITS if (folder / name).is_dir()] if split == "all" else [split]
    if not splits:
        raise CorpusError(N_("{folder} has no {split}/ folder"), folder=str(folder), split=SPLITS[0])
    items: list[CorpusItem] = []
    for name in splits:
        where = folder / name
        if not where.is_dir():
            raise CorpusError(N_("{folder} has no {split}/ folder"), folder=str(folder), split=name)
        files = sorted(where.glob("*.yaml")) + sorted(where.glob("*.yml"))
        if not files:
            raise CorpusError(N_("{folder} holds no .yaml file"), folder=str(where))
        for path in files:
            items.extend(_read(path))
    _check_unique(items)
    return items


def read_items(path: Path) -> list[CorpusItem]:
    """The items of one corpus file (the written examples, a file of a split)."""
    items = _read(path)
    _check_unique(items)
    return items


def _read(path: Path) -> list[CorpusItem]:
    """A corpus file: a list of items, or a mapping with ``items:``."""
    document = read_yaml(path, error=CorpusError)
    if isinstance(document.data, list):
        lines = {("items", *key): line for key, line in document.lines.items()}
        document = Document(document.source, {"items": document.data}, lines)
    if not isinstance(document.data, dict) or not isinstance(document.data.get("items"), list):
        raise CorpusError(N_("{file}: expected a list of items (or items: [...])"), file=str(path))
    items: list[CorpusItem] = []
    results = validate_each(document, ("items",), CorpusItem, error=CorpusError)
    for raw, result in zip(document.data["items"], results, strict=True):
        if isinstance(result, CorpusItem):
            items.append(result)
            continue
        name = raw.get("id") if isinstance(raw, dict) else None
        raise CorpusError(
            N_("item {id}: {problem}"), id=str(name or "?"), problem=result.params["problems"]
        ) from None
    return items


def _check_unique(items: Iterable[CorpusItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise CorpusError(N_("item id {id} appears twice"), id=item.id)
        seen.add(item.id)


def _rules(text: str, party: str, speaker: str) -> Checked:
    return check_conduct(text, party=party, speaker=speaker)


def evaluate(items: Iterable[CorpusItem], check: Callable[[str, str, str], Checked] = _rules) -> Report:
    """``check`` (text, party, speaker): the conduct checker's rules unless told otherwise."""
    report = Report()
    for item in items:
        found = frozenset(check(item.text, item.party, item.speaker).categories)
        _count(report, Judged(item, found))
    return report


def _count(report: Report, judged: Judged) -> None:
    item, found = judged.item, judged.found
    expected = frozenset(item.labels)
    report.items += 1
    report.exact += expected == found
    if expected != found:
        report.misses.append(judged)
    language = report.by_language.setdefault(item.lang, Tally())
    for category in CATEGORIES:
        report.by_category[category].add(category in expected, category in found)
        language.add(category in expected, category in found)
        pair = report.by_language_category.setdefault((item.lang, category), Tally())
        pair.add(category in expected, category in found)
    for labelled in expected or {NONE}:
        for flagged in found or {NONE}:
            report.confusion[(labelled, flagged)] += 1
