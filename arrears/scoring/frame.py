"""A feature table: named columns as one float matrix, categorical columns as integer codes.

Models see nothing else. Numeric features are floats with NaN for missing; a categorical
feature holds the index of its value in a vocabulary fixed at training time, NaN when missing
or unseen. Feature values are model inputs, not booked money, so floats are right here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class FeatureTable:
    names: tuple[str, ...]
    values: Matrix
    vocabularies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Categorical features and their values, in code order."""

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != len(self.names):
            raise ValueError(f"{len(self.names)} names for a matrix of shape {self.values.shape}")

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> NDArray[np.float64]:
        return self.values[:, self.names.index(name)]

    def is_categorical(self, name: str) -> bool:
        return name in self.vocabularies

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> FeatureTable:
        return FeatureTable(self.names, self.values[rows], self.vocabularies)

    def select(self, names: Sequence[str]) -> FeatureTable:
        if tuple(names) == self.names:
            return self  # already in the model's order: no copy of the matrix
        missing = [n for n in names if n not in self.names]
        if missing:
            raise KeyError(f"features not in the table: {', '.join(missing)}")
        indexes = [self.names.index(n) for n in names]
        vocab = {n: v for n, v in self.vocabularies.items() if n in names}
        return FeatureTable(tuple(names), self.values[:, indexes], vocab)

    def display_value(self, row: int, name: str) -> float | str | None:
        """A cell as a person reads it: the category's text, the number, or None if missing."""
        raw = float(self.values[row, self.names.index(name)])
        if np.isnan(raw):
            return None
        vocabulary = self.vocabularies.get(name)
        return vocabulary[int(raw)] if vocabulary is not None else raw


def from_arrow(
    table: pa.Table,
    names: Sequence[str],
    vocabularies: Mapping[str, tuple[str, ...]] | None = None,
) -> FeatureTable:
    """Columns of an Arrow table as a feature table; strings become categorical codes.

    Pass the vocabularies a model was trained with so codes mean the same thing; otherwise
    they are learnt from the data (sorted distinct values).
    """
    fixed = dict(vocabularies or {})
    matrix = np.empty((table.num_rows, len(names)), dtype=np.float64)
    learnt: dict[str, tuple[str, ...]] = {}
    for index, name in enumerate(names):
        column = table.column(name)
        if name in fixed or _is_text(column.type):
            vocabulary = fixed.get(name) or _vocabulary(column)
            learnt[name] = vocabulary
            matrix[:, index] = _codes(column, vocabulary)
        else:
            matrix[:, index] = _floats(column)
    return FeatureTable(tuple(names), matrix, learnt)


def read_csv(path: Path) -> pa.Table:
    return pa_csv.read_csv(path)


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_dictionary(kind)
    )


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def _vocabulary(column: pa.ChunkedArray) -> tuple[str, ...]:
    distinct = pc.unique(_as_text(column)).drop_null().to_pylist()
    return tuple(sorted(str(v) for v in distinct))


def _codes(column: pa.ChunkedArray, vocabulary: tuple[str, ...]) -> Matrix:
    index = pc.index_in(_as_text(column), value_set=pa.array(vocabulary, pa.string()))
    return np.asarray(pc.fill_null(pc.cast(index, pa.float64()), np.nan), dtype=np.float64)


def _floats(column: pa.ChunkedArray) -> Matrix:
    as_float = pc.cast(column, pa.float64())
    return np.asarray(pc.fill_null(as_float, np.nan), dtype=np.float64)


def identifier_columns(table: pa.Table) -> list[str]:
    """Columns whose every value is distinct: row identifiers, never features."""
    rows = table.num_rows
    return [
        name
        for name in table.column_names
        if rows > 1 and pc.count_distinct(table.column(name)).as_py() == rows
    ]
