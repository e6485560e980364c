"""The batch scores the open cases' accounts with the active model, inside the date's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from arrears.batch.orchestrator import Checkpoint, run_batch
from arrears.cases.models import Case, CaseAccount
from arrears.db import transaction
from arrears.delinquency.engines import DuckDBEngine
from arrears.scoring import service
from arrears.scoring.batch_scorer import BatchScorer
from arrears.scoring.models import AccountScore
from arrears.scoring.own_data import labelled_sample
from arrears.scoring.settings import ScoringSettings
from arrears.scoring.trained_model import learner_for, train
from tests.scoring.own_history_book import CLOCK, FIRST, LAST, RULES, backfilled_book

SETTINGS = ScoringSettings(purpose="cure")
NEXT = LAST + timedelta(days=1)


def _scores(engine: Engine) -> list[AccountScore]:
    with transaction(engine) as session:
        rows = list(session.scalars(select(AccountScore).where(AccountScore.as_of == NEXT)))
        session.expunge_all()
    return rows


def _open_case_accounts(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        rows = session.execute(
            select(CaseAccount.account_id, CaseAccount.case_id)
            .join(Case, Case.case_id == CaseAccount.case_id)
            .where(Case.status == "open")
        ).all()
    return {str(account): str(case) for account, case in rows}


def _run_next_day(engine: Engine, checkpoint: Checkpoint | None = None) -> list[str | None]:
    duck = DuckDBEngine(memory_limit="1GB", threads=1)
    scorer = BatchScorer(SETTINGS, threads=1)
    try:
        if checkpoint is None:
            summaries = run_batch(engine, [NEXT], duck, RULES, CLOCK, scorer=scorer)
        else:
            summaries = run_batch(engine, [NEXT], duck, RULES, CLOCK, checkpoint=checkpoint, scorer=scorer)
    finally:
        scorer.close()
        duck.close()
    return [s.scores.model if s.scores else "absent" for s in summaries]


def _fail_after_scoring(step: str) -> None:
    if step == "scored":
        raise RuntimeError("stopped after scoring")


def test_batch_keeps_scores_with_the_active_model_version(engine: Engine) -> None:
    backfilled_book(engine)
    with engine.connect() as connection:
        sample = labelled_sample(connection, FIRST, LAST - timedelta(days=20), 20, step_days=5)
    model = train(learner_for("scorecard"), sample.data.features, sample.data.outcome)
    with transaction(engine) as session:
        record = service.TrainingRecord("cure", "own history", {}, {}, "0" * 64, FIRST, LAST)
        service.register(session, model, record, CLOCK, "tester")
        version_id = service.activate(session, "cure", 1, CLOCK).id

    with pytest.raises(RuntimeError, match="stopped after scoring"):
        _run_next_day(engine, _fail_after_scoring)
    assert _scores(engine) == []  # the scores went with the date's transaction

    assert _run_next_day(engine) == ["cure v1"]
    assert _run_next_day(engine) == ["cure v1"]  # a rerun replaces the date's scores

    scores = _scores(engine)
    cases = _open_case_accounts(engine)
    assert cases
    assert {s.account_id: s.case_id for s in scores} == cases
    assert {s.model_version_id for s in scores} == {version_id}
    assert all(s.band in "ABCDE" and s.reasons for s in scores)


def test_batch_without_an_active_model_stores_no_scores(engine: Engine) -> None:
    backfilled_book(engine, accounts=40)
    assert _run_next_day(engine) == [None]
    assert _scores(engine) == []
