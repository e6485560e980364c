"""Training the conduct model (model.py) on the corpus' dev split and the written examples, and
measuring it by cross-validation on dev — never on the held-out split, which this module never
reads.

Deterministic for a seed: the folds are drawn with it, the vocabulary is sorted, liblinear is
seeded, the weights are rounded. Thresholds are chosen on out-of-fold probabilities (5 folds,
stratified on each item's rarest category, the written examples always on the training side) for
a precision of at least 0.95. The figures printed are *nested*: each outer fold's thresholds are
chosen by an inner cross-validation that never sees that fold, so they are not flattered by the
threshold choice.

Needs the ``scoring`` extra (scikit-learn, scipy); model.py, which uses the weights, does not.
"""

from __future__ import annotations

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
from sklearn.model_selection import StratifiedKFold

from arrears.compliance.conduct.checker import OTHER_SPEAKERS, check_conduct
from arrears.compliance.conduct.evaluation import CorpusItem, Tally, load_corpus, read_items
from arrears.compliance.conduct.model import (
    NEVER,
    CategoryModel,
    ContentModel,
    features,
    is_field,
    quantised,
)
from arrears.compliance.conduct.rules import CATEGORIES, load_rules
from arrears.i18n import N_, translate

TARGET_PRECISION = 0.95
FOLDS = 5
MIN_DF = 2
REGULARISATION = 4.0
"""Logistic regression's C (inverse regularisation strength), chosen on dev by nested CV."""
SMALLEST = 0.05
"""Weights smaller than this are left out: a third of the file, no loss of precision on dev."""
EXAMPLES = Path("tests/compliance/conduct/examples.yaml")


@dataclass(frozen=True)
class Sample:
    item: CorpusItem
    present: frozenset[str]
    labels: frozenset[str]

    @property
    def silent(self) -> bool:
        """A customer's or the system's words: the model (like the rules) raises nothing."""
        return self.item.speaker in OTHER_SPEAKERS


def samples(items: Sequence[CorpusItem]) -> list[Sample]:
    return [
        Sample(item, frozenset(features(item.text, item.party, item.speaker)), frozenset(item.labels))
        for item in items
    ]


def training_items(corpus: Path, examples: Path | None) -> tuple[list[CorpusItem], list[CorpusItem]]:
    """The dev split's items and the written examples' (the held-out split is never read)."""
    dev = load_corpus(corpus, "dev")
    extra = read_items(examples) if examples is not None else []
    return dev, extra


def fit(train: Sequence[Sample], thresholds: dict[str, float], c: float, seed: int) -> ContentModel:
    """A model fitted on ``train`` with the given thresholds."""
    names, idf = _vocabulary(train)
    model = ContentModel(names, idf, {}, {})
    matrix = _matrix([s.present for s in train], model)
    categories: dict[str, CategoryModel] = {}
    for category in CATEGORIES:
        target = np.array([category in s.labels for s in train], dtype=np.int8)
        categories[category] = _fit_one(matrix, target, c, seed, thresholds.get(category, NEVER))
    return ContentModel(names, idf, categories, {})


def _vocabulary(train: Sequence[Sample]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Features in at least MIN_DF training texts (every field feature), sorted; smoothed idf."""
    df: Counter[str] = Counter()
    for sample in train:
        df.update(sample.present)
    names = tuple(sorted(f for f, n in df.items() if n >= MIN_DF or is_field(f)))
    total = len(train)
    idf = tuple(0.0 if is_field(f) else quantised(math.log((1 + total) / (1 + df[f])) + 1.0) for f in names)
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


def probabilities(model: ContentModel, tested: Sequence[Sample]) -> NDArray[np.float64]:
    """Items × categories; a silent speaker's items 0."""
    out = np.zeros((len(tested), len(CATEGORIES)))
    for row, sample in enumerate(tested):
        if sample.silent:
            continue
        found = model.probabilities(set(sample.present))
        out[row] = [found[c] for c in CATEGORIES]
    return out


def fold_of(tested: Sequence[Sample], seed: int, folds: int = FOLDS) -> NDArray[np.int64]:
    """Each item's fold, stratified on its rarest category (or 'clean')."""
    counts = Counter(label for s in tested for label in s.labels)
    key = [min(s.labels, key=lambda c: (counts[c], c)) if s.labels else "clean" for s in tested]
    where = np.zeros(len(tested), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (_, test) in enumerate(splitter.split(np.zeros(len(key)), key)):
        where[test] = number
    return where


def out_of_fold(
    tested: Sequence[Sample], extra: Sequence[Sample], c: float, seed: int, folds: int = FOLDS
) -> NDArray[np.float64]:
    """Each ``tested`` item's probabilities from a model that did not see it (``extra`` always in)."""
    where = fold_of(tested, seed, folds)
    out = np.zeros((len(tested), len(CATEGORIES)))
    for number in range(folds):
        train = [s for s, f in zip(tested, where, strict=True) if f != number]
        model = fit([*train, *extra], {}, c, seed)
        held = [i for i, f in enumerate(where) if f == number]
        out[held] = probabilities(model, [tested[i] for i in held])
    return out


def choose_threshold(
    scores: NDArray[np.float64], truth: NDArray[np.bool_], base: NDArray[np.bool_] | None = None
) -> float:
    """The lowest probability from which precision is at least TARGET_PRECISION.

    With ``base`` (what the rules already found), the precision is that of the union: the rules'
    findings or the model's.
    """
    base = np.zeros_like(truth) if base is None else base
    best = NEVER
    for threshold in sorted(set(scores[truth & ~base].tolist()), reverse=True):
        flagged = base | (scores >= threshold)
        if threshold <= 0.0 or flagged.sum() == 0:
            continue
        if (flagged & truth).sum() / flagged.sum() >= TARGET_PRECISION:
            best = threshold
    return best


def thresholds_for(
    scores: NDArray[np.float64], truth: NDArray[np.bool_], base: NDArray[np.bool_] | None = None
) -> dict[str, float]:
    return {
        c: choose_threshold(scores[:, k], truth[:, k], None if base is None else base[:, k])
        for k, c in enumerate(CATEGORIES)
    }


def truth_of(tested: Sequence[Sample]) -> NDArray[np.bool_]:
    return np.array([[c in s.labels for c in CATEGORIES] for s in tested], dtype=bool)


def rules_found(tested: Sequence[Sample]) -> NDArray[np.bool_]:
    found = [
        check_conduct(s.item.text, party=s.item.party, speaker=s.item.speaker).categories for s in tested
    ]
    return np.array([[c in f for c in CATEGORIES] for f in found], dtype=bool)


def rules_vocabulary(tested: Sequence[Sample]) -> NDArray[np.bool_]:
    """Where a rule of the category matched, whether found or set aside by the structure."""
    by_rule = {r.id: r.category for r in load_rules().rules}
    out = np.zeros((len(tested), len(CATEGORIES)), dtype=bool)
    for row, s in enumerate(tested):
        checked = check_conduct(s.item.text, party=s.item.party, speaker=s.item.speaker)
        touched = checked.categories | {by_rule[d.rule] for d in checked.dropped}
        out[row] = [c in touched for c in CATEGORIES]
    return out


@dataclass
class Variants:
    """Each variant's predictions (items × categories) on dev, out of fold."""

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


def nested(
    dev: Sequence[Sample], extra: Sequence[Sample], c: float, seed: int, folds: int = FOLDS
) -> Variants:
    """The variants' out-of-fold predictions, each fold's thresholds chosen without it."""
    truth = truth_of(dev)
    rules = rules_found(dev)
    vocabulary = rules_vocabulary(dev)
    where = fold_of(dev, seed, folds)
    alone = np.zeros_like(truth)
    union_tuned = np.zeros_like(truth)
    for number in range(folds):
        inside = [i for i, f in enumerate(where) if f != number]
        held = [i for i, f in enumerate(where) if f == number]
        train = [dev[i] for i in inside]
        inner = out_of_fold(train, extra, c, seed + 1 + number, folds - 1)
        model = fit([*train, *extra], {}, c, seed)
        scores = probabilities(model, [dev[i] for i in held])
        for k, threshold in enumerate(_as_list(thresholds_for(inner, truth[inside]))):
            alone[held, k] = scores[:, k] >= threshold
        for k, threshold in enumerate(_as_list(thresholds_for(inner, truth[inside], rules[inside]))):
            union_tuned[held, k] = scores[:, k] >= threshold
    variants = Variants(truth)
    variants.found["rules"] = rules
    variants.found["model"] = alone
    variants.found["rules | model"] = rules | alone
    variants.found["rules | (model & rule words)"] = rules | (alone & vocabulary)
    variants.found["rules | model (union thresholds)"] = rules | union_tuned
    return variants


def _as_list(thresholds: dict[str, float]) -> list[float]:
    return [thresholds[c] for c in CATEGORIES]


@dataclass(frozen=True)
class Trained:
    model: ContentModel
    variants: Variants | None


def train(
    dev_items: Sequence[CorpusItem],
    extra_items: Sequence[CorpusItem],
    *,
    seed: int = 0,
    c: float = REGULARISATION,
    measure: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Trained:
    """The model on all of dev and the examples, thresholds from dev's out-of-fold probabilities
    (model alone, and for the union with the rules); with ``measure``, the nested figures too."""
    dev, extra = samples(dev_items), samples(extra_items)
    progress("thresholds")
    scores = out_of_fold(dev, extra, c, seed)
    truth = truth_of(dev)
    alone = thresholds_for(scores, truth)
    union = thresholds_for(scores, truth, rules_found(dev))
    fitted = fit([*dev, *extra], alone, c, seed)
    categories = {
        name: CategoryModel(m.intercept, m.threshold, m.weights, union[name])
        for name, m in fitted.categories.items()
    }
    variants = None
    figures: dict[str, Any] = {}
    if measure:
        progress("nested cross-validation")
        variants = nested(dev, extra, c, seed)
        figures = {"cross_validated_on_dev": variants.figures()}
    about = {
        "seed": seed,
        "C": c,
        "min_df": MIN_DF,
        "folds": FOLDS,
        "target_precision": TARGET_PRECISION,
        "dev_items": len(dev),
        "example_items": len(extra),
        **figures,
    }
    return Trained(ContentModel(fitted.names, fitted.idf, categories, about), variants)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _overall(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for t in tallies.values():
        total.true_positive += t.true_positive
        total.false_positive += t.false_positive
        total.false_negative += t.false_negative
    return total


def variants_table(variants: Variants, language: str) -> Table:
    """Precision / recall per category (rows) for each variant (columns)."""
    title = translate(
        N_("Cross-validated on dev ({folds} folds, thresholds chosen without the fold): precision / recall"),
        language,
        folds=FOLDS,
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
            "({dev} dev items, {examples} examples)"
        ),
        language,
        path=str(path),
        features=len(model.names),
        weights=sum(len(m.weights) for m in model.categories.values()),
        size=path.stat().st_size,
        dev=model.about.get("dev_items", 0),
        examples=model.about.get("example_items", 0),
    )
