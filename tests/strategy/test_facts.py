"""The strategy's facts, read part by part and joined in DuckDB (:func:`arrears.strategy.facts.read_facts`),
are those of the one statement that joined them in the database before (kept here as the
reference): on SQLite and PostgreSQL, on a book with every part filled, ties included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, insert, literal, select, update

from arrears.arrangements.models import Arrangement, Promise, PromiseStatus
from arrears.arrangements.plans import IN_FORCE
from arrears.auth.models import Agency, Team, User
from arrears.cases.models import Case, CaseAccount, CaseStatus, Placement
from arrears.contacts.models import Contact
from arrears.db.arrow import read_arrow
from arrears.disputes.models import Hold
from arrears.portfolio.models import Account, Customer
from arrears.strategy import facts
from tests.api.book import Book, account_id_of, case_id_of

AS_OF = date(2026, 11, 21)
AT = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def worst_account() -> Any:
    """The product of each open case's account with the highest DPD (then the largest overdue, then
    the smallest id), ranked as the night did until session 17 (now the case names the account)."""
    return (
        select(
            CaseAccount.case_id,
            Account.product,
            func.row_number()
            .over(
                partition_by=CaseAccount.case_id,
                order_by=(CaseAccount.dpd.desc(), CaseAccount.overdue_amount.desc(), CaseAccount.account_id),
            )
            .label("n"),
        )
        .join(Account, Account.account_id == CaseAccount.account_id)
        .subquery()
    )


def reference(connection: Connection, as_of: date) -> Any:
    """The facts in one statement, as the night read them until session 16."""
    worst = worst_account()
    scores = facts._best_score(connection, as_of)
    promised = select(Promise.case_id).where(Promise.status == str(PromiseStatus.OPEN)).distinct().subquery()
    planned = (
        select(Arrangement.case_id)
        .where(Arrangement.status.in_([str(s) for s in IN_FORCE]))
        .distinct()
        .subquery()
    )
    held = facts._gravest_hold().subquery()
    placed = (
        select(CaseAccount.case_id)
        .join(Placement, Placement.account_id == CaseAccount.account_id)
        .where(Placement.recalled_at.is_(None), Placement.starts_on <= as_of, Placement.ends_on >= as_of)
        .distinct()
        .subquery()
    )
    last = facts._last_contact()
    query = (
        select(
            Case.case_id,
            Case.customer_id,
            Case.opened_on,
            Case.bucket,
            Case.worst_dpd,
            Case.overdue_total,
            Case.currency,
            scores.c.score,
            func.coalesce(scores.c.band, "none"),
            func.coalesce(scores.c.reason, "none"),
            scores.c.probability,
            func.coalesce(worst.c.product, ""),
            Case.broken_promises,
            case((promised.c.case_id.is_not(None), literal("open")), else_=literal("none")),
            case((planned.c.case_id.is_not(None), literal("in_force")), else_=literal("none")),
            case(
                *[(held.c.gravity == rank, literal(kind)) for rank, kind in enumerate(facts.HOLD_GRAVITY)],
                else_=literal("none"),
            ),
            placed.c.case_id.is_not(None),
            func.coalesce(Customer.language, ""),
            func.coalesce(Customer.country, ""),
            Customer.timezone,
            Customer.birth_date,
            func.coalesce(last.c.disposition, "none"),
        )
        .join(Customer, Customer.customer_id == Case.customer_id)
        .outerjoin(worst, and_(worst.c.case_id == Case.case_id, worst.c.n == 1))
        .outerjoin(scores, and_(scores.c.case_id == Case.case_id, scores.c.n == 1))
        .outerjoin(promised, promised.c.case_id == Case.case_id)
        .outerjoin(planned, planned.c.case_id == Case.case_id)
        .outerjoin(held, held.c.customer_id == Case.customer_id)
        .outerjoin(placed, placed.c.case_id == Case.case_id)
        .outerjoin(last, and_(last.c.case_id == Case.case_id, last.c.n == 1))
        .where(Case.status == str(CaseStatus.OPEN))
        .order_by(Case.case_id)
    )
    return read_arrow(connection, query, facts.READ_SCHEMA)


def full_book(engine: Engine) -> None:
    """Open cases with every part of the facts set somewhere: accounts tied on DPD and overdue
    (the account id decides), scores of two dates with reasons, promises and plans of each
    status, holds of several kinds (one lifted), placements in force, ended and recalled,
    outbound and inbound contacts; and a closed case, which has no facts."""
    book = Book(engine)
    book.case("a", dpd=12, bucket="M1", products=("card", "car_loan", "mortgage"))
    book.case("b", dpd=45, bucket="M2", products=("personal_loan", "card"))
    book.case("c", dpd=95, bucket="M4")
    book.case("d", dpd=3, bucket="M1", products=("card",))
    book.case("e", dpd=70, bucket="M3", status="closed")
    with engine.begin() as connection:
        # case b: both accounts at the same DPD and overdue, so the account id decides the product
        connection.execute(
            update(CaseAccount)
            .where(CaseAccount.case_id == case_id_of("b"))
            .values(dpd=45, overdue_amount=5000)
        )
        connection.execute(update(Customer).where(Customer.customer_id == "c").values(language=None))
        agency = connection.execute(
            insert(Agency).values(code="AG", name="Agency", created_at=AT).returning(Agency.id)
        ).scalar_one()
        team = connection.execute(
            insert(Team).values(code="T", name="Team", created_at=AT).returning(Team.id)
        ).scalar_one()
        user = connection.execute(
            insert(User).values(username="u", role="collector", created_at=AT, active=True).returning(User.id)
        ).scalar_one()
        for customer, kind, lifted in (("a", "dispute", None), ("a", "cease", None), ("b", "deceased", AT)):
            connection.execute(
                insert(Hold).values(
                    customer_id=customer, kind=kind, evidence="x", placed_at=AT, lifted_at=lifted, version=1
                )
            )
        for case_of, status in (("a", "open"), ("a", "kept"), ("c", "broken")):
            connection.execute(
                insert(Promise).values(
                    case_id=case_id_of(case_of),
                    currency="CNY",
                    amount=100,
                    paid_amount=0,
                    status=status,
                    taken_at=AT,
                    taken_on=AS_OF,
                    first_due_on=AS_OF,
                    last_due_on=AS_OF,
                    version=1,
                )
            )
        for case_of, status in (("b", "active"), ("d", "approved"), ("c", "completed"), ("a", "proposed")):
            connection.execute(
                insert(Arrangement).values(
                    case_id=case_id_of(case_of),
                    kind="plan",
                    method="equal",
                    rounding="remainder_last",
                    status=status,
                    currency="CNY",
                    owed_amount=600,
                    total_amount=600,
                    installment_count=6,
                    needs_approval=False,
                    proposed_at=AT,
                    version=1,
                )
            )
        for account, starts, ends, recalled in (
            (account_id_of("a", 2), AS_OF - timedelta(5), AS_OF + timedelta(5), None),
            (account_id_of("c"), AS_OF - timedelta(30), AS_OF - timedelta(1), None),
            (account_id_of("d"), AS_OF - timedelta(5), AS_OF + timedelta(5), AT),
        ):
            connection.execute(
                insert(Placement).values(
                    account_id=account,
                    agency_id=agency,
                    starts_on=starts,
                    ends_on=ends,
                    placed_at=AT,
                    reason="test",
                    recalled_at=recalled,
                )
            )
        contacts = [
            ("a", "outbound", AT - timedelta(days=2), "no_answer"),
            ("a", "outbound", AT - timedelta(days=1), "promise"),
            ("a", "inbound", AT, "right_party_contact"),
            ("b", "inbound", AT, "right_party_contact"),
            ("c", "outbound", AT, "wrong_number"),
        ]
        connection.execute(
            insert(Contact),
            [
                {
                    "case_id": case_id_of(who),
                    "customer_id": who,
                    "channel": "call",
                    "direction": direction,
                    "party": "debtor",
                    "started_at": at,
                    "started_on": at.date(),
                    "disposition": disposition,
                    "note_flags": [],
                    "violations": [],
                    "after_the_fact": False,
                    "review_status": "none",
                    "source": "collector",
                    "recorded_at": at,
                    "recorded_by": user,
                    "team_id": team,
                }
                for who, direction, at, disposition in contacts
            ],
        )
    model = book.model()
    reasons = [{"feature": "max_dpd_90d", "value": 1}, {"feature": "balance", "value": 2}]
    book.score(model, case_id_of("a"), account_id_of("a", 1), 610, "C", reasons=reasons)
    book.score(model, case_id_of("a"), account_id_of("a", 2), 640, "B", reasons=[{"feature": "age"}])
    book.score(model, case_id_of("b"), account_id_of("b", 1), 500, "D", as_of=AS_OF - timedelta(1))
    book.score(model, case_id_of("c"), account_id_of("c"), 480, "E")


def test_the_facts_read_part_by_part_are_those_of_the_one_statement(engine: Engine) -> None:
    full_book(engine)
    with engine.connect() as connection:
        expected = reference(connection, AS_OF)
        found = facts.read_facts(connection, AS_OF)
        earlier = facts.read_facts(connection, AS_OF - timedelta(1))
        earlier_expected = reference(connection, AS_OF - timedelta(1))
    assert found.schema.equals(facts.READ_SCHEMA)
    assert found.to_pylist() == expected.to_pylist()
    assert earlier.to_pylist() == earlier_expected.to_pylist()  # the other date's scores
    rows = {row["case_id"]: row for row in found.to_pylist()}
    assert sorted(rows) == [case_id_of(c) for c in "abcd"]  # the closed case has none
    a, b, c, d = (rows[case_id_of(x)] for x in "abcd")
    # the parts are filled, so the comparison compares something
    assert (a["hold"], a["promise"], a["plan"], a["placed"]) == ("cease", "open", "none", True)
    assert a["last_contact"] == "promise"
    assert (a["score"], a["score_band"], a["score_reason"]) == (640, "B", "age")
    assert (b["hold"], b["plan"], b["last_contact"], b["score"]) == ("none", "in_force", "none", None)
    assert (c["language"], c["placed"], c["promise"], c["plan"]) == ("", False, "none", "none")
    assert (d["plan"], d["placed"], d["product"]) == ("in_force", False, "card")
    assert a["product"] == "card" and b["product"] == "personal_loan"


def test_no_open_case_reads_no_facts(engine: Engine) -> None:
    with engine.connect() as connection:
        found = facts.read_facts(connection, AS_OF)
    assert found.num_rows == 0 and found.schema.equals(facts.READ_SCHEMA)
