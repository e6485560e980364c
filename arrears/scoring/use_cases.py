"""What the ways in (the CLI today, an API route or a page tomorrow) ask of scoring, each once:
check the options, gather labelled data, evaluate, train → validate → register → activate,
score a file, and the worklist of a date's scores.

Nothing here prints or commits: the caller shows the result and owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from arrears.clock import Clock
from arrears.errors import InvalidInputError, echo, one_of
from arrears.i18n import N_
from arrears.scoring import own_data, repository, service, sources
from arrears.scoring.datasets import LabelledData
from arrears.scoring.evaluation import Evaluation, already_late, cross_validate
from arrears.scoring.frame import from_arrow, read_csv
from arrears.scoring.models import AccountScore, ModelVersion
from arrears.scoring.reasons import Reason
from arrears.scoring.report import metrics_record
from arrears.scoring.scale import Bands
from arrears.scoring.trained_model import learner_for, train

KINDS = ("boosting", "scorecard")
KIND_ALIASES = {"lightgbm": "boosting"}
EVALUATE_KINDS = (*KINDS, "both")
CALIBRATIONS = ("platt", "isotonic")
CALIBRATION_FOLDS = 3
"""Folds ``train`` holds out to fit the calibrator: each outcome needs at least this many rows."""
PURPOSE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def model_kind(kind: str, *, evaluate: bool = False) -> str:
    """boosting or scorecard (lightgbm is boosting); ``both`` as well for an evaluation."""
    chosen = KIND_ALIASES.get(kind, kind)
    return one_of(chosen, EVALUATE_KINDS if evaluate else KINDS, "--kind")


@dataclass(frozen=True)
class TrainingOptions:
    """The options of an evaluation or a training run, checked before any work is done."""

    kind: str = "boosting"
    rounds: int = 400
    calibration: str = "platt"
    folds: int = 5

    @classmethod
    def checked(
        cls, kind: str, rounds: int, calibration: str, folds: int, *, evaluate: bool = False
    ) -> TrainingOptions:
        chosen = model_kind(kind, evaluate=evaluate)
        one_of(calibration, CALIBRATIONS, "--calibration")
        if rounds < 1:
            raise InvalidInputError(N_("--rounds must be at least 1, not {rounds}"), rounds=rounds)
        if evaluate and folds < 2:
            raise InvalidInputError(
                N_("--folds must be at least 2 to cross-validate, not {folds}"), folds=folds
            )
        if not evaluate and folds not in (0,) and folds < 2:
            raise InvalidInputError(
                N_("--folds must be 0 (no cross-validation) or at least 2, not {folds}"), folds=folds
            )
        return cls(chosen, rounds, calibration, folds)

    @property
    def kinds(self) -> list[str]:
        return list(KINDS) if self.kind == "both" else [self.kind]


def check_purpose(purpose: str) -> str:
    """A new model's purpose: a lower-case name such as cure or pay_30d."""
    if not PURPOSE_PATTERN.match(purpose):
        raise InvalidInputError(
            N_("--purpose {purpose} is not a purpose name: lower-case letters, digits and _, e.g. pay_30d"),
            purpose=repr(echo(purpose)),
        )
    return purpose


def known_purpose(session: Session, purpose: str) -> str:
    """A purpose that has models, else an error listing those that do."""
    known = repository.purposes(session)
    if purpose not in known:
        if not known:
            raise service.RegistryError(
                N_("no model for purpose {purpose}: no model is trained yet (`arrears model train`)"),
                purpose=repr(echo(purpose)),
            )
        raise service.RegistryError(
            N_("no model for purpose {purpose}; purposes with models: {known}"),
            purpose=repr(echo(purpose)),
            known=", ".join(known),
        )
    return purpose


def check_outcome(data: LabelledData, folds: int) -> None:
    """Both outcomes present, each often enough to be split into ``folds`` parts."""
    outcome = np.asarray(data.outcome)
    paid = int(outcome.sum())
    unpaid = int(outcome.size - paid)
    needed = max(folds, CALIBRATION_FOLDS)
    if min(paid, unpaid) < needed:
        raise InvalidInputError(
            N_(
                "the data has {paid} rows with outcome 1 and {unpaid} with outcome 0: "
                "a model needs both outcomes, each at least {needed} times"
            ),
            paid=paid,
            unpaid=unpaid,
            needed=needed,
        )


def observation_window(first: date | None, last: date | None) -> tuple[date, date] | None:
    """Own history's observation dates: --from and --to together, in order, or neither."""
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise InvalidInputError(N_("--from and --to go together"))
    if last < first:
        raise InvalidInputError(
            N_("--to {last} is before --from {first}"), last=last.isoformat(), first=first.isoformat()
        )
    return first, last


def labelled(
    dataset: str | None, csv: Path | None, target: str | None, target_is: str, data_dir: Path
) -> tuple[LabelledData, str]:
    """A public data set or a bank's own CSV, and the name of where it came from."""
    if dataset is not None and csv is None:
        return sources.public(dataset, data_dir), dataset
    if csv is not None and dataset is None and target is not None:
        return sources.csv_file(csv, target, target_is), str(csv)
    raise InvalidInputError(N_("give either --dataset NAME, or --csv PATH with --target COLUMN"))


def own_history(
    connection: Connection, window: tuple[date, date], horizon: int, step: int
) -> tuple[LabelledData, str]:
    """Arrears' own history: delinquent accounts on observation dates, labelled by what followed."""
    if horizon < 1 or step < 1:
        raise InvalidInputError(
            N_("--horizon and --step must be at least 1 day, not {horizon} and {step}"),
            horizon=horizon,
            step=step,
        )
    sample = own_data.labelled_sample(connection, window[0], window[1], horizon, step)
    source = f"own history {window[0]}..{window[1]} horizon {horizon}d step {step}d"
    return sample.data, source


def evaluate(data: LabelledData, options: TrainingOptions) -> dict[str, Evaluation]:
    """Cross-validate each kind on the data: held-out figures only."""
    check_outcome(data, options.folds)
    segments = {"already late": already_late} if "bucket_now" in data.features.names else {}
    return {
        name: cross_validate(
            learner_for(name, options.rounds),
            data.features,
            data.outcome,
            options.folds,
            options.calibration,
            segments=segments,
        )
        for name in options.kinds
    }


@dataclass(frozen=True)
class Trained:
    """A model stored by :func:`train_and_register`."""

    purpose: str
    version: int
    kind: str
    auc: float | None
    activated: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    """The cross-validated figures kept with the version (AUC, Brier, ECE…); empty without CV."""


def train_and_register(
    session: Session,
    purpose: str,
    data: LabelledData,
    source: str,
    options: TrainingOptions,
    clock: Clock,
    created_by: str,
    *,
    activate: bool = False,
    artifact_dir: Path | None = None,
    window: tuple[date, date] | None = None,
) -> Trained:
    """Train → validate (cross-validated figures) → register → activate, in the caller's session."""
    check_purpose(purpose)
    check_outcome(data, options.folds)
    learner = learner_for(options.kind, options.rounds)
    metrics: dict[str, Any] = {}
    if options.folds >= 2:
        evaluation = cross_validate(learner, data.features, data.outcome, options.folds, options.calibration)
        metrics = metrics_record(evaluation)
    model = train(learner, data.features, data.outcome, options.calibration)
    record = service.TrainingRecord(
        purpose=purpose,
        source=source,
        parameters={"kind": options.kind, "calibration": options.calibration, **learner.describe()},
        metrics=metrics,
        checksum=service.data_checksum(data.features, data.outcome),
        training_from=window[0] if window else None,
        training_to=window[1] if window else None,
    )
    row = service.register(session, model, record, clock, created_by, artifact_dir)
    if activate:
        service.activate(session, purpose, row.version, clock)
    auc = metrics.get("overall", {}).get("auc")
    return Trained(purpose, row.version, options.kind, auc, activate, metrics)


@dataclass(frozen=True)
class ScoredFile:
    """What :func:`score_file` kept: the run, the model version and the first accounts."""

    run: service.ScoreRun
    version: int
    shown: list[AccountScore]


def read_features(path: Path) -> pa.Table:
    """A features file (CSV or Parquet) with an account_id column."""
    import pyarrow.parquet as pq

    table = pq.read_table(path) if path.suffix.lower() == ".parquet" else read_csv(path)
    if "account_id" not in table.column_names:
        raise InvalidInputError(N_("{file} has no account_id column"), file=path.name)
    return table


def score_file(
    session: Session, purpose: str, table: pa.Table, name: str, as_of: date, bands: Bands, shown: int
) -> ScoredFile:
    """Score the accounts of a features table with the purpose's active model; keep the scores."""
    known_purpose(session, purpose)
    row, model = service.active_model(session, purpose)
    missing = [f for f in model.features if f not in table.column_names]
    if missing:
        raise InvalidInputError(
            N_("{file} lacks features {missing}"), file=name, missing=echo(", ".join(missing))
        )
    accounts = [str(a) for a in pc.cast(table.column("account_id"), "string").to_pylist()]
    cases = table.column("case_id").to_pylist() if "case_id" in table.column_names else None
    frame = from_arrow(table, model.features, model.vocabularies)
    run = service.score_accounts(session, row, model, frame, accounts, as_of, bands, cases)
    return ScoredFile(run, row.version, repository.scores_on(session, run.as_of, row.id)[:shown])


@dataclass(frozen=True)
class WorkItem:
    account_id: str
    score: int
    band: str
    reasons: list[Reason]


@dataclass(frozen=True)
class Worklist:
    """A date's scores with the active model: counts by band, and the accounts to call about first."""

    purpose: str
    version: int
    as_of: date
    scored: int
    by_band: dict[str, int]
    first: list[WorkItem]


def score_worklist(session: Session, purpose: str, as_of: date, bands: Bands, rows: int) -> Worklist:
    """The scores the batch kept for a date with the purpose's active model, lowest scores first."""
    known_purpose(session, purpose)
    row = repository.active_version(session, purpose)
    if row is None:
        raise service.RegistryError(
            N_("no active model for {purpose}: train one and run `arrears model activate`"),
            purpose=echo(purpose),
        )
    stored = repository.scores_on(session, as_of, row.id)
    by_band = dict.fromkeys(bands.names(), 0)
    for s in stored:
        by_band[s.band] = by_band.get(s.band, 0) + 1
    # the lowest scores first: the accounts a collector would call about
    lowest = sorted(stored, key=lambda s: (s.score, s.account_id))[:rows]
    items = [
        WorkItem(s.account_id, s.score, s.band, [Reason.from_dict(r) for r in s.reasons]) for s in lowest
    ]
    return Worklist(purpose, row.version, as_of, len(stored), by_band, items)


def model_version(session: Session, purpose: str, version: int) -> ModelVersion:
    """A stored model version, else an error naming the purposes and versions there are."""
    known_purpose(session, purpose)
    row = repository.find_version(session, purpose, version)
    if row is None:
        raise service.RegistryError(
            N_("no model {purpose} version {version}"), purpose=echo(purpose), version=version
        )
    return row
