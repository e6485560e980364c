"""Vectorised text: identifiers, picks from lists, and amounts as the feed's decimal strings.

Everything here turns NumPy arrays into Arrow string arrays without a Python loop over rows.
Amounts go from int64 minor units to text through Arrow's decimal type, so no float is involved:
the int64 is laid out as the unscaled value of a decimal128 with the currency's exponent as scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def pick(options: Sequence[str], index: npt.NDArray[np.integer]) -> pa.Array:
    """options[index[i]] for every i, as an Arrow string array."""
    return pa.array(options, pa.string()).take(pa.array(index))


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (or constant strings) element by element."""
    return pc.binary_join_element_wise(*parts, "")


def digits(values: npt.NDArray[np.integer], width: int) -> pa.Array:
    """Non-negative integers as text, left-padded with zeros to ``width``."""
    return pc.ascii_lpad(pa.array(values.astype(np.int64)).cast(pa.string()), width, "0")


def numbered(prefix: str, numbers: npt.NDArray[np.integer], width: int) -> pa.Array:
    """Identifiers such as C0000000042 from numbers below 10**width.

    The number plus 10**width is cast to text and its leading 1 replaced by the prefix.
    """
    shifted = pa.array(np.asarray(numbers, dtype=np.int64) + 10**width).cast(pa.string())
    return pc.binary_replace_slice(shifted, 0, 1, prefix)


def scatter(size: int, groups: Sequence[tuple[npt.NDArray[np.integer], pa.Array]]) -> pa.Array:
    """Assemble one array from values computed per group of positions (the groups partition 0..size-1)."""
    if len(groups) == 1:
        return groups[0][1]
    positions = np.concatenate([np.asarray(where, dtype=np.int64) for where, _ in groups])
    values = pa.concat_arrays([vals for _, vals in groups])
    order = np.empty(size, dtype=np.int64)
    order[positions] = np.arange(size, dtype=np.int64)
    return values.take(pa.array(order))


def fixed_point(minor: Ints, scale: int) -> pa.Array:
    """Non-negative integers read as units of 10**-scale, as exact decimal text: (12345, 2) -> "123.45"."""
    return _with_point(_integer_text(minor), scale)


def _integer_text(minor: Ints) -> pa.Array:
    if len(minor) and int(minor.min()) < 0:
        raise ValueError("the generator writes no negative amounts")
    return pa.array(minor, pa.int64()).cast(pa.string())


def _with_point(text: pa.Array, scale: int) -> pa.Array:
    """The digits, padded to at least scale + 1, with a point inserted ``scale`` from the end."""
    if scale == 0:
        return text
    return pc.binary_replace_slice(pc.ascii_lpad(text, scale + 1, "0"), -scale, -scale, ".")


def major_text(minor: Ints, exponent: npt.NDArray[np.integer], missing: Mask | None = None) -> pa.Array:
    """Minor units as decimal strings in major units, each with its own currency's exponent.

    ``missing`` marks rows written as empty (an optional amount that does not apply).
    """
    size = len(minor)
    nonzero = np.flatnonzero(minor)
    if len(nonzero) < size // 2:  # mostly zeros (fees): format the others, look the zeros up
        zeros = np.flatnonzero(minor == 0)
        zero_text = pick([_with_point(pa.array(["0"]), s)[0].as_py() for s in range(4)], exponent[zeros])
        return _unless_missing(
            scatter(size, [(zeros, zero_text), (nonzero, major_text(minor[nonzero], exponent[nonzero]))]),
            missing,
        )
    # The digits once for all rows; the point where each row's exponent puts it, the common one
    # first (Arrow's integer to text cast is the costly step, the rest is cheap by comparison).
    text = _integer_text(minor)
    rows_per_scale = np.bincount(exponent)
    scales = [int(s) for s in np.argsort(-rows_per_scale, kind="stable") if rows_per_scale[s]]
    result = _with_point(text, scales[0]) if scales else text
    for scale in scales[1:]:
        result = pc.if_else(pa.array(exponent == scale), _with_point(text, scale), result)
    return _unless_missing(result, missing)


def _unless_missing(text: pa.Array, missing: Mask | None) -> pa.Array:
    if missing is not None and missing.any():
        return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), text)
    return text


def dates(days: npt.NDArray[np.datetime64]) -> pa.Array:
    """NumPy day dates as an Arrow date32 array (written as ISO YYYY-MM-DD)."""
    return pa.array(days.astype("datetime64[D]"), pa.date32())


def iso_dates(days: pa.Array) -> pa.Array:
    """date32 values as ISO text YYYY-MM-DD, through a table of the days they span."""
    if days.null_count or not len(days):
        return days.cast(pa.string())
    numbers = days.cast(pa.int32()).to_numpy()
    first = int(numbers.min())
    span = np.arange(first, int(numbers.max()) + 1, dtype=np.int32)
    return pa.array(span, pa.int32()).cast(pa.date32()).cast(pa.string()).take(pa.array(numbers - first))


def small_int_text(values: pa.Array, lookup_below: int = 4096) -> pa.Array:
    """Integers as text; small non-negative ones (installment numbers) through a lookup table."""
    if values.null_count or not len(values):
        return values.cast(pa.string())
    numbers = values.to_numpy()
    if int(numbers.min()) < 0 or int(numbers.max()) >= lookup_below:
        return values.cast(pa.string())
    return pa.array(np.arange(int(numbers.max()) + 1)).cast(pa.string()).take(pa.array(numbers))
