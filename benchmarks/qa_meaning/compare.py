"""Round 6 experiment (issue #16): the candidates side by side, on the same folds.

Reads clauses.py's ``--dump`` and ``--out`` and finetune.py's ``--out``; prints, per scheme, mean
average precision and rules ∪ model precision / recall per category for the shipped model, the
clause-reading variants, the fine-tuned e5 and its mean with the shipped model. The fine-tuned
model's thresholds are chosen on the first inner fold of each outer part (left out of its
training); so that the shipped model is also shown with thresholds chosen there alone, beside
those chosen on all its inner folds. Last, a diagnosis in hindsight (not a measure): the recall
each ranking would reach at a precision of 0.95 with the threshold chosen on the tested part.

    PYTHONPATH=. python benchmarks/qa_meaning/compare.py --dump corpus.json --clauses clauses.npz \\
        --finetune finetune.npz
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score

TARGET = 0.95
NEVER = 2.0


def choose(scores: NDArray[np.float64], truth: NDArray[np.bool_], target: float = TARGET) -> float:
    best = NEVER
    for threshold in sorted(set(scores[truth].tolist()), reverse=True):
        flagged = scores >= threshold
        if threshold <= 0.0 or flagged.sum() == 0:
            continue
        if (flagged & truth).sum() / flagged.sum() >= target:
            best = threshold
    return best


def pr(truth: NDArray[np.bool_], found: NDArray[np.bool_]) -> str:
    tp, fp, fn = (truth & found).sum(), (~truth & found).sum(), (truth & ~found).sum()
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"{p:.2f} / {r:.2f}"


def main() -> None:  # noqa: PLR0915 (an experiment script, read top to bottom)
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--clauses", type=Path, required=True)
    parser.add_argument("--finetune", type=Path)
    parser.add_argument("--label", default="fine-tuned e5", help="The fine-tuned model's name in the tables.")
    args = parser.parse_args()
    data = json.loads(args.dump.read_text("utf-8"))
    items, categories = data["items"], data["categories"]
    truth = np.array([[c in it["labels"] for c in categories] for it in items], dtype=bool)
    rules = np.array([[c in it["rules"] for c in categories] for it in items], dtype=bool)
    ours = dict(np.load(args.clauses))
    tuned = dict(np.load(args.finetune)) if args.finetune and args.finetune.exists() else {}
    for scheme, parts in data["folds"].items():
        held = ours[f"{scheme}|held"]
        t, r = truth[held], rules[held]
        scores: dict[str, NDArray[np.float64]] = {}
        found: dict[str, NDArray[np.bool_]] = {}
        for name in ("shipped", "whole + clause max", "clause max"):
            scores[name] = ours[f"{scheme}|{name}"]
            blocks = []
            for number, part in enumerate(parts):
                rows = ours[f"{scheme}|{number}|oof|rows"]
                oof = ours[f"{scheme}|{number}|oof|{name}"]
                start = sum(len(p["held"]) for p in parts[:number])
                mine = scores[name][start : start + len(part["held"])]
                limits = np.array([choose(oof[:, k], truth[rows, k]) for k in range(len(categories))])
                blocks.append(mine >= limits)
            found[name] = np.vstack(blocks)
        if f"{scheme}|held" in tuned:
            assert (tuned[f"{scheme}|held"] == held).all()
            blocks_shipped, blocks_ft, blocks_mean, ft, mean = [], [], [], [], []
            for number, part in enumerate(parts):
                rows = list(ours[f"{scheme}|{number}|oof|rows"])
                at = {i: k for k, i in enumerate(rows)}
                validation = list(tuned[f"{scheme}|{number}|validation|rows"])
                v_shipped = ours[f"{scheme}|{number}|oof|shipped"][[at[i] for i in validation]]
                v_ft = tuned[f"{scheme}|{number}|validation|fine-tuned"]
                start = sum(len(p["held"]) for p in parts[:number])
                h_shipped = scores["shipped"][start : start + len(part["held"])]
                h_ft = tuned[f"{scheme}|{number}|held|fine-tuned"]
                vt = truth[validation]
                for v, h, out in (
                    (v_shipped, h_shipped, blocks_shipped),
                    (v_ft, h_ft, blocks_ft),
                    ((v_shipped + v_ft) / 2, (h_shipped + h_ft) / 2, blocks_mean),
                ):
                    limits = np.array([choose(v[:, k], vt[:, k]) for k in range(len(categories))])
                    out.append(h >= limits)
                ft.append(h_ft)
                mean.append((h_shipped + h_ft) / 2)
            scores[args.label] = np.vstack(ft)
            scores[f"shipped + {args.label}"] = np.vstack(mean)
            found[args.label] = np.vstack(blocks_ft)
            found[f"shipped + {args.label}"] = np.vstack(blocks_mean)
            found["shipped, thresholds on the validation fold"] = np.vstack(blocks_shipped)
            scores["shipped, thresholds on the validation fold"] = scores["shipped"]
        names = list(found)
        print(f"\n### {scheme} ({len(held)} items tested)\n")
        print("| category | rules | " + " | ".join(f"rules ∪ {n}" for n in names) + " |")
        print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
        for k, c in enumerate(categories):
            cells = [pr(t[:, k], r[:, k] | found[n][:, k]) for n in names]
            print(f"| {c} | {pr(t[:, k], r[:, k])} | " + " | ".join(cells) + " |")
        print(f"| all | {pr(t, r)} | " + " | ".join(pr(t, r | found[n]) for n in names) + " |")
        print("| model alone, all | | " + " | ".join(pr(t, found[n]) for n in names) + " |")
        ranked = [n for n in scores if "thresholds on" not in n]
        print("\n| category | " + " | ".join(f"AP {n}" for n in ranked) + " |")
        print("| --- | " + " | ".join("---" for _ in ranked) + " |")
        aps = {
            n: [average_precision_score(t[:, k], scores[n][:, k]) for k in range(len(categories))]
            for n in ranked
        }
        for k, c in enumerate(categories):
            print(f"| {c} | " + " | ".join(f"{aps[n][k]:.3f}" for n in ranked) + " |")
        print("| **mean AP** | " + " | ".join(f"**{np.mean(aps[n]):.3f}**" for n in ranked) + " |")
        print("\nIn hindsight (threshold chosen on the tested part itself, not a measure): P ≥ 0.95")
        print("\n| category | " + " | ".join(ranked) + " |")
        print("| --- | " + " | ".join("---" for _ in ranked) + " |")
        for k, c in enumerate(categories):
            cells = []
            for n in ranked:
                limit = choose(scores[n][:, k], t[:, k])
                cells.append(pr(t[:, k], scores[n][:, k] >= limit))
            print(f"| {c} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
