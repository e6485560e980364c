"""Routes of the portfolio context under /api/v1 (thin: parse, check access, call the service).

Customers and accounts, each read within the caller's scope (arrears.cases.scope, in the SQL),
masked by role, the look audited; and the audited, capped reveal of one personal field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_cursor,
    now,
    page_of,
    problem_responses,
    today,
)
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import account_filter, customer_filter
from arrears.delinquency import repository as delinquency
from arrears.delinquency.models import DelinquencySnapshot
from arrears.portfolio import repository, reveal, views
from arrears.portfolio.models import Account, Customer
from arrears.portfolio.schemas import (
    AccountOut,
    Amount,
    CustomerOut,
    InstallmentOut,
    InstallmentPage,
    PaymentOut,
    PaymentPage,
    RevealIn,
    RevealOut,
    SnapshotOut,
    SnapshotPage,
)

router = APIRouter(tags=["portfolio"])

CustomerId = Annotated[str, Path(max_length=64, description="The bank's customer id")]
AccountId = Annotated[str, Path(max_length=64, description="The bank's account id")]
CustomerReader = Annotated[Principal, Depends(requires(Permission.CUSTOMER_READ))]
AccountReader = Annotated[Principal, Depends(requires(Permission.ACCOUNT_READ))]


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerOut,
    responses=problem_responses(401, 403, 404),
    summary="A customer with their contact points",
)
def get_customer(
    customer_id: CustomerId, request: Request, session: DatabaseSession, principal: CustomerReader
) -> CustomerOut:
    """The customer and their contact points, personal fields masked unless the caller's role
    sees them in full; 404 for a customer out of the caller's scope. The look is audited."""
    visible = customer_filter(principal, today(request), Customer.customer_id)
    card = views.read_customer(session, principal, customer_id, visible=visible, at=now(request))
    return CustomerOut.model_validate(card, from_attributes=True)


def snapshot_out(row: DelinquencySnapshot) -> SnapshotOut:
    return SnapshotOut(
        as_of=row.as_of,
        status=row.status,
        dpd=row.dpd,
        bucket=row.bucket,
        overdue=Amount.of(row.overdue_amount, row.currency),
        outstanding=Amount.of(row.outstanding_amount, row.currency),
        roll=row.roll,
    )


@router.get(
    "/accounts/{account_id}",
    response_model=AccountOut,
    responses=problem_responses(400, 401, 403, 404),
    summary="An account with its delinquency, installments and payments",
)
def get_account(
    account_id: AccountId,
    request: Request,
    session: DatabaseSession,
    principal: AccountReader,
    limit: Limit = DEFAULT_LIMIT,
    history_cursor: Cursor = None,
    installments_cursor: Cursor = None,
    payments_cursor: Cursor = None,
) -> AccountOut:
    """The account, its latest delinquency snapshot, and the latest ``limit`` of its DPD history,
    installments and payments, each list with a cursor to page back; 404 for an account out of
    the caller's scope. The look is audited."""
    history_before = decode_cursor(history_cursor, "history", date)
    installments_before = decode_cursor(installments_cursor, "installments", int)
    payments_before = decode_cursor(payments_cursor, "payments", date, str)

    visible = account_filter(principal, today(request), Account.account_id)
    account = views.find_account(session, account_id, visible=visible)
    currency = account.currency

    history = delinquency.history_of_account(
        session,
        account_id,
        account.customer_id,
        limit=limit + 1,
        before=history_before[0] if history_before else None,
    )
    latest = (
        history[0]
        if history and history_before is None
        else delinquency.latest_of_account(session, account_id, account.customer_id)
    )
    installments = repository.installments_of(
        session,
        account_id,
        limit=limit + 1,
        before_seq=installments_before[0] if installments_before else None,
    )
    payments = repository.payments_of(
        session,
        account_id,
        limit=limit + 1,
        before=(payments_before[0], payments_before[1]) if payments_before else None,
    )
    views.record_account_look(session, principal, account, at=now(request))  # last: see record_look
    history, history_next = page_of(history, limit, "history", lambda row: (row.as_of.isoformat(),))
    installments, installments_next = page_of(installments, limit, "installments", lambda row: (row.seq,))
    payments, payments_next = page_of(
        payments, limit, "payments", lambda row: (row.paid_on.isoformat(), row.payment_id)
    )
    return AccountOut(
        account_id=account.account_id,
        customer_id=account.customer_id,
        product=account.product,
        currency=currency,
        opened_on=account.opened_on,
        status=account.status,
        branch=account.branch,
        principal=Amount.maybe(account.principal, currency),
        credit_limit=Amount.maybe(account.credit_limit, currency),
        interest_rate=None if account.interest_rate is None else str(account.interest_rate),
        snapshot=snapshot_out(latest) if latest is not None else None,
        dpd_history=SnapshotPage(
            items=[snapshot_out(row) for row in history],
            next_cursor=history_next,
        ),
        installments=InstallmentPage(
            items=[
                InstallmentOut(
                    seq=row.seq,
                    due_date=row.due_date,
                    amount_due=Amount.of(row.amount_due, row.currency),
                    principal_due=Amount.maybe(row.principal_due, row.currency),
                    interest_due=Amount.maybe(row.interest_due, row.currency),
                    fees_due=Amount.maybe(row.fees_due, row.currency),
                )
                for row in installments
            ],
            next_cursor=installments_next,
        ),
        payments=PaymentPage(
            items=[
                PaymentOut(
                    payment_id=row.payment_id,
                    paid_on=row.paid_on,
                    amount=Amount.of(row.amount, row.currency),
                    channel=row.channel,
                    reverses=row.reverses,
                )
                for row in payments
            ],
            next_cursor=payments_next,
        ),
    )


@router.post(
    "/customers/{customer_id}/reveal",
    response_model=RevealOut,
    responses=problem_responses(400, 401, 403, 404, 422, 429),
    summary="Reveal one masked personal field, with a reason",
)
def reveal_field(
    customer_id: CustomerId,
    body: RevealIn,
    request: Request,
    session: DatabaseSession,
    principal: CustomerReader,
) -> RevealOut:
    """The field in full, for a role that may reveal it (403 otherwise), with a reason code and a
    stated reason. Audited (personal.reveal). Reveals per user per business day are capped
    (ARREARS_REVEAL_DAILY_CAP): the excess is refused with 429 (code reveal_cap_reached), and
    the refusal is on the audit trail too."""
    context = request.app.state.context
    try:
        revealed = reveal.reveal(
            session,
            principal,
            customer_id,
            body.field,
            contact_point_id=body.contact_point_id,
            reason_code=body.reason_code,
            reason=body.reason,
            visible=customer_filter(principal, today(request), Customer.customer_id),
            now=now(request),
            bank_timezone=context.settings.bank_timezone,
            daily_cap=context.settings.reveal_daily_cap,
        )
    except reveal.RevealCapError:
        # the refusal is on the record although the request fails: this route owns the
        # transaction, and keeps what the service wrote (the refused entry) before answering
        session.commit()
        raise
    return RevealOut(
        customer_id=revealed.customer_id,
        field=revealed.field,
        contact_point_id=revealed.contact_point_id,
        value=revealed.value,
        revealed_today=revealed.revealed_today,
        daily_cap=revealed.daily_cap,
    )
