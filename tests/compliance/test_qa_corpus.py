"""The labelled corpus the conduct checker is measured on (data/qa/corpus/): it loads, it is big
enough, every category is there in every language of both splits, evidence spans are in their
texts, and the splits share no text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from arrears.compliance.conduct.evaluation import SPLITS, CorpusItem, load_corpus, read_items
from arrears.compliance.conduct.rules import CATEGORIES

CORPUS = Path(__file__).resolve().parents[2] / "data" / "qa" / "corpus"
LANGUAGES = ("zh-Hans", "zh-Hant", "en", "mixed")


@pytest.fixture(scope="module")
def splits() -> dict[str, list[CorpusItem]]:
    return {split: load_corpus(CORPUS, split) for split in SPLITS}


def test_the_corpus_is_big_enough_with_a_held_out_part(splits: dict[str, list[CorpusItem]]) -> None:
    assert sum(len(items) for items in splits.values()) >= 800
    assert len(splits[SPLITS[-1]]) >= 500  # the newest part, held out from all tuning


@pytest.mark.parametrize("split", SPLITS)
def test_every_category_in_every_language(splits: dict[str, list[CorpusItem]], split: str) -> None:
    positives = Counter((label, item.lang) for item in splits[split] for label in item.labels)
    thin = [
        (c, lang, positives[(c, lang)]) for c in CATEGORIES for lang in LANGUAGES if positives[(c, lang)] < 4
    ]
    assert thin == []


@pytest.mark.parametrize("split", SPLITS)
def test_hard_negatives_and_customers_words(splits: dict[str, list[CorpusItem]], split: str) -> None:
    items = splits[split]
    clean = [item for item in items if not item.labels]
    assert 0.3 <= len(clean) / len(items) <= 0.5
    assert any(item.speaker == "customer" for item in clean)
    assert all(not item.labels for item in items if item.speaker == "customer")


def test_evidence_is_in_the_text_once_per_label(splits: dict[str, list[CorpusItem]]) -> None:
    for item in (item for items in splits.values() for item in items):
        assert sorted(e.label for e in item.evidence) == sorted(item.labels), item.id
        assert all(e.span in item.text for e in item.evidence), item.id


def test_ids_are_unique_and_the_splits_share_no_text(splits: dict[str, list[CorpusItem]]) -> None:
    every = [item for items in splits.values() for item in items]
    assert len({item.id for item in every}) == len(every)
    for split in SPLITS:
        others = {item.text for name, items in splits.items() if name != split for item in items}
        assert [item.id for item in splits[split] if item.text in others] == [], split


def test_the_training_only_items_are_well_formed_and_share_no_text(
    splits: dict[str, list[CorpusItem]],
) -> None:
    """train-extra/ (training only, not a split): evidence in the text, ids and texts its own."""
    extra = [item for path in sorted((CORPUS / "train-extra").glob("*.yaml")) for item in read_items(path)]
    assert len(extra) >= 200
    for item in extra:
        assert sorted(e.label for e in item.evidence) == sorted(item.labels), item.id
        assert all(e.span in item.text for e in item.evidence), item.id
    every = [item for items in splits.values() for item in items]
    assert {item.id for item in extra}.isdisjoint(item.id for item in every)
    assert {item.text for item in extra}.isdisjoint(item.text for item in every)
    assert all(not item.labels for item in extra if item.speaker == "customer")
