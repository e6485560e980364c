"""The case facts a strategy reads, one row per open case, read from the operational database in
bulk (one statement) into Arrow for the batch engine.

Each fact is a column of :data:`FACTS_SCHEMA`; docs/strategy.md explains each. ``age`` is there
so that a bank that does not declare it protected may use it and so that the fairness report can
group by it; the facts a bank declares protected are refused as conditions
(:mod:`arrears.strategy.validation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import Subquery

from arrears.arrangements.models import Arrangement, Promise, PromiseStatus
from arrears.arrangements.plans import IN_FORCE
from arrears.cases.models import Case, CaseAccount, CaseStatus, Placement
from arrears.contacts.models import Contact
from arrears.db.arrow import read_arrow
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, Customer
from arrears.scoring import repository, uplift
from arrears.scoring.models import AccountScore
from arrears.strategy import evaluation
from arrears.strategy.document import StrategyDocument

HOLD_GRAVITY = ("deceased", "bankruptcy", "cease", "dispute", "hardship", "vulnerability")
"""A case's hold is the gravest of its customer's standing holds, in this order."""

READ_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("customer_id", pa.string()),
        ("opened_on", pa.date32()),
        ("bucket", pa.string()),
        ("dpd", pa.int32()),
        ("overdue", pa.int64()),
        ("currency", pa.string()),
        ("score", pa.int32()),
        ("score_band", pa.string()),
        ("score_reason", pa.string()),
        ("probability", pa.float64()),
        ("product", pa.string()),
        ("broken_promises", pa.int32()),
        ("promise", pa.string()),
        ("plan", pa.string()),
        ("hold", pa.string()),
        ("placed", pa.bool_()),
        ("language", pa.string()),
        ("country", pa.string()),
        ("timezone", pa.string()),
        ("birth_date", pa.date32()),
        ("last_contact", pa.string()),
    ]
)
"""What :func:`read_case_facts` reads from the database in one statement."""
FACTS_SCHEMA = (
    READ_SCHEMA.append(pa.field("uplift_gain", pa.float64()))
    .append(pa.field("uplift_band", pa.string()))
    .append(pa.field("uplift_arm", pa.string()))
)
"""The night's facts: those read, and each case's estimated gain from contact, its band and its
best arm (:mod:`arrears.scoring.uplift`); the engine derives ``age``, ``days_open`` and the rest."""
UPLIFT_FACTS = ("uplift_band", "uplift_arm")
"""The facts only the uplift model gives: a segment reading one has its cases scored."""


def read_case_facts(
    connection: Connection, as_of: date, document: StrategyDocument | None = None
) -> pa.Table:
    """Every open case's facts on the night of ``as_of`` (see :data:`FACTS_SCHEMA`). The uplift
    model scores only the cases a segment of ``document`` that reads ``uplift_band`` could take
    on its other conditions (None: every case)."""
    return read_scored_facts(connection, as_of, document)[0]


def read_scored_facts(
    connection: Connection, as_of: date, document: StrategyDocument | None = None
) -> tuple[pa.Table, UpliftScoring | None]:
    """:func:`read_case_facts`, and what the uplift model scored (the night judges its drift on
    it, :mod:`arrears.strategy.uplift_drift`)."""
    facts = read_facts(connection, as_of)
    rows = None if document is None else band_candidates(facts, as_of, document)
    return score_uplift(connection, facts, as_of, rows)


def read_facts(connection: Connection, as_of: date) -> pa.Table:
    """The facts read from the database (:data:`READ_SCHEMA`), in the database's order of case_id.

    Each part is a statement of its own, read into Arrow (the open cases with their customers and
    their worst account's product, in order of case_id; per case, its best score, its last outbound
    contact; the cases with an open promise, a plan in force, a placement in force; the
    customers' gravest holds), and DuckDB joins them: one statement joining them all in the
    database cost twice as much on SQLite (docs/strategy.md, "Measures")."""
    parts = {
        name: read_arrow(connection, query, schema)
        for name, (query, schema) in _parts(connection, as_of).items()
    }
    cases = parts["open_cases"]
    parts["open_cases"] = cases.append_column("position", pa.array(np.arange(cases.num_rows, dtype=np.int64)))
    con = duckdb.connect()
    try:
        for name, table in parts.items():
            con.register(name, table)
        found = con.sql(ASSEMBLE_SQL.format(holds=_hold_names())).to_arrow_table()
    finally:
        con.close()
    return found.cast(READ_SCHEMA)


ASSEMBLE_SQL = """
SELECT c.case_id, c.customer_id, c.opened_on, c.bucket, c.dpd, c.overdue, c.currency,
       s.score, COALESCE(s.band, 'none') AS score_band, COALESCE(s.reason, 'none') AS score_reason,
       s.probability, c.product, c.broken_promises,
       CASE WHEN p.case_id IS NOT NULL THEN 'open' ELSE 'none' END AS promise,
       CASE WHEN a.case_id IS NOT NULL THEN 'in_force' ELSE 'none' END AS plan,
       CASE {holds} ELSE 'none' END AS hold,
       pl.case_id IS NOT NULL AS placed,
       c.language, c.country, c.timezone, c.birth_date,
       COALESCE(l.disposition, 'none') AS last_contact
FROM open_cases AS c
LEFT JOIN scores AS s ON s.case_id = c.case_id
LEFT JOIN promised AS p ON p.case_id = c.case_id
LEFT JOIN planned AS a ON a.case_id = c.case_id
LEFT JOIN held AS h ON h.customer_id = c.customer_id
LEFT JOIN placed AS pl ON pl.case_id = c.case_id
LEFT JOIN last_contact AS l ON l.case_id = c.case_id
ORDER BY c.position
"""
"""The parts joined (each keyed once: one row per case, or per customer for the holds), in the
order the database gave the open cases."""


def _hold_names() -> str:
    return " ".join(f"WHEN h.gravity = {rank} THEN '{kind}'" for rank, kind in enumerate(HOLD_GRAVITY))


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields))


CASE_IDS = _schema(("case_id", pa.string()))
OPEN_CASES = pa.schema(
    [
        READ_SCHEMA.field(name)
        for name in (
            *("case_id", "customer_id", "opened_on", "bucket", "dpd", "overdue", "currency"),
            *("broken_promises", "language", "country", "timezone", "birth_date", "product"),
        )
    ]
)
"""The open cases with their customer and worst account, as the night reads them."""


def _parts(connection: Connection, as_of: date) -> dict[str, tuple[Select[Any], pa.Schema]]:
    """Each part's statement and schema (see :func:`read_facts`)."""
    scores, last = _best_score(connection, as_of), _last_contact()
    open_case = Case.status == str(CaseStatus.OPEN)
    return {
        "open_cases": (
            select(
                Case.case_id,
                Case.customer_id,
                Case.opened_on,
                Case.bucket,
                Case.worst_dpd,
                Case.overdue_total,
                Case.currency,
                Case.broken_promises,
                func.coalesce(Customer.language, ""),
                func.coalesce(Customer.country, ""),
                Customer.timezone,
                Customer.birth_date,
                func.coalesce(Account.product, ""),
            )
            .join(Customer, Customer.customer_id == Case.customer_id)
            .outerjoin(Account, Account.account_id == Case.worst_account_id)
            .where(open_case)
            .order_by(Case.case_id),
            OPEN_CASES,
        ),
        "scores": (
            select(
                scores.c.case_id, scores.c.score, scores.c.band, scores.c.reason, scores.c.probability
            ).where(scores.c.n == 1),
            _schema(
                ("case_id", pa.string()),
                ("score", pa.int32()),
                ("band", pa.string()),
                ("reason", pa.string()),
                ("probability", pa.float64()),
            ),
        ),
        "promised": (
            select(Promise.case_id).where(Promise.status == str(PromiseStatus.OPEN)).distinct(),
            CASE_IDS,
        ),
        "planned": (
            select(Arrangement.case_id).where(Arrangement.status.in_([str(s) for s in IN_FORCE])).distinct(),
            CASE_IDS,
        ),
        "held": (
            _gravest_hold(),
            _schema(("customer_id", pa.string()), ("gravity", pa.int32())),
        ),
        "placed": (
            select(CaseAccount.case_id)
            .join(Placement, Placement.account_id == CaseAccount.account_id)
            .where(Placement.recalled_at.is_(None), Placement.starts_on <= as_of, Placement.ends_on >= as_of)
            .distinct(),
            CASE_IDS,
        ),
        "last_contact": (
            select(last.c.case_id, last.c.disposition).where(last.c.n == 1),
            _schema(("case_id", pa.string()), ("disposition", pa.string())),
        ),
    }


def band_candidates(facts: pa.Table, as_of: date, document: StrategyDocument) -> npt.NDArray[np.int64]:
    """The rows of the cases that a segment reading ``uplift_band`` or ``uplift_arm`` could take
    whatever the model says (its other conditions, on DuckDB over the Arrow facts): only theirs
    need the model."""
    conditions = [
        evaluation.condition_sql(segment.when.model_copy(update=dict.fromkeys(UPLIFT_FACTS)))
        for segment in document.segments
        if any(getattr(segment.when, fact) is not None for fact in UPLIFT_FACTS)
    ]
    if not conditions or facts.num_rows == 0:
        return np.zeros(0, np.int64)
    either = " OR ".join(f"COALESCE({condition}, FALSE)" for condition in conditions)
    numbered = facts.append_column("row_number_", pa.array(np.arange(facts.num_rows)))
    con = duckdb.connect()
    try:
        con.register("case_facts", numbered)
        derived = evaluation.DERIVED.format(as_of=evaluation.date_literal(as_of))
        found = con.execute(f"SELECT row_number_ FROM ({derived}) AS d WHERE {either}").fetchnumpy()
    finally:
        con.close()
    return np.sort(np.asarray(found["row_number_"], np.int64))


@dataclass(frozen=True)
class UpliftScoring:
    """What the active model scored: its version, the model, and the scored rows with the
    features they were scored on (the night's drift is judged on them, :mod:`uplift_drift`)."""

    version: int
    model: uplift.UpliftModel
    scored: uplift.Scored


def score_uplift(
    connection: Connection, facts: pa.Table, as_of: date, rows: npt.NDArray[np.int64] | None = None
) -> tuple[pa.Table, UpliftScoring | None]:
    """The facts with each case's estimated gain and band from the active uplift model, scored
    set-based (one prediction per arm over all of ``rows`` at once, None: every row; NULL for the
    rows not scored, and for all when no uplift model is active), and what was scored (None when
    nothing was: no active model, or no row to score)."""
    n = facts.num_rows
    gain, codes, best = np.full(n, np.nan), np.full(n, -1, np.int8), np.full(n, -1, np.int16)
    active = None if rows is not None and not len(rows) else _active_uplift(connection)
    scoring = None
    if active is not None:
        chosen = np.arange(n) if rows is None else rows
        scored = active[1].scored(facts.take(chosen) if rows is not None else facts, as_of)
        gain[chosen], codes[chosen] = scored.gain, scored.codes
        if scored.best is not None:
            best[chosen] = scored.best
        scoring = UpliftScoring(active[0], active[1], scored)
    arms = active[1].arm_names(best) if active is not None else pa.nulls(n, pa.string())
    table = (
        facts.append_column(FACTS_SCHEMA.field("uplift_gain"), pa.array(gain, pa.float64(), mask=codes < 0))
        .append_column(FACTS_SCHEMA.field("uplift_band"), uplift.band_names(codes))
        .append_column(FACTS_SCHEMA.field("uplift_arm"), arms)
    )
    return table, scoring


def _active_uplift(connection: Connection) -> tuple[int, uplift.UpliftModel] | None:
    from arrears.scoring.service import artifact_of  # the scoring extra, only with a model

    with Session(bind=connection) as session:
        row = repository.active_version(session, uplift.PURPOSE)
        return None if row is None else (row.version, uplift.UpliftModel.from_bytes(artifact_of(row)))


def _best_score(connection: Connection, as_of: date) -> Subquery:
    """The best-scored account of each case on the latest scored date up to ``as_of``: its score,
    band, probability of paying and strongest reason (as the queues read the score)."""
    scored_on = connection.execute(
        select(func.max(AccountScore.as_of)).where(AccountScore.as_of <= as_of)
    ).scalar()
    return (
        select(
            AccountScore.case_id,
            AccountScore.score,
            AccountScore.band,
            AccountScore.probability,
            _strongest_reason(connection).label("reason"),
            func.row_number()
            .over(
                partition_by=AccountScore.case_id,
                order_by=(AccountScore.score.desc(), AccountScore.account_id),
            )
            .label("n"),
        )
        .where(AccountScore.as_of == scored_on, AccountScore.case_id.is_not(None))
        .subquery()
    )


def _strongest_reason(connection: Connection) -> ColumnElement[str]:
    """The feature of a score's first (strongest) reason. Written per dialect: the JSON path of a
    bound parameter is not processed on the bulk read path (arrears.db.arrow binds raw values)."""
    if connection.dialect.name == "postgresql":
        return AccountScore.reasons.op("#>>")(literal_column("'{0,feature}'"))
    return func.json_extract(AccountScore.reasons, literal_column("'$[0].feature'"))


def _gravest_hold() -> Select[str, int]:
    gravity = case(
        *[(Hold.kind == kind, literal(rank)) for rank, kind in enumerate(HOLD_GRAVITY)],
        else_=literal(len(HOLD_GRAVITY)),
    )
    return (
        select(Hold.customer_id, cast(func.min(gravity), Integer).label("gravity"))
        .where(Hold.lifted_at.is_(None))
        .group_by(Hold.customer_id)
    )


def _last_contact() -> Subquery:
    return (
        select(
            Contact.case_id,
            Contact.disposition,
            Contact.started_at,
            func.row_number()
            .over(partition_by=Contact.case_id, order_by=(Contact.started_at.desc(), Contact.id.desc()))
            .label("n"),
        )
        .where(Contact.direction == "outbound")
        .subquery()
    )
