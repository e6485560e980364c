"""Items of a new corpus part too close to an item of the parts before it.

    python tools/corpus_near_duplicates.py NEW_FOLDER [--corpus data/qa/corpus] [--threshold 0.45]

A new held-out part is written apart, but a writer may still land on a sentence an earlier writer
wrote. Before a part is measured, each of its items is compared with every item of the corpus'
splits (character 4-grams of the text as written, Jaccard similarity); those at or above the
threshold are printed with their nearest older item, for the lead to remove before any measure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from arrears.compliance.conduct.evaluation import CorpusError, CorpusItem, read_items

GRAM = 4


def grams(text: str) -> frozenset[str]:
    folded = " ".join(text.lower().split())
    return frozenset(folded[i : i + GRAM] for i in range(max(1, len(folded) - GRAM + 1)))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    return len(left & right) / len(left | right) if left or right else 0.0


def items_of(folder: Path) -> list[CorpusItem]:
    return [item for path in sorted(folder.glob("*.yaml")) for item in read_items(path)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("new", type=Path, help="the new part's folder of YAML files")
    parser.add_argument("--corpus", type=Path, default=Path("data/qa/corpus"))
    parser.add_argument("--threshold", type=float, default=0.45)
    options = parser.parse_args()
    for folder in (options.new, options.corpus):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    splits = [
        p for p in sorted(options.corpus.iterdir()) if p.is_dir() and p.resolve() != options.new.resolve()
    ]
    try:
        older = [(item.id, grams(item.text)) for folder in splits for item in items_of(folder)]
        new_items = items_of(options.new)
    except CorpusError as error:
        parser.exit(2, f"{error}\n")
    if not older:
        parser.error(f"{options.corpus} holds no items to compare with")
    close = 0
    for item in new_items:
        mine = grams(item.text)
        score, nearest = max((jaccard(mine, theirs), name) for name, theirs in older)
        if score >= options.threshold:
            close += 1
            print(f"{score:.2f}  {item.id}  ~ {nearest}\n      {item.text}")
    print(f"{close} of {len(new_items)} items at or above {options.threshold}", end=" ")
    print(f"(against {len(older)} older items)")


if __name__ == "__main__":
    main()
