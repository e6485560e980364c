"""Routes of the auth context under /api/v1: sign-in, sign-out, who am I; users, teams, agencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from arrears.api.access import signed_in
from arrears.auth.principal import Principal

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    user_id: int
    username: str
    role: str
    team_id: int | None
    led_team_ids: list[int]
    agency_id: int | None
    customer_id: str | None
    language: str | None
    permissions: list[str]


@router.get("/auth/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(signed_in)]) -> Me:
    """Who the credential signs in, and what their role allows."""
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        role=str(principal.role),
        team_id=principal.team_id,
        led_team_ids=sorted(principal.led_team_ids),
        agency_id=principal.agency_id,
        customer_id=principal.customer_id,
        language=principal.language,
        permissions=sorted(str(p) for p in principal.permissions),
    )
