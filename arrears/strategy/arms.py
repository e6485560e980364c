"""Stable arm assignment for champion/challenger experiments (冠军/挑战者分组).

A customer's arm is a pure function of the experiment id and the customer id: the MD5 digest of
``"<experiment id>:<customer id>"`` (UTF-8), its first 15 hex digits read as a 60-bit integer
``h``, placed at ``h / 2**60`` in [0, 1) and mapped onto the arms' cumulative shares. So:

* a customer never changes arm while the experiment's arms stay the same (nothing is stored,
  nothing depends on the order or the number of customers assigned);
* two experiments hash different strings, so a customer's arm in one says nothing about their
  arm in another (MD5's output bits behave as independent uniform bits for distinct inputs);
* the same assignment comes out of Python (:func:`assign`, :func:`assign_many`) and out of SQL
  on DuckDB and on Spark (:func:`assignment_sql`): both engines have ``md5`` returning the same
  lowercase hex text, and the SQL compares the 15-digit hex prefix with the arms' boundaries
  written as 15-digit hex text, which orders exactly as the integers do. No engine-specific
  hash (DuckDB's ``hash()`` changes between versions; Spark's ``xxhash64`` has no DuckDB twin).

MD5 is used for spreading, not for secrecy: nobody gains by steering a customer id into an arm,
and MD5 is the one digest both engines spell the same way.

The experiment id sits before a ``:`` and may not contain one, so the hashed text splits back
into (experiment, customer) one way only. Experiment ids and arm names are restricted to letters,
digits, ``.``, ``_`` and ``-``: they go into the SQL text as literals.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import ceil

import numpy as np
import pyarrow as pa

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_

HEX_DIGITS = 15
"""Hex digits of the digest that make a customer's position: 60 bits, a BIGINT in every engine."""
POSITIONS = 16**HEX_DIGITS
"""Positions on the line [0, 1): a customer at ``h`` sits at ``h / POSITIONS``."""
SEPARATOR = ":"
MIN_SHARE = Fraction(1, 10_000)
"""The smallest share an arm may have (0.01 % of the customers)."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass(frozen=True)
class Arm:
    """One arm of an experiment: its name, its share of the customers and whether it is the
    control (the no-action holdout or the champion) that the other arms are compared with.

    A share is a Decimal or an int: either every arm's share is a fraction and they add up to 1,
    or they are percentages adding up to 100.
    """

    name: str
    share: Decimal | int
    control: bool = False


@dataclass(frozen=True)
class Split:
    """An experiment's arms, checked: names in order and the upper boundary of each arm but the
    last on the integer line [0, POSITIONS)."""

    experiment_id: str
    names: tuple[str, ...]
    boundaries: tuple[int, ...]
    control: str | None

    def arm_at(self, position: int) -> str:
        return self.names[bisect_right(self.boundaries, position)]


def split(experiment_id: str, arms: Sequence[Arm]) -> Split:
    """The checked split of ``arms``; an :class:`InvalidInputError` naming the experiment and its
    shares when the arms cannot be used."""
    _check_experiment_id(experiment_id)
    if not arms:
        raise InvalidInputError(N_("Experiment {experiment} has no arms"), experiment=experiment_id)
    for arm in arms:
        _check_arm(experiment_id, arm)
    return _split(experiment_id, tuple(arms))


@lru_cache(maxsize=256)
def _split(experiment_id: str, arms: tuple[Arm, ...]) -> Split:
    """The rest of the checks and the boundaries, once per experiment and arms."""
    names = [arm.name for arm in arms]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInputError(
            N_("Experiment {experiment}: arm {arm} appears more than once"),
            experiment=experiment_id,
            arm=", ".join(duplicates),
        )
    controls = [arm.name for arm in arms if arm.control]
    if len(controls) > 1:
        raise InvalidInputError(
            N_("Experiment {experiment} has more than one control arm: {arms}"),
            experiment=experiment_id,
            arms=", ".join(controls),
        )
    fractions = _fractions(experiment_id, arms)
    boundaries: list[int] = []
    cumulative = Fraction(0)
    for fraction in fractions[:-1]:
        cumulative += fraction
        boundaries.append(ceil(cumulative * POSITIONS))
    return Split(experiment_id, tuple(names), tuple(boundaries), controls[0] if controls else None)


def position(experiment_id: str, customer_id: str) -> int:
    """The customer's place on the line of the experiment, an integer in [0, POSITIONS)."""
    _check_experiment_id(experiment_id)
    _check_customer_id(experiment_id, customer_id)
    digest = hashlib.md5(f"{experiment_id}{SEPARATOR}{customer_id}".encode(), usedforsecurity=False)
    return int(digest.hexdigest()[:HEX_DIGITS], 16)


def assign(experiment_id: str, customer_id: str, arms: Sequence[Arm]) -> str:
    """The name of the arm ``customer_id`` belongs to in the experiment."""
    return split(experiment_id, arms).arm_at(position(experiment_id, customer_id))


def positions_many(
    experiment_id: str, customer_ids: Iterable[str] | pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """:func:`position` of many customers at once, as an array of uint64."""
    _check_experiment_id(experiment_id)
    ids = (
        customer_ids.to_pylist()
        if isinstance(customer_ids, pa.Array | pa.ChunkedArray)
        else list(customer_ids)
    )
    prefix = hashlib.md5(f"{experiment_id}{SEPARATOR}".encode(), usedforsecurity=False)
    try:
        digests = b"".join([_digest(prefix, customer_id) for customer_id in ids])
    except AttributeError:
        for customer_id in ids:
            _check_customer_id(experiment_id, customer_id)
        raise
    # the first 8 bytes of each 16-byte digest, big-endian, keep their top 60 bits
    heads = np.frombuffer(digests, dtype=">u8")[::2]
    return (heads >> np.uint64(64 - 4 * HEX_DIGITS)).astype(np.uint64)


def assign_many(
    experiment_id: str, customer_ids: Iterable[str] | pa.Array | pa.ChunkedArray, arms: Sequence[Arm]
) -> pa.DictionaryArray:
    """The arm of each customer, in order, as a dictionary-encoded array of arm names (the
    nightly batch's column); the same answer as :func:`assign` for each customer."""
    checked = split(experiment_id, arms)
    found = positions_many(experiment_id, customer_ids)
    indices = np.searchsorted(np.array(checked.boundaries, dtype=np.uint64), found, side="right")
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int16)), pa.array(checked.names))


def assignment_sql(experiment_id: str, arms: Sequence[Arm], customer_column: str = "customer_id") -> str:
    """An SQL expression, the same text for DuckDB and Spark, giving each row's arm name from
    the text column ``customer_column``; NULL where the customer id is NULL."""
    checked = split(experiment_id, arms)
    if not _COLUMN.fullmatch(customer_column):
        raise InvalidInputError(
            N_("{column} is not a column name the assignment can use"), column=repr(echo(customer_column))
        )
    head = f"substr(md5(concat('{experiment_id}{SEPARATOR}', {customer_column})), 1, {HEX_DIGITS})"
    branches = [f"WHEN {customer_column} IS NULL THEN NULL"]
    branches += [
        f"WHEN {head} < '{boundary:0{HEX_DIGITS}x}' THEN '{name}'"
        for boundary, name in zip(checked.boundaries, checked.names, strict=False)
    ]
    return f"CASE {' '.join(branches)} ELSE '{checked.names[-1]}' END"


def _digest(prefix: hashlib._Hash, customer_id: str) -> bytes:
    hasher = prefix.copy()
    hasher.update(customer_id.encode())
    return hasher.digest()


def _check_customer_id(experiment_id: str, customer_id: object) -> None:
    if not isinstance(customer_id, str):
        raise InvalidInputError(
            N_("Experiment {experiment}: a customer id must be text, not {value}"),
            experiment=experiment_id,
            value=repr(echo(customer_id)),
        )


def _check_experiment_id(experiment_id: str) -> None:
    if not isinstance(experiment_id, str) or not _NAME.fullmatch(experiment_id):
        raise InvalidInputError(
            N_(
                "Experiment id {experiment} cannot be used: write 1 to 64 letters, digits, '.', '_' "
                "or '-', starting with a letter or a digit"
            ),
            experiment=repr(echo(experiment_id)),
        )


def _check_arm(experiment_id: str, arm: Arm) -> None:
    if not isinstance(arm.name, str) or not _NAME.fullmatch(arm.name):
        raise InvalidInputError(
            N_(
                "Experiment {experiment}: arm name {arm} cannot be used: write 1 to 64 letters, "
                "digits, '.', '_' or '-', starting with a letter or a digit"
            ),
            experiment=experiment_id,
            arm=repr(echo(arm.name)),
        )
    share = arm.share
    if (
        isinstance(share, bool)
        or not isinstance(share, Decimal | int)
        or (isinstance(share, Decimal) and not share.is_finite())
    ):
        raise InvalidInputError(
            N_(
                "Experiment {experiment}: the share of arm {arm} must be a Decimal or an int, "
                "not a {kind} ({share})"
            ),
            experiment=experiment_id,
            arm=arm.name,
            kind=type(share).__name__,
            share=echo(repr(share)),
        )


def _fractions(experiment_id: str, arms: Sequence[Arm]) -> list[Fraction]:
    """Each arm's share as an exact fraction of 1, the shares adding up to 1 or to 100."""
    shares = [Fraction(arm.share) for arm in arms]
    total = sum(shares, Fraction(0))
    listed = ", ".join(f"{arm.name}={arm.share}" for arm in arms)
    if total not in (1, 100):
        raise InvalidInputError(
            N_(
                "Experiment {experiment}: the arms' shares ({shares}) add up to {total}; "
                "they must add up to 1 or to 100 (%)"
            ),
            experiment=experiment_id,
            shares=listed,
            total=str(Decimal(total.numerator) / Decimal(total.denominator)),
        )
    fractions = [share / total for share in shares]
    small = [arm.name for arm, fraction in zip(arms, fractions, strict=True) if fraction < MIN_SHARE]
    if small:
        raise InvalidInputError(
            N_("Experiment {experiment}: every arm needs at least 0.01% of the customers ({shares})"),
            experiment=experiment_id,
            shares=listed,
        )
    return fractions
