"""Next case: the one case a collector should work now, from their queues, leased to them alone.

Reach: the open cases currently assigned to the caller, and the team pool, i.e. the cases in their
team's queues (``case_queues.team_id``) that no collector holds (no current assignment, or the
team's with no collector); a case taken from the pool is assigned to the caller as it is handed
out (audited as ``case.assign``).

Priority, highest first (docs/casework.md, "Next case"):

1. a callback due now (open, ``due_at`` ≤ now), earliest first; then a call the strategy asked
   for today whose window is open now (``call_tasks``, :mod:`arrears.queues.calls`), the window
   closing soonest first; then a promise due today (an open promise with an installment due today);
2. a promise found broken this morning (status broken, closed on today's business date); then a
   repayment plan or settlement found broken this morning (status broken, ended today);
3. expected recovery: the overdue of the case's accounts in the case's currency, each times the
   calibrated probability of paying of the account's latest score (no score:
   :data:`DEFAULT_PROBABILITY_BP`), highest first;
4. age: the case opened earliest first; then the case id.

Levels 1 (promises), 2 and 3 are precomputed per case in ``case_queues.priority_level`` and
``priority_value`` by :func:`refresh_priorities` (set-based, run by the nightly batch); callbacks
are read live. A case with no ``case_queues`` row (assigned to the caller but not queued yet) has
level 0 and value 0.

Skipped: closed cases, cases resting after a payment (``case_queues.skip_until`` not passed: a
payment posted during the day rests the case until the end of that business day, so that a
customer who paid this morning is not called this afternoon; :mod:`arrears.payments`), cases
under another collector's live lease, cases the caller released or skipped while that lease
would still run, cases with a call task today whose window is not open now (not opened yet, or
passed: the strategy asked for the call in that window; a callback due still brings them), and
cases the compliance gate blocks right now for
every channel (call, sms, email) and every contact point of the customer that channel reaches (a
customer with none of them is blocked too). The gate is asked without recording, for the few top
candidates only (at most :data:`MAX_GATE_CHECKS` per request); handing a case out contacts no one,
and the contact itself is put to the gate, and recorded, when it is logged.

Lease: one live lease per collector (``case_leases``), ``lease_minutes`` long. Asking again while
it runs answers the same case and the same expiry (nothing is lost); ``skip`` ends it (reason kept
and audited) and hands out another; :func:`release` ends it. Two collectors never get the same
case: the lease is written by a conditional upsert that only replaces an expired or released one;
on PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED`` (a case being handed out by a
concurrent request is passed over), and a collector's own requests are serialised by an advisory
lock; on SQLite the transaction takes the write lock before it reads anything.

Nothing here commits: the route owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases import work_repository
from arrears.cases.assignment import StaleAssignmentError
from arrears.cases.models import Case, CaseAssignment, CaseStatus
from arrears.cases.work import audit
from arrears.compliance.decision import Verdict
from arrears.compliance.facts import ContactRequest, Facts
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack
from arrears.contacts.gate import facts_for
from arrears.contacts.models import Callback, CallbackStatus, CallTask
from arrears.errors import InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.queues import calls, reasons
from arrears.queues.models import CaseQueue, Lease

DEFAULT_PROBABILITY_BP = 5000
"""Probability of paying, in basis points, of an account with no score: one in two."""
CANDIDATES = 5
"""Candidates read at a time from each source (the caller's cases, the pool, callbacks due)."""
MAX_GATE_CHECKS = 30
"""Candidates put to the gate at most in one request before answering that none is workable."""
GATE_CHANNELS: dict[str, frozenset[str]] = {
    "call": frozenset({"mobile", "landline", "work_phone"}),
    "sms": frozenset({"mobile"}),
    "email": frozenset({"email"}),
}
"""The channels a case must be open to at least one of, and the contact point types each reaches."""
PROMISE_DUE_LEVEL = 3
PROMISE_BROKEN_LEVEL = 2
PLAN_BROKEN_LEVEL = 1
CALLBACK_LEVEL = 5
"""A callback due outranks every precomputed level (it is read live, not stored)."""
CALL_TASK_LEVEL = 4
"""A strategy's call whose window is open now: after a callback due, before the stored levels."""
POOL_REASON = reasons.POOL
MAX_SKIP_REASON = 500
Rows = Select[*tuple[Any, ...]]
"""A select of any columns."""
_ADVISORY_KEY = 0x4E455854  # "NEXT": a collector's next-case requests, one at a time (PostgreSQL)


class Reason(StrEnum):
    CALLBACK_DUE = "callback_due"
    CALL_TASK = "call_task"
    PROMISE_DUE = "promise_due"
    PROMISE_BROKEN = "promise_broken"
    PLAN_BROKEN = "plan_broken"
    EXPECTED_RECOVERY = "expected_recovery"


REASON_MESSAGES: dict[Reason, str] = {
    Reason.CALLBACK_DUE: N_("A callback is due"),
    Reason.CALL_TASK: N_("The strategy's call is due now, within its window"),
    Reason.PROMISE_DUE: N_("A promise to pay is due today"),
    Reason.PROMISE_BROKEN: N_("A promise to pay was found broken this morning"),
    Reason.PLAN_BROKEN: N_("A repayment plan or settlement was found broken this morning"),
    Reason.EXPECTED_RECOVERY: N_("The highest expected recovery in your queues"),
}


class NoCaseToWorkError(NotFoundError):
    code = "no_case_to_work"
    default_message = N_("No case in your queues can be worked now")


class NoLeaseError(NotFoundError):
    code = "no_lease"
    default_message = N_("You hold no case lease")


@dataclass(frozen=True)
class Handed:
    """The case handed out, why, and its lease."""

    case_id: str
    reason: Reason
    leased_at: datetime
    expires_at: datetime
    repeated: bool
    """True when the caller already held this lease (nothing new was written)."""
    assigned: bool
    """True when the case came from the team pool and was assigned to the caller now."""
    expected_recovery: int
    currency: str


@dataclass(frozen=True)
class _Candidate:
    key: tuple[Any, ...]
    case_id: str
    customer_id: str
    reason: Reason


def next_case(
    session: Session,
    principal: Principal,
    *,
    now: datetime,
    today: date,
    lease_minutes: int,
    pack: Pack,
    skip: str | None = None,
) -> Handed:
    """The caller's next case (see the module's description); ``skip``: the reason to give up the
    case they hold for another (None: keep it)."""
    principal.require(Permission.QUEUE_WORK)
    if skip is not None:
        skip = _checked_skip(skip)
    _serialise(session, principal)
    held = _live_lease(session, principal.user_id, now)
    if held is not None:
        if skip is None and _reachable(session, principal, held.case_id, today=today, at=now):
            return _handed(session, held, repeated=True, assigned=False)
        _end(held, now=now, lease_minutes=lease_minutes, skip=skip)
        session.flush()
    checked: set[str] = set()
    while len(checked) < MAX_GATE_CHECKS:
        candidates = _candidates(session, principal, now, today, exclude=checked)
        if not candidates:
            break
        for candidate in candidates:
            if len(checked) >= MAX_GATE_CHECKS:
                break
            checked.add(candidate.case_id)
            if not _workable(facts_for(session, candidate.customer_id, now), now, pack):
                continue
            # the case's row is locked now: read again what committed before the lock was ours
            if not _reachable(session, principal, candidate.case_id, today=today, at=now, free=True):
                continue
            lease = _take(session, principal, candidate, now=now, lease_minutes=lease_minutes)
            if lease is None:  # leased by another request meanwhile
                continue
            # the audit entries last: the first takes the trail's head until the commit
            if held is not None:
                _audit_end(session, principal, held, now=now)
            assigned = _assign_if_pooled(session, principal, candidate, now)
            audit(
                session,
                principal,
                "queue.next",
                at=now,
                object_type="case",
                object_id=candidate.case_id,
                customer_id=candidate.customer_id,
                reason=str(candidate.reason),
                after={"collector_id": principal.user_id, "expires_at": lease.expires_at.isoformat()},
            )
            return _handed(session, lease, repeated=False, assigned=assigned)
    raise NoCaseToWorkError()


def release(session: Session, principal: Principal, *, now: datetime) -> Lease:
    """End the caller's live lease (the case stays out of their next case until it would have
    expired); NoLeaseError when they hold none."""
    principal.require(Permission.QUEUE_WORK)
    _serialise(session, principal)
    held = _live_lease(session, principal.user_id, now)
    if held is None:
        raise NoLeaseError()
    _end(held, now=now, lease_minutes=0, skip=None)
    session.flush()
    _audit_end(session, principal, held, now=now)
    return held


LATEST_SCORE_BP = """
SELECT CAST(ROUND(s.probability * 10000) AS BIGINT) FROM account_scores s
WHERE s.account_id = ca.account_id AND s.as_of <= :as_of
ORDER BY s.as_of DESC, s.id DESC LIMIT 1
"""
"""The account's latest probability of paying up to the date, in basis points (the last written of
that day's): one search of the scores' index (account, date) per account, whatever the history."""


def refresh_priorities(connection: Connection, as_of: date) -> int:
    """Recompute ``priority_level`` and ``priority_value`` of every queued open case for the
    business date ``as_of``, in one statement; rewrites only the rows whose priority changed and
    answers how many.

    The three "today" conditions are joined as sets of case ids, not asked per case (correlated
    EXISTS): SQLite drove each EXISTS from the installments due that day, once per queued case,
    which took 190 s at 1M accounts on a night with many promises due (benchmarks/bench_nightly.py
    --reuse), against 0.7 s as sets. Each account's latest score is the other way round, asked per
    account (LATEST_SCORE_BP) rather than ranked over every score kept: the scores grow by the
    book every night, and ranking them all grew with the history (benchmarks/bench_priorities.py)."""
    statement = text(
        f"""
        UPDATE case_queues SET priority_level = fresh.level, priority_value = fresh.value
        FROM (
            SELECT q.case_id AS case_id,
                CASE
                    WHEN due.case_id IS NOT NULL THEN :due_level
                    WHEN broken.case_id IS NOT NULL THEN :broken_level
                    WHEN plan_broken.case_id IS NOT NULL THEN :plan_broken_level
                    ELSE 0
                END AS level,
                COALESCE(e.value, 0) AS value
            FROM case_queues q
            JOIN cases c ON c.case_id = q.case_id AND c.status = 'open'
            LEFT JOIN (
                SELECT DISTINCT p.case_id AS case_id
                FROM promises p JOIN promise_installments i ON i.promise_id = p.id
                WHERE p.status = 'open' AND i.due_on = :as_of AND i.status = 'open'
            ) due ON due.case_id = q.case_id
            LEFT JOIN (
                SELECT DISTINCT p.case_id AS case_id FROM promises p
                WHERE p.status = 'broken' AND p.closed_on = :as_of
            ) broken ON broken.case_id = q.case_id
            LEFT JOIN (
                SELECT DISTINCT a.case_id AS case_id FROM arrangements a
                WHERE a.status = 'broken' AND a.ended_on = :as_of
            ) plan_broken ON plan_broken.case_id = q.case_id
            LEFT JOIN (
                SELECT ca.case_id AS case_id,
                    SUM(ca.overdue_amount * COALESCE(({LATEST_SCORE_BP}), :default_bp) / 10000) AS value
                FROM case_accounts ca
                JOIN cases cc ON cc.case_id = ca.case_id AND cc.status = 'open'
                    AND ca.currency = cc.currency
                GROUP BY ca.case_id
            ) e ON e.case_id = q.case_id
        ) fresh
        WHERE case_queues.case_id = fresh.case_id
            AND (case_queues.priority_level <> fresh.level OR case_queues.priority_value <> fresh.value)
        """
    )
    result = connection.execute(
        statement,
        {
            "as_of": as_of,
            "due_level": PROMISE_DUE_LEVEL,
            "broken_level": PROMISE_BROKEN_LEVEL,
            "plan_broken_level": PLAN_BROKEN_LEVEL,
            "default_bp": DEFAULT_PROBABILITY_BP,
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- the steps ----


def _checked_skip(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(N_("Say why you skip the case"))
    if len(reason) > MAX_SKIP_REASON:
        raise InvalidInputError(N_("A reason has at most {maximum} characters"), maximum=MAX_SKIP_REASON)
    return reason


def _serialise(session: Session, principal: Principal) -> None:
    """Take the locks before reading anything: on SQLite the database's write lock (a write that
    changes nothing; the driver opens the transaction at the first write), on PostgreSQL the
    caller's own advisory lock (two tabs of one collector never lease two cases)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("UPDATE case_leases SET collector_id = collector_id WHERE 1 = 0"))
    elif dialect == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :user_id)"),
            {"key": _ADVISORY_KEY, "user_id": principal.user_id},
        )


def _live_lease(session: Session, collector_id: int, now: datetime) -> Lease | None:
    return session.scalars(
        select(Lease)
        .where(Lease.collector_id == collector_id, Lease.released_at.is_(None), Lease.expires_at > now)
        .order_by(Lease.leased_at.desc())
        .limit(1)
    ).first()


def _reachable(
    session: Session, principal: Principal, case_id: str, *, today: date, at: datetime, free: bool = False
) -> bool:
    """Whether the case is open and still the caller's: assigned to them or in their team's pool
    (and queued for their team), or with a call task routed to them whose window holds ``at``;
    with ``free``, also that no lease keeps it from them at that instant.

    Read by a statement of its own: on PostgreSQL it sees what committed up to now, also what
    committed after the candidates' statement began (whose snapshot is older than its row lock)."""
    queued = (
        select(CaseQueue.case_id)
        .where(CaseQueue.case_id == Case.case_id, CaseQueue.team_id == principal.team_id)
        .correlate(Case)
        .exists()
    )
    query = select(Case.case_id).where(
        Case.case_id == case_id,
        Case.status == CaseStatus.OPEN,
        or_(
            and_(queued, _in_reach(principal, Case.case_id)),
            calls.routed_open_now(principal, Case.case_id, today, at),
        ),
    )
    if free:
        query = query.where(not_(_held_by_others(Case.case_id, principal.user_id, at)))
    return session.scalar(query) is not None


def _end(lease: Lease, *, now: datetime, lease_minutes: int, skip: str | None) -> None:
    """End ``lease``: released now; a skipped case stays out of the caller's next case for a
    whole lease from now, a released one until the lease would have expired (the caller flushes)."""
    lease.released_at = now
    lease.skip_reason = skip
    if skip is not None:
        lease.expires_at = max(lease.expires_at, now + timedelta(minutes=lease_minutes))


def _audit_end(session: Session, principal: Principal, lease: Lease, *, now: datetime) -> None:
    skip = lease.skip_reason
    customer_id = session.scalar(select(Case.customer_id).where(Case.case_id == lease.case_id))
    audit(
        session,
        principal,
        "queue.skip" if skip is not None else "queue.release",
        at=now,
        object_type="case",
        object_id=lease.case_id,
        customer_id=customer_id,
        reason=skip or "released",
        before={"collector_id": lease.collector_id, "leased_at": lease.leased_at.isoformat()},
    )


def _held_by_others(
    case_id: ColumnElement[str] | Any, collector_id: int, now: datetime
) -> ColumnElement[bool]:
    """A lease keeps the case from the caller: another's live one, or the caller's own ended one
    whose time has not run out (a case they released or skipped)."""
    return (
        exists()
        .where(
            Lease.case_id == case_id,
            Lease.expires_at > now,
            or_(
                and_(Lease.released_at.is_(None), Lease.collector_id != collector_id),
                and_(Lease.released_at.is_not(None), Lease.collector_id == collector_id),
            ),
        )
        .correlate_except(Lease)
    )


def _in_reach(principal: Principal, case_id: Any) -> ColumnElement[bool]:
    """The case's current assignment is the caller's, or their team's with no collector (the pool),
    as the row scope has it (arrears.cases.scope); the caller's team's queue is joined besides."""
    who = CaseAssignment.collector_id == principal.user_id
    if principal.team_id is not None:
        who = or_(
            who, and_(CaseAssignment.collector_id.is_(None), CaseAssignment.team_id == principal.team_id)
        )
    return (
        exists()
        .where(CaseAssignment.case_id == case_id, CaseAssignment.ended_at.is_(None), who)
        .correlate_except(CaseAssignment)
    )


def _locked(query: Rows) -> Rows:
    """Row locks on the candidates' cases, passing over those another request holds (PostgreSQL;
    SQLite ignores it, its write lock is already held)."""
    return query.with_for_update(skip_locked=True, of=Case)


def _candidates(
    session: Session, principal: Principal, now: datetime, today: date, *, exclude: set[str]
) -> list[_Candidate]:
    """The best few candidates of the caller's team's queues and of its callbacks due, merged in
    priority order. The queue is read in the order of its index (team, level, value), so a
    request reads about as many rows as it hands out, whatever the size of the book."""
    if principal.team_id is None:
        return []
    me = principal.user_id

    def common(query: Rows) -> Rows:
        query = (
            query.join(CaseQueue, CaseQueue.case_id == Case.case_id)
            .where(
                CaseQueue.team_id == principal.team_id,
                Case.status == CaseStatus.OPEN,
                or_(CaseQueue.skip_until.is_(None), CaseQueue.skip_until <= now),
                _in_reach(principal, Case.case_id),
                not_(_held_by_others(Case.case_id, me, now)),
            )
            .limit(CANDIDATES)
        )
        if exclude:
            query = query.where(Case.case_id.not_in(sorted(exclude)))
        return _locked(query)

    queued = common(
        select(
            Case.case_id, Case.customer_id, Case.opened_on, CaseQueue.priority_level, CaseQueue.priority_value
        ).where(not_(calls.window_shut(Case.case_id, today, now)))
    ).order_by(CaseQueue.priority_level.desc(), CaseQueue.priority_value.desc(), Case.opened_on, Case.case_id)
    rows: list[tuple[tuple[Any, ...], str, str, Reason]] = [
        ((-level, -value, opened_on, case_id), case_id, customer_id, _reason_of(level))
        for case_id, customer_id, opened_on, level, value in session.execute(queued)
    ]
    due = common(
        select(Case.case_id, Case.customer_id, Callback.due_at)
        .select_from(Callback)
        .join(Case, Case.case_id == Callback.case_id)
        .where(Callback.status == CallbackStatus.OPEN, Callback.due_at <= now)
    ).order_by(Callback.due_at, Case.case_id)
    rows.extend(
        ((-CALLBACK_LEVEL, due_at.timestamp(), case_id), case_id, customer_id, Reason.CALLBACK_DUE)
        for case_id, customer_id, due_at in session.execute(due)
    )
    rows.extend(_call_candidates(session, principal, now, today, exclude))
    merged: dict[str, _Candidate] = {}
    for key, case_id, customer_id, reason in sorted(rows, key=lambda row: row[0]):
        merged.setdefault(case_id, _Candidate(key, case_id, customer_id, reason))
    return list(merged.values())


def _call_candidates(
    session: Session, principal: Principal, now: datetime, today: date, exclude: set[str]
) -> list[tuple[tuple[Any, ...], str, str, Reason]]:
    """The open cases with a call task routed to the caller whose window is open now, the window
    closing soonest first (reach: :func:`arrears.queues.calls.routed_to`, which takes in the
    tasks the step's queue routes to the caller's team while no collector holds the case)."""
    query = (
        calls.joined(select(Case.case_id, Case.customer_id, CallTask.window_end).select_from(CallTask))
        .where(
            calls.open_now(today, now),
            calls.routed_to(principal),
            or_(CaseQueue.skip_until.is_(None), CaseQueue.skip_until <= now),
            not_(_held_by_others(Case.case_id, principal.user_id, now)),
        )
        .order_by(CallTask.window_end, Case.case_id)
        .limit(CANDIDATES)
    )
    if exclude:
        query = query.where(Case.case_id.not_in(sorted(exclude)))
    return [
        ((-CALL_TASK_LEVEL, window_end.timestamp(), case_id), case_id, customer_id, Reason.CALL_TASK)
        for case_id, customer_id, window_end in session.execute(_locked(query))
    ]


def _reason_of(level: int) -> Reason:
    if level >= PROMISE_DUE_LEVEL:
        return Reason.PROMISE_DUE
    if level == PROMISE_BROKEN_LEVEL:
        return Reason.PROMISE_BROKEN
    if level == PLAN_BROKEN_LEVEL:
        return Reason.PLAN_BROKEN
    return Reason.EXPECTED_RECOVERY


def _workable(facts: Facts, now: datetime, pack: Pack) -> bool:
    """Whether the gate lets at least one channel reach at least one contact point now."""
    for channel, types in GATE_CHANNELS.items():
        for point in facts.contact_points:
            if point.type not in types:
                continue
            decision = decide(ContactRequest(at=now, channel=channel, to=point.id), facts, pack)
            if decision.verdict is not Verdict.BLOCK:
                return True
    return False


def _take(
    session: Session, principal: Principal, candidate: _Candidate, *, now: datetime, lease_minutes: int
) -> Lease | None:
    """Write the caller's lease on the case unless another live one holds it (a conditional
    upsert: of two writers, the second sees the first's lease and writes nothing)."""
    values = {
        "case_id": candidate.case_id,
        "collector_id": principal.user_id,
        "leased_at": now,
        "expires_at": now + timedelta(minutes=lease_minutes),
        "reason": str(candidate.reason),
        "released_at": None,
        "skip_reason": None,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = insert(Lease).values(**values)
    table = Lease.__table__
    statement = inserted.on_conflict_do_update(
        index_elements=[table.c.case_id],
        set_={name: inserted.excluded[name] for name in values if name != "case_id"},
        where=or_(table.c.expires_at <= now, table.c.released_at.is_not(None)),
    ).returning(table.c.case_id)
    if session.execute(statement).first() is None:
        return None
    return session.get(Lease, candidate.case_id, populate_existing=True)


def _assign_if_pooled(session: Session, principal: Principal, candidate: _Candidate, now: datetime) -> bool:
    """Assign a case taken from the team pool to the caller (audited); False when it was theirs."""
    current = work_repository.current_assignments(session, [candidate.case_id]).get(candidate.case_id)
    if current is not None and current.collector_id == principal.user_id:
        return False
    assert principal.team_id is not None  # a pooled case is only reached through a team
    if current is not None and current.collector_id is not None:  # taken by another meanwhile
        raise StaleAssignmentError(case_id=candidate.case_id)
    if current is not None and not work_repository.end_assignment(session, current.id, now):
        raise StaleAssignmentError(case_id=candidate.case_id)
    row = CaseAssignment(
        case_id=candidate.case_id,
        team_id=principal.team_id,
        collector_id=principal.user_id,
        assigned_at=now,
        assigned_by=principal.user_id,
        reason=POOL_REASON,
    )
    work_repository.add_assignments(session, [row])
    audit(
        session,
        principal,
        "case.assign",
        at=now,
        object_type="case",
        object_id=candidate.case_id,
        customer_id=candidate.customer_id,
        reason=POOL_REASON,
        before=None
        if current is None
        else {"assignment_id": current.id, "team_id": current.team_id, "collector_id": current.collector_id},
        after={"assignment_id": row.id, "team_id": row.team_id, "collector_id": row.collector_id},
    )
    return True


def _handed(session: Session, lease: Lease, *, repeated: bool, assigned: bool) -> Handed:
    row = session.execute(
        select(Case.currency, func.coalesce(CaseQueue.priority_value, 0))
        .select_from(Case)
        .outerjoin(CaseQueue, CaseQueue.case_id == Case.case_id)
        .where(Case.case_id == lease.case_id)
    ).one()
    return Handed(
        case_id=lease.case_id,
        reason=Reason(lease.reason),
        leased_at=lease.leased_at,
        expires_at=lease.expires_at,
        repeated=repeated,
        assigned=assigned,
        expected_recovery=int(row[1]),
        currency=str(row[0]),
    )


def reason_message(reason: Reason) -> str:
    """The marked message saying why a case was chosen (translate it in the caller's language)."""
    return REASON_MESSAGES[reason]


__all__: Sequence[str] = (
    "Handed",
    "NoCaseToWorkError",
    "NoLeaseError",
    "Reason",
    "next_case",
    "reason_message",
    "refresh_priorities",
    "release",
)
