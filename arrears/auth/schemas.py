"""API shapes of the auth context: sign-in answers, users, teams and agencies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from arrears.auth.permissions import Role

Language = Literal["zh-CN", "en"]


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


class TokenAnswer(BaseModel):
    """An opaque bearer token (RFC 6750), to send as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(
        description=(
            "Seconds the token lives without use (each use renews it, up to the absolute end of "
            "session_max_hours after sign-in)"
        )
    )


class SessionAnswer(BaseModel):
    """A web session: its id is in the ``arrears_session`` cookie (HttpOnly), never in the body."""

    csrf_token: str = Field(description="Send it in the X-CSRF-Token header of every state-changing request")
    expires_in: int = Field(description="Seconds the session lives without use")
    username: str
    role: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    machine: bool = Field(description="A machine client (signs in with an API key only)")
    team_id: int | None
    agency_id: int | None
    customer_id: str | None
    language: str | None
    active: bool
    led_team_ids: list[int]
    created_at: datetime
    password_changed_at: datetime | None


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = Field(
        description="Pass it back as ?cursor= for the next page; none: this was the last page"
    )


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    role: Role
    password: SecretStr = Field(
        description="At least 12 characters, not a common password, not the user name; never echoed"
    )
    team_id: int | None = Field(default=None, description="Collectors and field agents: their team")
    agency_id: int | None = Field(default=None, description="Agency users: their agency")
    customer_id: str | None = Field(default=None, description="Customer users: their customer")
    display_name: str | None = Field(default=None, max_length=200)
    language: Language | None = None


class UserPatch(BaseModel):
    """The fields to change; a field left out stays as it is (null clears team, agency, customer,
    display name or language)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = Field(
        default=None, description="false disables the user and revokes their credentials"
    )
    team_id: int | None = None
    agency_id: int | None = None
    customer_id: str | None = None
    display_name: str | None = Field(default=None, max_length=200)
    language: Language | None = None


class Leader(BaseModel):
    user_id: int
    username: str


class TeamOut(BaseModel):
    id: int
    code: str
    name: str
    leaders: list[Leader]
    members: int = Field(description="Collectors and field agents in the team")
    created_at: datetime


class TeamList(BaseModel):
    items: list[TeamOut]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    leader_ids: list[int] = Field(default_factory=list, description="Supervisors who lead it")


class LeaderAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(description="A supervisor")


class AgencyOut(BaseModel):
    id: int
    code: str
    name: str
    active: bool
    created_at: datetime


class AgencyList(BaseModel):
    items: list[AgencyOut]


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class AgencyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = Field(
        default=None, description="false disables the agency: its users' credentials end at once"
    )
