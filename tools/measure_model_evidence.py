"""Where the model's findings put their evidence, against the corpus' labelled evidence (issue #16).

The shipped checker with the model (``check_many_with_model``: the rules, and the model's findings
for the categories the rules did not find) reads the items of the open splits. For each model
finding (rule ``model.…``) whose category is among the item's labels, it says whether the finding's
span overlaps the item's labelled evidence for that category (character offsets; a labelled span is
text, found wherever it occurs in the item's text), and whether the span is the whole text. The
findings the n-grams alone would not have made (the n-gram probability below the n-gram model's own
threshold: the sentence model and the fine-tuned reader carried the category) are counted apart:
their evidence is the one least backed by the n-grams it is drawn from.

    PYTHONPATH=. nice -n 19 python tools/measure_model_evidence.py [--split dev --split heldout …]
    PYTHONPATH=. nice -n 19 python tools/measure_model_evidence.py --held-out    # the newest part, once

By default: every split but the newest (``evaluation.SPLITS``), and train-extra. ``--held-out``
reads the newest alone, the part whose figures count (data/qa/corpus/README.md): never for tuning.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from arrears.compliance.conduct.evaluation import SPLITS, CorpusItem, load_corpus
from arrears.compliance.conduct.model import (
    check_many_with_model,
    describe,
    features,
    found_by_ngrams,
    load_model,
)
from arrears.compliance.conduct.rules import CATEGORIES

CORPUS = Path(__file__).resolve().parent.parent / "data" / "qa" / "corpus"
HELD_OUT = SPLITS[-1]
OPEN_SPLITS = (*SPLITS[:-1], "train-extra")


@dataclass
class Tally:
    findings: int = 0
    overlapping: int = 0
    whole_text: int = 0
    carried: int = 0
    """Findings the n-grams alone would not have made."""
    carried_overlapping: int = 0
    carried_whole_text: int = 0
    characters: int = 0
    """The findings' evidence, characters in all."""

    def add(self, other: Tally) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def labelled_spans(item: CorpusItem, category: str) -> list[tuple[int, int]]:
    """Every place in the item's text where its labelled evidence for ``category`` occurs."""
    spans = []
    for evidence in item.evidence:
        if evidence.label != category or not evidence.span:
            continue
        at = item.text.find(evidence.span)
        while at >= 0:
            spans.append((at, at + len(evidence.span)))
            at = item.text.find(evidence.span, at + 1)
    return spans


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def is_whole_text(text: str, start: int, end: int) -> bool:
    """Whether the span covers the text but for the whitespace around it."""
    return start <= len(text) - len(text.lstrip()) and end >= len(text.rstrip())


def measure(items: list[CorpusItem]) -> dict[str, Tally]:
    tallies = {category: Tally() for category in CATEGORIES}
    model = load_model()
    checked = check_many_with_model([(i.text, i.party, i.speaker) for i in items])
    for item, result in zip(items, checked, strict=True):
        labelled = [f for f in result.findings if f.rule.startswith("model.") and f.category in item.labels]
        by_ngrams = (
            found_by_ngrams(model, features(item.text, item.party, item.speaker)) if labelled else set()
        )
        for finding in labelled:
            tally = tallies[finding.category]
            overlapping = overlaps(finding.start, finding.end, labelled_spans(item, finding.category))
            whole = is_whole_text(item.text, finding.start, finding.end)
            tally.findings += 1
            tally.overlapping += overlapping
            tally.whole_text += whole
            tally.characters += finding.end - finding.start
            if finding.category not in by_ngrams:
                tally.carried += 1
                tally.carried_overlapping += overlapping
                tally.carried_whole_text += whole
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    lines = [
        "| category | findings | overlapping | whole text | mean chars "
        "| n-grams alone would not find | of them overlapping | of them whole text |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = Tally()
    for category, tally in tallies.items():
        total.add(tally)
        lines.append(_row(category, tally))
    lines.append(_row("all", total))
    return "\n".join(lines)


def _row(name: str, tally: Tally) -> str:
    mean = f"{tally.characters / tally.findings:.0f}" if tally.findings else "-"
    return (
        f"| {name} | {tally.findings} | {tally.overlapping} | {tally.whole_text} | {mean} "
        f"| {tally.carried} | {tally.carried_overlapping} | {tally.carried_whole_text} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=OPEN_SPLITS, help="default: all open splits")
    parser.add_argument("--held-out", action="store_true", help=f"read {HELD_OUT} alone (never for tuning)")
    args = parser.parse_args()
    splits = [HELD_OUT] if args.held_out else args.split or list(OPEN_SPLITS)
    began = time.perf_counter()
    tallies = {category: Tally() for category in CATEGORIES}
    items = 0
    for split in splits:
        read = load_corpus(CORPUS, split)
        items += len(read)
        for category, tally in measure(read).items():
            tallies[category].add(tally)
    label = " (the held-out part: reported, never tuned on)" if args.held_out else ""
    print(f"{', '.join(splits)}{label}: {items} items, {describe(load_model())}")
    print(f"model findings of a labelled category, {time.perf_counter() - began:.0f} s\n")
    print(table(tallies))


if __name__ == "__main__":
    main()
