"""The model registry and scoring: store versions, activate one per purpose, keep scores.

Services flush, never commit: the CLI command or the batch step owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from arrears import __version__
from arrears.clock import Clock
from arrears.errors import NotFoundError, echo
from arrears.i18n import N_
from arrears.scoring import repository, uplift
from arrears.scoring.frame import FeatureTable
from arrears.scoring.models import ModelVersion
from arrears.scoring.reasons import reasons_for
from arrears.scoring.scale import Bands
from arrears.scoring.trained_model import TrainedModel


class RegistryError(NotFoundError):
    """A model version that does not exist, or a stored model that does not match its hash."""

    code = "model_registry"
    default_message = N_("The model is not in the registry")


@cache
def code_version() -> str:
    """The package version and a fingerprint of the scoring code that trained the model."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def data_checksum(table: FeatureTable, outcome: np.ndarray[Any, Any]) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(table.names).encode())
    digest.update(np.ascontiguousarray(table.values).tobytes())
    digest.update(np.ascontiguousarray(outcome, dtype=np.int8).tobytes())
    return digest.hexdigest()


class Storable(Protocol):
    """A model the registry keeps: its kind, the features it reads, and its artifact."""

    @property
    def kind(self) -> str: ...

    @property
    def features(self) -> tuple[str, ...]: ...

    def to_bytes(self) -> bytes: ...


@dataclass(frozen=True)
class TrainingRecord:
    """What is stored beside a trained model."""

    purpose: str
    source: str
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    checksum: str
    training_from: date | None = None
    training_to: date | None = None


def register(
    session: Session,
    model: Storable,
    record: TrainingRecord,
    clock: Clock,
    created_by: str,
    artifact_dir: Path | None = None,
) -> ModelVersion:
    """Store a new version of the purpose's model (inactive until activated)."""
    artifact = model.to_bytes()
    sha = hashlib.sha256(artifact).hexdigest()
    version = repository.next_version(session, record.purpose)
    path = None
    if artifact_dir is not None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        path = artifact_dir / f"{record.purpose}-v{version}-{sha[:12]}.json.gz"
        path.write_bytes(artifact)
    row = ModelVersion(
        purpose=record.purpose,
        version=version,
        kind=model.kind,
        training_from=record.training_from,
        training_to=record.training_to,
        training_source=record.source,
        features=list(model.features),
        parameters=record.parameters,
        metrics=record.metrics,
        data_checksum=record.checksum,
        code_version=code_version(),
        artifact=None if path else artifact,
        artifact_path=str(path) if path else None,
        artifact_sha256=sha,
        is_active=False,
        created_at=clock.now(),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def activate(session: Session, purpose: str, version: int, clock: Clock) -> ModelVersion:
    """Make a version the purpose's active model; the one active before steps down."""
    chosen = repository.find_version(session, purpose, version)
    if chosen is None:
        raise RegistryError(
            N_("no model {purpose} version {version}"), purpose=echo(purpose), version=version
        )
    current = repository.active_version(session, purpose)
    if current is not None and current.id != chosen.id:
        current.is_active = False
        session.flush()  # the unique index allows one active row per purpose at any moment
    chosen.is_active = True
    chosen.activated_at = clock.now()
    session.flush()
    return chosen


def load(row: ModelVersion) -> TrainedModel:
    """A scoring model (not an uplift model: those are read by :mod:`arrears.scoring.uplift`)."""
    if row.kind == uplift.KIND:
        raise RegistryError(
            N_("model {purpose} v{version} is an uplift model: see arrears strategy uplift"),
            purpose=row.purpose,
            version=row.version,
        )
    return TrainedModel.from_bytes(artifact_of(row))


def artifact_of(row: ModelVersion) -> bytes:
    """The stored model's bytes, checked against their sha256."""
    artifact = row.artifact if row.artifact is not None else Path(row.artifact_path or "").read_bytes()
    if hashlib.sha256(artifact).hexdigest() != row.artifact_sha256:
        raise RegistryError(
            N_("model {purpose} v{version}: artifact does not match its sha256"),
            purpose=row.purpose,
            version=row.version,
        )
    return artifact


def active_model(session: Session, purpose: str) -> tuple[ModelVersion, TrainedModel]:
    row = repository.active_version(session, purpose)
    if row is None:
        raise RegistryError(
            N_("no active model for {purpose}: train one and run `arrears model activate`"),
            purpose=echo(purpose),
        )
    return row, load(row)


@dataclass(frozen=True)
class ScoreRun:
    model_version_id: int
    as_of: date
    accounts: int
    by_band: dict[str, int]


def score_accounts(
    session: Session,
    row: ModelVersion,
    model: TrainedModel,
    table: FeatureTable,
    account_ids: Sequence[str],
    as_of: date,
    bands: Bands,
    case_ids: Sequence[str | None] | None = None,
    reason_count: int = 3,
) -> ScoreRun:
    """Score accounts as of a date and keep each score beside the model version; reruns replace."""
    scored, contributions = model.explain(table)
    band_of = bands.assign(scored.score)
    reasons = reasons_for(table.select(model.features), contributions, model.features, reason_count)
    repository.delete_scores(session, row.id, as_of)
    cases = case_ids if case_ids is not None else [None] * len(account_ids)
    records = [
        {
            "account_id": account,
            "case_id": case,
            "as_of": as_of,
            "model_version_id": row.id,
            "score": int(scored.score[i]),
            "probability": float(scored.probability[i]),
            "band": str(band_of[i]),
            "reasons": [r.to_dict() for r in reasons[i]],
        }
        for i, (account, case) in enumerate(zip(account_ids, cases, strict=True))
    ]
    repository.insert_scores(session, records)
    session.flush()
    names, counts = np.unique(band_of, return_counts=True)
    by_band = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
    return ScoreRun(row.id, as_of, len(records), {b: by_band.get(b, 0) for b in bands.names()})
