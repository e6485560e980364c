"""The caller: who acts, with which role, in which teams or agency, and what they may see.

Built once per request (or command) from a verified credential; services take it instead of a
user id so that the permission and the scope travel with every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arrears.audit.trail import Actor
from arrears.auth.permissions import (
    REVEAL,
    ROLE_PERMISSIONS,
    ROLE_SCOPES,
    SEE,
    Permission,
    PersonalField,
    Role,
    Scope,
    require,
)


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    team_id: int | None = None
    led_team_ids: frozenset[int] = field(default_factory=frozenset)
    agency_id: int | None = None
    customer_id: str | None = None
    language: str | None = None
    credential_id: int | None = None
    request_id: str | None = None
    client: str | None = None

    @property
    def scope(self) -> Scope:
        return ROLE_SCOPES[self.role]

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Nothing when the role holds ``permission``, else PermissionDeniedError (403)."""
        require(self.role, permission)

    def sees(self, personal: PersonalField) -> bool:
        """Whether this caller sees ``personal`` in full (else masked)."""
        return SEE[personal] in self.permissions

    def may_reveal(self, personal: PersonalField) -> bool:
        return REVEAL[personal] in self.permissions

    def actor(self) -> Actor:
        """This caller as the audit trail records them."""
        return Actor(
            user_id=self.user_id,
            name=self.username,
            role=str(self.role),
            request_id=self.request_id,
            client=self.client,
        )


def check_permission(who: Principal | Actor, permission: Permission) -> None:
    """A service entry's permission check: a person must hold ``permission``; the command line
    and the system (an :class:`Actor`) are trusted as the operating-system user who ran them."""
    if isinstance(who, Principal):
        who.require(permission)


def actor_of(who: Principal | Actor) -> Actor:
    """Who goes on the audit trail for ``who``."""
    return who.actor() if isinstance(who, Principal) else who
