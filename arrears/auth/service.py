"""People, roles and credentials: the rules of users, teams and agencies, sign-in, and turning a
presented secret into a :class:`Principal`.

A secret is 32 random bytes (URL-safe base64); only its SHA-256 is stored, so a copy of the
database signs nobody in. A token or session ends after ``session_idle_minutes`` without use and
``session_max_hours`` in all; an API key lives until revoked. Disabling a user ends every
credential at once (each is marked revoked, and each request checks the user is still active).

Membership rules: collectors and field agents belong to exactly one team, an agency user to
exactly one agency, a customer user to one customer; supervisors lead teams (``team_leaders``);
no other role belongs anywhere. Every change is written to the audit trail with its before and
after, in the caller's transaction; nothing here commits.

Sign-in (:func:`sign_in`) never says whether a name exists: an unknown name, a wrong password, a
disabled user and a machine client get the same refusal, after the same argon2 work. Failed
attempts are counted per name and per client address over a window, in the database (workers
are stateless); past the limit the next attempt is refused with a wait, its password unchecked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, TypeVar

from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, Outcome, record
from arrears.auth import passwords, repository
from arrears.auth.models import Agency, Credential, CredentialKind, Team, User
from arrears.auth.permissions import ROLE_NAMES, Role
from arrears.auth.principal import Principal
from arrears.errors import ArrearsError, ConflictError, InvalidInputError, NotFoundError, echo, one_of
from arrears.i18n import N_, Text

log = logging.getLogger("arrears.auth")

LAST_USED_RESOLUTION = timedelta(seconds=30)
"""A credential's last use is written at most this often (not on every request)."""


class NotSignedInError(ArrearsError):
    """No valid credential: missing, unknown, expired, revoked, or its user disabled."""

    code = "not_signed_in"
    http_status = 401
    exit_code = 4
    default_message = N_("Sign in first: the credential is missing, expired or revoked")
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}
    """RFC 6750: a 401 names the scheme to sign in with."""


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    total: timedelta


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def issue(
    session: Session,
    user: User,
    kind: CredentialKind,
    *,
    now: datetime,
    lifetimes: Lifetimes | None,
    name: str | None = None,
) -> tuple[str, Credential]:
    """A new credential for ``user``: the secret (shown once) and its stored row."""
    secret = new_secret()
    credential = Credential(
        kind=str(kind),
        digest=digest(secret),
        user_id=user.id,
        name=name,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetimes.total if lifetimes else None,
    )
    session.add(credential)
    session.flush()
    return secret, credential


def principal_for(
    session: Session,
    secret: str,
    *,
    kinds: tuple[CredentialKind, ...],
    now: datetime,
    lifetimes: Lifetimes,
    request_id: str | None = None,
    client: str | None = None,
) -> Principal:
    """The principal a presented secret signs in, or NotSignedInError; marks the credential used."""
    credential = repository.credential_by_digest(session, digest(secret))
    if credential is None or credential.kind not in kinds or not _alive(credential, now, lifetimes):
        raise NotSignedInError()
    user = session.get(User, credential.user_id)
    if user is None or not may_sign_in(session, user):
        raise NotSignedInError()
    if now - credential.last_used_at >= LAST_USED_RESOLUTION:
        credential.last_used_at = now
    return principal_of(session, user, credential_id=credential.id, request_id=request_id, client=client)


def principal_of(
    session: Session,
    user: User,
    *,
    credential_id: int | None = None,
    request_id: str | None = None,
    client: str | None = None,
) -> Principal:
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        username=user.username,
        role=role,
        team_id=user.team_id,
        led_team_ids=repository.led_team_ids(session, user.id) if role is Role.SUPERVISOR else frozenset(),
        agency_id=user.agency_id,
        customer_id=user.customer_id,
        language=user.language,
        credential_id=credential_id,
        request_id=request_id,
        client=client,
    )


def _alive(credential: Credential, now: datetime, lifetimes: Lifetimes) -> bool:
    if credential.revoked_at is not None:
        return False
    if credential.expires_at is not None and now >= credential.expires_at:
        return False
    if credential.kind == CredentialKind.API_KEY:
        return True
    # The settings of today bound a credential issued under longer ones, too.
    return now - credential.last_used_at < lifetimes.idle and now - credential.created_at < lifetimes.total


def may_sign_in(session: Session, user: User) -> bool:
    """Whether ``user`` may act at all: active, and their agency (if any) not disabled."""
    if not user.active:
        return False
    if user.agency_id is not None:
        agency = session.get(Agency, user.agency_id)
        return agency is not None and agency.active
    return True


class CsrfError(ArrearsError):
    code = "csrf"
    http_status = 403
    exit_code = 4
    default_message = N_("The form's CSRF token is missing or wrong: reload the page and try again")


def check_csrf(session: Session, principal: Principal, presented: str | None) -> None:
    """Nothing when ``presented`` is the CSRF token of the principal's web session, else CsrfError."""
    credential = session.get(Credential, principal.credential_id) if principal.credential_id else None
    expected = credential.csrf_digest if credential else None
    if not presented or expected is None or not hmac.compare_digest(digest(presented), expected):
        raise CsrfError()


# ---------------------------------------------------------------------------------------------
# Sign-in, sign-out and throttling


class SignInRefusedError(NotSignedInError):
    """The one answer to a wrong password, an unknown name, a disabled user or a machine client."""

    code = "sign_in_refused"
    default_message = N_("The user name or the password is wrong")


class TooManySignInsError(ArrearsError):
    """Too many failed sign-ins for this name or from this address: wait ``retry_after`` seconds."""

    code = "too_many_sign_ins"
    http_status = 429
    exit_code = 3
    default_message = N_("Too many failed sign-ins: try again in {seconds} seconds")

    def __init__(self, retry_after: int) -> None:
        super().__init__(type(self).default_message, seconds=retry_after)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    window: timedelta


@dataclass(frozen=True)
class SignedIn:
    """A granted sign-in: the secret to hand over once, its stored row, and the web session's
    CSRF token (none for a bearer token)."""

    secret: str
    credential: Credential
    user: User
    csrf_token: str | None = None


@dataclass(frozen=True)
class SignInOutcome:
    """What :func:`sign_in` decided. A refusal is returned, not raised, so that the way in commits
    the attempt and its audit entry before it answers with :meth:`result`."""

    granted: SignedIn | None = None
    refusal: ArrearsError | None = None

    def result(self) -> SignedIn:
        """The granted sign-in, or the refusal raised."""
        if self.refusal is not None:
            raise self.refusal
        assert self.granted is not None
        return self.granted


NAME_LENGTH = 64
"""Characters of a user name (and of a client address) kept with an attempt."""


def waiting_time(failures: list[datetime], throttle: Throttle, now: datetime) -> int | None:
    """Seconds until fewer than ``throttle.max_failures`` of ``failures`` (oldest first, all
    within the window) remain in the window; None when there are fewer already."""
    if len(failures) < throttle.max_failures:
        return None
    freeing = failures[len(failures) - throttle.max_failures]
    return max(1, math.ceil((freeing + throttle.window - now).total_seconds()))


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    kind: CredentialKind,
    now: datetime,
    lifetimes: Lifetimes,
    throttle: Throttle,
    client: str,
    request_id: str | None = None,
    replaces: str | None = None,
) -> SignInOutcome:
    """Check a name and password and issue a ``kind`` credential (a token or a web session).

    ``replaces``: the web session the browser presented, revoked on success (session rotation).
    Every attempt is kept for throttling, logged and audited (``auth.sign_in``, ok or refused).
    """
    name = username[:NAME_LENGTH]
    client = (client or "unknown")[:NAME_LENGTH]
    since = now - throttle.window
    waits = [
        wait
        for wait in (
            waiting_time(repository.failures_of_name(session, name, since), throttle, now),
            waiting_time(repository.failures_of_client(session, client, since), throttle, now),
        )
        if wait is not None
    ]
    if waits:
        _sign_in_said(session, name, None, client, request_id, now, "throttled")
        return SignInOutcome(refusal=TooManySignInsError(max(waits)))

    user = repository.user_by_name(session, name) if len(username) <= NAME_LENGTH else None
    stored = user.password_hash if user is not None and not user.is_machine else None
    matches = passwords.verify(stored, password)  # a dummy hash when there is none: the same time
    reason = (
        "unknown_user"
        if user is None
        else "machine_client"
        if user.is_machine
        else "wrong_password"
        if not matches
        else "disabled"
        if not may_sign_in(session, user)
        else None
    )
    repository.add_attempt(session, username=name, client=client, at=now, succeeded=reason is None)
    if reason is not None or user is None or stored is None:
        _sign_in_said(session, name, user, client, request_id, now, reason or "refused")
        return SignInOutcome(refusal=SignInRefusedError())

    if passwords.needs_rehash(stored):
        user.password_hash = passwords.hash_password(password)
    if replaces is not None:
        _revoke_presented(session, replaces, now)
    secret, credential = issue(session, user, kind, now=now, lifetimes=lifetimes)
    csrf_token = None
    if kind == CredentialKind.SESSION:
        csrf_token = new_secret()
        credential.csrf_digest = digest(csrf_token)
    session.flush()
    _sign_in_said(session, name, user, client, request_id, now, None, credential)
    return SignInOutcome(granted=SignedIn(secret, credential, user, csrf_token))


def _revoke_presented(session: Session, secret: str, now: datetime) -> None:
    old = repository.credential_by_digest(session, digest(secret))
    if old is not None and old.kind == CredentialKind.SESSION and old.revoked_at is None:
        old.revoked_at = now


def _sign_in_said(
    session: Session,
    name: str,
    user: User | None,
    client: str,
    request_id: str | None,
    now: datetime,
    refused: str | None,
    credential: Credential | None = None,
) -> None:
    """Log and audit one sign-in attempt (never its password)."""
    actor = Actor(
        user_id=user.id if user is not None else None,
        name=name,
        role=user.role if user is not None else "anonymous",
        request_id=request_id,
        client=client,
    )
    if refused is None and credential is not None:
        log.info("sign-in ok: user=%s client=%s credential=%s", name, client, credential.kind)
        record(
            session,
            actor,
            "auth.sign_in",
            at=now,
            outcome=Outcome.OK,
            object_type="user",
            object_id=str(credential.user_id),
            after={"credential_id": credential.id, "kind": credential.kind},
        )
        return
    log.warning("sign-in refused: user=%s client=%s reason=%s", name, client, refused)
    record(
        session,
        actor,
        "auth.sign_in",
        at=now,
        outcome=Outcome.REFUSED,
        object_type="user",
        object_id=str(user.id) if user is not None else None,
        reason=refused,
    )


def sign_out(session: Session, principal: Principal, *, now: datetime) -> None:
    """Revoke the credential ``principal`` presented (a token or a web session, not an API key)."""
    credential = session.get(Credential, principal.credential_id) if principal.credential_id else None
    if credential is None:
        raise NotSignedInError()
    if credential.kind == CredentialKind.API_KEY:
        raise ConflictError(
            N_("An API key is not signed out: an administrator revokes it with arrears apikeys revoke")
        )
    if credential.revoked_at is None:
        credential.revoked_at = now
    record(
        session,
        principal.actor(),
        "auth.sign_out",
        at=now,
        object_type="credential",
        object_id=str(credential.id),
        after={"kind": credential.kind, "revoked_at": now},
    )


# ---------------------------------------------------------------------------------------------
# Users, teams, agencies, API keys

CustomerExists = Callable[[str], bool]
"""Whether a customer id is in the portfolio (given by the way in: auth does not read portfolio)."""

TEAM_ROLES = frozenset({Role.COLLECTOR, Role.FIELD_AGENT})
LANGUAGES = ("zh-CN", "en")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_MAX = 200


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET
"""A field a change leaves as it is."""


@dataclass(frozen=True)
class UserChanges:
    """What to change of a user; a field left UNSET stays as it is."""

    role: Role | _Unset = UNSET
    active: bool | _Unset = UNSET
    team_id: int | _Unset | None = UNSET
    agency_id: int | _Unset | None = UNSET
    customer_id: str | _Unset | None = UNSET
    display_name: str | _Unset | None = UNSET
    language: str | _Unset | None = UNSET


def parse_role(value: str) -> Role:
    return Role(one_of(value, [str(role) for role in Role], "role"))


def _role_name(role: Role) -> Text:
    return Text.of(ROLE_NAMES[role])


def _check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InvalidInputError(
            N_(
                "{value} cannot be a user name: 1 to 64 letters, digits and . _ @ -, "
                "starting with a letter or a digit"
            ),
            value=repr(echo(username)),
        )
    return username


def _check_code(code: str) -> str:
    if not _CODE.match(code):
        raise InvalidInputError(
            N_(
                "{value} cannot be a code: 1 to 64 letters, digits and . _ -, "
                "starting with a letter or a digit"
            ),
            value=repr(echo(code)),
        )
    return code


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInputError(N_("A name must have 1 to {maximum} characters"), maximum=NAME_MAX)
    return name


def _check_display_name(name: str | None) -> str | None:
    return None if name is None or not name.strip() else _check_name(name)


def _check_language(language: str | None) -> str | None:
    return None if language is None else one_of(language, LANGUAGES, "language")


Found = TypeVar("Found")


def _found(thing: Found | None, message: str, **params: Any) -> Found:
    """``thing``, or NotFoundError with ``message`` when there is none."""
    if thing is None:
        raise NotFoundError(message, **params)
    return thing


def user_named(session: Session, username: str) -> User:
    return _found(
        repository.user_by_name(session, username),
        N_("There is no user named {name}"),
        name=repr(echo(username)),
    )


def user_with_id(session: Session, user_id: int) -> User:
    return _found(repository.user_by_id(session, user_id), N_("There is no user with id {id}"), id=user_id)


def team_coded(session: Session, code: str) -> Team:
    return _found(
        repository.team_by_code(session, code), N_("There is no team with code {code}"), code=repr(echo(code))
    )


def team_with_id(session: Session, team_id: int) -> Team:
    return _found(repository.team_by_id(session, team_id), N_("There is no team with id {id}"), id=team_id)


def agency_coded(session: Session, code: str) -> Agency:
    return _found(
        repository.agency_by_code(session, code),
        N_("There is no agency with code {code}"),
        code=repr(echo(code)),
    )


def agency_with_id(session: Session, agency_id: int) -> Agency:
    return _found(
        repository.agency_by_id(session, agency_id), N_("There is no agency with id {id}"), id=agency_id
    )


def _check_membership(
    session: Session,
    role: Role,
    team_id: int | None,
    agency_id: int | None,
    customer_id: str | None,
    customer_exists: CustomerExists,
) -> None:
    """The membership rules of ``role``; a team, agency or customer named must exist."""
    if role in TEAM_ROLES and team_id is None:
        raise InvalidInputError(N_("A {role} must belong to exactly one team"), role=_role_name(role))
    if role not in TEAM_ROLES and team_id is not None:
        raise InvalidInputError(
            N_("A {role} belongs to no team: only collectors and field agents do (supervisors lead teams)"),
            role=_role_name(role),
        )
    if role is Role.AGENCY_USER and agency_id is None:
        raise InvalidInputError(N_("An agency user must belong to exactly one agency"))
    if role is not Role.AGENCY_USER and agency_id is not None:
        raise InvalidInputError(
            N_("A {role} belongs to no agency: only agency users do"), role=_role_name(role)
        )
    if role is Role.CUSTOMER and customer_id is None:
        raise InvalidInputError(N_("A customer user must be bound to one customer"))
    if role is not Role.CUSTOMER and customer_id is not None:
        raise InvalidInputError(
            N_("A {role} is bound to no customer: only customer users are"), role=_role_name(role)
        )
    if team_id is not None and repository.team_by_id(session, team_id) is None:
        raise InvalidInputError(N_("There is no team with id {id}"), id=team_id)
    if agency_id is not None and repository.agency_by_id(session, agency_id) is None:
        raise InvalidInputError(N_("There is no agency with id {id}"), id=agency_id)
    if customer_id is not None and not customer_exists(customer_id):
        raise InvalidInputError(N_("There is no customer {customer}"), customer=repr(echo(customer_id)))


def snapshot(session: Session, user: User) -> dict[str, Any]:
    """A user as the audit trail records them before and after a change (never a password)."""
    team_codes = repository.team_codes(session, [user.team_id] if user.team_id is not None else [])
    agency_codes = repository.agency_codes(session, [user.agency_id] if user.agency_id is not None else [])
    led = repository.led_team_ids(session, user.id) if user.id is not None else frozenset()
    led_codes = repository.team_codes(session, led)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": bool(user.active),
        "machine": bool(user.is_machine),
        "team": team_codes.get(user.team_id) if user.team_id is not None else None,
        "agency": agency_codes.get(user.agency_id) if user.agency_id is not None else None,
        "customer_id": user.customer_id,
        "language": user.language,
        "leads": ",".join(sorted(led_codes.values())) or None,
    }


def _audit_user(
    session: Session,
    actor: Actor,
    action: str,
    user: User,
    *,
    now: datetime,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    record(
        session,
        actor,
        action,
        at=now,
        object_type="user",
        object_id=str(user.id),
        customer_id=user.customer_id,
        before=before,
        after=after,
    )


def create_user(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    username: str,
    role: Role,
    password: str | None,
    customer_exists: CustomerExists,
    team_id: int | None = None,
    agency_id: int | None = None,
    customer_id: str | None = None,
    display_name: str | None = None,
    language: str | None = None,
    machine: bool = False,
) -> User:
    """A new person (with a password that meets the policy) or machine client (none)."""
    _check_username(username)
    if repository.user_by_name(session, username) is not None:
        raise ConflictError(N_("A user named {name} exists already"), name=repr(username))
    _check_membership(session, role, team_id, agency_id, customer_id, customer_exists)
    if machine:
        password_hash = None
    else:
        if password is None:
            raise InvalidInputError(N_("A person needs a password"))
        passwords.check_policy(password, username)
        password_hash = passwords.hash_password(password)
    user = User(
        username=username,
        display_name=_check_display_name(display_name),
        role=str(role),
        password_hash=password_hash,
        is_machine=machine,
        team_id=team_id,
        agency_id=agency_id,
        customer_id=customer_id,
        language=_check_language(language),
        active=True,
        created_at=now,
        password_changed_at=None if machine else now,
    )
    session.add(user)
    session.flush()
    _audit_user(session, actor, "user.create", user, now=now, before=None, after=snapshot(session, user))
    return user


def _last_administrator(session: Session, user: User) -> None:
    """ConflictError when ``user`` is the last active administrator (someone must manage users)."""
    if (
        user.role == Role.ADMINISTRATOR
        and user.active
        and not user.is_machine
        and repository.active_administrators(session) <= 1
    ):
        raise ConflictError(
            N_("{name} is the last active administrator: make another administrator first"),
            name=repr(user.username),
        )


def update_user(
    session: Session,
    actor: Actor,
    user: User,
    changes: UserChanges,
    *,
    now: datetime,
    customer_exists: CustomerExists,
) -> User:
    """Change a user's role, membership, state, display name or language, by the rules.

    On a role change, a team, agency or customer the new role does not take is dropped, and a
    supervisor who is no longer one leads no team. Disabling revokes every credential at once."""
    before = snapshot(session, user)
    role = Role(user.role) if isinstance(changes.role, _Unset) else changes.role
    role_changed = role != Role(user.role)
    disabling = changes.active is False and user.active
    if (role_changed and Role(user.role) is Role.ADMINISTRATOR) or disabling:
        _last_administrator(session, user)

    def value(given: Any, current: Any, takes: bool) -> Any:
        if not isinstance(given, _Unset):
            return given
        return current if takes or not role_changed else None

    team_id = value(changes.team_id, user.team_id, role in TEAM_ROLES)
    agency_id = value(changes.agency_id, user.agency_id, role is Role.AGENCY_USER)
    customer_id = value(changes.customer_id, user.customer_id, role is Role.CUSTOMER)
    _check_membership(session, role, team_id, agency_id, customer_id, customer_exists)
    user.role = str(role)
    user.team_id, user.agency_id, user.customer_id = team_id, agency_id, customer_id
    if role_changed and role is not Role.SUPERVISOR:
        repository.remove_leaderships(session, user.id)
    if not isinstance(changes.display_name, _Unset):
        user.display_name = _check_display_name(changes.display_name)
    if not isinstance(changes.language, _Unset):
        user.language = _check_language(changes.language)
    if not isinstance(changes.active, _Unset):
        user.active = changes.active
    if disabling:
        repository.revoke_credentials(session, user.id, now)
    session.flush()
    after = snapshot(session, user)
    if after != before:
        _audit_user(session, actor, "user.update", user, now=now, before=before, after=after)
    return user


def set_password(session: Session, actor: Actor, user: User, password: str, *, now: datetime) -> None:
    """A new password for a person; their tokens and web sessions end (API keys are machines')."""
    if user.is_machine:
        raise ConflictError(
            N_("{name} is a machine client: it signs in with an API key, not a password"),
            name=repr(user.username),
        )
    passwords.check_policy(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    ended = repository.revoke_credentials(
        session, user.id, now, kinds=(str(CredentialKind.TOKEN), str(CredentialKind.SESSION))
    )
    session.flush()
    _audit_user(
        session,
        actor,
        "user.password_set",
        user,
        now=now,
        before=None,
        after={"password_changed_at": now, "credentials_revoked": ended},
    )


def move_to_team(session: Session, actor: Actor, user: User, team: Team, *, now: datetime) -> User:
    """A collector or field agent moved to another team."""
    if Role(user.role) not in TEAM_ROLES:
        raise InvalidInputError(
            N_("Only collectors and field agents belong to a team; {name} is a {role}"),
            name=repr(user.username),
            role=_role_name(Role(user.role)),
        )
    return update_user(
        session, actor, user, UserChanges(team_id=team.id), now=now, customer_exists=lambda _: False
    )


def _team_snapshot(session: Session, team: Team) -> dict[str, Any]:
    names = [name for _, name in repository.leaders(session, [team.id])[team.id]]
    return {"code": team.code, "name": team.name, "leaders": ",".join(names) or None}


def create_team(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    code: str,
    name: str,
    leaders: list[User] | None = None,
) -> Team:
    _check_code(code)
    if repository.team_by_code(session, code) is not None:
        raise ConflictError(N_("A team with code {code} exists already"), code=repr(code))
    team = Team(code=code, name=_check_name(name), created_at=now)
    session.add(team)
    session.flush()
    for leader in leaders or []:
        _check_leader(leader)
        repository.add_leader(session, team.id, leader.id)
    record(
        session,
        actor,
        "team.create",
        at=now,
        object_type="team",
        object_id=str(team.id),
        after=_team_snapshot(session, team),
    )
    return team


def _check_leader(user: User) -> None:
    if Role(user.role) is not Role.SUPERVISOR or user.is_machine:
        raise InvalidInputError(
            N_("Only a supervisor leads a team; {name} is a {role}"),
            name=repr(user.username),
            role=_role_name(Role(user.role)),
        )


def add_leader(session: Session, actor: Actor, team: Team, user: User, *, now: datetime) -> Team:
    """``user`` (a supervisor) leads ``team`` too; nothing changes when they already do."""
    _check_leader(user)
    before = _team_snapshot(session, team)
    if repository.add_leader(session, team.id, user.id):
        record(
            session,
            actor,
            "team.leader_add",
            at=now,
            object_type="team",
            object_id=str(team.id),
            before=before,
            after=_team_snapshot(session, team),
        )
    return team


def _agency_snapshot(agency: Agency) -> dict[str, Any]:
    return {"code": agency.code, "name": agency.name, "active": bool(agency.active)}


def create_agency(session: Session, actor: Actor, *, now: datetime, code: str, name: str) -> Agency:
    _check_code(code)
    if repository.agency_by_code(session, code) is not None:
        raise ConflictError(N_("An agency with code {code} exists already"), code=repr(code))
    agency = Agency(code=code, name=_check_name(name), active=True, created_at=now)
    session.add(agency)
    session.flush()
    record(
        session,
        actor,
        "agency.create",
        at=now,
        object_type="agency",
        object_id=str(agency.id),
        after=_agency_snapshot(agency),
    )
    return agency


def update_agency(
    session: Session,
    actor: Actor,
    agency: Agency,
    *,
    now: datetime,
    name: str | None = None,
    active: bool | None = None,
) -> Agency:
    """Rename, disable or enable an agency. Disabling ends its users' credentials at once (and
    they cannot sign in while it stays disabled)."""
    before = _agency_snapshot(agency)
    if name is not None:
        agency.name = _check_name(name)
    if active is not None:
        if agency.active and not active:
            for user in repository.users_of_agency(session, agency.id):
                repository.revoke_credentials(session, user.id, now)
        agency.active = active
    session.flush()
    after = _agency_snapshot(agency)
    if after != before:
        record(
            session,
            actor,
            "agency.update",
            at=now,
            object_type="agency",
            object_id=str(agency.id),
            before=before,
            after=after,
        )
    return agency


def create_api_key(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    name: str,
    role: Role,
    customer_exists: CustomerExists,
    team_id: int | None = None,
    agency_id: int | None = None,
) -> tuple[str, User]:
    """A machine client ``name`` of ``role`` and its API key (the secret, shown once). A machine
    client whose key was revoked gets a new one (and the role given)."""
    existing = repository.user_by_name(session, name)
    if existing is not None and not existing.is_machine:
        raise ConflictError(N_("A user named {name} exists already"), name=repr(name))
    if existing is not None and existing.active:
        raise ConflictError(
            N_("The machine client {name} has a key already: revoke it first"), name=repr(name)
        )
    if existing is None:
        user = create_user(
            session,
            actor,
            now=now,
            username=name,
            role=role,
            password=None,
            machine=True,
            team_id=team_id,
            agency_id=agency_id,
            customer_exists=customer_exists,
        )
    else:
        user = update_user(
            session,
            actor,
            existing,
            UserChanges(role=role, active=True, team_id=team_id, agency_id=agency_id),
            now=now,
            customer_exists=customer_exists,
        )
    secret, credential = issue(session, user, CredentialKind.API_KEY, now=now, lifetimes=None, name=name)
    record(
        session,
        actor,
        "apikey.create",
        at=now,
        object_type="credential",
        object_id=str(credential.id),
        after={"machine": name, "role": str(role)},
    )
    return secret, user


def revoke_api_key(session: Session, actor: Actor, user: User, *, now: datetime) -> int:
    """End the API keys of machine client ``user`` and disable it; how many keys ended."""
    if not user.is_machine:
        raise InvalidInputError(
            N_("{name} is a person, not a machine client: disable it with arrears users disable"),
            name=repr(user.username),
        )
    ended = repository.revoke_credentials(session, user.id, now, kinds=(str(CredentialKind.API_KEY),))
    user.active = False
    session.flush()
    record(
        session,
        actor,
        "apikey.revoke",
        at=now,
        object_type="user",
        object_id=str(user.id),
        after={"machine": user.username, "keys_revoked": ended},
    )
    return ended


# ---------------------------------------------------------------------------------------------
# The customer's portal: a session opened by a one-time code (arrears.channels.portal_codes)


def customer_user(session: Session, customer_id: str, *, now: datetime, language: str | None) -> User:
    """The portal user of ``customer_id`` (role customer, bound to the customer, no password:
    they sign in only with a one-time code), made at their first sign-in, audited
    ``user.create`` as the portal."""
    user = repository.customer_user(session, customer_id)
    if user is not None:
        return user
    name = f"customer.{customer_id}"
    if not _USERNAME.match(name):
        name = f"customer.{digest(customer_id)[:40]}"
    user = User(
        username=name,
        role=str(Role.CUSTOMER),
        password_hash=None,
        is_machine=False,
        customer_id=customer_id,
        language=_check_language(language) if language in LANGUAGES else None,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        PORTAL,
        "user.create",
        at=now,
        object_type="user",
        object_id=str(user.id),
        customer_id=customer_id,
        after={"username": user.username, "role": user.role, "customer_id": customer_id},
    )
    return user


PORTAL = Actor(user_id=None, name="portal", role="system")
"""Who acts before a customer is signed in to the portal."""


def open_customer_session(
    session: Session,
    user: User,
    *,
    now: datetime,
    lifetimes: Lifetimes,
    client: str,
    request_id: str | None = None,
    replaces: str | None = None,
) -> SignedIn:
    """A web session for a customer whose one-time code was right: the same credential, CSRF
    token and audit entry (``auth.sign_in``) as a staff member's sign-in; ``replaces`` (the
    session the browser presented) is revoked."""
    if replaces is not None:
        _revoke_presented(session, replaces, now)
    secret, credential = issue(session, user, CredentialKind.SESSION, now=now, lifetimes=lifetimes)
    csrf_token = new_secret()
    credential.csrf_digest = digest(csrf_token)
    session.flush()
    _sign_in_said(
        session, user.username, user, (client or "unknown")[:NAME_LENGTH], request_id, now, None, credential
    )
    return SignedIn(secret, credential, user, csrf_token)
