"""Simulation runs kept (issue #15 §6): ``arrears sim strategy --record`` stores a run here, the
command line, the API and the pages read it back. Never commits; the way in owns the
transaction. Storing a run leaves an audit entry; reading needs ``simulation.read``.

A run keeps both documents as they were simulated and the SHA-256 of each; when a stored version
of a strategy has the same digest, the run names it, so the pages link to it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from arrears.audit.trail import Actor, record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, check_permission
from arrears.errors import InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.strategy.models import SimulationRun, Strategy
from arrears.strategy.simulation import stored
from arrears.strategy.simulation.pair import Plan
from arrears.strategy.simulation.report import Comparison

INT64 = 2**63 - 1


class SimulationRunNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No simulation run {run_id}")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_version(session: Session, text: str) -> int | None:
    """The newest stored version whose document is ``text``, if any."""
    return session.scalar(
        select(Strategy.id).where(Strategy.digest == digest(text)).order_by(Strategy.id.desc()).limit(1)
    )


def record_run(
    session: Session,
    actor: Actor,
    texts: tuple[str, str],
    plan: Plan,
    comparison: Comparison,
    *,
    seconds: Decimal,
    now: datetime,
) -> SimulationRun:
    """Keep a run: the documents' texts as read (champion, challenger), the plan simulated and
    its comparison."""
    if plan.seed > INT64:
        raise InvalidInputError(N_("A recorded run's seed is at most {maximum}"), maximum=INT64)
    champion, challenger = texts
    row = SimulationRun(
        ran_at=now,
        ran_by=actor.user_id,
        ran_by_name=actor.name[:100],
        champion_name=plan.names[0],
        champion_strategy_id=stored_version(session, champion),
        champion_digest=digest(champion),
        champion_document=champion,
        challenger_name=plan.names[1],
        challenger_strategy_id=stored_version(session, challenger),
        challenger_digest=digest(challenger),
        challenger_document=challenger,
        customers=plan.customers,
        days=plan.days,
        seed=plan.seed,
        first_night=plan.start,
        seconds=seconds.quantize(Decimal("0.001")),
        result=stored.to_json(comparison),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "simulation.record",
        at=now,
        object_type="simulation_run",
        object_id=str(row.id),
        after={
            "champion": row.champion_name,
            "champion_digest": row.champion_digest,
            "challenger": row.challenger_name,
            "challenger_digest": row.challenger_digest,
            "customers": row.customers,
            "days": row.days,
            "seed": row.seed,
            "first_night": row.first_night.isoformat(),
        },
    )
    return row


def runs(
    session: Session,
    who: Principal | Actor,
    *,
    before: int | None = None,
    limit: int | None = None,
    strategy_id: int | None = None,
) -> list[SimulationRun]:
    """The runs kept, newest first; ``before``: only those with a smaller id (the next page);
    ``strategy_id``: only those in which that stored version was champion or challenger."""
    check_permission(who, Permission.SIMULATION_READ)
    query = (
        select(SimulationRun)
        .options(
            defer(SimulationRun.champion_document, raiseload=True),
            defer(SimulationRun.challenger_document, raiseload=True),
        )
        .order_by(SimulationRun.id.desc())
    )
    if before is not None:
        query = query.where(SimulationRun.id < before)
    if strategy_id is not None:
        query = query.where(
            or_(
                SimulationRun.champion_strategy_id == strategy_id,
                SimulationRun.challenger_strategy_id == strategy_id,
            )
        )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def run(session: Session, who: Principal | Actor, run_id: int) -> SimulationRun:
    check_permission(who, Permission.SIMULATION_READ)
    row = session.get(SimulationRun, run_id)
    if row is None:
        raise SimulationRunNotFoundError(run_id=run_id)
    return row


def comparison_of(row: SimulationRun) -> Comparison:
    """The run's comparison again, as the report draws it."""
    return stored.from_json(
        row.result,
        names=(row.champion_name, row.challenger_name),
        customers=row.customers,
        days=row.days,
        seed=row.seed,
    )
