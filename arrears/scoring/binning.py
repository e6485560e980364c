"""Binning and weight of evidence (WOE) for the scorecard, with numpy only.

WOE of a bin = ln(share of all payers in the bin / share of all non-payers in the bin), with
half a count added to each side so an empty side never gives infinity. Positive WOE: the bin
pays more often than average. A numeric feature starts from up to 20 quantile bins, then the
adjacent bins whose WOE is closest are merged until each holds at least ``min_share`` of the
rows and there are at most ``max_bins``. Categories are ordered by WOE and merged the same way.
Missing values get a bin of their own when training saw them; otherwise (and for unseen
categories) they count as neutral (WOE 0).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]
MISSING = "missing"


@dataclass(frozen=True)
class Binning:
    feature: str
    edges: tuple[float, ...]
    """Numeric: bin i holds values in [edges[i-1], edges[i]); empty for categorical."""
    groups: tuple[tuple[int, ...], ...]
    """Categorical: the category codes of each bin; empty for numeric."""
    woe: tuple[float, ...]
    """WOE per bin, then one more for missing values."""
    counts: tuple[int, ...]
    payers: tuple[int, ...]
    labels: tuple[str, ...]

    @property
    def categorical(self) -> bool:
        return bool(self.groups)

    def assign(self, values: Vector) -> NDArray[np.intp]:
        """The bin index of each value; the last index (len(woe) - 1) is the missing bin."""
        missing_bin = len(self.woe) - 1
        if self.categorical:
            lookup = np.full(_max_code(self.groups) + 2, missing_bin, dtype=np.intp)
            for index, codes in enumerate(self.groups):
                lookup[list(codes)] = index
            safe = np.where(np.isnan(values) | (values > len(lookup) - 2), len(lookup) - 1, values)
            return lookup[safe.astype(np.intp)]
        found = np.searchsorted(np.asarray(self.edges), values, side="right")
        return np.where(np.isnan(values), missing_bin, found).astype(np.intp)

    def transform(self, values: Vector) -> Vector:
        return np.asarray(self.woe)[self.assign(values)]

    def information_value(self) -> float:
        payers = np.asarray(self.payers, float)
        others = np.asarray(self.counts, float) - payers
        share_p = (payers + 0.5) / (payers.sum() + 0.5)
        share_o = (others + 0.5) / (others.sum() + 0.5)
        return float(np.sum((share_p - share_o) * np.asarray(self.woe)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "edges": list(self.edges),
            "groups": [list(g) for g in self.groups],
            "woe": list(self.woe),
            "counts": list(self.counts),
            "payers": list(self.payers),
            "labels": list(self.labels),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binning:
        return cls(
            feature=data["feature"],
            edges=tuple(float(e) for e in data["edges"]),
            groups=tuple(tuple(int(c) for c in g) for g in data["groups"]),
            woe=tuple(float(w) for w in data["woe"]),
            counts=tuple(int(c) for c in data["counts"]),
            payers=tuple(int(p) for p in data["payers"]),
            labels=tuple(data["labels"]),
        )


def _max_code(groups: tuple[tuple[int, ...], ...]) -> int:
    return max((max(g) for g in groups if g), default=0)


def fit_numeric(
    feature: str, values: Vector, outcome: NDArray[np.int8], min_share: float = 0.05, max_bins: int = 8
) -> Binning:
    present = ~np.isnan(values)
    distinct = np.unique(values[present])
    if distinct.size <= 20:
        edges = distinct[1:]
    else:
        edges = np.unique(np.quantile(values[present], np.linspace(0, 1, 21)[1:-1]))
        edges = edges[edges > distinct[0]]
    index = np.searchsorted(edges, values[present], side="right")
    counts, payers = _tally(index, outcome[present], edges.size + 1)
    bins = [[i] for i in range(edges.size + 1)]
    bins, counts, payers = _merge(bins, counts, payers, int(outcome.sum()), outcome.size, min_share, max_bins)
    kept = tuple(float(edges[b[0] - 1]) for b in bins[1:])
    labels = _numeric_labels(kept)
    return _finish(feature, kept, (), labels, counts, payers, values, outcome)


def fit_categorical(
    feature: str,
    values: Vector,
    outcome: NDArray[np.int8],
    vocabulary: tuple[str, ...],
    min_share: float = 0.05,
    max_bins: int = 8,
) -> Binning:
    present = ~np.isnan(values)
    codes = values[present].astype(np.intp)
    counts, payers = _tally(codes, outcome[present], len(vocabulary))
    woe = _woe(counts, payers, int(outcome.sum()), outcome.size)
    order = [int(c) for c in np.argsort(woe) if counts[c] > 0]
    bins = [[c] for c in order]
    ordered_counts, ordered_payers = counts[order], payers[order]
    bins, ordered_counts, ordered_payers = _merge(
        bins, ordered_counts, ordered_payers, int(outcome.sum()), outcome.size, min_share, max_bins
    )
    groups = tuple(tuple(sorted(b)) for b in bins)
    labels = tuple(", ".join(vocabulary[c] for c in g) for g in groups)
    return _finish(feature, (), groups, labels, ordered_counts, ordered_payers, values, outcome)


def _tally(index: NDArray[np.intp], outcome: NDArray[np.int8], size: int) -> tuple[Vector, Vector]:
    counts = np.bincount(index, minlength=size).astype(np.float64)
    payers = np.bincount(index, weights=outcome.astype(np.float64), minlength=size).astype(np.float64)
    return counts, payers


def _woe(counts: Vector, payers: Vector, total_payers: int, total: int) -> Vector:
    others = counts - payers
    share_payers = (payers + 0.5) / (total_payers + 0.5)
    share_others = (others + 0.5) / (total - total_payers + 0.5)
    return np.asarray(np.log(share_payers / share_others), dtype=np.float64)


def _merge(
    bins: list[list[int]],
    counts: Vector,
    payers: Vector,
    total_payers: int,
    total: int,
    min_share: float,
    max_bins: int,
) -> tuple[list[list[int]], Vector, Vector]:
    """Merge adjacent bins, closest WOE first, until every bin is big enough and few enough."""
    counts, payers = counts.copy(), payers.copy()
    while len(bins) > 1:
        woe = _woe(counts, payers, total_payers, total)
        gaps = np.abs(np.diff(woe))
        smallest = int(np.argmin(counts))
        if counts[smallest] < min_share * total:
            left = smallest - 1 if smallest > 0 else None
            right = smallest if smallest < len(bins) - 1 else None
            pair = left if right is None or (left is not None and gaps[left] < gaps[right]) else right
        elif len(bins) > max_bins:
            pair = int(np.argmin(gaps))
        else:
            break
        assert pair is not None
        bins[pair : pair + 2] = [bins[pair] + bins[pair + 1]]
        counts = np.concatenate([counts[:pair], [counts[pair] + counts[pair + 1]], counts[pair + 2 :]])
        payers = np.concatenate([payers[:pair], [payers[pair] + payers[pair + 1]], payers[pair + 2 :]])
    return bins, counts, payers


def _finish(
    feature: str,
    edges: tuple[float, ...],
    groups: tuple[tuple[int, ...], ...],
    labels: tuple[str, ...],
    counts: Vector,
    payers: Vector,
    values: Vector,
    outcome: NDArray[np.int8],
) -> Binning:
    missing = np.isnan(values)
    missing_count = int(missing.sum())
    missing_payers = int(outcome[missing].sum())
    all_counts = np.append(counts, missing_count)
    all_payers = np.append(payers, missing_payers)
    woe = _woe(all_counts, all_payers, int(outcome.sum()), outcome.size)
    if missing_count == 0:
        woe[-1] = 0.0
    return Binning(
        feature=feature,
        edges=edges,
        groups=groups,
        woe=tuple(float(w) for w in woe),
        counts=tuple(int(c) for c in all_counts),
        payers=tuple(int(p) for p in all_payers),
        labels=(*labels, MISSING),
    )


def _numeric_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    if not edges:
        return ("all",)
    text = [f"{e:,.0f}" if abs(e) >= 1000 else f"{e:.4g}" for e in edges]
    middle = [f"[{low}, {high})" for low, high in itertools.pairwise(text)]
    return (f"< {text[0]}", *middle, f"≥ {text[-1]}")
