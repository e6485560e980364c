"""The night's cost of the uplift model: every open case's gain and band, set-based.

    .venv/bin/python benchmarks/bench_uplift.py [--cases 1000000] [--train 40000] [--rounds 200]

Trains the model (:mod:`arrears.scoring.uplift`) on ``--train`` randomised synthetic customers,
stores it as bytes and reads it back (as the night does from the registry), then scores a facts
table of ``--cases`` open cases (the columns the model reads, drawn at random) the way
:func:`arrears.strategy.facts.score_uplift` does: the features, one prediction per arm over all the
rows, the bands. Printed: the seconds of each part, best of ``--repeat``, and the bands' counts.
Then the night's way (:func:`arrears.strategy.facts.read_case_facts` with a strategy whose M1
segment reads the band): the cases that segment could take on its other conditions picked on
DuckDB (:func:`arrears.strategy.facts.band_candidates`; 40% of the cases are in M1) and only
theirs scored. Last, the night's drift check (:func:`arrears.strategy.uplift_drift.judge`: PSI of
each feature and of the gain against the training profile, on the rows scored, every case's and
the M1 candidates').
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np
import pyarrow as pa

from arrears.scoring import uplift
from arrears.scoring.settings import ScoringSettings
from arrears.strategy.facts import UpliftScoring, band_candidates
from arrears.strategy.repository import parse_document
from arrears.strategy.uplift_drift import judge

AS_OF = date(2026, 11, 21)
PRODUCTS = ("credit_card", "personal_loan", "auto_loan")
BUCKETS = ("M1", "M1", "M2", "M3", "M4+")
DOCUMENT = """
strategy: bench
names: {zh-CN: 基准, en: Bench}
segments:
  - {code: m1, names: {zh-CN: 甲, en: A}, when: {bucket: [M1], hold: [none], uplift_band: [sure_thing]},
     path: quiet}
otherwise: {code: rest, names: {zh-CN: 其他, en: Rest}, path: quiet}
paths:
  quiet: {names: {zh-CN: 静, en: Quiet}}
"""


def facts(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    born = np.datetime64("1960-01-01") + rng.integers(0, 40 * 365, n).astype("timedelta64[D]")
    return pa.table(
        {
            "dpd": pa.array(rng.integers(1, 180, n), pa.int32()),
            "overdue": pa.array(rng.integers(10_000, 2_000_000, n), pa.int64()),
            "score": pa.array(rng.integers(300, 850, n), pa.int32()),
            "product": pa.array(np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), n)]),
            "language": pa.array(np.where(rng.random(n) < 0.1, "en", "zh")),
            "birth_date": pa.array(born, pa.date32()),
            "opened_on": pa.array(np.full(n, np.datetime64("2026-10-01")), pa.date32()),
            "bucket": pa.array(np.array(BUCKETS)[rng.integers(0, len(BUCKETS), n)]),
            "hold": pa.array(np.where(rng.random(n) < 0.03, "dispute", "none")),
        }
    )


def randomised(n: int, seed: int) -> uplift.Randomised:
    table = facts(n, seed)
    products = uplift.products_of(table)
    x, names = uplift.features(table, AS_OF, products)
    rng = np.random.default_rng(seed + 1)
    treated = rng.random(n) < 0.5
    dpd = x[:, names.index("dpd")]
    chance = np.where(dpd < 30, 0.8, np.where(dpd < 90, np.where(treated, 0.6, 0.2), 0.05))
    return uplift.Randomised(x, names, products, treated, (rng.random(n) < chance).astype(np.int8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--train", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    started = time.perf_counter()
    model, metrics = uplift.train(randomised(arguments.train, 1), arguments.rounds, seed=1)
    seconds = time.perf_counter() - started
    print(
        f"trained on {arguments.train:,} ({arguments.rounds} rounds an arm, with the out-of-fold "
        f"calibration): {seconds:.1f} s; Qini held out {metrics['qini_held_out']:.3f}"
    )
    artifact = model.to_bytes()
    night = facts(arguments.cases, 2)
    document = parse_document(DOCUMENT, "bench")
    best: dict[str, float] = {}
    for _ in range(arguments.repeat):
        times = {}
        start = time.perf_counter()
        loaded = uplift.UpliftModel.from_bytes(artifact)
        times["load the model"] = time.perf_counter() - start
        start = time.perf_counter()
        x, _ = uplift.features(night, AS_OF, loaded.products)
        times["features"] = time.perf_counter() - start
        start = time.perf_counter()
        gain, without = loaded.models.arms(x)
        times["predict both arms"] = time.perf_counter() - start
        start = time.perf_counter()
        codes = loaded.band_codes(gain, without)
        times["bands"] = time.perf_counter() - start
        start = time.perf_counter()
        scored = loaded.scored(night, AS_OF)
        times["score (all of it)"] = time.perf_counter() - start
        start = time.perf_counter()
        drift = judge(UpliftScoring(1, loaded, scored), ScoringSettings())
        times["drift, every case"] = time.perf_counter() - start
        start = time.perf_counter()
        rows = band_candidates(night, AS_OF, document)
        times["M1 candidates"] = time.perf_counter() - start
        start = time.perf_counter()
        m1 = loaded.scored(night.take(rows), AS_OF)
        times["score the M1 ones"] = time.perf_counter() - start
        start = time.perf_counter()
        m1_drift = judge(UpliftScoring(1, loaded, m1), ScoringSettings())
        times["drift, the M1 ones"] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    print(f"{arguments.cases:,} open cases ({len(rows):,} M1 candidates), {len(artifact):,} bytes of model, "
          f"best of {arguments.repeat}:")  # fmt: skip
    for name, seconds in best.items():
        print(f"  {name:<20} {seconds:8.3f} s")
    found, counts = np.unique(codes, return_counts=True)
    print("  bands: " + ", ".join(f"{uplift.BANDS[b]} {c:,}" for b, c in zip(found, counts, strict=True)))
    for name, judged in (("every case", drift), ("the M1 ones", m1_drift)):
        shown = ", ".join(f"{v.name} {v.psi:.4f} ({v.stability})" for v in judged.variables)
        print(f"  drift, {name}: {shown}")


if __name__ == "__main__":
    main()
