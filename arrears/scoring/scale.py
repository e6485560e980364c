"""The score scale and the score bands.

A score is points on a log-odds scale: ``base_score`` at odds of paying ``base_odds`` to 1,
``points_to_double_odds`` more for each doubling of the odds. Bands are configurable cut-offs,
best first: an account falls in the first band whose lowest score it reaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ScoreScale:
    base_score: float = 600.0
    base_odds: float = 1.0
    points_to_double_odds: float = 20.0

    @property
    def factor(self) -> float:
        return self.points_to_double_odds / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score(self, probability: NDArray[np.float64]) -> NDArray[np.int64]:
        clipped = np.clip(probability, 1e-6, 1 - 1e-6)
        return np.rint(self.offset + self.factor * np.log(clipped / (1 - clipped))).astype(np.int64)


@dataclass(frozen=True)
class Band:
    name: str
    lowest: int


@dataclass(frozen=True)
class Bands:
    bands: tuple[Band, ...]

    def __post_init__(self) -> None:
        lows = [b.lowest for b in self.bands]
        if not self.bands or lows != sorted(lows, reverse=True) or len(set(lows)) != len(lows):
            raise ValueError("bands must be listed best first with strictly falling lowest scores")

    @classmethod
    def parse(cls, text: str) -> Bands:
        """``"A:680,B:640,C:600,D:560,E:0"``; the last band takes everything below."""
        bands = []
        for part in text.split(","):
            name, _, lowest = part.strip().partition(":")
            if not name or not lowest.strip().lstrip("-").isdigit():
                raise ValueError(f"band {part!r} is not name:lowest_score")
            bands.append(Band(name.strip(), int(lowest)))
        return cls(tuple(bands))

    def names(self) -> list[str]:
        return [b.name for b in self.bands]

    def assign(self, scores: NDArray[np.int64]) -> NDArray[np.str_]:
        """The band of each score; scores below the last band's lowest still get the last band."""
        names: NDArray[np.str_] = np.array(self.names())[self.index(scores)]
        return names

    def index(self, scores: NDArray[np.int64]) -> NDArray[np.int64]:
        """The position in :attr:`bands` of each score's band (see :meth:`assign`)."""
        lows = np.array([b.lowest for b in self.bands])
        index = np.sum(scores[:, None] < lows[None, :], axis=1)
        found: NDArray[np.int64] = np.minimum(index, len(self.bands) - 1).astype(np.int64)
        return found

    def text(self) -> str:
        return ",".join(f"{b.name}:{b.lowest}" for b in self.bands)
