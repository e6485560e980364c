"""A simulated history of the collectors' work, through the services the API and pages call.

Each act is done as the demo user who would do it, on a case that user sees, at a time of the
bank's working day (a fixed clock), so that the compliance gate, the scoping, the limits and the
audit trail all apply as they do for a person. Promises are taken before the last nights of the
backfill, so that the nightly batch finds them kept (the customer paid, in the portfolio's own
payments) or broken (nothing paid by the due date).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.arrangements import plans, promises
from arrears.arrangements.limits import load_limits
from arrears.arrangements.models import Arrangement
from arrears.auth import service as auth
from arrears.auth.principal import Principal
from arrears.cases.models import Case, CaseAccount, CaseAssignment, CaseStatus
from arrears.clock import FixedClock, zone
from arrears.config import Settings
from arrears.contacts import service as contacts
from arrears.contacts.callbacks import CallbackDraft
from arrears.contacts.common import Gatekeeping
from arrears.contacts.dispositions import dispositions
from arrears.contacts.gate import pack_of
from arrears.contacts.models import Channel, Direction, Party
from arrears.disputes import complaints, disputes
from arrears.errors import ArrearsError
from arrears.money import to_major
from arrears.portfolio.models import Account, ContactPoint, Payment

T = TypeVar("T")

CALL_OUTCOMES = ("no_answer", "busy", "voicemail", "right_party_contact", "callback_requested")
"""Dispositions of the calls that come to nothing much, in turn."""


@dataclass
class History:
    """What the simulated work did (counts by kind), for the summary and the tests."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    disputed_case: str | None = None


def working_time(day: date, hour: int, minute: int, bank_zone: str) -> datetime:
    """An aware instant of the bank's working day."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone(bank_zone))


def assigned_cases(session: Session, user_id: int, limit: int) -> list[Case]:
    """Open cases assigned to a user now, the most overdue first."""
    query = (
        select(Case)
        .join(CaseAssignment, CaseAssignment.case_id == Case.case_id)
        .where(
            CaseAssignment.collector_id == user_id,
            CaseAssignment.ended_at.is_(None),
            Case.status == str(CaseStatus.OPEN),
        )
        .order_by(Case.overdue_total.desc(), Case.case_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _phone(session: Session, customer_id: str) -> int | None:
    return session.scalar(
        select(ContactPoint.id)
        .where(
            ContactPoint.customer_id == customer_id,
            ContactPoint.type.in_(("mobile", "phone", "landline")),
            ContactPoint.party == "debtor",
            ContactPoint.do_not_contact.is_(False),
        )
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.id)
        .limit(1)
    )


def _paid_between(session: Session, case_id: str, first: date, last: date) -> int:
    """Minor units paid on the case's accounts from ``first`` to ``last``, by the portfolio."""
    accounts = select(CaseAccount.account_id).where(CaseAccount.case_id == case_id)
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.account_id.in_(accounts), Payment.paid_on >= first, Payment.paid_on <= last
        )
    )
    return int(paid or 0)


def _product(session: Session, case_id: str) -> str | None:
    return session.scalar(
        select(Account.product)
        .join(CaseAccount, CaseAccount.account_id == Account.account_id)
        .where(CaseAccount.case_id == case_id)
        .limit(1)
    )


class Workday:
    """One day of the collectors' work at a fixed clock, through the services."""

    def __init__(self, session: Session, settings: Settings, day: date, history: History) -> None:
        self.session = session
        self.settings = settings
        self.day = day
        self.history = history
        self.clock = FixedClock(working_time(day, 10, 0, settings.bank_timezone))
        self.ctx = Gatekeeping(
            pack=pack_of(settings.compliance_pack, settings.compliance_policy),
            codes=dispositions(settings.dispositions),
            clock=self.clock,
            bank_timezone=settings.bank_timezone,
        )

    def principal(self, username: str) -> Principal:
        return auth.principal_of(self.session, auth.user_named(self.session, username))

    def tick(self, minutes: int = 7) -> datetime:
        self.clock.advance(timedelta(minutes=minutes))
        return self.clock.now()

    def attempt(self, kind: str, act: Callable[[], T], *, savepoint: bool = True) -> T | None:
        """Run one act in a savepoint: refused by a rule (a hold, a limit, a closed case), it is
        rolled back, counted as refused, and the day goes on. A contact is logged without one:
        one the gate blocks keeps its recorded refusal, as the API commits it (the service checks
        its input before it writes)."""
        try:
            if savepoint:
                with self.session.begin_nested():
                    outcome = act()
            else:
                outcome = act()
        except contacts.ContactBlockedError:
            self.history.refused[f"{kind}:blocked"] += 1
            return None
        except ArrearsError as error:
            self.history.refused[f"{kind}:{error.code}"] += 1
            return None
        self.history.done[kind] += 1
        return outcome

    def call(self, who: Principal, case: Case, disposition: str, note: str | None = None) -> int | None:
        point = _phone(self.session, case.customer_id)
        if point is None:
            return None
        now = self.tick()
        callback = None
        if disposition == "callback_requested":
            callback = CallbackDraft(now + timedelta(days=1, hours=4), point, None)
        draft = contacts.Draft(
            channel=str(Channel.CALL),
            direction=str(Direction.OUTBOUND),
            party=str(Party.DEBTOR),
            disposition=disposition,
            contact_point_id=point,
            started_at=now,
            ended_at=now + timedelta(minutes=3),
            note=note,
        )
        done = self.attempt(
            "contact",
            lambda: contacts.log_contact(
                self.session, who, case.case_id, draft, ctx=self.ctx, today=self.day, callback=callback
            ),
            savepoint=False,
        )
        if done is None:
            return None
        contact, _callback = done
        return int(contact.id)

    def promise(self, who: Principal, case: Case, due_on: date, amount: int, contact_id: int | None) -> bool:
        terms = promises.Terms(
            installments=[(due_on, str(to_major(amount, case.currency)))],
            currency=case.currency,
            contact_id=contact_id,
        )
        done = self.attempt(
            "promise",
            lambda: promises.take(self.session, who, case.case_id, terms, now=self.tick(2), today=self.day),
        )
        return done is not None


def collectors_work(
    session: Session,
    settings: Settings,
    day: date,
    promise_until: date,
    collectors: list[str],
    history: History,
    *,
    cases_each: int = 15,
) -> None:
    """A morning of calls by each collector on their own cases, with promises: the cases whose
    customer pays (in the portfolio) by ``promise_until`` promise that amount (kept), some others
    promise the overdue amount by a near date and pay nothing (broken)."""
    work = Workday(session, settings, day, history)
    for username in collectors:
        who = work.principal(username)
        for number, case in enumerate(assigned_cases(session, who.user_id, cases_each)):
            paid = _paid_between(session, case.case_id, day, promise_until)
            if paid > 0:
                contact_id = work.call(who, case, "promise", "客户承诺近期还款 / promised to pay soon")
                if contact_id is not None:
                    amount = min(paid, max(case.overdue_total, 1))
                    work.promise(who, case, promise_until, amount, contact_id)
            elif number % 3 == 0 and case.overdue_total > 0:
                contact_id = work.call(who, case, "promise", "客户口头承诺 / verbal promise")
                if contact_id is not None:
                    work.promise(who, case, day + timedelta(days=3), case.overdue_total, contact_id)
            else:
                work.call(who, case, CALL_OUTCOMES[number % len(CALL_OUTCOMES)])


def casework(
    session: Session, settings: Settings, day: date, collector: str, as_of: date, history: History
) -> None:
    """The rarer acts, by one collector: a plan (its first installment due after the portfolio's
    date ``as_of``), a settlement over the collector's limit (waiting for the supervisor's
    approval), a complaint and a dispute (which holds the case)."""
    work = Workday(session, settings, day, history)
    who = work.principal(collector)
    limits = load_limits(settings.approval_limits)
    cases = assigned_cases(session, who.user_id, 60)
    first_due = as_of + timedelta(days=7)

    def without_arrangement(case: Case) -> bool:
        standing = session.scalar(
            select(func.count()).select_from(Arrangement).where(Arrangement.case_id == case.case_id)
        )
        return not standing

    pool = [c for c in cases if c.overdue_total > 0]
    plan_done = settlement_done = dispute_done = complaint_done = False
    for case in pool:
        if not plan_done and without_arrangement(case):
            work.call(who, case, "hardship_stated", "客户收入下降，申请分期 / asked for instalments")
            request = plans.PlanRequest(
                terms=plans.Terms(first_due_on=first_due, count=6), currency=case.currency
            )
            plan_done = (
                work.attempt(
                    "plan",
                    partial(
                        plans.propose_plan,
                        session,
                        who,
                        case.case_id,
                        request,
                        limits,
                        now=work.tick(),
                        today=day,
                    ),
                )
                is not None
            )
            continue
        if (
            not settlement_done
            and without_arrangement(case)
            and _product(session, case.case_id) != "mortgage"
        ):
            owed = _owed(session, case)
            if owed < 1000:
                continue
            work.call(who, case, "right_party_contact", "客户希望一次性结清 / asks to settle at once")
            total = int(Decimal(owed) * Decimal("0.75"))
            settle = plans.SettlementRequest(
                terms=plans.Terms(first_due_on=first_due), total=total, currency=case.currency
            )
            settlement_done = (
                work.attempt(
                    "settlement",
                    partial(
                        plans.propose_settlement,
                        session,
                        who,
                        case.case_id,
                        settle,
                        limits,
                        now=work.tick(),
                        today=day,
                    ),
                )
                is not None
            )
            continue
        if not complaint_done:
            contact_id = work.call(who, case, "complaint_raised", "客户投诉来电过于频繁 / calls too often")
            complaint_done = (
                work.attempt(
                    "complaint",
                    partial(
                        complaints.record_complaint,
                        session,
                        who,
                        case.case_id,
                        category="harassment",
                        description="客户称来电过于频繁。The customer says the calls are too frequent.",
                        about_user_id=None,
                        contact_id=contact_id,
                        respond_days=settings.complaint_respond_days,
                        now=work.tick(),
                        today=day,
                    ),
                )
                is not None
            )
            continue
        if not dispute_done:
            work.call(who, case, "dispute_raised", "客户对逾期金额有异议 / disputes the amount")
            dispute_done = (
                work.attempt(
                    "dispute",
                    partial(
                        disputes.raise_dispute,
                        session,
                        who,
                        case.case_id,
                        kind="amount",
                        written=True,
                        description=(
                            "客户称已于上月还款，金额有误。The customer says last month's payment is missing."
                        ),
                        account_id=None,
                        verify_days=settings.dispute_verify_days,
                        now=work.tick(),
                        today=day,
                    ),
                )
                is not None
            )
            if dispute_done:
                history.disputed_case = case.case_id
            continue
        break


def _owed(session: Session, case: Case) -> int:
    """What a plan or settlement of the case is measured against: the overdue amounts of its
    accounts in the case's currency (as the arrangements service counts it)."""
    owed = session.scalar(
        select(func.coalesce(func.sum(CaseAccount.overdue_amount), 0)).where(
            CaseAccount.case_id == case.case_id, CaseAccount.currency == case.currency
        )
    )
    return int(owed or 0)
