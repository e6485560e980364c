"""Repayment plans and settlements: proposal, maker-checker approval, cancellation, reading.

The rules (docs/casework.md, "Plans and settlements"):
- the maker holds ``arrangement.propose`` and sees the case (else it is not found); the case is
  open; no hold that stops collection stands for its customer (dispute, cease, bankruptcy,
  deceased; a hardship or vulnerability hold does not stop a plan: a plan is how hardship is
  met) and no dispute of the case is open; no other plan or settlement of the case stands
  (proposed, approved or active); the first due date is today or later;
- what is owed is the overdue amount of the case's accounts in the arrangement's currency (one
  account when named) when proposed; a plan schedules that amount (or a smaller one, the
  difference being a discount), a settlement a discounted total, both in dated installments by
  :mod:`arrears.arrangements.schedule`;
- within the maker's limits (:mod:`arrears.arrangements.limits`) it is approved at once; beyond
  them it is proposed and waits in the approval inbox for a checker whose role's limits cover it,
  never the maker; beyond every approver's it is refused (409 ``over_limit``);
- approved, it counts the payments from its approval date (``starts_on``): the nightly step
  (:mod:`arrears.arrangements.plan_batch`) makes it active on the first payment, completed when
  every installment is paid, broken when one is missed beyond the grace;
- proposed, approved and active ones may be cancelled; rejected, completed, broken and cancelled
  are final;
- every write leaves an audit entry.

Nothing here commits; the way in owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.arrangements.limits import Breach, Limits, Proposal
from arrears.arrangements.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
)
from arrears.arrangements.schedule import Frequency, Installment, Method, Rounding, months_spanned, schedule
from arrears.auth.permissions import Permission, Role
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAccount, CaseStatus
from arrears.cases.scope import case_filter
from arrears.cases.work import CaseNotFoundError, audit, checked_reason
from arrears.concurrency import check_version
from arrears.disputes.models import Dispute, DisputeStatus, Hold, HoldKind
from arrears.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from arrears.i18n import N_, Text
from arrears.portfolio.models import Account

STANDING = (ArrangementStatus.PROPOSED, ArrangementStatus.APPROVED, ArrangementStatus.ACTIVE)
"""The states in which an arrangement stands: one at most per case."""
IN_FORCE = (ArrangementStatus.APPROVED, ArrangementStatus.ACTIVE)
"""The states in which the installments are owed and payments count."""
FINAL = (
    ArrangementStatus.REJECTED,
    ArrangementStatus.COMPLETED,
    ArrangementStatus.BROKEN,
    ArrangementStatus.CANCELLED,
)
STOPPING_HOLDS = (HoldKind.DISPUTE, HoldKind.CEASE, HoldKind.BANKRUPTCY, HoldKind.DECEASED)
"""Holds under which no plan or settlement is proposed."""
WITHIN_LIMITS = "within the maker's limits"
# a plan starts soon: its first installment falls within three months of the proposal
FIRST_DUE_WITHIN = timedelta(days=92)
"""The decision note of an arrangement approved at once."""
WHAT = N_("arrangement")


class ArrangementNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No arrangement {arrangement_id}")


class CaseNotOpenError(ConflictError):
    code = "case_closed"
    default_message = N_("Case {case_id} is closed: no plan or settlement is made for it")


class CaseOnHoldError(ConflictError):
    code = "case_on_hold"
    default_message = N_("Case {case_id} is under a {kind} hold: no plan or settlement while it stands")


class ArrangementStandingError(ConflictError):
    code = "arrangement_standing"
    default_message = N_("Case {case_id} already has arrangement {arrangement_id} ({status})")


class WrongStateError(ConflictError):
    code = "wrong_state"
    default_message = N_("Arrangement {arrangement_id} is {status}: it cannot be {action}")


class OwnProposalError(PermissionDeniedError):
    code = "own_proposal"
    default_message = N_("You proposed arrangement {arrangement_id}: another user decides on it")


@dataclass(frozen=True)
class Terms:
    """How the installments are made (shared by plans and settlements)."""

    first_due_on: date
    method: Method = Method.EQUAL
    count: int = 1
    frequency: Frequency = Frequency.MONTHLY
    rounding: Rounding = Rounding.REMAINDER_LAST
    step: int | None = None
    weights: Sequence[Decimal] | None = None
    amounts: Sequence[int] | None = None


@dataclass(frozen=True)
class PlanRequest:
    terms: Terms
    amount: int | None = None
    """Minor units to schedule; None: all that is owed."""
    account_id: str | None = None
    currency: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SettlementRequest:
    terms: Terms
    total: int
    """The discounted total to be paid, minor units."""
    waived_fees: int = 0
    account_id: str | None = None
    currency: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Basis:
    currency: str
    owed: int
    products: tuple[str, ...]


def propose_plan(
    session: Session,
    principal: Principal,
    case_id: str,
    request: PlanRequest,
    limits: Limits,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    case, basis, total = _plan_basis(session, principal, case_id, request, today)
    return _propose(
        session,
        principal,
        case,
        ArrangementKind.PLAN,
        basis,
        total,
        0,
        request.terms,
        request.account_id,
        request.note,
        limits,
        now=now,
        today=today,
    )


def propose_settlement(
    session: Session,
    principal: Principal,
    case_id: str,
    request: SettlementRequest,
    limits: Limits,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    case, basis, terms = _settlement_basis(session, principal, case_id, request, today)
    return _propose(
        session,
        principal,
        case,
        ArrangementKind.SETTLEMENT,
        basis,
        request.total,
        request.waived_fees,
        terms,
        request.account_id,
        request.note,
        limits,
        now=now,
        today=today,
    )


def approve(
    session: Session,
    principal: Principal,
    arrangement_id: int,
    expected: int | None,
    note: str | None,
    limits: Limits,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    """The checker's yes: within their role's limits, never on their own proposal."""
    principal.require(Permission.ARRANGEMENT_APPROVE)
    row = _waiting(session, principal, arrangement_id, expected, today, N_("approved"))
    limits.check_approver(principal.role, proposal_of(session, row))
    _workable_case(session, principal, row.case_id, today)  # not closed nor held since proposed
    text = None if note is None or not note.strip() else checked_reason(note)
    return _decide(session, principal, row, ArrangementStatus.APPROVED, text, now=now, today=today)


def reject(
    session: Session,
    principal: Principal,
    arrangement_id: int,
    expected: int | None,
    note: str,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    """The checker's no, with the reason."""
    principal.require(Permission.ARRANGEMENT_APPROVE)
    text = checked_reason(note)
    row = _waiting(session, principal, arrangement_id, expected, today, N_("rejected"))
    return _decide(session, principal, row, ArrangementStatus.REJECTED, text, now=now, today=today)


def cancel(
    session: Session,
    principal: Principal,
    arrangement_id: int,
    expected: int | None,
    reason: str,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    """A proposed, approved or active arrangement ends, cancelled (the customer withdrew, the
    terms were agreed otherwise…), with the reason."""
    principal.require(Permission.ARRANGEMENT_PROPOSE)
    text = checked_reason(reason)
    row = visible(session, principal, arrangement_id, today)
    check_version(row, expected, WHAT, arrangement_id)
    if row.status not in STANDING:
        raise WrongStateError(
            arrangement_id=arrangement_id, status=row.status, action=Text.of(N_("cancelled"))
        )
    before = shown(row)
    row.status = str(ArrangementStatus.CANCELLED)
    row.ended_on = today
    session.flush()
    _audit(session, principal, "arrangement.cancel", row, text, now=now, before=before)
    return row


def visible(session: Session, principal: Principal, arrangement_id: int, today: date) -> Arrangement:
    """The arrangement, when the caller sees its case; else ArrangementNotFoundError."""
    row = session.execute(
        select(Arrangement)
        .join(Case, Case.case_id == Arrangement.case_id)
        .where(Arrangement.id == arrangement_id, case_filter(principal, today))
    ).scalar_one_or_none()
    if row is None:
        raise ArrangementNotFoundError(arrangement_id=arrangement_id)
    return row


def of_case(session: Session, principal: Principal, case_id: str, today: date) -> list[Arrangement]:
    """Every plan and settlement of a case the caller sees, newest first."""
    _visible_case(session, principal, case_id, today)
    return list(
        session.execute(
            select(Arrangement).where(Arrangement.case_id == case_id).order_by(Arrangement.id.desc())
        ).scalars()
    )


def installments(session: Session, arrangement_ids: Sequence[int]) -> dict[int, list[ArrangementInstallment]]:
    """The installments of the arrangements named, in order, by arrangement."""
    found: dict[int, list[ArrangementInstallment]] = {i: [] for i in arrangement_ids}
    if not arrangement_ids:
        return found
    rows = session.execute(
        select(ArrangementInstallment)
        .where(ArrangementInstallment.arrangement_id.in_(list(arrangement_ids)))
        .order_by(ArrangementInstallment.arrangement_id, ArrangementInstallment.seq)
    ).scalars()
    for row in rows:
        found[row.arrangement_id].append(row)
    return found


def inbox(
    session: Session,
    principal: Principal,
    today: date,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Arrangement]:
    """What waits for the caller's decision, oldest first: proposals beyond their makers' limits,
    on cases the caller sees, not their own."""
    principal.require(Permission.ARRANGEMENT_APPROVE)
    query = (
        select(Arrangement)
        .join(Case, Case.case_id == Arrangement.case_id)
        .where(
            Arrangement.status == str(ArrangementStatus.PROPOSED),
            Arrangement.needs_approval.is_(True),
            or_(Arrangement.proposed_by.is_(None), Arrangement.proposed_by != principal.user_id),
            case_filter(principal, today),
        )
        .order_by(Arrangement.proposed_at, Arrangement.id)
        .limit(limit)
    )
    if after is not None:
        at, last = after
        query = query.where(
            or_(Arrangement.proposed_at > at, and_(Arrangement.proposed_at == at, Arrangement.id > last))
        )
    return list(session.execute(query).scalars())


def rescheduled_accounts_query(as_of: date) -> Select[str, int, str]:
    """(account_id, arrangement_id, case_id) of every account an approved or active plan or
    settlement reschedules on ``as_of``: the named account, or all the case's accounts in the
    arrangement's currency. Reminders for these accounts' overdue amounts pause while it stands
    (the strategy and outbox steps read this; a broken, completed or cancelled one no longer
    pauses anything)."""
    return (
        select(CaseAccount.account_id, Arrangement.id.label("arrangement_id"), Arrangement.case_id)
        .join(
            CaseAccount,
            and_(
                CaseAccount.case_id == Arrangement.case_id,
                CaseAccount.currency == Arrangement.currency,
                or_(Arrangement.account_id.is_(None), CaseAccount.account_id == Arrangement.account_id),
            ),
        )
        .where(
            Arrangement.status.in_([str(s) for s in IN_FORCE]),
            Arrangement.starts_on <= as_of,
        )
    )


def rescheduled_accounts(connection: Session | Connection, as_of: date) -> set[str]:
    """The ids of the accounts whose reminders an arrangement in force pauses on ``as_of``."""
    return {row[0] for row in connection.execute(rescheduled_accounts_query(as_of))}


def broken_on_query(as_of: date) -> Select[str, int]:
    """(case_id, arrangement_id) of the arrangements the batch found broken on ``as_of``: the
    cases that go back to the top of their queue that morning, flagged."""
    return select(Arrangement.case_id, Arrangement.id.label("arrangement_id")).where(
        Arrangement.status == str(ArrangementStatus.BROKEN), Arrangement.ended_on == as_of
    )


def _plan_basis(
    session: Session, principal: Principal, case_id: str, request: PlanRequest, today: date
) -> tuple[Case, Basis, int]:
    principal.require(Permission.ARRANGEMENT_PROPOSE)
    case = _workable_case(session, principal, case_id, today)
    basis = _basis(session, case, request.account_id, request.currency)
    total = basis.owed if request.amount is None else request.amount
    if total <= 0:
        raise InvalidInputError(
            N_("Nothing is owed in {currency} on case {case_id}"), currency=basis.currency, case_id=case_id
        )
    if total > basis.owed:
        raise InvalidInputError(
            N_("The plan's amount {amount} is more than the {owed} owed"), amount=total, owed=basis.owed
        )
    return case, basis, total


def _settlement_basis(
    session: Session, principal: Principal, case_id: str, request: SettlementRequest, today: date
) -> tuple[Case, Basis, Terms]:
    principal.require(Permission.ARRANGEMENT_PROPOSE)
    case = _workable_case(session, principal, case_id, today)
    basis = _basis(session, case, request.account_id, request.currency)
    if request.total > basis.owed:
        raise InvalidInputError(
            N_("The settlement's total {amount} is more than the {owed} owed"),
            amount=request.total,
            owed=basis.owed,
        )
    terms = request.terms
    if terms.count == 1 and terms.method is Method.EQUAL:
        terms = Terms(terms.first_due_on, Method.SINGLE, 1, terms.frequency, terms.rounding)
    return case, basis, terms


@dataclass(frozen=True)
class Quote:
    """A plan or settlement as it would be proposed now, nothing written: its installments (they
    sum to ``total`` exactly) and the approval it would need."""

    currency: str
    owed: int
    total: int
    waived_fees: int
    installments: list[Installment]
    beyond: list[Breach]
    """The maker's limits it goes beyond: none, it is approved at once."""
    approvers: list[Role]
    """The roles whose limits cover it (when it needs approval)."""


def quote(
    session: Session,
    principal: Principal,
    case_id: str,
    request: PlanRequest | SettlementRequest,
    limits: Limits,
    *,
    today: date,
) -> Quote:
    """The calculator: the same checks, schedule and limits as a proposal, and nothing kept.
    Beyond every approver's limits: :class:`OverLimitError`, as the proposal would be."""
    if isinstance(request, PlanRequest):
        _, basis, total = _plan_basis(session, principal, case_id, request, today)
        terms, waived = request.terms, 0
    else:
        _, basis, terms = _settlement_basis(session, principal, case_id, request, today)
        total, waived = request.total, request.waived_fees
    made, proposal, beyond = _scheduled(basis, total, waived, terms, limits, Role(principal.role), today)
    approvers = [role for role in limits.approver_roles() if not limits.breaches(role, proposal)]
    return Quote(basis.currency, basis.owed, total, waived, made, beyond, approvers if beyond else [])


def _scheduled(
    basis: Basis, total: int, waived_fees: int, terms: Terms, limits: Limits, maker: Role, today: date
) -> tuple[list[Installment], Proposal, list[Breach]]:
    if terms.first_due_on < today:
        raise InvalidInputError(
            N_("first_due_on ({first_due_on}) is in the past: the first installment falls today or later"),
            first_due_on=terms.first_due_on.isoformat(),
        )
    if terms.first_due_on > today + FIRST_DUE_WITHIN:
        raise InvalidInputError(
            N_("first_due_on ({first_due_on}) is more than {days} days ahead"),
            first_due_on=terms.first_due_on.isoformat(),
            days=FIRST_DUE_WITHIN.days,
        )
    if waived_fees < 0:
        raise InvalidInputError(N_("waived_fees is zero or more"))
    made: list[Installment] = schedule(
        total,
        terms.method,
        first_due_on=terms.first_due_on,
        count=terms.count,
        frequency=terms.frequency,
        rounding=terms.rounding,
        step=terms.step,
        weights=terms.weights,
        amounts=terms.amounts,
    )
    proposal = Proposal(
        currency=basis.currency,
        owed=basis.owed,
        discount=basis.owed - total,
        waived_fees=waived_fees,
        months=length_in_months(made[0].due_on, made[-1].due_on),
        installments=len(made),
        products=basis.products,
    )
    return made, proposal, limits.assess(maker, proposal)


def proposal_of(session: Session, row: Arrangement) -> Proposal:
    """What the limits read of a stored arrangement."""
    dates = session.execute(
        select(ArrangementInstallment.due_on)
        .where(ArrangementInstallment.arrangement_id == row.id)
        .order_by(ArrangementInstallment.seq)
    ).scalars()
    due = list(dates)
    return Proposal(
        currency=row.currency,
        owed=row.owed_amount,
        discount=row.discount_amount,
        waived_fees=row.waived_fees,
        months=length_in_months(due[0], due[-1]) if due else 0,
        installments=row.installment_count,
        products=_products(session, row.case_id, row.account_id, row.currency),
    )


def length_in_months(first_due_on: date, last_due_on: date) -> int:
    """The calendar months a schedule covers: from its first due date to its last, a started
    month counted whole, the first one included (12 monthly installments: 12)."""
    return months_spanned(first_due_on, last_due_on) + 1


def shown(row: Arrangement) -> dict[str, object]:
    """What an audit entry keeps of an arrangement."""
    return {
        "case_id": row.case_id,
        "kind": row.kind,
        "status": row.status,
        "currency": row.currency,
        "owed_amount": row.owed_amount,
        "total_amount": row.total_amount,
        "discount_amount": row.discount_amount,
        "waived_fees": row.waived_fees,
        "installment_count": row.installment_count,
        "needs_approval": row.needs_approval,
        "version": row.version,
    }


def _propose(
    session: Session,
    principal: Principal,
    case: Case,
    kind: ArrangementKind,
    basis: Basis,
    total: int,
    waived_fees: int,
    terms: Terms,
    account_id: str | None,
    note: str | None,
    limits: Limits,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    text = None if note is None or not note.strip() else checked_reason(note)
    made, _, beyond = _scheduled(basis, total, waived_fees, terms, limits, Role(principal.role), today)
    _no_standing(session, case.case_id)
    row = Arrangement(
        case_id=case.case_id,
        account_id=account_id,
        kind=str(kind),
        method=str(terms.method),
        rounding=str(terms.rounding),
        status=str(ArrangementStatus.PROPOSED if beyond else ArrangementStatus.APPROVED),
        currency=basis.currency,
        owed_amount=basis.owed,
        total_amount=total,
        discount_amount=basis.owed - total,
        waived_fees=waived_fees,
        installment_count=len(made),
        needs_approval=bool(beyond),
        approval_reasons="; ".join(str(b) for b in beyond)[:500] or None,
        proposed_at=now,
        proposed_by=principal.user_id,
        decided_at=None if beyond else now,
        decision_note=None if beyond else WITHIN_LIMITS,
        starts_on=None if beyond else today,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent proposal on the same case came first
        standing = _standing(session, case.case_id)
        raise ArrangementStandingError(
            case_id=case.case_id,
            arrangement_id=standing.id if standing else "?",
            status=standing.status if standing else "?",
        ) from None
    session.add_all(
        ArrangementInstallment(
            arrangement_id=row.id, seq=i.seq, due_on=i.due_on, amount=i.amount, paid_amount=0, status="open"
        )
        for i in made
    )
    session.flush()
    after = shown(row) | {"installments": [[i.due_on.isoformat(), i.amount] for i in made]}
    _audit(session, principal, f"{kind}.propose", row, text or str(kind), now=now, after=after)
    return row


def _decide(
    session: Session,
    principal: Principal,
    row: Arrangement,
    status: ArrangementStatus,
    note: str | None,
    *,
    now: datetime,
    today: date,
) -> Arrangement:
    before = shown(row)
    row.status = str(status)
    row.decided_at = now
    row.decided_by = principal.user_id
    row.decision_note = note
    if status is ArrangementStatus.APPROVED:
        row.starts_on = today
    session.flush()
    action = "arrangement.approve" if status is ArrangementStatus.APPROVED else "arrangement.reject"
    _audit(session, principal, action, row, note or str(status), now=now, before=before)
    return row


def _waiting(
    session: Session,
    principal: Principal,
    arrangement_id: int,
    expected: int | None,
    today: date,
    action: str,
) -> Arrangement:
    row = visible(session, principal, arrangement_id, today)
    check_version(row, expected, WHAT, arrangement_id)
    if row.status != ArrangementStatus.PROPOSED:
        raise WrongStateError(arrangement_id=arrangement_id, status=row.status, action=Text.of(action))
    if row.proposed_by == principal.user_id:
        raise OwnProposalError(arrangement_id=arrangement_id)
    return row


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    row: Arrangement,
    reason: str,
    *,
    now: datetime,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    customer_id = session.execute(select(Case.customer_id).where(Case.case_id == row.case_id)).scalar_one()
    audit(
        session,
        principal,
        action,
        at=now,
        object_type="arrangement",
        object_id=str(row.id),
        customer_id=customer_id,
        reason=reason,
        before=before,
        after=after if after is not None else shown(row),
    )


def _visible_case(session: Session, principal: Principal, case_id: str, today: date) -> Case:
    case = session.execute(
        select(Case).where(Case.case_id == case_id, case_filter(principal, today))
    ).scalar_one_or_none()
    if case is None:
        raise CaseNotFoundError(N_("No case {case_id}"), case_id=case_id)
    return case


def _workable_case(session: Session, principal: Principal, case_id: str, today: date) -> Case:
    case = _visible_case(session, principal, case_id, today)
    if case.status != CaseStatus.OPEN:
        raise CaseNotOpenError(case_id=case_id)
    hold = session.execute(
        select(Hold.kind)
        .where(
            Hold.customer_id == case.customer_id,
            Hold.lifted_at.is_(None),
            Hold.kind.in_([str(k) for k in STOPPING_HOLDS]),
        )
        .limit(1)
    ).scalar_one_or_none()
    disputed = session.execute(
        select(exists().where(Dispute.case_id == case_id, Dispute.status == str(DisputeStatus.OPEN)))
    ).scalar_one()
    if hold is not None or disputed:
        raise CaseOnHoldError(case_id=case_id, kind=hold or str(HoldKind.DISPUTE))
    return case


def _standing(session: Session, case_id: str) -> Arrangement | None:
    return session.execute(
        select(Arrangement)
        .where(Arrangement.case_id == case_id, Arrangement.status.in_([str(s) for s in STANDING]))
        .limit(1)
    ).scalar_one_or_none()


def _no_standing(session: Session, case_id: str) -> None:
    standing = _standing(session, case_id)
    if standing is not None:
        raise ArrangementStandingError(case_id=case_id, arrangement_id=standing.id, status=standing.status)


def _accounts(case_id: str, account_id: str | None, currency: str) -> ColumnElement[bool]:
    condition = and_(CaseAccount.case_id == case_id, CaseAccount.currency == currency)
    return condition if account_id is None else and_(condition, CaseAccount.account_id == account_id)


def _basis(session: Session, case: Case, account_id: str | None, currency: str | None) -> Basis:
    if account_id is not None:
        held = session.execute(
            select(CaseAccount.currency).where(
                CaseAccount.case_id == case.case_id, CaseAccount.account_id == account_id
            )
        ).scalar_one_or_none()
        if held is None:
            raise InvalidInputError(
                N_("Account {account_id} is not in case {case_id}"),
                account_id=account_id,
                case_id=case.case_id,
            )
        if currency is not None and currency != held:
            raise InvalidInputError(
                N_("Account {account_id} is in {held}, not {currency}"),
                account_id=account_id,
                held=held,
                currency=currency,
            )
        currency = held
    currency = currency or case.currency
    owed = session.execute(
        select(CaseAccount.overdue_amount).where(_accounts(case.case_id, account_id, currency))
    ).scalars()
    amounts = list(owed)
    if not amounts:
        raise InvalidInputError(
            N_("Case {case_id} has no account in {currency}"), case_id=case.case_id, currency=currency
        )
    return Basis(currency, sum(amounts), _products(session, case.case_id, account_id, currency))


def _products(session: Session, case_id: str, account_id: str | None, currency: str) -> tuple[str, ...]:
    rows = session.execute(
        select(Account.product)
        .join(CaseAccount, CaseAccount.account_id == Account.account_id)
        .where(_accounts(case_id, account_id, currency))
        .distinct()
        .order_by(Account.product)
    ).scalars()
    return tuple(rows)
