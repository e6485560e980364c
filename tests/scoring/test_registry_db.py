from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from arrears.clock import FixedClock
from arrears.db import transaction
from arrears.portfolio.models import Account, Customer
from arrears.scoring import repository, service
from arrears.scoring.models import AccountScore, ModelVersion
from arrears.scoring.reasons import Reason, phrases
from arrears.scoring.scale import Bands
from arrears.scoring.trained_model import learner_for, train
from tests.scoring.synthetic import portfolio, quick_boosting

CLOCK = FixedClock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
BANDS = Bands.parse("A:680,B:640,C:600,D:560,E:0")


def _record(purpose: str = "pay_30d") -> service.TrainingRecord:
    return service.TrainingRecord(
        purpose=purpose,
        source="synthetic",
        parameters={"rounds": 30},
        metrics={"overall": {"auc": 0.8}},
        checksum="0" * 64,
        training_from=date(2025, 1, 1),
        training_to=date(2025, 12, 31),
    )


def _accounts(engine: Engine, count: int) -> list[str]:
    ids = [f"A{i:04d}" for i in range(count)]
    with transaction(engine) as session:
        session.add(Customer(customer_id="C1", name="王芳"))
        session.flush()
        session.add_all(
            Account(
                account_id=a,
                customer_id="C1",
                product="credit_card",
                currency="CNY",
                opened_on=date(2024, 1, 1),
            )
            for a in ids
        )
    return ids


def test_versions_round_trip_and_one_is_active_per_purpose(engine: Engine) -> None:
    table, outcome = portfolio(800)
    model = train(quick_boosting(30), table, outcome)
    with transaction(engine) as session:
        first = service.register(session, model, _record(), CLOCK, "tester")
        second = service.register(session, model, _record(), CLOCK, "tester")
        other = service.register(session, model, _record("cure_60d"), CLOCK, "tester")
        assert (first.version, second.version, other.version) == (1, 2, 1)
        service.activate(session, "pay_30d", 1, CLOCK)
        service.activate(session, "cure_60d", 1, CLOCK)
    with transaction(engine) as session:
        service.activate(session, "pay_30d", 2, CLOCK)
    with transaction(engine) as session:
        active, loaded = service.active_model(session, "pay_30d")
        assert active.version == 2
        assert active.training_to == date(2025, 12, 31)
        assert active.features == list(model.features)
        assert active.code_version.startswith("0.")
        assert active.activated_at == CLOCK.now()
        assert np.array_equal(loaded.score(table).score, model.score(table).score)
        assert [v.is_active for v in repository.list_versions(session, "pay_30d")] == [False, True]
        assert repository.active_version(session, "cure_60d") is not None
        with pytest.raises(service.RegistryError, match="version 9"):
            service.activate(session, "pay_30d", 9, CLOCK)


def test_the_database_refuses_two_active_models_for_one_purpose(engine: Engine) -> None:
    table, outcome = portfolio(500)
    model = train(learner_for("scorecard"), table, outcome)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        service.register(session, model, _record(), CLOCK, "tester").is_active = True
        service.register(session, model, _record(), CLOCK, "tester").is_active = True
        session.flush()


def test_an_artifact_kept_as_a_file_is_checked_against_its_hash(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    table, outcome = portfolio(500)
    model = train(learner_for("scorecard"), table, outcome)
    with transaction(engine) as session:
        row = service.register(session, model, _record(), CLOCK, "tester", artifact_dir=tmp_path)
        assert row.artifact is None
        assert service.load(row).features == model.features
        path = tmp_path / row.artifact_path.rsplit("/", 1)[-1]  # type: ignore[union-attr]
        path.write_bytes(path.read_bytes() + b"x")
        with pytest.raises(service.RegistryError, match="sha256"):
            service.load(row)


def test_scores_are_kept_beside_the_model_version_and_a_rerun_replaces_them(engine: Engine) -> None:
    table, outcome = portfolio(1200)
    model = train(quick_boosting(30), table, outcome)
    ids = _accounts(engine, 50)
    scored_rows = table.take(np.arange(50))
    with transaction(engine) as session:
        row = service.register(session, model, _record(), CLOCK, "tester")
        run = service.score_accounts(session, row, model, scored_rows, ids, date(2026, 2, 28), BANDS)
        assert run.accounts == 50
        assert sum(run.by_band.values()) == 50
        service.score_accounts(session, row, model, scored_rows, ids, date(2026, 2, 28), BANDS)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AccountScore)) == 50
        stored = repository.scores_on(session, date(2026, 2, 28), row.id)
        expected = model.score(scored_rows)
        assert [s.score for s in stored] == [int(v) for v in expected.score]
        assert stored[0].band == str(BANDS.assign(expected.score[:1])[0])
        assert stored[0].model_version_id == session.scalar(select(ModelVersion.id))
        reasons = [Reason.from_dict(r) for r in stored[0].reasons]
        assert 1 <= len(reasons) <= 3
        assert all(text[0] in "▲▼" for text in phrases(reasons, "zh-CN"))
