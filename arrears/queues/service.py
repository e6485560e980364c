"""The supervisor's side of queues: queue sets (draft, preview, activate), the queues with their
sizes, collector profiles, and retention (留案). Never commits; the way in owns the transaction.

Every write leaves an audit entry (the actor, the values before and after, the reason)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth import repository as people
from arrears.auth.models import User
from arrears.auth.permissions import Permission, Role, Scope
from arrears.auth.principal import Principal, actor_of, check_permission
from arrears.cases.models import Case, CaseAssignment, CaseStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError, checked_reason
from arrears.concurrency import check_version
from arrears.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from arrears.i18n import N_
from arrears.queues import planner, repository
from arrears.queues.models import CollectorProfile, QueueSet, QueueSetStatus, Retention
from arrears.queues.planner import Plan
from arrears.queues.rules import QueueSetDocument, parse_document

MAX_RETENTION_DAYS = 90
MAX_DOCUMENT = 200_000
"""Characters a queue set document may have."""


class QueueSetNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No queue set {number}")


class QueueSetNotDraftError(ConflictError):
    code = "queue_set_not_draft"
    default_message = N_("Queue set {number} is {status}: only a draft is activated")


class UnknownTeamError(InvalidInputError):
    code = "unknown_team"
    default_message = N_("Queue {queue} names team {team}, which does not exist")


class TeamNotLedError(PermissionDeniedError):
    code = "team_not_led"
    default_message = N_("Only a supervisor leading the case's team may retain or release it")


class NotRetainableError(ConflictError):
    code = "not_retainable"
    default_message = N_("Case {case_id} has no collector to keep it with")


class NoRetentionError(NotFoundError):
    code = "not_found"
    default_message = N_("Case {case_id} is not retained")


class NotCollectorError(NotFoundError):
    code = "not_found"
    default_message = N_("No collector with id {user_id}")


# ---- queue sets ----


def draft(
    session: Session, who: Principal | Actor, text: str, source: str, *, note: str | None, now: datetime
) -> QueueSet:
    """Store a queue set as a draft, after checking the document and its teams."""
    check_permission(who, Permission.QUEUE_MANAGE)
    if len(text) > MAX_DOCUMENT:
        raise InvalidInputError(N_("A queue set has at most {maximum} characters"), maximum=MAX_DOCUMENT)
    document = parse_document(text, source)
    teams = repository.resolve_teams(session, document)
    for queue in document.queues:
        if str(queue.team) not in teams:
            raise UnknownTeamError(queue=queue.code, team=str(queue.team))
    row = QueueSet(
        number=repository.next_number(session),
        document=text,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        status=str(QueueSetStatus.DRAFT),
        note=note,
        created_at=now,
        created_by=who.user_id,
    )
    repository.add(session, row)
    record(
        session,
        actor_of(who),
        "queue_set.draft",
        at=now,
        object_type="queue_set",
        object_id=str(row.number),
        after={
            "number": row.number,
            "digest": row.digest,
            "queues": ",".join(q.code for q in document.queues),
        },
        reason=note,
    )
    return row


def queue_sets(session: Session, principal: Principal) -> list[QueueSet]:
    principal.require(Permission.QUEUE_READ)
    return list(repository.queue_sets(session))


def queue_set(session: Session, who: Principal | Actor, number: int) -> QueueSet:
    check_permission(who, Permission.QUEUE_READ)
    row = repository.queue_set(session, number)
    if row is None:
        raise QueueSetNotFoundError(number=number)
    return row


def preview(session: Session, who: Principal | Actor, number: int, today: date) -> Plan:
    """What the queue set would do to today's open cases: each queue's cases, and how many cases
    would change queue and collector (computed as the nightly step does, written nowhere)."""
    row = queue_set(session, who, number)
    document = repository.document_of(row)
    teams = repository.resolve_teams(session, document)
    for queue in document.queues:
        if str(queue.team) not in teams:
            raise UnknownTeamError(queue=queue.code, team=str(queue.team))
    connection = session.connection()
    planner.prepare(connection)
    try:
        return planner.plan(connection, document, teams, row.number, today)
    finally:
        planner.finish(connection)


def activate(
    session: Session, who: Principal | Actor, number: int, *, expected: int | None, now: datetime
) -> QueueSet:
    """Make a draft the active queue set (the previous one retires); the next night applies it."""
    check_permission(who, Permission.QUEUE_MANAGE)
    row = repository.queue_set(session, number)
    if row is None:
        raise QueueSetNotFoundError(number=number)
    check_version(row, expected, N_("queue set"), number)
    if row.status != QueueSetStatus.DRAFT:
        raise QueueSetNotDraftError(number=number, status=row.status)
    previous = repository.active_set(session)
    repository.retire_active(session)
    row.status = str(QueueSetStatus.ACTIVE)
    row.activated_at = now
    row.activated_by = who.user_id
    session.flush()
    record(
        session,
        actor_of(who),
        "queue_set.activate",
        at=now,
        object_type="queue_set",
        object_id=str(number),
        before=None if previous is None else {"active": previous.number},
        after={"active": number, "digest": row.digest},
    )
    return row


def document(row: QueueSet) -> QueueSetDocument:
    return repository.document_of(row)


# ---- the queues and their sizes ----


@dataclass(frozen=True)
class QueueSize:
    team_id: int
    queue: str
    currency: str
    cases: int
    overdue: int
    mean_dpd: float
    oldest_entry: date | None


def queues(session: Session, principal: Principal, today: date) -> tuple[QueueSet | None, list[QueueSize]]:
    """The queues one works (queue.work): the active set and its queues' sizes the caller sees:
    their teams' (a supervisor), their own cases in their team's queues (a collector)."""
    principal.require(Permission.QUEUE_WORK)
    return _sizes(session, principal)


def overview(session: Session, principal: Principal, today: date) -> tuple[QueueSet | None, list[QueueSize]]:
    """The queues one watches (queue.read): the same sizes, for a reader of the queues who works
    none (an analyst or a compliance officer sees every team's)."""
    principal.require(Permission.QUEUE_READ)
    return _sizes(session, principal)


def _sizes(session: Session, principal: Principal) -> tuple[QueueSet | None, list[QueueSize]]:
    """The active set and its queues' sizes within the caller's scope: every team's (an
    unscoped reader), their teams' (a supervisor), their own cases (a collector)."""
    active = repository.active_set(session)
    if active is None:
        return None, []
    scope = principal.scope
    team_ids: list[int] | None
    collector_id: int | None = None
    if scope is Scope.ALL:
        team_ids = None
    elif scope is Scope.LED_TEAMS:
        team_ids = sorted(principal.led_team_ids)
    elif scope is Scope.TEAM and principal.team_id is not None:
        team_ids, collector_id = [principal.team_id], principal.user_id
    else:
        team_ids = []
    rows = repository.queue_sizes(session, team_ids, collector_id)
    return active, [
        QueueSize(
            team_id=row[0],
            queue=row[1],
            currency=row[2],
            cases=int(row[3]),
            overdue=int(row[4] or 0),
            mean_dpd=float(row[5] or 0),
            oldest_entry=row[6],
        )
        for row in rows
    ]


# ---- collector profiles ----


def _collector(session: Session, principal: Principal, user_id: int) -> User:
    user = people.user_by_id(session, user_id)
    if user is None or user.role != Role.COLLECTOR:
        raise NotCollectorError(user_id=user_id)
    if principal.scope is Scope.LED_TEAMS and user.team_id not in principal.led_team_ids:
        raise NotCollectorError(user_id=user_id)
    if principal.scope is not Scope.ALL and principal.scope is not Scope.LED_TEAMS:
        raise NotCollectorError(user_id=user_id)
    return user


def profile(session: Session, principal: Principal, user_id: int) -> CollectorProfile | None:
    """A collector's profile (None: none yet: any language and product, the set's default capacity)."""
    principal.require(Permission.QUEUE_READ)
    _collector(session, principal, user_id)
    return repository.profile(session, user_id)


def set_profile(
    session: Session,
    who: Principal | Actor,
    user_id: int,
    *,
    languages: list[str],
    products: list[str],
    capacity: int,
    expected: int | None,
    now: datetime,
) -> CollectorProfile:
    """Write a collector's languages, products and capacity (If-Match: the version read)."""
    if isinstance(who, Principal):
        who.require(Permission.QUEUE_MANAGE)
        _collector(session, who, user_id)
    else:
        user = people.user_by_id(session, user_id)
        if user is None or user.role != Role.COLLECTOR:
            raise NotCollectorError(user_id=user_id)
    if capacity < 0 or capacity > 1_000_000:
        raise InvalidInputError(N_("A capacity is between 0 and 1000000 open cases"))
    found = repository.profile(session, user_id)
    before = None
    if found is None:
        if expected is not None:
            check_version(CollectorProfile(version=0), expected, N_("collector profile"), user_id)
        found = CollectorProfile(
            user_id=user_id,
            languages=sorted(set(languages)),
            products=sorted(set(products)),
            capacity=capacity,
            updated_at=now,
            updated_by=who.user_id,
        )
        repository.add(session, found)
    else:
        check_version(found, expected, N_("collector profile"), user_id)
        before = _shown(found)
        found.languages = sorted(set(languages))
        found.products = sorted(set(products))
        found.capacity = capacity
        found.updated_at = now
        found.updated_by = who.user_id
        session.flush()
    record(
        session,
        actor_of(who),
        "collector.profile",
        at=now,
        object_type="user",
        object_id=str(user_id),
        before=before,
        after=_shown(found),
    )
    return found


def _shown(row: CollectorProfile) -> dict[str, object]:
    return {
        "languages": ",".join(row.languages),
        "products": ",".join(row.products),
        "capacity": row.capacity,
    }


# ---- retention (留案) ----


def retain(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    days: int,
    reason: str,
    now: datetime,
    today: date,
) -> Retention:
    """Keep a case with its collector for ``days`` business days (today counted): no nightly rule
    moves it meanwhile. A retention standing is replaced (its end moved)."""
    principal.require(Permission.QUEUE_MANAGE)
    reason = checked_reason(reason)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise InvalidInputError(N_("A case is retained for 1 to {maximum} days"), maximum=MAX_RETENTION_DAYS)
    case, current = _led_case(session, principal, case_id, today)
    if case.status != CaseStatus.OPEN or current is None or current.collector_id is None:
        raise NotRetainableError(case_id=case_id)
    standing = repository.active_retention(session, case_id, today)
    repository.release_retentions(session, case_id, today, now)
    row = Retention(
        case_id=case_id,
        collector_id=current.collector_id,
        until=today + timedelta(days=days - 1),
        reason=reason,
        created_at=now,
        created_by=principal.user_id,
    )
    repository.add(session, row)
    record(
        session,
        principal.actor(),
        "case.retain",
        at=now,
        object_type="case",
        object_id=case_id,
        customer_id=case.customer_id,
        before=None if standing is None else {"until": standing.until.isoformat()},
        after={"collector_id": row.collector_id, "until": row.until.isoformat()},
        reason=reason,
    )
    return row


def release(session: Session, principal: Principal, case_id: str, *, now: datetime, today: date) -> Retention:
    """End a case's retention now: the next night's rules apply to it again."""
    principal.require(Permission.QUEUE_MANAGE)
    case, _current = _led_case(session, principal, case_id, today)
    standing = repository.active_retention(session, case_id, today)
    if standing is None:
        raise NoRetentionError(case_id=case_id)
    repository.release_retentions(session, case_id, today, now)
    record(
        session,
        principal.actor(),
        "case.release",
        at=now,
        object_type="case",
        object_id=case_id,
        customer_id=case.customer_id,
        before={"collector_id": standing.collector_id, "until": standing.until.isoformat()},
        after=None,
        reason="retention released",
    )
    session.refresh(standing)
    return standing


def _led_case(
    session: Session, principal: Principal, case_id: str, today: date
) -> tuple[Case, CaseAssignment | None]:
    case = repository.open_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError(case_id=case_id)
    current = repository.current_assignment(session, case_id)
    led = current is not None and current.team_id in principal.led_team_ids
    if principal.scope is not Scope.ALL and not led:
        raise TeamNotLedError()
    return case, current
