"""The model registry's API shapes (GET /api/v1/models[/{purpose}/{version}])."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from arrears.scoring import model_registry
from arrears.scoring.models import ModelVersion


class HeadlineOut(BaseModel):
    """The figures a list shows, held out or out of fold (none: not measured)."""

    auc: float | None = Field(description="ROC AUC (an uplift model: none, see qini)")
    brier: float | None
    ece: float | None = Field(
        description="Expected calibration error, 10 equal-mass bins (uplift: the worse arm)"
    )
    qini: float | None = Field(description="An uplift model's Qini coefficient on its held-out customers")


class ModelVersionOut(BaseModel):
    purpose: str = Field(description="What it predicts: cure, pay_30d, uplift_contact…")
    version: int
    kind: str = Field(description="boosting, scorecard or uplift")
    is_active: bool
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    training_source: str
    training_from: date | None
    training_to: date | None
    features: list[str]
    headline: HeadlineOut
    parameters: dict[str, Any] | None = Field(
        default=None, description="How it was trained (one version's answer)"
    )
    metrics: dict[str, Any] | None = Field(
        default=None,
        description="Every figure kept: cross-validated AUC, KS, Brier, ECE and its floor, the reliability "
        "table; an uplift model's Qini, each arm's calibration and the bands (one version's answer)",
    )
    data_checksum: str | None = Field(
        default=None, description="sha256 of the training data (one version's answer)"
    )
    code_version: str | None = None

    @classmethod
    def of(cls, row: ModelVersion, *, full: bool) -> ModelVersionOut:
        found = cls(
            purpose=row.purpose,
            version=row.version,
            kind=row.kind,
            is_active=row.is_active,
            created_at=row.created_at,
            created_by=row.created_by,
            activated_at=row.activated_at,
            training_source=row.training_source,
            training_from=row.training_from,
            training_to=row.training_to,
            features=list(row.features),
            headline=HeadlineOut(**model_registry.headline(row)),
        )
        if full:
            found.parameters = row.parameters
            found.metrics = row.metrics
            found.data_checksum = row.data_checksum
            found.code_version = row.code_version
        return found


class ModelVersionsOut(BaseModel):
    models: list[ModelVersionOut] = Field(description="By purpose, newest version first")
