from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from arrears.cli import app
from arrears.config import get_settings
from arrears.db import transaction
from arrears.portfolio.models import Account, Customer
from arrears.scoring import repository
from tests.conftest import command_line_url
from tests.scoring.synthetic import portfolio

runner = CliRunner(env={"COLUMNS": "200"})


def _bank_csv(path: Path, rows: int = 1500) -> Path:
    table, outcome = portfolio(rows, seed=4)
    columns = {
        "loan_ref": [f"L{i}" for i in range(rows)],  # an identifier: never a feature
        "months_late": table.column("months_delinquent_6m"),
        "paid_share": table.column("pay_ratio_6m"),
        "region": np.array(["north", "south", "east"])[np.arange(rows) % 3],
        "product": [table.display_value(i, "product") for i in range(rows)],
        "defaulted": (1 - outcome).astype(int),
    }
    pa_csv.write_csv(pa.table(columns), path)
    return path


@pytest.fixture
def database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("ARREARS_DATABASE_URL", command_line_url(engine))
    get_settings.cache_clear()
    yield engine  # type: ignore[misc]
    get_settings.cache_clear()


def test_evaluate_any_csv_reports_discrimination_and_calibration(tmp_path: Path) -> None:
    csv = _bank_csv(tmp_path / "bank.csv")
    plot = tmp_path / "calibration.png"
    result = runner.invoke(
        app,
        [
            "model",
            "evaluate",
            "--csv",
            str(csv),
            "--target",
            "defaulted",
            "--folds",
            "3",
            "--rounds",
            "40",
            "--plot",
            str(plot),
            "--markdown",
            str(tmp_path / "report.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output and "Brier" in result.output and "ECE" in result.output
    assert "equal-mass bins" in result.output
    assert "boosting" in result.output and "scorecard" in result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reliability = tmp_path / "calibration-reliability.png"
    assert reliability.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (tmp_path / "report.md").read_text()
    header = [cell.strip() for cell in markdown.splitlines()[0].split("|")]
    first = markdown.splitlines()[2].split("|")
    auc = float(first[header.index("ROC AUC")])
    assert 0.7 < auc < 0.95
    ece = float(first[header.index("ECE")])
    assert 0 < ece < 0.1


def test_evaluate_explains_what_is_missing(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["model", "evaluate", "--csv", str(_bank_csv(tmp_path / "b.csv")), "--target", "nope"]
    )
    assert result.exit_code == 2
    assert "no column 'nope'" in result.output
    absent = runner.invoke(app, ["model", "evaluate", "--dataset", "uci-taiwan", "--data-dir", str(tmp_path)])
    assert absent.exit_code == 2
    assert "fetch-dataset uci-taiwan" in absent.output


def test_train_activate_list_show_and_score(database: Engine, tmp_path: Path) -> None:
    csv = _bank_csv(tmp_path / "bank.csv")
    common = ["--csv", str(csv), "--target", "defaulted", "--folds", "0", "--purpose", "pay_30d"]
    trained = runner.invoke(app, ["model", "train", *common, "--kind", "scorecard", "--activate"])
    assert trained.exit_code == 0, trained.output
    assert "version 1" in trained.output
    second = runner.invoke(app, ["model", "train", *common, "--kind", "boosting", "--rounds", "30"])
    assert "version 2" in second.output
    assert runner.invoke(app, ["model", "activate", "--purpose", "pay_30d", "--version", "2"]).exit_code == 0
    assert runner.invoke(app, ["model", "activate", "--purpose", "pay_30d", "--version", "7"]).exit_code == 2
    listed = runner.invoke(app, ["model", "list"])
    assert "pay_30d" in listed.output and "scorecard" in listed.output
    shown = runner.invoke(app, ["model", "show", "--purpose", "pay_30d", "--version", "1"])
    assert "points" in shown.output and "months_late" in shown.output

    with transaction(database) as session:
        session.add(Customer(customer_id="C1", name="李雷"))
        session.flush()
        for i in range(20):
            session.add(
                Account(
                    account_id=f"A{i}",
                    customer_id="C1",
                    product="credit_card",
                    currency="CNY",
                    opened_on=date(2024, 1, 1),
                )
            )
    features = pa_csv.read_csv(csv).slice(0, 20)
    features = features.append_column("account_id", pa.array([f"A{i}" for i in range(20)]))
    pa_csv.write_csv(features, tmp_path / "features.csv")
    scored = runner.invoke(
        app,
        [
            "model",
            "score",
            "--purpose",
            "pay_30d",
            "--features",
            str(tmp_path / "features.csv"),
            "--as-of",
            "2026-02-28",
            "--language",
            "en",
        ],
    )
    assert scored.exit_code == 0, scored.output
    assert "scored 20 accounts" in scored.output and "v2" in scored.output
    assert "months_late = " in scored.output
    with transaction(database) as session:
        active = repository.active_version(session, "pay_30d")
        assert active is not None and active.version == 2
        assert len(repository.scores_on(session, date(2026, 2, 28), active.id)) == 20


def test_a_model_trained_with_cross_validation_shows_its_calibration_error(
    database: Engine, tmp_path: Path
) -> None:
    csv = _bank_csv(tmp_path / "bank.csv")
    common = ["--csv", str(csv), "--target", "defaulted", "--purpose", "pay_30d"]
    trained = runner.invoke(app, ["model", "train", *common, "--kind", "scorecard", "--folds", "3"])
    assert trained.exit_code == 0, trained.output
    assert "3-fold CV: AUC" in trained.output and "ECE" in trained.output
    bare = runner.invoke(app, ["model", "train", *common, "--kind", "scorecard", "--folds", "0"])
    assert "no held-out figures" in bare.output
    with transaction(database) as session:
        stored = repository.find_version(session, "pay_30d", 1)
        assert stored is not None
        ece = stored.metrics["overall"]["ece"]
        assert 0 < ece < 0.1
    listed = runner.invoke(app, ["model", "list"])
    assert listed.exit_code == 0, listed.output
    assert "ECE" in listed.output and f"{ece:.4f}" in listed.output
    shown = runner.invoke(app, ["model", "show", "--purpose", "pay_30d", "--version", "1"])
    assert f"ECE {ece:.4f}" in shown.output
