"""Where no arm helps, how much gain does the uplift model see? Each arm's classifier started
from its own arm's paying rate (as before) against every arm's from one prior (the pooled
log-odds, as now), at 40, 100 and 400 boosting rounds, on the planted three-arm data of
``tests/strategy/test_uplift.py`` (6,000 customers: under 30 days they pay either way; 30–59 only
after the SMS, 60–89 only after the call, a true gain of 0.85 there). Also the held-out gain the
model predicts against the gain the arms show (:func:`arrears.scoring.uplift.gain_seen`).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_uplift_prior.py [--seeds 4 5 6 7]
"""

from __future__ import annotations

import argparse

import numpy as np

from arrears.scoring import uplift
from tests.strategy.test_uplift import AS_OF, book_facts, started_from_their_own_rates, three_arms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[4])
    parser.add_argument("--rounds", type=int, nargs="+", default=[40, 100, 400])
    args = parser.parse_args()
    print("seed rounds | no arm helps (truth 0): own rate, one prior | helps (truth 0.85): own, one prior")
    for seed in args.seeds:
        data = three_arms(seed=seed)
        quiet = _inputs(np.arange(1, 30), data.products)
        helped = _inputs(np.arange(30, 90), data.products)
        for rounds in args.rounds:
            before = started_from_their_own_rates(data, rounds)
            now = uplift.arm_models(data.x, data.arm_of(), data.outcome, data.names, data.arms, rounds, 1)
            nothing = f"{before.predict(quiet).mean():+.3f}, {now.predict(quiet).mean():+.3f}"
            something = f"{before.predict(helped).mean():+.3f}, {now.predict(helped).mean():+.3f}"
            print(f"{seed:>4} {rounds:>6} | {nothing} | {something}")
    print("\nheld out (train's own 30%), one prior: gain predicted, seen [95% interval]")
    for rounds in args.rounds:
        _, metrics = uplift.train(three_arms(seed=args.seeds[0]), rounds=rounds, seed=1, gain_threshold=0.1)
        for group, found in metrics["gain_seen"].items():
            print(
                f"{rounds:>6} {group:<12} {found['customers']:>5,} predicted {found['predicted']:.3f}"
                f", seen {found['seen']:.3f} [{found['low']:.3f}, {found['high']:.3f}]"
            )


def _inputs(dpd: np.ndarray, products: tuple[str, ...]) -> np.ndarray:
    return uplift.features(book_facts(dpd, [100_000] * len(dpd)), AS_OF, products)[0]


if __name__ == "__main__":
    main()
