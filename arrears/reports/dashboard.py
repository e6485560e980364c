"""The supervisor's dashboard (issue #14 §3): each figure one aggregate SQL statement.

Every figure is counted in the database (GROUP BY, CASE sums), never by loading rows into Python:
what comes back is one row per day, bucket, queue or collector, whatever the size of the
portfolio. The definitions are in docs/reports.md (the KPI glossary).

Filters: a period of business days (``first`` to ``last``, at most :data:`MAX_DAYS`), a team (the
figures of people and queues), a product (the figures of accounts and payments). Scope: the
portfolio's aggregates (buckets, roll rates, entries and cures, promises, collections) carry no
customer's data and are the whole portfolio's, as the roll-rate report is; the figures of
contacts, queues and collectors are those of the teams the caller may report on (a supervisor:
the teams they lead), as ``contact_metrics`` and the queues' service scope them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true, union_all
from sqlalchemy.orm import Session

from arrears.arrangements.models import Promise, PromiseStatus
from arrears.auth.models import Team, User
from arrears.auth.permissions import Permission, Scope
from arrears.auth.principal import Principal
from arrears.cases.models import CaseEvent, CaseEventKind
from arrears.contacts.dispositions import Disposition
from arrears.contacts.metrics import GroupBy, MetricsRow, contact_metrics, rate
from arrears.delinquency.models import DelinquencyRange, SnapshotDate
from arrears.delinquency.rules import DelinquencyRules
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.portfolio.models import Account, Payment, PaymentDayChange, PaymentDayTotal
from arrears.queues.models import CaseQueue
from arrears.reports import repository, totals
from arrears.reports.models import BucketDayTotal, RollDayCell
from arrears.reports.roll_rates import BY_COUNT, RollMatrix

MAX_DAYS = 366
DEFAULT_DAYS = 90
MAX_POINTS = 13
"""The bucket chart's snapshot dates at most (evenly spread over the period, the last included)."""
AGES = ((0, 7), (8, 30), (31, 90), (91, None))
"""Queue ageing bands: days since a case entered its queue."""


@dataclass(frozen=True, slots=True)
class Filters:
    first: date
    last: date
    team_id: int | None = None
    product: str | None = None

    def check(self) -> None:
        if self.last < self.first:
            raise InvalidInputError(
                N_("from ({first}) is after to ({last})"),
                first=self.first.isoformat(),
                last=self.last.isoformat(),
            )
        if (self.last - self.first).days >= MAX_DAYS:
            raise InvalidInputError(N_("A period of at most {days} days"), days=MAX_DAYS)


def default_period(today: date) -> tuple[date, date]:
    """The last 90 days, today included."""
    return today - timedelta(days=DEFAULT_DAYS - 1), today


@dataclass(frozen=True, slots=True)
class BucketPoint:
    as_of: date
    bucket: str
    currency: str
    accounts: int
    outstanding: int  # minor units


@dataclass(frozen=True, slots=True)
class FlowDay:
    day: date
    entries: int
    cures: int


@dataclass(frozen=True, slots=True)
class PromiseDay:
    day: date
    kept: int
    partly_kept: int
    broken: int

    @property
    def kept_rate(self) -> Decimal | None:
        return rate(self.kept, self.kept + self.partly_kept + self.broken)


@dataclass(frozen=True, slots=True)
class CollectedDay:
    day: date
    currency: str
    amount: int  # minor units, reversals taken off
    payments: int


@dataclass(frozen=True, slots=True)
class QueueAge:
    team_id: int
    queue: str
    cases: int
    ages: tuple[int, ...]  # cases per band of AGES


@dataclass(frozen=True, slots=True)
class Productivity:
    team_id: int | None
    collector_id: int | None
    attempts: int
    connected: int
    right_party: int
    promises: int

    @property
    def right_party_rate(self) -> Decimal | None:
        return rate(self.right_party, self.attempts)

    @property
    def promise_rate(self) -> Decimal | None:
        return rate(self.promises, self.right_party)


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    snapshot_dates: list[date]
    buckets: list[BucketPoint]
    roll: RollMatrix | None
    flows: list[FlowDay]
    promises: list[PromiseDay]
    contacts: list[MetricsRow]
    collected: list[CollectedDay]
    queues: list[QueueAge]
    collectors: list[Productivity]
    teams: list[Productivity]
    team_names: dict[int, str] = field(default_factory=dict)
    user_names: dict[int, str] = field(default_factory=dict)


FIGURES = ("buckets", "roll", "flows", "promises", "contacts", "collected", "queues", "collectors", "teams")
"""The figures, in the order of the page (each has its exports)."""
PERSONAL_FIGURES = frozenset({"collectors"})
"""Figures naming people: their exports are audited."""


def dashboard(
    session: Session,
    principal: Principal,
    codes: Mapping[str, Disposition],
    rules: DelinquencyRules,
    filters: Filters,
    *,
    today: date,
    figures: Sequence[str] = FIGURES,
) -> Dashboard:
    """The figures ``figures`` of the dashboard (report.read) for the period and filters."""
    principal.require(Permission.REPORT_READ)
    filters.check()
    wanted = set(figures)
    dates: list[date] = []
    if wanted & {"buckets", "roll"}:
        dates = snapshot_dates(session, filters.first, filters.last)
    buckets = bucket_points(session, thin(dates), filters.product) if "buckets" in wanted else []
    roll = None
    if "roll" in wanted and len(dates) >= 2:
        roll = roll_between(session, dates[0], dates[-1], rules, filters.product)
    contacts: list[MetricsRow] = []
    collectors: list[Productivity] = []
    teams: list[Productivity] = []
    if wanted & {"contacts", "collectors", "teams"}:
        # One pass over the period's contacts for the three figures: the rows per day, team and
        # collector (at most days × collectors of them), summed per day for the contacts' chart.
        rows = contact_metrics(
            session,
            principal,
            codes,
            first=filters.first,
            last=filters.last,
            team_id=filters.team_id,
            group_by=GroupBy.COLLECTOR,
            today=today,
        )
        if "contacts" in wanted:
            contacts = _per_day(rows)
        collectors = _totals(rows, by_collector=True) if "collectors" in wanted else []
        teams = _totals(rows, by_collector=False) if "teams" in wanted else []
    queues = queue_ages(session, principal, today, filters.team_id) if "queues" in wanted else []
    team_ids = {q.team_id for q in queues} | {
        p.team_id for p in [*teams, *collectors] if p.team_id is not None
    }
    user_ids = {p.collector_id for p in collectors if p.collector_id is not None}
    return Dashboard(
        filters=filters,
        snapshot_dates=dates,
        buckets=buckets,
        roll=roll,
        flows=flows(session, filters.first, filters.last) if "flows" in wanted else [],
        promises=promise_days(session, filters.first, filters.last) if "promises" in wanted else [],
        contacts=contacts,
        collected=collected(session, filters.first, filters.last, filters.product)
        if "collected" in wanted
        else [],
        queues=queues,
        collectors=collectors,
        teams=teams,
        team_names=team_names(session, team_ids),
        user_names=user_names(session, user_ids),
    )


# --- the queries: one statement each ------------------------------------------------------------


def snapshot_dates(session: Session, first: date, last: date) -> list[date]:
    """The dates a snapshot was written for in the period, oldest first."""
    query = (
        select(SnapshotDate.as_of)
        .where(SnapshotDate.as_of >= first, SnapshotDate.as_of <= last)
        .order_by(SnapshotDate.as_of)
    )
    return list(session.scalars(query))


def thin(dates: Sequence[date], points: int = MAX_POINTS) -> list[date]:
    """At most ``points`` of ``dates``, evenly spread, the first and last kept."""
    if len(dates) <= points:
        return list(dates)
    step = (len(dates) - 1) / (points - 1)
    return sorted({dates[round(i * step)] for i in range(points)})


def _of_product(product: str | None) -> ColumnElement[bool]:
    if product is None:
        return true()
    return DelinquencyRange.account_id.in_(select(Account.account_id).where(Account.product == product))


def bucket_points(session: Session, dates: Sequence[date], product: str | None) -> list[BucketPoint]:
    """Accounts and their outstanding balance per bucket and currency on each of ``dates`` (the
    snapshot's ranges covering each date), read from the nightly totals (arrears.reports.totals):
    a row per date, bucket, currency and product."""
    if not dates:
        return []
    query = select(
        BucketDayTotal.as_of,
        BucketDayTotal.bucket,
        BucketDayTotal.currency,
        func.sum(BucketDayTotal.accounts),
        func.sum(BucketDayTotal.outstanding),
    ).where(BucketDayTotal.as_of.in_(sorted(set(dates))))
    if product is not None:
        query = query.where(BucketDayTotal.product == product)
    query = (
        query.group_by(
            BucketDayTotal.as_of, BucketDayTotal.bucket_rank, BucketDayTotal.bucket, BucketDayTotal.currency
        )
        .having(func.sum(BucketDayTotal.accounts) != 0)
        .order_by(BucketDayTotal.as_of, BucketDayTotal.bucket_rank, BucketDayTotal.currency)
    )
    return [BucketPoint(d, b, c, int(n), int(s or 0)) for d, b, c, n, s in session.execute(query)]


def roll_between(
    session: Session, first: date, last: date, rules: DelinquencyRules, product: str | None
) -> RollMatrix:
    """The roll-rate matrix by count between two snapshot dates, read from the nightly roll cells
    of ``last`` (the changes up to ``first``: a row per day, pair of buckets, currency and
    product); a ``first`` beyond their window is counted from the ranges (the report's GROUP BY)."""
    if first < totals.window_start(last):
        cells = {
            (source, target): int(count)
            for source, target, count, _ in repository.roll_cells(
                session.connection(), first, last, product=product
            )
        }
    else:
        query = select(RollDayCell.from_bucket, RollDayCell.to_bucket, func.sum(RollDayCell.accounts)).where(
            RollDayCell.as_of == last, RollDayCell.since <= first
        )
        if product is not None:
            query = query.where(RollDayCell.product == product)
        query = query.group_by(RollDayCell.from_bucket, RollDayCell.to_bucket).having(
            func.sum(RollDayCell.accounts) != 0
        )
        cells = {(source, target): int(count) for source, target, count in session.execute(query)}
    known = list(rules.names)
    extra = sorted({b for pair in cells for b in pair} - set(known))
    return RollMatrix(first, last, BY_COUNT, None, tuple(known + extra), cells)


def flows(session: Session, first: date, last: date) -> list[FlowDay]:
    """Per business day: cases the batch opened or reopened (entries) and cases it cured (cures)."""
    entered = CaseEvent.kind.in_([CaseEventKind.OPENED, CaseEventKind.REOPENED])
    query = (
        select(
            CaseEvent.occurred_on,
            func.sum(case((entered, 1), else_=0)),
            func.sum(case((CaseEvent.kind == CaseEventKind.CURED, 1), else_=0)),
        )
        .where(
            CaseEvent.occurred_on >= first,
            CaseEvent.occurred_on <= last,
            CaseEvent.kind.in_([CaseEventKind.OPENED, CaseEventKind.REOPENED, CaseEventKind.CURED]),
        )
        .group_by(CaseEvent.occurred_on)
        .order_by(CaseEvent.occurred_on)
    )
    return [FlowDay(d, int(e or 0), int(c or 0)) for d, e, c in session.execute(query)]


def promise_days(session: Session, first: date, last: date) -> list[PromiseDay]:
    """Per business day a promise was settled (``closed_on``): kept, partly kept, broken (the
    superseded and cancelled are not settled by the customer and are left out)."""

    def count(status: PromiseStatus) -> Any:
        return func.sum(case((Promise.status == status, 1), else_=0))

    query = (
        select(
            Promise.closed_on,
            count(PromiseStatus.KEPT),
            count(PromiseStatus.PARTIALLY_KEPT),
            count(PromiseStatus.BROKEN),
        )
        .where(
            Promise.closed_on >= first,
            Promise.closed_on <= last,
            Promise.status.in_([PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN]),
        )
        .group_by(Promise.closed_on)
        .order_by(Promise.closed_on)
    )
    return [
        PromiseDay(d, int(k or 0), int(p or 0), int(b or 0))
        for d, k, p, b in session.execute(query)
        if d is not None
    ]


def collected(session: Session, first: date, last: date, product: str | None) -> list[CollectedDay]:
    """Per business day and currency: payments less reversals (a reversal counts on its own day).

    One statement: the nightly totals of the days they cover (arrears.reports.totals), and the
    payments of the others: the days after the latest total (today's) and the days noted as
    written since their total (a late, backdated or changed payment, an account's new product)."""
    in_period = and_(Payment.paid_on >= first, Payment.paid_on <= last)
    latest = select(func.max(PaymentDayTotal.paid_on)).scalar_subquery()
    noted = select(PaymentDayChange.paid_on)
    stored = select(
        PaymentDayTotal.paid_on.label("day"),
        PaymentDayTotal.currency.label("currency"),
        PaymentDayTotal.amount.label("amount"),
        PaymentDayTotal.payments.label("payments"),
    ).where(
        PaymentDayTotal.paid_on >= first,
        PaymentDayTotal.paid_on <= last,
        PaymentDayTotal.paid_on.not_in(noted),
    )
    if product is not None:
        stored = stored.where(PaymentDayTotal.product == product)

    def live(*days: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
        return select(
            Payment.paid_on.label("day"),
            Payment.currency.label("currency"),
            totals.signed_amount().label("amount"),
            totals.paid().label("payments"),
            Payment.account_id.label("account_id"),
        ).where(in_period, *days)

    after = live(Payment.paid_on > func.coalesce(latest, first - timedelta(days=1)))
    since = live(Payment.paid_on <= latest, Payment.paid_on.in_(noted))
    payments = union_all(after, since).subquery()
    today = select(payments.c.day, payments.c.currency, payments.c.amount, payments.c.payments)
    if product is not None:  # one join of the live days' payments to their accounts
        today = today.where(
            payments.c.account_id.in_(select(Account.account_id).where(Account.product == product))
        )
    rows = union_all(stored, today).subquery()
    amount = func.coalesce(func.sum(rows.c.amount), 0)
    query = (
        select(rows.c.day, rows.c.currency, amount, func.sum(rows.c.payments))
        .group_by(rows.c.day, rows.c.currency)
        .order_by(rows.c.day, rows.c.currency)
    )
    return [CollectedDay(_day(d), c, int(a), int(n or 0)) for d, c, a, n in session.execute(query)]


def _day(value: date | str) -> date:
    """A date from a union's column (SQLite gives its text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def queue_ages(session: Session, principal: Principal, today: date, team_id: int | None) -> list[QueueAge]:
    """The cases in each team's queue now, by days since they entered it (the bands of AGES), in
    the teams the caller may report on."""
    bands = []
    for low, high in AGES:
        entered_after = CaseQueue.entered_on <= today - timedelta(days=low)
        cond = (
            entered_after
            if high is None
            else and_(entered_after, CaseQueue.entered_on >= today - timedelta(days=high))
        )
        bands.append(func.sum(case((cond, 1), else_=0)))
    query = select(CaseQueue.team_id, CaseQueue.queue, func.count(), *bands).where(
        _teams(principal, CaseQueue.team_id)
    )
    if team_id is not None:
        query = query.where(CaseQueue.team_id == team_id)
    query = query.group_by(CaseQueue.team_id, CaseQueue.queue).order_by(CaseQueue.team_id, CaseQueue.queue)
    return [
        QueueAge(row[0], row[1], int(row[2]), tuple(int(v or 0) for v in row[3:]))
        for row in session.execute(query)
    ]


def _teams(principal: Principal, column: Any) -> ColumnElement[bool]:
    """The teams a caller reports on: all (scope all), the teams they lead (a supervisor)."""
    if principal.scope is Scope.ALL:
        return true()
    if principal.scope is Scope.LED_TEAMS:
        return column.in_(sorted(principal.led_team_ids))  # type: ignore[no-any-return]
    return column.in_([])  # type: ignore[no-any-return]


def _per_day(rows: Sequence[MetricsRow]) -> list[MetricsRow]:
    """The per-day rows of the per-day, team and collector rows (``contact_metrics`` by day)."""
    sums: dict[date, list[int]] = {}
    for row in rows:
        assert row.day is not None
        total = sums.setdefault(row.day, [0, 0, 0, 0, 0])
        values = (row.attempts, row.connected, row.third_party, row.right_party, row.promises)
        for i, value in enumerate(values):
            total[i] += value
    return [MetricsRow(day, None, None, *values) for day, values in sorted(sums.items())]


def _totals(rows: Sequence[MetricsRow], *, by_collector: bool) -> list[Productivity]:
    """The period's totals of the per-day aggregate rows (at most days × collectors of them)."""
    sums: dict[tuple[int | None, int | None], list[int]] = {}
    for row in rows:
        key = (row.team_id, row.collector_id if by_collector else None)
        total = sums.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate((row.attempts, row.connected, row.right_party, row.promises)):
            total[i] += value
    return [
        Productivity(team, collector, *values)
        for (team, collector), values in sorted(sums.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0))
    ]


def team_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row[0]: row[1] for row in session.execute(select(Team.id, Team.name).where(Team.id.in_(sorted(ids))))
    }


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(User.id, func.coalesce(User.display_name, User.username)).where(User.id.in_(sorted(ids)))
    return {row[0]: row[1] for row in session.execute(query)}


def teams_to_filter(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The teams the caller may filter on, by name."""
    query = select(Team.id, Team.name).where(_teams(principal, Team.id)).order_by(Team.name)
    return [(i, n) for i, n in session.execute(query)]
