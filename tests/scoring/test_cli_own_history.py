"""``arrears model train --from --to --horizon`` on the batch's snapshots, then ``model scores``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from arrears.batch.orchestrator import run_batch
from arrears.cli import app
from arrears.db import transaction
from arrears.delinquency.engines import DuckDBEngine
from arrears.scoring.batch_scorer import BatchScorer
from arrears.scoring.models import AccountScore, ModelVersion
from arrears.scoring.settings import ScoringSettings
from tests.scoring.own_history_book import CLOCK, FIRST, LAST, RULES, backfilled_book
from tests.scoring.test_cli import database  # noqa: F401  (the fixture)

runner = CliRunner()
NEXT = LAST + timedelta(days=1)


def test_train_on_own_history_then_show_the_batch_scores(database: Engine) -> None:  # noqa: F811
    backfilled_book(database, accounts=100)
    window = ["--from", FIRST.isoformat(), "--to", (LAST - timedelta(days=20)).isoformat()]
    common = ["model", "train", "--purpose", "cure", *window, "--step", "10"]
    too_far = runner.invoke(app, [*common, "--horizon", "30"])
    assert too_far.exit_code == 2 and "batch run" in too_far.output
    trained = runner.invoke(
        app, [*common, "--horizon", "20", "--folds", "0", "--kind", "scorecard", "--activate"]
    )
    assert trained.exit_code == 0, trained.output
    assert "cure version 1" in trained.output and "activated" in trained.output
    with transaction(database) as session:
        row = session.scalars(select(ModelVersion).where(ModelVersion.is_active.is_(True))).one()
        assert (row.training_from, row.training_to) == (FIRST, LAST - timedelta(days=20))
        assert "horizon 20d" in row.training_source and len(row.data_checksum) == 64

    duck = DuckDBEngine(memory_limit="1GB", threads=1)
    scorer = BatchScorer(ScoringSettings(purpose="cure"), threads=1)
    try:
        run_batch(database, [NEXT], duck, RULES, CLOCK, scorer=scorer)
    finally:
        scorer.close()
        duck.close()
    with transaction(database) as session:
        count = session.scalar(select(func.count()).select_from(AccountScore))
    assert count
    boosted = runner.invoke(app, [*common, "--horizon", "20", "--folds", "0", "--kind", "lightgbm"])
    assert boosted.exit_code == 0, boosted.output
    assert "cure version 2 (boosting" in boosted.output

    shown = runner.invoke(app, ["model", "scores", "--as-of", NEXT.isoformat(), "--purpose", "cure"])
    assert shown.exit_code == 0, shown.output
    assert f"{count:,} accounts scored" in shown.output
    bands = shown.output.splitlines()[1].split()
    assert sum(int(n.replace(",", "")) for n in bands[1::2]) == count
    assert shown.output.count("score ") == min(3, count)
