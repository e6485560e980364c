"""Round 6 experiment (issue #16): does reading clause by clause with the same sentence encoder beat
the shipped model on text written apart?

Not shipped: an experiment script. It measures, on the folds ``train-content-model`` uses (the
"written apart" scheme, dev … heldout4 → heldout5, and grouped 5-fold over the six open splits),
the n-gram model's probabilities averaged with one of these sentence models:

- ``shipped``: the logistic regression on the whole text's USE embedding (model.sentence_inputs, cues);
- ``clause max``: the same regression, its score the highest over the whole text and each of its
  clauses (split at Chinese and Latin punctuation);
- ``whole + clause max``: a regression on the whole text's inputs beside the element-wise maximum
  of its clauses' embeddings (and that maximum again when said to a third party).

Thresholds are chosen as in training: on out-of-fold probabilities of an inner grouped
cross-validation that never sees the tested part. It prints mean average precision over the ten
categories and rules ∪ model precision / recall per category, and writes every held-out
probability to ``--out`` (an .npz) with the corpus and folds (``--dump``, JSON) for other
candidates to be measured on the same folds (finetune.py).

    PYTHONPATH=. python benchmarks/qa_meaning/clauses.py --out /tmp/clauses.npz --dump /tmp/corpus.json
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

from arrears.compliance.conduct import embedding
from arrears.compliance.conduct.model import THIRD_PARTIES, ContentModel, read_text, sentence_inputs
from arrears.compliance.conduct.model_training import (
    EXAMPLES,
    FOLDS,
    REGULARISATION,
    SCHEMES,
    SENTENCE_REGULARISATION,
    Sample,
    _parts,
    fit,
    fold_of,
    probabilities,
    rules_found,
    samples,
    thresholds_for,
    training_items,
    truth_of,
)
from arrears.compliance.conduct.rules import CATEGORIES

CORPUS = Path("data/qa/corpus")
CLAUSE = re.compile(r"[,，。!！?？;；:：…\n、~～]+|(?<=[a-z0-9)])\.(?:\s|$)|\s[-–—]\s")
SHORTEST = 4
"""Clauses shorter than this (characters) are left out."""

Job = tuple[list[int], list[int]]
"""Trained on, scored on (indices into the tested samples; ``extra`` always trained on too)."""


def clauses(text: str) -> list[str]:
    parts = [p.strip() for p in CLAUSE.split(text)]
    return [p for p in parts if len(p) >= SHORTEST]


def jobs_of(tested: Sequence[Sample]) -> dict[str, list[tuple[Job, list[Job]]]]:
    """Per scheme, each outer (trained, tested) part with its inner folds (for the thresholds)."""
    out: dict[str, list[tuple[Job, list[Job]]]] = {}
    for scheme, parts in _parts(tested).items():
        rows = []
        for inside, held in parts:
            corpus = [i for i in inside if tested[i].split != "_"]
            where = fold_of([tested[i] for i in corpus], FOLDS - 1)
            inner = [
                (
                    [corpus[j] for j, f in enumerate(where) if f != n],
                    [corpus[j] for j, f in enumerate(where) if f == n],
                )
                for n in sorted(set(where.tolist()))
            ]
            rows.append(((inside, held), inner))
        out[scheme] = rows
    return out


def sentence_fit(inputs: NDArray[np.float64], target: NDArray[np.bool_]) -> LogisticRegression | None:
    if target.min() == target.max():
        return None
    learner = LogisticRegression(
        C=SENTENCE_REGULARISATION, class_weight="balanced", max_iter=5000, random_state=0
    )
    return learner.fit(inputs, target.astype(np.int8))


def proba(learner: LogisticRegression | None, inputs: NDArray[np.float64]) -> NDArray[np.float64]:
    if learner is None:
        return np.zeros(len(inputs))
    return np.asarray(learner.predict_proba(inputs)[:, 1])


def main() -> None:  # noqa: PLR0915 (an experiment script, read top to bottom)
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    started = time.time()
    parts = training_items(CORPUS, EXAMPLES)
    every = [replace(s, sentence=None) for p in parts for s in samples(p, sentences=False)]
    n_tested = sum(1 for s in every if s.split not in ("train-extra", "examples"))
    tested = [s for s in every if s.split not in ("train-extra", "examples")]
    extra = [s for s in every if s.split in ("train-extra", "examples")]
    assert len(tested) == n_tested
    allsamples = [*tested, *extra]
    extra_idx = list(range(len(tested), len(allsamples)))
    texts = [read_text(s.item.text).text for s in allsamples]
    parties = [s.item.party for s in allsamples]
    speakers = [s.item.speaker for s in allsamples]
    whole = embedding.embed(texts)
    split = [clauses(t) for t in texts]
    flat = sorted({c for cs in split for c in cs})
    at = {c: k for k, c in enumerate(flat)}
    embedded = embedding.embed(flat)
    print(f"embedded {len(texts)} texts and {len(flat)} clauses in {time.time() - started:.0f} s", flush=True)
    clause_max = np.vstack(
        [embedded[[at[c] for c in cs]].max(axis=0) if cs else whole[k] for k, cs in enumerate(split)]
    )
    third = np.array([[p in THIRD_PARTIES] for p in parties], dtype=np.float64)
    base = sentence_inputs(whole, parties, speakers)
    wide = np.hstack([base, clause_max, clause_max * third])
    owners = [k for k, cs in enumerate(split) for _ in cs]
    clause_inputs = sentence_inputs(
        embedded[[at[c] for cs in split for c in cs]],
        [parties[k] for k in owners],
        [speakers[k] for k in owners],
    )
    owners_arr = np.array(owners)
    truth = truth_of(allsamples)
    silent = np.array([s.silent for s in allsamples])

    def cues(model: ContentModel, rows: list[int]) -> NDArray[np.float64]:
        return model.cue_inputs_of([allsamples[i].present for i in rows])

    def fitted(
        inputs: NDArray[np.float64], model: ContentModel, train: list[int]
    ) -> list[LogisticRegression | None]:
        x = np.hstack([inputs[train], cues(model, train)])
        return [sentence_fit(x, truth[train, k]) for k in range(len(CATEGORIES))]

    def sentence_scores(
        model: ContentModel, train: list[int], score: list[int]
    ) -> dict[str, NDArray[np.float64]]:
        """Each sentence variant's probabilities on ``score``."""
        cue_rows = cues(model, score)
        learners = fitted(base, model, train)
        shipped = np.column_stack([proba(a, np.hstack([base[score], cue_rows])) for a in learners])
        where = {i: r for r, i in enumerate(score)}
        rows = np.flatnonzero(np.isin(owners_arr, score))
        back = np.array([where[o] for o in owners_arr[rows]], dtype=np.int64)
        yc = np.hstack([clause_inputs[rows], cue_rows[back]])
        most = shipped.copy()
        for k, learner in enumerate(learners):
            np.maximum.at(most[:, k], back, proba(learner, yc))
        y_wide = np.hstack([wide[score], cue_rows])
        widened = np.column_stack([proba(a, y_wide) for a in fitted(wide, model, train)])
        return {"shipped": shipped, "clause max": most, "whole + clause max": widened}

    def score_job(train: list[int], score: list[int]) -> dict[str, NDArray[np.float64]]:
        model = fit([allsamples[i] for i in [*train, *extra_idx]], {}, REGULARISATION, 0)
        ngrams = probabilities(model, [allsamples[i] for i in score]).ngrams
        out = {"n-grams": ngrams, "sentences alone (shipped)": np.zeros_like(ngrams)}
        for name, sentence in sentence_scores(model, [*train, *extra_idx], score).items():
            mean = (ngrams + sentence) / 2
            mean[silent[score]] = 0.0
            out[name] = mean
            if name == "shipped":
                alone = sentence.copy()
                alone[silent[score]] = 0.0
                out["sentences alone (shipped)"] = alone
        return out

    names = ["n-grams", "sentences alone (shipped)", "shipped", "clause max", "whole + clause max"]

    rules = rules_found(allsamples)
    if args.dump:
        folds = {
            scheme: [{"inside": inside, "held": held, "inner": inner} for (inside, held), inner in rows]
            for scheme, rows in jobs_of(tested).items()
        }
        items = [
            {
                "text": texts[k],
                "party": parties[k],
                "speaker": speakers[k],
                "split": s.split,
                "file": s.file,
                "labels": sorted(s.labels),
                "silent": bool(silent[k]),
                "rules": sorted(c for j, c in enumerate(CATEGORIES) if rules[k, j]),
            }
            for k, s in enumerate(allsamples)
        ]
        args.dump.write_text(
            json.dumps(
                {"items": items, "folds": folds, "extra": extra_idx, "categories": list(CATEGORIES)},
                ensure_ascii=False,
            )
        )
    saved: dict[str, NDArray[np.float64]] = {}
    report: dict[str, dict[str, object]] = {}
    with threadpool_limits(limits=1):
        for scheme, rows in jobs_of(tested).items():
            held_all: list[int] = []
            scores: dict[str, list[NDArray[np.float64]]] = {}
            found: dict[str, list[NDArray[np.bool_]]] = {}
            for (inside, held), inner in rows:
                oof = {name: np.zeros((len(allsamples), len(CATEGORIES))) for name in names}
                for train, score in inner:
                    for name, value in score_job(train, score).items():
                        oof[name][score] = value
                outer = score_job(inside, held)
                corpus = list(inside)
                for name, value in outer.items():
                    chosen = thresholds_for(oof[name][corpus], truth[corpus])
                    limit = np.array([chosen[c] for c in CATEGORIES])
                    scores.setdefault(name, []).append(value)
                    found.setdefault(name, []).append(value >= limit)
                held_all += held
                part = len(scores["n-grams"]) - 1
                for name, value in oof.items():  # the inner out-of-fold probabilities, for other candidates
                    saved[f"{scheme}|{part}|oof|{name}"] = value[corpus]
                saved[f"{scheme}|{part}|oof|rows"] = np.array(corpus)
                print(f"  {scheme}: a part done, {time.time() - started:.0f} s", flush=True)
            t = truth[held_all]
            r = rules[held_all]
            report[scheme] = {}
            for name, value in scores.items():
                p = np.vstack(value)
                f = np.vstack(found[name])
                saved[f"{scheme}|{name}"] = p
                aps = [average_precision_score(t[:, k], p[:, k]) for k in range(len(CATEGORIES))]
                report[scheme][name] = {"ap": aps, "union": tally(t, r | f), "model": tally(t, f)}
            saved[f"{scheme}|held"] = np.array(held_all)
            print_scheme(scheme, report[scheme], tally(t, r))
    np.savez(args.out, **saved)
    print(f"done in {time.time() - started:.0f} s; schemes {SCHEMES}")


def tally(truth: NDArray[np.bool_], found: NDArray[np.bool_]) -> list[list[int]]:
    """Per category, then all: true positives, false positives, false negatives."""
    rows = [
        [
            int((truth[:, k] & found[:, k]).sum()),
            int((~truth[:, k] & found[:, k]).sum()),
            int((truth[:, k] & ~found[:, k]).sum()),
        ]
        for k in range(truth.shape[1])
    ]
    rows.append([sum(r[i] for r in rows) for i in range(3)])
    return rows


def pr(row: list[int]) -> str:
    tp, fp, fn = row
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"{p:.2f} / {r:.2f}"


def print_scheme(scheme: str, report: dict[str, object], rules: list[list[int]]) -> None:
    names = list(report)
    print(f"\n### {scheme}\n")
    print("| category | rules | " + " | ".join(f"rules ∪ {n}" for n in names) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
    for k, c in enumerate([*CATEGORIES, "all"]):
        cells = [pr(report[n]["union"][k]) for n in names]  # type: ignore[index]
        print(f"| {c} | {pr(rules[k])} | " + " | ".join(cells) + " |")
    print("\n| category | " + " | ".join(f"AP {n}" for n in names) + " |")
    print("| --- | " + " | ".join("---" for _ in names) + " |")
    for k, c in enumerate(CATEGORIES):
        print(f"| {c} | " + " | ".join(f"{report[n]['ap'][k]:.3f}" for n in names) + " |")  # type: ignore[index]
    print("| **mean AP** | " + " | ".join(f"{np.mean(report[n]['ap']):.3f}" for n in names) + " |")  # type: ignore[index]
    print("\nmodel alone, all categories: " + ", ".join(f"{n} {pr(report[n]['model'][-1])}" for n in names))  # type: ignore[index]


if __name__ == "__main__":
    main()
