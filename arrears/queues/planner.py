"""The set-based plan of queues and assignment over today's open cases, shared by the nightly step
(which writes it) and the preview (which only counts it).

Everything here is a handful of SQL statements over temporary tables; the Python loops go
over queues, skill groups and collectors (tens or hundreds), never over cases:

- ``queue_facts``: one row per open case with the facts the rules read, the queue it falls in
  (the first rule that matches, one ``CASE`` expression), its current assignment, and the
  collector the plan gives it (``target``);
- ``queue_loads``: one row per eligible collector (active, of the queue's team) with capacity,
  open cases and balance kept so far;
- ``queue_ranks`` and ``queue_slots``: one skill group's cases and its collectors' free places,
  each numbered in order, so that the i-th case meets the i-th place by key;
- ``queue_matches``: the matches gathered, applied to the facts in one ``UPDATE … FROM``.

The assignment, per queue, in this order:

1. a retained case (留案, until its date) keeps its assignment, whatever the rules say;
2. a case whose queue did not change keeps its collector (sticky) while the collector is still an
   active collector of the queue's team, unless the queue reassigns after N days and nothing
   happened on the case (right-party contact, promise, payment) since the later of the day it
   entered the queue, the day its collector took it, and N days ago;
3. every other case of the queue is dealt to the eligible collectors by workload within capacity:
   per skill group (the customer's language and the worst account's product; the groups with
   the fewest eligible collectors first), collectors' free places are ranked by the open cases
   they would then hold and their balance, and the cases, highest overdue first, take the free
   places in that order (water filling: counts even out, balance breaks the ties);
4. a stale case (2.) that came back to its own collector goes to the least loaded other one with
   room, in a few passes; what finds no collector waits in the team's pool (collector empty).

A case that matches no queue leaves ``case_queues`` and keeps its assignment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    true,
    update,
)

from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.cases.models import Case, CaseAccount, CaseAssignment, CaseStatus, Placement
from arrears.contacts.dispositions import Counts, dispositions
from arrears.db import UTCDateTime
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, Customer
from arrears.queues.models import CaseQueue, CollectorProfile, Retention
from arrears.queues.rules import Queue, QueueSetDocument, Rule
from arrears.scoring.models import AccountScore

FIX_UP_PASSES = 4
"""Passes that move stale cases given back to their own collector to another one."""

_meta = MetaData()
facts = Table(
    "queue_facts",
    _meta,
    Column("case_id", String(100), primary_key=True),
    Column("customer_id", String(100)),
    Column("bucket", String(16)),
    Column("dpd", Integer),
    Column("overdue", BigInteger),
    Column("currency", String(3)),
    Column("language", String(35)),
    Column("country", String(2)),
    Column("product", String(32)),
    Column("branch", String(64)),
    Column("score", Integer),
    Column("broken", Integer),
    Column("placed", Boolean),
    Column("held", Boolean),
    Column("retained", Boolean),
    Column("cur_team", Integer),
    Column("cur_collector", Integer),
    Column("cur_since", UTCDateTime()),
    Column("prev_queue", String(64)),
    Column("prev_since", Date),
    Column("progress_on", Date, comment="the latest day something happened on the case, as known"),
    Column("progressed", Boolean, comment="progress found in this night's window"),
    Column("queue", String(64)),
    Column("team_id", Integer),
    Column("target_team", Integer),
    Column("keep", Boolean),
    Column("avoid", Integer),
    Column("target", Integer),
    prefixes=["TEMPORARY"],
)
loads = Table(
    "queue_loads",
    _meta,
    Column("user_id", Integer, primary_key=True),
    Column("team_id", Integer),
    Column("capacity", Integer),
    Column("load", Integer),
    Column("balance", BigInteger),
    Column("quota", Integer, comment="free places one skill group's pass may take"),
    prefixes=["TEMPORARY"],
)
matches = Table(
    "queue_matches",
    _meta,
    Column("case_id", String(100), primary_key=True),
    Column("user_id", Integer),
    prefixes=["TEMPORARY"],
)
ranks = Table(
    "queue_ranks",
    _meta,
    Column("rn", Integer, primary_key=True, autoincrement=False),
    Column("case_id", String(100)),
    Column("overdue", BigInteger),
    prefixes=["TEMPORARY"],
)
slots_table = Table(
    "queue_slots",
    _meta,
    Column("rn", Integer, primary_key=True, autoincrement=False),
    Column("user_id", Integer),
    prefixes=["TEMPORARY"],
)
TABLES = (facts, loads, matches, ranks, slots_table)


@dataclass(frozen=True)
class Collector:
    user_id: int
    team_id: int
    languages: frozenset[str]
    products: frozenset[str]
    capacity: int

    def takes(self, language: str, product: str) -> bool:
        return (not self.languages or not language or language in self.languages) and (
            not self.products or not product or product in self.products
        )


@dataclass
class Plan:
    """What the plan found: per queue its cases, and the moves (queue and collector)."""

    queue_set: int
    cases: dict[str, int] = field(default_factory=dict)
    queue_moves: int = 0
    collector_moves: int = 0
    left_queues: int = 0
    pooled: int = 0


def prepare(connection: Connection) -> None:
    for table in TABLES:
        table.drop(connection, checkfirst=True)
        table.create(connection)


def finish(connection: Connection) -> None:
    for table in TABLES:
        table.drop(connection, checkfirst=True)


def plan(
    connection: Connection,
    document: QueueSetDocument,
    teams: Mapping[str, int],
    number: int,
    as_of: date,
    progress_from: date | None = None,
) -> Plan:
    """Fill the temporary tables with the plan for ``as_of`` (call :func:`prepare` first).

    ``progress_from``: the day from which progress on the cases (:func:`find_progress`) is not
    yet recorded in ``case_queues.last_progress_on`` (the previous night's date); None: look
    back over the longest reassignment window of the set."""
    _fill_facts(connection, as_of, document.queues, teams)
    find_progress(connection, _progress_window(document.queues, as_of, progress_from), as_of)
    connection.exec_driver_sql("CREATE INDEX ix_queue_facts_queue ON queue_facts (queue, keep)")
    collectors = _collectors(connection, set(teams.values()), document.default_capacity)
    _fill_loads(connection, collectors)
    if connection.dialect.name == "postgresql":  # temporary tables have no statistics until asked
        connection.exec_driver_sql("ANALYZE queue_facts")
        connection.exec_driver_sql("ANALYZE queue_loads")
    _keep(connection, document.queues, collectors, as_of)
    _deal(connection, document.queues, teams, collectors)
    _fix_up(connection, document.queues, collectors)
    return _count(connection, document, number)


def team_of(queue: Queue, teams: Mapping[str, int]) -> int:
    return teams[str(queue.team)]


def _since(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days - 1)


def _fill_facts(
    connection: Connection, as_of: date, queues: Sequence[Queue], teams: Mapping[str, int]
) -> None:
    scored_on = connection.execute(
        select(func.max(AccountScore.as_of)).where(AccountScore.as_of <= as_of)
    ).scalar()
    scores = (
        select(AccountScore.case_id, func.max(AccountScore.score).label("score"))
        .where(AccountScore.as_of == scored_on, AccountScore.case_id.is_not(None))
        .group_by(AccountScore.case_id)
        .subquery()
    )
    placed = (
        select(CaseAccount.case_id)
        .join(Placement, Placement.account_id == CaseAccount.account_id)
        .where(Placement.recalled_at.is_(None), Placement.starts_on <= as_of, Placement.ends_on >= as_of)
        .distinct()
        .subquery()
    )
    held = select(Hold.customer_id).where(Hold.lifted_at.is_(None)).distinct().subquery()
    retained = (
        select(Retention.case_id)
        .where(Retention.released_at.is_(None), Retention.until >= as_of)
        .distinct()
        .subquery()
    )
    current = select(CaseAssignment).where(CaseAssignment.ended_at.is_(None)).subquery()
    read = SimpleNamespace(  # the facts a rule reads, as expressions of this query
        bucket=Case.bucket,
        dpd=Case.worst_dpd,
        overdue=Case.overdue_total,
        currency=Case.currency,
        language=func.coalesce(Customer.language, ""),
        country=func.coalesce(Customer.country, ""),
        product=func.coalesce(Account.product, ""),
        branch=func.coalesce(Account.branch, ""),
        score=scores.c.score,
        broken=Case.broken_promises,
        placed=placed.c.case_id.is_not(None),
        held=held.c.customer_id.is_not(None),
    )
    queue, team = _placed_in(read, queues, teams)
    chosen = (
        select(
            Case.case_id,
            Case.customer_id,
            read.bucket,
            read.dpd,
            read.overdue,
            read.currency,
            read.language,
            read.country,
            read.product,
            read.branch,
            read.score,
            read.broken,
            read.placed,
            read.held,
            retained.c.case_id.is_not(None),
            current.c.team_id,
            current.c.collector_id,
            current.c.assigned_at,
            CaseQueue.queue,
            func.coalesce(CaseQueue.collector_since, CaseQueue.entered_on),
            CaseQueue.last_progress_on,
            literal(False),
            literal(False),
            queue,
            team,
            team,
        )
        .join(Customer, Customer.customer_id == Case.customer_id)
        .outerjoin(Account, Account.account_id == Case.worst_account_id)
        .outerjoin(scores, scores.c.case_id == Case.case_id)
        .outerjoin(placed, placed.c.case_id == Case.case_id)
        .outerjoin(held, held.c.customer_id == Case.customer_id)
        .outerjoin(retained, retained.c.case_id == Case.case_id)
        .outerjoin(current, current.c.case_id == Case.case_id)
        .outerjoin(CaseQueue, CaseQueue.case_id == Case.case_id)
        .where(Case.status == str(CaseStatus.OPEN))
    )
    names = [
        "case_id",
        "customer_id",
        "bucket",
        "dpd",
        "overdue",
        "currency",
        "language",
        "country",
        "product",
        "branch",
        "score",
        "broken",
        "placed",
        "held",
        "retained",
        "cur_team",
        "cur_collector",
        "cur_since",
        "prev_queue",
        "prev_since",
        "progress_on",
        "progressed",
        "keep",
        "queue",
        "team_id",
        "target_team",
    ]
    connection.execute(insert(facts).from_select(names, chosen))


def condition(rule: Rule, c: Any) -> ColumnElement[bool]:
    """The rule as a SQL condition on the facts ``c`` (columns by name)."""
    parts: list[ColumnElement[bool]] = []
    if rule.buckets is not None:
        parts.append(c.bucket.in_(rule.buckets))
    if rule.dpd is not None:
        parts.extend(_band(c.dpd, rule.dpd.min, rule.dpd.max))
    if rule.products is not None:
        parts.append(c.product.in_(rule.products))
    if rule.balance is not None:
        parts.append(c.currency == rule.balance.currency)
        parts.extend(_band(c.overdue, rule.balance.min, rule.balance.max))
    if rule.currencies is not None:
        parts.append(c.currency.in_(rule.currencies))
    if rule.languages is not None:
        parts.append(c.language.in_(rule.languages))
    if rule.countries is not None:
        parts.append(c.country.in_(rule.countries))
    if rule.branches is not None:
        parts.append(c.branch.in_(rule.branches))
    if rule.score is not None:
        parts.append(c.score.is_not(None))
        parts.extend(_band(c.score, rule.score.min, rule.score.max))
    if rule.broken_promises is not None:
        parts.append(c.broken >= rule.broken_promises)
    if rule.placed is not None:
        parts.append(c.placed if rule.placed else ~c.placed)
    if rule.held is not None:
        parts.append(c.held if rule.held else ~c.held)
    return and_(true(), *parts)


def _band(column: ColumnElement[int], low: int | None, high: int | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if low is not None:
        found.append(column >= low)
    if high is not None:
        found.append(column <= high)
    return found


def _placed_in(c: Any, queues: Sequence[Queue], teams: Mapping[str, int]) -> tuple[Any, Any]:
    """Each case's queue and its team: the first queue whose rule matches (CASE expressions)."""
    whens = [(condition(q.rule, c), q.code) for q in queues]
    team_whens = [(condition(q.rule, c), team_of(q, teams)) for q in queues]
    return case(*whens, else_=null()), case(*team_whens, else_=null())


def _collectors(connection: Connection, team_ids: set[int], default_capacity: int) -> list[Collector]:
    rows = connection.execute(
        select(
            User.id,
            User.team_id,
            CollectorProfile.languages,
            CollectorProfile.products,
            CollectorProfile.capacity,
        )
        .outerjoin(CollectorProfile, CollectorProfile.user_id == User.id)
        .where(
            User.role == str(Role.COLLECTOR),
            User.active.is_(True),
            User.team_id.in_(sorted(team_ids)),
        )
        .order_by(User.id)
    ).all()
    return [
        Collector(
            user_id=row[0],
            team_id=row[1] or 0,
            languages=frozenset(row[2] or ()),
            products=frozenset(row[3] or ()),
            capacity=default_capacity if row[4] is None else row[4],
        )
        for row in rows
    ]


def _fill_loads(connection: Connection, collectors: Sequence[Collector]) -> None:
    if collectors:
        connection.execute(
            insert(loads),
            [
                {
                    "user_id": c.user_id,
                    "team_id": c.team_id,
                    "capacity": c.capacity,
                    "load": 0,
                    "balance": 0,
                    "quota": 0,
                }
                for c in collectors
            ],
        )


def _keep(
    connection: Connection, queues: Sequence[Queue], collectors: Sequence[Collector], as_of: date
) -> None:
    c = facts.c
    eligible = exists().where(loads.c.user_id == c.cur_collector, loads.c.team_id == c.team_id)
    # No queue, or retained: the assignment stays as it is.
    connection.execute(
        update(facts)
        .where(or_(c.queue.is_(None), c.retained.is_(True)))
        .values(keep=True, target=c.cur_collector, target_team=c.cur_team)
    )
    for queue in queues:
        if not queue.assignment.sticky:
            continue
        stays = and_(
            c.queue == queue.code,
            c.keep.is_(False),
            c.prev_queue == queue.code,
            c.cur_team == c.team_id,
            c.cur_collector.is_not(None),
            eligible,
        )
        days = queue.assignment.reassign_after_days
        if days is not None:
            since = _since(as_of, days)
            instant = datetime.combine(since, time(0), tzinfo=UTC)
            stale = and_(
                c.prev_since < since,
                c.cur_since < instant,
                or_(c.progress_on.is_(None), c.progress_on < since),
            )
            connection.execute(update(facts).where(stays, stale).values(avoid=c.cur_collector))
            stays = and_(stays, c.avoid.is_(None))
        connection.execute(update(facts).where(stays).values(keep=True, target=c.cur_collector))
    kept = select(facts.c.target, func.count(), func.coalesce(func.sum(facts.c.overdue), 0)).where(
        facts.c.keep.is_(True), facts.c.target.is_not(None)
    )
    _add_loads(connection, kept.group_by(facts.c.target), 1)


def _add_loads(connection: Connection, per_collector: Select[Any], sign: int) -> None:
    """Add (or take away) the cases and balance of ``per_collector`` (user, cases, balance) to
    the collectors' loads: one aggregate, then one UPDATE per collector (never per case)."""
    rows = connection.execute(per_collector).all()
    if rows:
        connection.execute(
            update(loads)
            .where(loads.c.user_id == bindparam("who"))
            .values(load=loads.c.load + bindparam("cases"), balance=loads.c.balance + bindparam("weight")),
            [{"who": row[0], "cases": sign * int(row[1]), "weight": sign * int(row[2])} for row in rows],
        )


def _progress_window(queues: Sequence[Queue], as_of: date, progress_from: date | None) -> date:
    """The first day whose progress the night looks for: the previous night's (what it recorded
    is kept), never before the longest reassignment window of the set needs."""
    windows = [
        _since(as_of, q.assignment.reassign_after_days) for q in queues if q.assignment.reassign_after_days
    ]
    earliest = min(windows, default=as_of)
    return earliest if progress_from is None else min(as_of, max(earliest, progress_from))


# The payments by their date (ix_payments_paid_on): "reverses IS NULL" is written through
# COALESCE so that SQLite, without statistics, does not take it for an equality on the unique
# index of reverses and walk every payment that reverses none (nearly all of them) each night.
PROGRESS_SQL = """
UPDATE queue_facts SET progress_on = recent.day, progressed = :yes
FROM (
    SELECT case_id, max(day) AS day FROM (
        SELECT case_id, started_on AS day FROM contacts
        WHERE started_on BETWEEN :start AND :as_of AND disposition IN :codes
        UNION ALL
        SELECT case_id, taken_on FROM promises WHERE taken_on BETWEEN :start AND :as_of
        UNION ALL
        SELECT m.case_id, p.paid_on FROM payments AS p JOIN case_accounts AS m ON m.account_id = p.account_id
        WHERE p.paid_on BETWEEN :start AND :as_of AND COALESCE(p.reverses, NULL) IS NULL
    ) AS happened GROUP BY case_id
) AS recent
WHERE queue_facts.case_id = recent.case_id
  AND (queue_facts.progress_on IS NULL OR queue_facts.progress_on < recent.day)
"""


def find_progress(connection: Connection, start: date, as_of: date) -> None:
    """Record in the facts the latest day from ``start`` to ``as_of`` on which something happened
    on each case: a right-party contact, a promise, a payment (``progressed``: found now).

    Set-based over the days' rows (by the indexes on their dates), never a probe per case: the
    days before ``start`` are in ``case_queues.last_progress_on``, which the night writes."""
    codes = sorted(
        code for code, d in dispositions().items() if d.counts(Counts.RIGHT_PARTY) or d.counts(Counts.PROMISE)
    )
    statement = text(PROGRESS_SQL).bindparams(
        bindparam("codes", expanding=True), bindparam("start", type_=Date()), bindparam("as_of", type_=Date())
    )
    connection.execute(statement, {"yes": True, "codes": codes, "start": start, "as_of": as_of})


def _groups(connection: Connection, queue: Queue) -> list[tuple[str, str, int]]:
    c = facts.c
    pending = and_(c.queue == queue.code, c.keep.is_(False), c.target.is_(None))
    if not queue.assignment.skills:
        total = connection.execute(select(func.count()).where(pending)).scalar_one()
        return [("*", "*", total)] if total else []
    rows = connection.execute(
        select(c.language, c.product, func.count()).where(pending).group_by(c.language, c.product)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def _deal(
    connection: Connection, queues: Sequence[Queue], teams: Mapping[str, int], collectors: Sequence[Collector]
) -> None:
    for queue in queues:
        team_id = team_of(queue, teams)
        team_collectors = [col for col in collectors if col.team_id == team_id]
        if not team_collectors:
            continue
        groups = []
        for language, product, count in _groups(connection, queue):
            eligible = [
                col.user_id for col in team_collectors if language == "*" or col.takes(language, product)
            ]
            groups.append((len(eligible), language, product, count, eligible))
        for _size, language, product, count, eligible in sorted(groups, key=lambda g: (g[0], g[1], g[2])):
            if eligible:
                _match(connection, queue, language, product, count, eligible)
    _apply_matches(connection)


def _match(
    connection: Connection, queue: Queue, language: str, product: str, count: int, eligible: Sequence[int]
) -> None:
    """The pending cases of one skill group take the free places of its eligible collectors."""
    c = facts.c
    state = connection.execute(
        select(loads.c.user_id, loads.c.load, loads.c.capacity).where(loads.c.user_id.in_(eligible))
    ).all()
    quotas = _quotas({row[0]: (row[1], row[2]) for row in state}, count)
    most = max(quotas.values(), default=0)
    if most <= 0:
        return
    connection.execute(
        update(loads).where(loads.c.user_id == bindparam("who")).values(quota=bindparam("places")),
        [{"who": who, "places": places} for who, places in quotas.items()],
    )
    # The free places and the cases, each ranked into a table keyed by rank: the i-th case takes
    # the i-th place (a join on the keys, whatever plan the database picks).
    numbers = select(literal(1).label("k")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select((numbers.c.k + 1).label("k")).where(numbers.c.k < most))
    places = (
        select(
            func.row_number()
            .over(order_by=(loads.c.load + numbers.c.k, loads.c.balance, loads.c.user_id))
            .label("rn"),
            loads.c.user_id,
        )
        .join(numbers, numbers.c.k <= loads.c.quota)
        .where(loads.c.user_id.in_(eligible))
    )
    connection.execute(insert(slots_table).from_select(["rn", "user_id"], places))
    group = and_(c.queue == queue.code, c.keep.is_(False), c.target.is_(None))
    if language != "*":
        group = and_(group, c.language == language, c.product == product)
    ranked = select(
        func.row_number().over(order_by=(c.overdue.desc(), c.case_id)).label("rn"), c.case_id, c.overdue
    ).where(group)
    connection.execute(insert(ranks).from_select(["rn", "case_id", "overdue"], ranked))
    paired = ranks.join(slots_table, slots_table.c.rn == ranks.c.rn)
    taken = (
        select(slots_table.c.user_id, func.count(), func.coalesce(func.sum(ranks.c.overdue), 0))
        .select_from(paired)
        .group_by(slots_table.c.user_id)
    )
    _add_loads(connection, taken, 1)
    # The groups' cases are apart: the matches gather, and reach the facts once (_apply_matches).
    connection.execute(
        insert(matches).from_select(
            ["case_id", "user_id"], select(ranks.c.case_id, slots_table.c.user_id).select_from(paired)
        )
    )
    connection.execute(delete(ranks))
    connection.execute(delete(slots_table))


def _apply_matches(connection: Connection) -> None:
    """The matches gathered become the facts' targets (one UPDATE … FROM), then go."""
    connection.execute(
        update(facts).where(facts.c.case_id == matches.c.case_id).values(target=matches.c.user_id)
    )
    connection.execute(delete(matches))


def _quotas(state: Mapping[int, tuple[int, int]], count: int) -> dict[int, int]:
    """The free places each collector (load, capacity) offers so that ``count`` cases fill the
    lowest places first: up to the lowest level that holds them all (water filling), within
    capacity. Only these places are made into rows."""

    def places(level: int) -> dict[int, int]:
        return {who: max(0, min(capacity - load, level - load)) for who, (load, capacity) in state.items()}

    if not state:
        return {}
    low = min(load for load, _ in state.values())
    high = max(low, *(capacity for _, capacity in state.values()))
    while low < high:  # the lowest level whose places hold every case (or the top of capacity)
        middle = (low + high) // 2
        if sum(places(middle).values()) >= count:
            high = middle
        else:
            low = middle + 1
    return places(low)


def _take_matches(connection: Connection) -> None:
    """A fix-up pass's matches: into the collectors' loads, then the facts' targets."""
    taken = (
        select(matches.c.user_id, func.count(), func.coalesce(func.sum(facts.c.overdue), 0))
        .join(facts, facts.c.case_id == matches.c.case_id)
        .group_by(matches.c.user_id)
    )
    _add_loads(connection, taken, 1)
    _apply_matches(connection)


def _fix_up(connection: Connection, queues: Sequence[Queue], collectors: Sequence[Collector]) -> None:
    """Stale cases dealt back to their own collector go to the least loaded other one with room."""
    c = facts.c
    back = and_(c.avoid.is_not(None), c.target == c.avoid, c.keep.is_(False))
    if connection.execute(select(func.count()).where(back)).scalar_one() == 0:
        return
    # Give them back: their own collector's places free again.
    given = select(facts.c.target, func.count(), func.coalesce(func.sum(facts.c.overdue), 0)).where(back)
    _add_loads(connection, given.group_by(facts.c.target), -1)
    connection.execute(update(facts).where(back).values(target=None))
    skills = {q.code: q.assignment.skills for q in queues}
    waiting = and_(c.avoid.is_not(None), c.target.is_(None), c.keep.is_(False))
    for _ in range(FIX_UP_PASSES):
        rows = connection.execute(
            select(c.queue, c.team_id, c.language, c.product, c.avoid).where(waiting).distinct()
        ).all()
        if not rows:
            return
        free = dict(connection.execute(select(loads.c.user_id, loads.c.capacity - loads.c.load)).all())
        load_of = dict(connection.execute(select(loads.c.user_id, loads.c.load)).all())
        for queue_code, team_id, language, product, avoid in rows:
            candidates = [
                col
                for col in collectors
                if col.team_id == team_id
                and col.user_id != avoid
                and free.get(col.user_id, 0) > 0
                and (not skills.get(queue_code, True) or col.takes(language, product))
            ]
            if not candidates:
                continue
            best = min(candidates, key=lambda col: (load_of[col.user_id], col.user_id))
            ranked = (
                select(c.case_id, func.row_number().over(order_by=(c.overdue.desc(), c.case_id)).label("rn"))
                .where(
                    waiting,
                    c.queue == queue_code,
                    c.language == language,
                    c.product == product,
                    c.avoid == avoid,
                )
                .subquery()
            )
            connection.execute(
                insert(matches).from_select(
                    ["case_id", "user_id"],
                    select(ranked.c.case_id, literal(best.user_id)).where(
                        ranked.c.rn <= free[best.user_id],
                        ranked.c.case_id.not_in(select(matches.c.case_id)),
                    ),
                )
            )
        _take_matches(connection)


def moved() -> ColumnElement[bool]:
    """The cases the plan moves to another team or collector."""
    c = facts.c
    return and_(
        c.queue.is_not(None),
        c.keep.is_(False),
        or_(c.cur_team.is_distinct_from(c.target_team), c.cur_collector.is_distinct_from(c.target)),
    )


def _count(connection: Connection, document: QueueSetDocument, number: int) -> Plan:
    c = facts.c
    found = Plan(queue_set=number)
    sizes: dict[str, int] = dict(
        connection.execute(select(c.queue, func.count()).where(c.queue.is_not(None)).group_by(c.queue)).all()
    )
    found.cases = {q.code: int(sizes.get(q.code, 0)) for q in document.queues}
    found.queue_moves = connection.execute(
        select(func.count()).where(c.queue.is_not(None), c.prev_queue.is_distinct_from(c.queue))
    ).scalar_one()
    found.left_queues = connection.execute(
        select(func.count()).where(c.queue.is_(None), c.prev_queue.is_not(None))
    ).scalar_one()
    found.collector_moves = connection.execute(select(func.count()).where(moved())).scalar_one()
    found.pooled = connection.execute(select(func.count()).where(moved(), c.target.is_(None))).scalar_one()
    return found
