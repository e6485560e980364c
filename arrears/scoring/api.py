"""The model registry over HTTP: every version's headline figures, and one version's figures
with its reliability table. Thin: parse, declare ``model.read``, call
:mod:`arrears.scoring.model_registry` (which checks it again)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import problem_responses
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.scoring import model_registry
from arrears.scoring.schemas import ModelVersionOut, ModelVersionsOut

router = APIRouter(tags=["models"])

Reader = Annotated[Principal, Depends(requires(Permission.MODEL_READ))]
PURPOSE = r"^[a-z][a-z0-9_]{0,63}$"
PurposeQuery = Annotated[str | None, Query(pattern=PURPOSE, description="Only this purpose's versions")]
PurposePath = Annotated[str, Path(pattern=PURPOSE, description="cure, pay_30d, uplift_contact…")]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/models",
    response_model=ModelVersionsOut,
    responses=problem_responses(400, 403),
    summary="The model registry",
)
def list_models(
    principal: Reader, session: DatabaseSession, purpose: PurposeQuery = None
) -> ModelVersionsOut:
    """Every model version by purpose, newest first: which is active, when and from what it was
    trained, and its headline figures (AUC, Brier score, calibration error; an uplift model's Qini)."""
    rows = model_registry.versions(session, principal, purpose)
    return ModelVersionsOut(models=[ModelVersionOut.of(row, full=False) for row in rows])


@router.get(
    "/models/{purpose}/{version}",
    response_model=ModelVersionOut,
    responses=problem_responses(400, 403, 404),
    summary="One model version, with every figure kept",
)
def get_model(
    purpose: PurposePath, version: VersionPath, principal: Reader, session: DatabaseSession
) -> ModelVersionOut:
    """The version with how it was trained and every figure kept: the cross-validated figures and
    the reliability table (predicted against paid per equal-mass bin) of a scoring model, or an
    uplift model's Qini, each arm's calibration and the bands of its held-out customers."""
    return ModelVersionOut.of(model_registry.version(session, principal, purpose, version), full=True)
