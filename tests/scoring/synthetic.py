"""A small labelled portfolio whose outcome depends on known features, for model tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from arrears.scoring.boosting import DEFAULT_PARAMETERS, BoostingLearner
from arrears.scoring.frame import FeatureTable, from_arrow

NAMES = ("months_delinquent_6m", "pay_ratio_6m", "utilisation", "product")
PRODUCTS = ["credit_card", "personal_loan", "auto_loan"]


def portfolio(rows: int = 3000, seed: int = 1) -> tuple[FeatureTable, np.ndarray]:
    rng = np.random.default_rng(seed)
    months = rng.integers(0, 7, rows).astype(float)
    ratio = np.clip(rng.beta(2, 2, rows) * 1.2, 0, None)
    ratio[rng.random(rows) < 0.05] = np.nan  # nothing was due
    utilisation = rng.random(rows) * 1.3
    product = rng.choice(PRODUCTS, rows)
    product_effect = np.select([product == "auto_loan", product == "personal_loan"], [0.8, -0.3], 0.0)
    log_odds = 1.5 - 0.6 * months + 2.0 * np.nan_to_num(ratio, nan=0.5) - 0.8 * utilisation + product_effect
    outcome = (rng.random(rows) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    table = pa.table(
        {
            "months_delinquent_6m": months,
            "pay_ratio_6m": ratio,
            "utilisation": utilisation,
            "product": product,
        }
    )
    return from_arrow(table, NAMES), outcome


def quick_boosting(rounds: int = 40) -> BoostingLearner:
    """A small single-threaded booster: tests share two cores with other work."""
    return BoostingLearner(parameters={**DEFAULT_PARAMETERS, "num_threads": 1}, rounds=rounds)
