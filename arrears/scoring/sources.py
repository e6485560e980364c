"""Labelled data for training and evaluation: a public data set or a bank's own CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.scoring import datasets
from arrears.scoring.datasets import LabelledData
from arrears.scoring.frame import from_arrow, identifier_columns, read_csv

POSITIVE = {"1", "true", "yes", "y", "t"}
NEGATIVE = {"0", "false", "no", "n", "f"}


class SourceError(InvalidInputError):
    """A data set that cannot be used: absent target, a target that is not binary..."""

    code = "training_source"
    default_message = N_("The labelled data cannot be used")


def public(name: str, data_dir: Path) -> LabelledData:
    return datasets.load(name, datasets.require(name, data_dir))


def csv_file(path: Path, target: str, target_is: str = "bad", exclude: tuple[str, ...] = ()) -> LabelledData:
    """Any tabular credit data: numeric columns stay numbers, text columns become categories.

    ``target`` holds 1/0 (or true/false, yes/no); ``target_is`` says whether 1 means the bad
    outcome (default, did not pay: the usual convention) or the good one (paid). Columns whose
    every value differs (identifiers) are not features.
    """
    table = read_csv(path)
    if target not in table.column_names:
        raise SourceError(
            N_("{file} has no column {target}; columns: {columns}"),
            file=path.name,
            target=repr(echo(target)),
            columns=echo(", ".join(table.column_names)),
        )
    if target_is not in ("bad", "good"):
        raise SourceError(N_("--target-is must be bad or good, not {given}"), given=repr(echo(target_is)))
    flag = _binary(table.column(target), target)
    outcome = (flag if target_is == "good" else 1 - flag).astype(np.int8)
    skipped = {target, *exclude, *identifier_columns(table)}
    names = [c for c in table.column_names if c not in skipped]
    if not names:
        raise SourceError(
            N_("{file} has no feature columns besides {target}"), file=path.name, target=repr(echo(target))
        )
    features = from_arrow(table, names)
    return LabelledData(features, outcome, f"{path.name}: {table.num_rows:,} rows, target {target}")


def _binary(column: pa.ChunkedArray, name: str) -> np.ndarray[tuple[int], np.dtype[np.int8]]:
    if column.null_count:
        raise SourceError(
            N_("target {name} has {count} empty values"), name=repr(echo(name)), count=column.null_count
        )
    text = pc.utf8_lower(pc.cast(column, pa.string())).to_pylist()
    unknown = sorted({t for t in text if t not in POSITIVE | NEGATIVE})
    if unknown:
        raise SourceError(
            N_("target {name} must be 1/0 (or true/false); found {found}"),
            name=repr(echo(name)),
            found=echo(", ".join(unknown[:5])),
        )
    return np.fromiter((t in POSITIVE for t in text), dtype=np.int8, count=len(text))
