"""Training the conduct model (model.py) on the corpus' splits open to training (``dev``,
``heldout``, ``heldout2`` … ``heldout8``: TRAINING_SPLITS), its
``train-extra`` folder when there is one, and the written examples; measuring it by grouped
cross-validation. Any other split (a new held-out part being written) is never read.

Text written apart is what the model meets, so every fold holds out whole files (the items of one
writer, language and topic): folds drawn item by item would put near-duplicates on both sides.
Thresholds are chosen on out-of-fold probabilities (grouped folds, the written examples always on
the training side) for a precision of at least 0.95. The figures printed come from two schemes:
trained on the earlier splits and tested on the latest (written apart, by other writers), and 5
grouped folds over all of them; inside each, the thresholds are chosen by an inner grouped
cross-validation that never sees the tested part.

Deterministic for a seed: the vocabulary is sorted, the learners are seeded, the weights are
rounded. Needs the ``scoring`` extra (scikit-learn, scipy); the sentence model also needs the
``qa-model`` extra (embedding.py), and is left out without it. model.py, which uses the weights,
needs neither.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich import box
from rich.table import Table
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from arrears.compliance.conduct import embedding
from arrears.compliance.conduct.checker import OTHER_SPEAKERS, check_conduct
from arrears.compliance.conduct.cues import PAIR_REACH, is_cue
from arrears.compliance.conduct.evaluation import SPLITS, CorpusItem, Tally, load_corpus, read_items
from arrears.compliance.conduct.model import (
    CUE_VALUE,
    MODEL_FORMAT,
    NEVER,
    SENTENCE_CUE_VALUE,
    CategoryModel,
    ContentModel,
    features,
    is_field,
    quantised,
    read_text,
    sentence_inputs,
)
from arrears.compliance.conduct.rules import CATEGORIES, RuleBook, load_rules
from arrears.i18n import N_, translate

TARGET_PRECISION = 0.95
FOLDS = 5
MIN_DF = 2
REGULARISATION = 4.0
"""Logistic regression's C for the n-grams (chosen on dev by nested CV in round 1)."""
SENTENCE_REGULARISATION = 4.0
"""C for the sentence model (grouped CV over dev and heldout: 0.3 and 1 read worse, 16 the same)."""
SMALLEST = 0.05
"""Weights smaller than this are left out: a third of the file, no loss of precision on dev."""
EXAMPLES = Path("tests/compliance/conduct/examples.yaml")
LATEST_TRAINED = "heldout11"
TRAINING_SPLITS = SPLITS[: SPLITS.index(LATEST_TRAINED) + 1]
"""The corpus' splits trained on: every split up to LATEST_TRAINED (round 3 opened heldout2, round 4
heldout3 … round 12 heldout11); the last is the one the "written apart" scheme tests on. A split
measured since (heldout12, open to the next round) waits for the next training, and the held-out
part being written is never read."""
EXTRA_FOLDER = "train-extra"
"""Items written for training only (optional): trained on, never measured on as a split."""
SCHEMES = (f"{' + '.join(TRAINING_SPLITS[:-1])} → {TRAINING_SPLITS[-1]}", "grouped 5-fold")


@dataclass(frozen=True)
class Sample:
    item: CorpusItem
    present: frozenset[str]
    labels: frozenset[str]
    split: str
    """One of TRAINING_SPLITS, train-extra or examples."""
    file: str
    """The file the item was read from: folds hold out whole files."""
    sentence: NDArray[np.float64] | None = None
    """The sentence model's inputs (model.sentence_inputs), when the encoder is installed."""

    @property
    def silent(self) -> bool:
        """A customer's words: the model (like the rules) raises nothing."""
        return self.item.speaker in OTHER_SPEAKERS


@dataclass(frozen=True)
class Labelled:
    """Items read from one file of a split."""

    split: str
    file: str
    items: list[CorpusItem]


def samples(part: Labelled, sentences: bool | None = None) -> list[Sample]:
    """``sentences``: embed the texts too (default: when the encoder is installed)."""
    items = part.items
    read = [read_text(item.text).text for item in items]
    inputs: NDArray[np.float64] | None = None
    if sentences if sentences is not None else embedding.encoder_version() is not None:
        inputs = sentence_inputs(embedding.embed(read), [i.party for i in items], [i.speaker for i in items])
    return [
        Sample(
            item,
            frozenset(features(item.text, item.party, item.speaker)),
            frozenset(item.labels),
            part.split,
            part.file,
            None if inputs is None else inputs[row],
        )
        for row, item in enumerate(items)
    ]


def training_items(corpus: Path, examples: Path | None) -> list[Labelled]:
    """The files trained on: those of TRAINING_SPLITS, train-extra's (when present), the examples.

    Only these are read: a held-out part being written beside them never is."""
    for split in TRAINING_SPLITS:  # named, never "all": the evaluation's splits may grow
        load_corpus(corpus, split)  # refuses a missing split or an unreadable file, naming it
    parts = [
        Labelled(split, f"{split}/{path.name}", read_items(path))
        for split in (*TRAINING_SPLITS, EXTRA_FOLDER)
        for path in sorted((corpus / split).glob("*.yaml"))
    ]
    if examples is not None:
        parts.append(Labelled("examples", str(examples), read_items(examples)))
    return parts


def fit(
    train: Sequence[Sample],
    thresholds: dict[str, float],
    c: float,
    seed: int,
    ensemble_thresholds: dict[str, float] | None = None,
) -> ContentModel:
    """A model fitted on ``train`` with the given thresholds; with the sentence model when every
    sample has its sentence inputs.

    On one thread of the numerical libraries: the fits are small, and on a shared machine their
    threads waited for each other (a fit took 23 s on the machine's two cores, 0.9 s on one)."""
    with threadpool_limits(limits=1):
        return _fit(train, thresholds, c, seed, ensemble_thresholds)


def _fit(
    train: Sequence[Sample],
    thresholds: dict[str, float],
    c: float,
    seed: int,
    ensemble_thresholds: dict[str, float] | None,
) -> ContentModel:
    names, idf = _vocabulary(train)
    model = ContentModel(names, idf, {}, {})
    matrix = _matrix([s.present for s in train], model)
    sentences = _sentences(train, model)
    categories: dict[str, CategoryModel] = {}
    for category in CATEGORIES:
        target = np.array([category in s.labels for s in train], dtype=np.int8)
        fitted = _fit_one(matrix, target, c, seed, thresholds.get(category, NEVER))
        if sentences is not None:
            intercept, weights = _fit_sentence(sentences, target, seed)
            ensemble = (ensemble_thresholds or {}).get(category, NEVER)
            fitted = CategoryModel(
                fitted.intercept, fitted.threshold, fitted.weights, intercept, weights, ensemble
            )
        categories[category] = fitted
    encoder = embedding.encoder_version() if sentences is not None else None
    return ContentModel(names, idf, categories, {}, encoder)


def _sentences(train: Sequence[Sample], model: ContentModel) -> NDArray[np.float64] | None:
    """The sentence model's inputs: each sample's, then the model's cues (None without the encoder)."""
    if not train or any(s.sentence is None for s in train):
        return None
    inputs = np.vstack([s.sentence for s in train if s.sentence is not None])
    return np.hstack([inputs, model.cue_inputs_of([s.present for s in train])])


def _fit_sentence(
    inputs: NDArray[np.float64], target: NDArray[np.int8], seed: int
) -> tuple[float, tuple[float, ...]]:
    if target.min() == target.max():
        return -10.0, tuple(0.0 for _ in range(inputs.shape[1]))
    learner = LogisticRegression(
        C=SENTENCE_REGULARISATION, class_weight="balanced", max_iter=5000, random_state=seed
    )
    learner.fit(inputs, target)
    return quantised(float(learner.intercept_[0])), tuple(quantised(float(w)) for w in learner.coef_[0])


def _vocabulary(train: Sequence[Sample]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Features in at least MIN_DF training texts (every field feature), sorted; smoothed idf."""
    df: Counter[str] = Counter()
    for sample in train:
        df.update(sample.present)
    names = tuple(sorted(f for f, n in df.items() if n >= MIN_DF or is_field(f)))
    total = len(train)
    idf = tuple(
        0.0 if is_field(f) or is_cue(f) else quantised(math.log((1 + total) / (1 + df[f])) + 1.0)
        for f in names
    )
    return names, idf


def _matrix(present: Sequence[frozenset[str]], model: ContentModel) -> csr_matrix:
    rows, cols, values = [], [], []
    for row, features_ in enumerate(present):
        for col, value in sorted(model.vector(set(features_)).items()):
            rows.append(row)
            cols.append(col)
            values.append(value)
    return csr_matrix((values, (rows, cols)), shape=(len(present), len(model.names)))


def _fit_one(
    matrix: csr_matrix, target: NDArray[np.int8], c: float, seed: int, threshold: float
) -> CategoryModel:
    if target.min() == target.max():  # a fold without a positive: the category is never found
        return CategoryModel(-10.0, NEVER, {})
    learner = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=seed)
    learner.fit(matrix, target)
    weights = {int(i): quantised(float(w)) for i, w in enumerate(learner.coef_[0])}
    kept = {i: w for i, w in weights.items() if abs(w) >= SMALLEST}
    return CategoryModel(quantised(float(learner.intercept_[0])), threshold, kept)


@dataclass(frozen=True)
class Scores:
    """Items × categories: the n-grams' probabilities, and the mean with the sentence model's."""

    ngrams: NDArray[np.float64]
    ensemble: NDArray[np.float64] | None


def probabilities(model: ContentModel, tested: Sequence[Sample]) -> Scores:
    """A silent speaker's items 0."""
    ngrams = np.zeros((len(tested), len(CATEGORIES)))
    for row, sample in enumerate(tested):
        if not sample.silent:
            found = model.probabilities(set(sample.present))
            ngrams[row] = [found[c] for c in CATEGORIES]
    sentences = _sentences(tested, model)
    if model.encoder is None or sentences is None:
        return Scores(ngrams, None)
    silent = np.array([s.silent for s in tested])
    ensemble = (ngrams + model.sentence_scores(sentences)) / 2
    ensemble[silent] = 0.0
    return Scores(ngrams, ensemble)


def fold_of(tested: Sequence[Sample], folds: int = FOLDS) -> NDArray[np.int64]:
    """Each item's fold: whole files to a fold (item by item only where there are fewer files than
    folds: a small training set, never the corpus)."""
    groups = [s.file for s in tested]
    if len(set(groups)) < folds:
        groups = [f"{s.file}#{s.item.id}" for s in tested]
    where = np.zeros(len(tested), dtype=np.int64)
    splitter = GroupKFold(n_splits=folds)
    for number, (_, test) in enumerate(splitter.split(np.zeros(len(groups)), groups=groups)):
        where[test] = number
    return where


def out_of_fold(
    tested: Sequence[Sample], extra: Sequence[Sample], c: float, seed: int, folds: int = FOLDS
) -> Scores:
    """Each ``tested`` item's probabilities from a model that did not see its group (``extra``
    always in)."""
    where = fold_of(tested, folds)
    ngrams = np.zeros((len(tested), len(CATEGORIES)))
    ensemble = np.zeros_like(ngrams)
    with_sentences = True
    for number in sorted(set(where.tolist())):
        train = [s for s, f in zip(tested, where, strict=True) if f != number]
        model = fit([*train, *extra], {}, c, seed)
        held = [i for i, f in enumerate(where) if f == number]
        scores = probabilities(model, [tested[i] for i in held])
        ngrams[held] = scores.ngrams
        if scores.ensemble is None:
            with_sentences = False
        else:
            ensemble[held] = scores.ensemble
    return Scores(ngrams, ensemble if with_sentences else None)


def choose_threshold(scores: NDArray[np.float64], truth: NDArray[np.bool_]) -> float:
    """The lowest probability from which precision is at least TARGET_PRECISION."""
    best = NEVER
    for threshold in sorted(set(scores[truth].tolist()), reverse=True):
        flagged = scores >= threshold
        if threshold <= 0.0 or flagged.sum() == 0:
            continue
        if (flagged & truth).sum() / flagged.sum() >= TARGET_PRECISION:
            best = threshold
    return best


def thresholds_for(scores: NDArray[np.float64], truth: NDArray[np.bool_]) -> dict[str, float]:
    return {c: choose_threshold(scores[:, k], truth[:, k]) for k, c in enumerate(CATEGORIES)}


def truth_of(tested: Sequence[Sample]) -> NDArray[np.bool_]:
    return np.array([[c in s.labels for c in CATEGORIES] for s in tested], dtype=bool)


def rules_found(tested: Sequence[Sample]) -> NDArray[np.bool_]:
    found = [
        check_conduct(s.item.text, party=s.item.party, speaker=s.item.speaker).categories for s in tested
    ]
    return np.array([[c in f for c in CATEGORIES] for f in found], dtype=bool)


@dataclass
class Variants:
    """Each variant's predictions (items × categories) on the tested items."""

    truth: NDArray[np.bool_]
    found: dict[str, NDArray[np.bool_]] = field(default_factory=dict)

    def figures(self) -> dict[str, dict[str, list[int]]]:
        """Per variant and category: true positives, false positives, false negatives."""
        return {
            variant: {
                c: [t.true_positive, t.false_positive, t.false_negative]
                for c, t in self.tallies(variant).items()
            }
            for variant in self.found
        }

    def tallies(self, variant: str) -> dict[str, Tally]:
        out = {c: Tally() for c in CATEGORIES}
        for row_truth, row_found in zip(self.truth, self.found[variant], strict=True):
            for k, c in enumerate(CATEGORIES):
                out[c].add(bool(row_truth[k]), bool(row_found[k]))
        return out


def _parts(tested: Sequence[Sample]) -> dict[str, list[tuple[list[int], list[int]]]]:
    """Per scheme, its (trained, tested) index lists over ``tested``: the latest split tested on a
    model of the earlier ones (text written apart, by other writers), and grouped folds over all."""
    latest = TRAINING_SPLITS[-1]
    earlier = [i for i, s in enumerate(tested) if s.split in TRAINING_SPLITS[:-1]]
    last = [i for i, s in enumerate(tested) if s.split == latest]
    others = [i for i, s in enumerate(tested) if s.split not in TRAINING_SPLITS]
    corpus = earlier + last
    where = fold_of([tested[i] for i in corpus])
    folds = [
        (
            [corpus[j] for j, f in enumerate(where) if f != n] + others,
            [corpus[j] for j, f in enumerate(where) if f == n],
        )
        for n in sorted(set(where.tolist()))
    ]
    parts = {SCHEMES[1]: folds}
    if earlier and last:
        parts = {SCHEMES[0]: [(earlier + others, last)], **parts}
    return parts


def grouped(tested: Sequence[Sample], extra: Sequence[Sample], c: float, seed: int) -> dict[str, Variants]:
    """Per scheme, the variants' predictions on the parts held out, thresholds chosen without them."""
    truth, rules = truth_of(tested), rules_found(tested)
    out: dict[str, Variants] = {}
    for scheme, parts in _parts(tested).items():
        order = [i for _, held in parts for i in held]
        ngrams = np.zeros((len(order), len(CATEGORIES)), dtype=bool)
        ensemble = np.zeros_like(ngrams)
        row = 0
        for inside, held in parts:
            train = [tested[i] for i in inside]
            inner = out_of_fold(train, extra, c, seed, FOLDS - 1)
            model = fit([*train, *extra], {}, c, seed)
            scores = probabilities(model, [tested[i] for i in held])
            block = slice(row, row + len(held))
            ngrams[block] = scores.ngrams >= _as_array(thresholds_for(inner.ngrams, truth[inside]))
            if scores.ensemble is not None and inner.ensemble is not None:
                ensemble[block] = scores.ensemble >= _as_array(thresholds_for(inner.ensemble, truth[inside]))
            row += len(held)
        variants = Variants(truth[order])
        variants.found["rules"] = rules[order]
        variants.found["n-grams"] = ngrams
        variants.found["rules | n-grams"] = rules[order] | ngrams
        if any(s.sentence is not None for s in tested):
            variants.found["n-grams + sentences"] = ensemble
            variants.found["rules | (n-grams + sentences)"] = rules[order] | ensemble
        out[scheme] = variants
    return out


def _as_array(thresholds: dict[str, float]) -> NDArray[np.float64]:
    return np.array([thresholds[c] for c in CATEGORIES])


@dataclass(frozen=True)
class Trained:
    model: ContentModel
    measured: dict[str, Variants] | None


def train(
    parts: Sequence[Labelled],
    *,
    seed: int = 0,
    c: float = REGULARISATION,
    measure: bool = True,
    sentences: bool | None = None,
    probe: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Trained:
    """The model on every part (training_items), thresholds from the out-of-fold probabilities of
    the corpus' splits (train-extra and the written examples are always on the training side: text
    written for training reads more plainly than the corpus, and would lower the thresholds); with
    ``measure``, the grouped cross-validated figures too. The model records what it was trained
    from (``fingerprint``) and, given the written examples as ``probe``, what the same training
    gives on them alone (``probe_probabilities``): a test compares both with what training would
    use and give now, so a stale model.json is found without training it all again."""
    with threadpool_limits(limits=1):
        return _train(parts, seed, c, measure, sentences, probe, progress)


def _train(
    parts: Sequence[Labelled],
    seed: int,
    c: float,
    measure: bool,
    sentences: bool | None,
    probe: Path | None,
    progress: Callable[[str], None],
) -> Trained:
    tested = [s for part in parts if part.split in TRAINING_SPLITS for s in samples(part, sentences)]
    extra = [s for part in parts if part.split not in TRAINING_SPLITS for s in samples(part, sentences)]
    progress("thresholds")
    fitted = _fitted(tested, extra, c, seed)
    measured = None
    figures: dict[str, Any] = {}
    if measure:
        progress("grouped cross-validation")
        measured = grouped(tested, extra, c, seed)
        figures = {"grouped_cross_validation": {k: v.figures() for k, v in measured.items()}}
    about: dict[str, Any] = {
        "seed": seed,
        "C": c,
        "sentence_C": SENTENCE_REGULARISATION,
        "min_df": MIN_DF,
        "folds": FOLDS,
        "target_precision": TARGET_PRECISION,
        "items": {
            split: sum(len(p.items) for p in parts if p.split == split)
            for split in dict.fromkeys(p.split for p in parts)
        },
        "fingerprint": fingerprint(parts, seed=seed, c=c, sentences=fitted.encoder is not None),
        **figures,
    }
    if probe is not None:
        progress("probe")
        about["probe"] = probe_probabilities(seed=seed, sentences=fitted.encoder is not None, examples=probe)
    model = ContentModel(fitted.names, fitted.idf, fitted.categories, about, fitted.encoder)
    return Trained(model, measured)


def _fitted(tested: Sequence[Sample], extra: Sequence[Sample], c: float, seed: int) -> ContentModel:
    """Fitted on every sample, its thresholds from the out-of-fold probabilities of ``tested``."""
    scores = out_of_fold(tested, extra, c, seed)
    truth = truth_of(tested)
    alone = thresholds_for(scores.ngrams, truth)
    ensemble = thresholds_for(scores.ensemble, truth) if scores.ensemble is not None else None
    return fit([*tested, *extra], alone, c, seed, ensemble)


def fingerprint(parts: Sequence[Labelled], *, seed: int, c: float, sentences: bool) -> dict[str, Any]:
    """What the weights are trained from besides the code: each item trained on (its file, text,
    party, speaker and labels), the rules file's evasions and cues (they make the features; its
    rules do not, so a rule made faster or wider leaves the model current), the settings, and the
    sentence encoder's version. Equal fingerprints and probes (probe_probabilities): the same
    training."""
    items = hashlib.sha256()
    for part in parts:
        for item in part.items:
            row = [part.split, Path(part.file).name, item.id, item.text, item.party, item.speaker]
            items.update(json.dumps([*row, sorted(item.labels)], ensure_ascii=False).encode())
    return {
        "items": items.hexdigest(),
        "rules": feature_rules_digest(load_rules()),
        "settings": {
            "format": MODEL_FORMAT,
            "seed": seed,
            "C": c,
            "sentence_C": SENTENCE_REGULARISATION,
            "min_df": MIN_DF,
            "folds": FOLDS,
            "target_precision": TARGET_PRECISION,
            "smallest": SMALLEST,
            "cue_value": CUE_VALUE,
            "sentence_cue_value": SENTENCE_CUE_VALUE,
            "pair_reach": PAIR_REACH,
            "splits": list(TRAINING_SPLITS),
        },
        "encoder": embedding.encoder_version() if sentences else None,
    }


def feature_rules_digest(book: RuleBook) -> str:
    """The evasions and cues as the features read them: their patterns with the word classes put in."""
    evasions = [[pattern.pattern, pattern.flags, read] for pattern, read in book.evasions]
    cues = [[name, pattern.pattern, pattern.flags] for name, pattern in book.cues]
    read = json.dumps({"evasions": evasions, "cues": cues}, ensure_ascii=False)
    return hashlib.sha256(read.encode()).hexdigest()


PROBE_SPLITS = len(TRAINING_SPLITS)
"""The written examples are dealt in turn to every one of TRAINING_SPLITS for the probe."""


def probe_parts(examples: Path = EXAMPLES) -> list[Labelled]:
    """The written examples (160) dealt in turn to the training splits: a small, fixed training."""
    items = read_items(examples)
    splits = TRAINING_SPLITS[:PROBE_SPLITS]
    return [Labelled(split, f"{split}/probe.yaml", items[k :: len(splits)]) for k, split in enumerate(splits)]


PROBE_TOLERANCE = 1e-4
"""How far a probe's probabilities may lie from those recorded: another processor's BLAS kernels
move them by some 1e-7 (OpenBLAS's Sandybridge kernels against its Haswell ones on one machine:
1.2e-7 at most), a change to the features or the training by far more."""


def probe_probabilities(*, seed: int = 0, sentences: bool, examples: Path = EXAMPLES) -> list[list[float]]:
    """The probabilities (items × categories) that the model trained on probe_parts gives its own
    items (no measuring, no probe of its own): the training code, the features and the settings in
    some seconds. Compared within PROBE_TOLERANCE, not digested: the last bits of a float depend
    on the processor."""
    tested = [s for part in probe_parts(examples) for s in samples(part, sentences)]
    with threadpool_limits(limits=1):
        scores = probabilities(_fitted(tested, [], REGULARISATION, seed), tested)
    found = scores.ensemble if scores.ensemble is not None else scores.ngrams
    return [[round(float(p), 6) for p in row] for row in found]


def probe_drift(recorded: Sequence[Sequence[float]], now: Sequence[Sequence[float]]) -> float:
    """The largest difference between two probes' probabilities (infinite when their shapes differ)."""
    old, new = np.asarray(recorded, dtype=np.float64), np.asarray(now, dtype=np.float64)
    return float(np.abs(old - new).max()) if old.shape == new.shape and old.size else float("inf")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _overall(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for t in tallies.values():
        total.true_positive += t.true_positive
        total.false_positive += t.false_positive
        total.false_negative += t.false_negative
    return total


def variants_table(variants: Variants, scheme: str, language: str) -> Table:
    """Precision / recall per category (rows) for each variant (columns)."""
    title = translate(
        N_(
            "Grouped cross-validation, {scheme} (thresholds chosen without the tested part): "
            "precision / recall"
        ),
        language,
        scheme=scheme,
    )
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column(translate(N_("Category"), language))
    for variant in variants.found:
        table.add_column(variant, justify="right")
    tallies = {variant: variants.tallies(variant) for variant in variants.found}
    for category in CATEGORIES:
        table.add_row(
            category,
            *(f"{_ratio(t[category].precision)} / {_ratio(t[category].recall)}" for t in tallies.values()),
        )
    overall = [_overall(t) for t in tallies.values()]
    table.add_row(
        translate(N_("All categories"), language),
        *(f"{_ratio(t.precision)} / {_ratio(t.recall)}" for t in overall),
    )
    return table


def written(model: ContentModel, path: Path, language: str) -> str:
    return translate(
        N_(
            "Written {path}: {features} features, {weights} weights, {size} bytes "
            "({items} items: {parts}; sentence encoder: {encoder})"
        ),
        language,
        path=str(path),
        features=len(model.names),
        weights=sum(len(m.weights) + len(m.sentence_weights) for m in model.categories.values()),
        size=path.stat().st_size,
        items=sum(model.about.get("items", {}).values()),
        parts=", ".join(f"{k} {v}" for k, v in model.about.get("items", {}).items()),
        encoder=model.encoder or "-",
    )
