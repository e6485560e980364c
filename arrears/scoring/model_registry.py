"""The model registry as its readers see it (issue #15 §5: every model's calibration error and
reliability beside its AUC): the versions of every purpose, and one version's figures.

The service entries of the API's routes (GET /api/v1/models[/{purpose}/{version}]) and the
pages (/models): each checks ``model.read``. The figures are those kept when the model was
trained (:mod:`arrears.scoring.report`, :mod:`arrears.scoring.uplift`); nothing personal is in
them, so a look is not audited. The model's bytes are never read here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from arrears.audit.trail import Actor
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, check_permission
from arrears.errors import NotFoundError
from arrears.i18n import N_
from arrears.scoring.models import ModelVersion
from arrears.scoring.uplift import KIND as UPLIFT_KIND


class ModelVersionNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No model {purpose} version {version}")


def versions(session: Session, who: Principal | Actor, purpose: str | None = None) -> list[ModelVersion]:
    """Every version (of ``purpose``), by purpose, newest first."""
    check_permission(who, Permission.MODEL_READ)
    query = (
        select(ModelVersion)
        .options(defer(ModelVersion.artifact, raiseload=True))
        .order_by(ModelVersion.purpose, ModelVersion.version.desc())
    )
    if purpose is not None:
        query = query.where(ModelVersion.purpose == purpose)
    return list(session.scalars(query))


def version(session: Session, who: Principal | Actor, purpose: str, number: int) -> ModelVersion:
    check_permission(who, Permission.MODEL_READ)
    row = session.scalar(
        select(ModelVersion)
        .options(defer(ModelVersion.artifact, raiseload=True))
        .where(ModelVersion.purpose == purpose, ModelVersion.version == number)
    )
    if row is None:
        raise ModelVersionNotFoundError(purpose=purpose, version=number)
    return row


def headline(row: ModelVersion) -> dict[str, float | None]:
    """The figures a list shows: a scoring model's cross-validated AUC, Brier score and ECE; an
    uplift model's held-out Qini and its arms' worse out-of-fold Brier score and ECE. None where
    the version was stored without them (trained without cross-validation)."""
    metrics = row.metrics or {}
    if row.kind == UPLIFT_KIND:
        arms = list((metrics.get("calibration") or {}).values())
        return {
            "auc": None,
            "brier": max((float(arm["brier"]) for arm in arms), default=None),
            "ece": max((float(arm["ece"]) for arm in arms), default=None),
            "qini": _number(metrics.get("qini_held_out")),
        }
    overall = metrics.get("overall") or {}
    return {
        "auc": _number(overall.get("auc")),
        "brier": _number(overall.get("brier")),
        "ece": _number(overall.get("ece")),
        "qini": None,
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
