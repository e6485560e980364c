"""Queries over the stored portfolio.

Every repository in Arrears has this shape: module-level functions that take the caller's
SQLAlchemy ``Connection`` (bulk and set-based work) or ``Session`` (ORM work) first, bind
every value as a parameter, and never commit: the caller owns the transaction. Bulk reads
into Arrow go through :mod:`arrears.db.arrow`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from arrears.db.arrow import read_arrow
from arrears.portfolio.frames import (
    ACCOUNT_TERMS_SCHEMA,
    ACCOUNTS_SCHEMA,
    CUSTOMER_BIRTHS_SCHEMA,
    INSTALLMENTS_SCHEMA,
    PAYMENTS_SCHEMA,
    PortfolioFrames,
)
from arrears.portfolio.models import (
    Account,
    ContactPoint,
    Customer,
    ImportLog,
    ImportStatus,
    Installment,
    Payment,
)


@dataclass(frozen=True)
class ProductBalance:
    product: str
    currency: str
    accounts: int
    principal: int  # minor units: loans' principal as booked
    credit_limit: int  # minor units: cards' and lines' limits
    scheduled: int  # minor units: every installment of the schedule (a card's minimum dues)
    paid: int  # minor units: payments less reversals


def row_counts(connection: Connection) -> dict[str, int]:
    tables = {
        "customers": Customer,
        "contact_points": ContactPoint,
        "accounts": Account,
        "installments": Installment,
        "payments": Payment,
    }
    return {
        name: connection.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in tables.items()
    }


SPLIT = 2**32
"""Sums over many accounts are taken in two halves (x // 2**32 and x % 2**32), each of which
stays far inside 64 bits for two billion rows, and joined in Python: SQLite's integer sum
stops at 2**63, and a portfolio total may pass it where no account does."""


def _wide_sum(column: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    return func.coalesce(func.sum(column // SPLIT), 0), func.coalesce(func.sum(column % SPLIT), 0)


def _joined(high: Any, low: Any) -> int:
    return int(high) * SPLIT + int(low)


def balances_by_product(connection: Connection) -> list[ProductBalance]:
    scheduled = (
        select(Installment.account_id, cast(func.sum(Installment.amount_due), BigInteger).label("due"))
        .group_by(Installment.account_id)
        .subquery()
    )
    paid = (
        select(
            Payment.account_id,
            cast(func.sum(Payment.amount).filter(Payment.reverses.is_(None)), BigInteger).label("gross"),
            cast(func.sum(Payment.amount).filter(Payment.reverses.is_not(None)), BigInteger).label(
                "reversed"
            ),
        )
        .group_by(Payment.account_id)
        .subquery()
    )
    # Each account's sums fit in 64 bits (the importer keeps them under MAX_AMOUNT), so they are
    # integers on every database (PostgreSQL's sum of BIGINT is NUMERIC); their sums over a
    # product are taken wide.
    sums = (
        *_wide_sum(Account.principal),
        *_wide_sum(Account.credit_limit),
        *_wide_sum(scheduled.c.due),
        *_wide_sum(paid.c.gross),
        *_wide_sum(paid.c.reversed),
    )
    query = (
        select(Account.product, Account.currency, func.count(), *sums)
        .select_from(Account)
        .outerjoin(scheduled, scheduled.c.account_id == Account.account_id)
        .outerjoin(paid, paid.c.account_id == Account.account_id)
        .group_by(Account.product, Account.currency)
        .order_by(Account.product, Account.currency)
    )
    balances = []
    for product, currency, n, *halves in connection.execute(query).all():
        principal, limit, due, gross, reversed_ = (
            _joined(halves[i], halves[i + 1]) for i in range(0, len(halves), 2)
        )
        balances.append(ProductBalance(product, currency, int(n), principal, limit, due, gross - reversed_))
    return balances


def read_portfolio(
    connection: Connection,
    *,
    import_ids: Sequence[int] | None = None,
    first_account: str | None = None,
    end_account: str | None = None,
) -> PortfolioFrames:
    """The columns of accounts, installments and payments the delinquency definition reads, in
    bulk. ``import_ids``: only the rows these imports inserted or changed last (an index on
    import_id finds them); ``first_account``/``end_account``: only the accounts in
    [first, end) (a reversal belongs to its payment's account, so it comes with it)."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if import_ids is not None:
        conditions.append("import_id IN :import_ids")
        params["import_ids"] = [int(i) for i in import_ids]
    if first_account is not None:
        conditions.append("account_id >= :first_account")
        params["first_account"] = first_account
    if end_account is not None:
        conditions.append("account_id < :end_account")
        params["end_account"] = end_account
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # The rows of some imports are found by the import_id index and are few: a cursor reads them
    # at once, where the ADBC reader would first start a process (seconds, for each table).
    bulk = import_ids is None
    payments = read_arrow(
        connection,
        # '' for "no reversal" keeps the column's type the same in every batch a driver reads
        f"SELECT payment_id, account_id, paid_on, amount, COALESCE(reverses, '') FROM payments{where}",
        PAYMENTS_SCHEMA,
        params,
        committed_table="payments" if bulk else None,
    )
    reverses = payments.column("reverses")
    payments = payments.set_column(
        4, "reverses", pc.if_else(pc.equal(reverses, ""), pa.scalar(None, pa.string()), reverses)
    )
    return PortfolioFrames.of(
        read_arrow(
            connection,
            f"SELECT account_id, customer_id, currency, status, opened_on FROM accounts{where}",
            ACCOUNTS_SCHEMA,
            params,
            committed_table="accounts" if bulk else None,
        ),
        read_arrow(
            connection,
            f"SELECT account_id, seq, due_date, amount_due FROM installments{where}",
            INSTALLMENTS_SCHEMA,
            params,
            committed_table="installments" if bulk else None,
        ),
        payments,
    )


PART_ACCOUNTS = 1_000_000
"""Accounts read at a time when the whole portfolio is read: memory stays that of one part."""


def read_portfolio_parts(
    connection: Connection, part_accounts: int = PART_ACCOUNTS
) -> Iterator[PortfolioFrames]:
    """The whole portfolio in parts of ``part_accounts`` accounts, by ranges of account_id: every
    row of an account (a reversal included, it belongs to its payment's account) in one part."""
    starts = [
        row[0]
        for row in connection.execute(
            text(
                "SELECT account_id FROM (SELECT account_id, row_number() OVER (ORDER BY account_id) AS n "
                "FROM accounts) AS numbered WHERE n % :size = 1 ORDER BY account_id"
            ),
            {"size": part_accounts},
        )
    ]
    if len(starts) <= 1:
        yield read_portfolio(connection)
        return
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else None
        yield read_portfolio(connection, first_account=start, end_account=end)


def read_account_terms(connection: Connection) -> pa.Table:
    """Every account's terms (product, currency, opening date, credit limit), in bulk."""
    return read_arrow(
        connection,
        "SELECT account_id, customer_id, product, currency, opened_on, credit_limit FROM accounts",
        ACCOUNT_TERMS_SCHEMA,
    )


def read_customer_births(connection: Connection) -> pa.Table:
    """Every customer's birth date (null when the feed gave none), in bulk."""
    return read_arrow(connection, "SELECT customer_id, birth_date FROM customers", CUSTOMER_BIRTHS_SCHEMA)


STORED_IMPORT_STATUSES = (ImportStatus.STORED, ImportStatus.PARTIAL)
"""Imports whose rows reached the database (an unreadable file stores nothing)."""


def stored_imports(connection: Connection) -> set[tuple[int, str, datetime]]:
    """The imports whose rows reached the database: id, checksum and finish time."""
    rows = connection.execute(
        select(ImportLog.id, ImportLog.checksum, ImportLog.finished_at).where(
            ImportLog.status.in_(STORED_IMPORT_STATUSES)
        )
    )
    return {(int(i), str(checksum), finished) for i, checksum, finished in rows}


def insert_import_log(connection: Connection, values: Mapping[str, object]) -> int:
    """Log a file (its ``import_log`` row); returns the row's id, which its stored rows carry."""
    return int(connection.execute(insert(ImportLog).returning(ImportLog.id), [dict(values)]).scalar_one())


def update_import_log(connection: Connection, import_id: int, values: Mapping[str, object]) -> None:
    """Say what became of a logged file (status, counts, finish time)."""
    connection.execute(update(ImportLog).where(ImportLog.id == import_id).values(dict(values)))


@dataclass(frozen=True)
class ImportTotals:
    """What every import so far amounts to (the server's metrics)."""

    files: dict[str, int]
    """Files by status (stored, partial, unreadable)."""
    rows: dict[str, int]
    """Rows by outcome: read, stored, updated, unchanged, rejected."""
    last_finished_at: datetime | None


def import_totals(connection: Connection) -> ImportTotals:
    """Files by status, rows by outcome and the last file's finish, in two grouped queries."""
    files = {
        str(status): int(n)
        for status, n in connection.execute(
            select(ImportLog.status, func.count()).group_by(ImportLog.status).order_by(ImportLog.status)
        )
    }
    outcomes = ("read", "stored", "updated", "unchanged", "rejected")
    totals = connection.execute(
        select(
            *(func.coalesce(func.sum(getattr(ImportLog, f"rows_{name}")), 0) for name in outcomes),
            func.max(ImportLog.finished_at),
        )
    ).one()
    return ImportTotals(
        files=files,
        rows={name: int(value) for name, value in zip(outcomes, totals, strict=False)},
        last_finished_at=totals[-1],
    )


# --- the stored rows a feed file refers to (arrears.portfolio.references) ----------------------

SQLITE_CHUNK = 5_000
POSTGRES_CHUNK = 100_000

Selected = ColumnElement[Any] | QueryableAttribute[Any]


def _with_keys(
    connection: Connection,
    columns: Sequence[Selected],
    key: Selected,
    keys: Sequence[str],
    where: ColumnElement[bool] | None = None,
    group_by: Selected | None = None,
    outer_join: tuple[Any, Any, ColumnElement[bool]] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows whose key is among ``keys`` (and ``where`` holds), asked for in chunks;
    ``outer_join``: (left, right, on) the rows come from."""
    postgres = connection.dialect.name == "postgresql"
    chunk_size = POSTGRES_CHUNK if postgres else SQLITE_CHUNK
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), chunk_size):
        chunk = list(keys[start : start + chunk_size])
        # One array parameter on PostgreSQL; SQLite takes a list of placeholders.
        condition = key == any_(bindparam("keys", chunk, type_=ARRAY(String))) if postgres else key.in_(chunk)
        query = select(*columns)
        if outer_join is not None:
            query = query.outerjoin_from(*outer_join)
        query = query.where(condition)
        if where is not None:
            query = query.where(where)
        if group_by is not None:
            query = query.group_by(group_by)
        rows.extend(tuple(row) for row in connection.execute(query))
    return rows


def customer_countries(connection: Connection, customer_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(customer_id, country) of the stored customers among ``customer_ids``."""
    return _with_keys(
        connection, [Customer.customer_id, Customer.country], Customer.customer_id, customer_ids
    )


def account_currencies(connection: Connection, account_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(account_id, customer_id, currency) of the stored accounts among ``account_ids``."""
    columns = [Account.account_id, Account.customer_id, Account.currency]
    return _with_keys(connection, columns, Account.account_id, account_ids)


def reversals_of(connection: Connection, payment_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(payment_id, account_id, amount, reverses) of the stored payments among ``payment_ids``
    and of any stored reversal of them, each once."""
    columns = [Payment.payment_id, Payment.account_id, Payment.amount, Payment.reverses]
    found = _with_keys(connection, columns, Payment.payment_id, payment_ids)
    found += _with_keys(connection, columns, Payment.reverses, payment_ids)
    return list(set(found))


def final_payments(connection: Connection, payment_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(payment_id, account_id, paid_on, amount, reverses, partner) of the payments among
    ``payment_ids`` stored as a reversal, or reversed by a stored one; ``partner`` is the other
    payment of the reversal (a reversal is never itself reversed, and reversed at most once)."""
    reversal = aliased(Payment)
    columns: list[Selected] = [
        Payment.payment_id,
        Payment.account_id,
        Payment.paid_on,
        Payment.amount,
        Payment.reverses,
        func.coalesce(Payment.reverses, reversal.payment_id).label("partner"),
    ]
    return _with_keys(
        connection,
        columns,
        Payment.payment_id,
        payment_ids,
        or_(Payment.reverses.is_not(None), reversal.payment_id.is_not(None)),
        outer_join=(Payment, reversal, reversal.reverses == Payment.payment_id),
    )


def _amounts(table: str) -> tuple[Selected, Selected, Selected, ColumnElement[bool]]:
    """The account, amount and key columns of ``installments`` or ``payments``, and which rows
    count towards an account's total (a reversal does not)."""
    if table == "installments":
        return Installment.account_id, Installment.amount_due, Installment.seq, true()
    if table == "payments":
        return Payment.account_id, Payment.amount, Payment.payment_id, Payment.reverses.is_(None)
    raise ValueError(f"no amounts in table {table}")


def account_totals(connection: Connection, table: str, account_ids: Sequence[str]) -> list[tuple[str, int]]:
    """(account_id, total) of the stored ``installments`` or ``payments`` of ``account_ids``."""
    account, amount, _, counted = _amounts(table)
    totals = _with_keys(
        connection, [account, func.sum(amount)], account, account_ids, counted, group_by=account
    )
    return [(account_id, int(total or 0)) for account_id, total in totals]


def stored_amounts(connection: Connection, table: str, account_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """(account_id, key as text, amount) of every counted row of ``installments`` or ``payments``
    of ``account_ids``."""
    account, amount, key, counted = _amounts(table)
    return _with_keys(connection, [account, cast(key, String), amount], account, account_ids, counted)


@dataclass(frozen=True)
class ContactFacts:
    """What the contact gate needs to know of a stored customer: their zone and their contact
    points (ids, types, parties; never the numbers or addresses themselves)."""

    customer_id: str
    timezone: str | None
    points: list[tuple[int, str, str, bool]]  # id, type, party, do_not_contact


def contact_facts(
    connection: Connection | Session, customer_id: str, visible: ColumnElement[bool]
) -> ContactFacts | None:
    """The customer's contact facts, or None when there is no such customer or ``visible`` (the
    caller's row scope, a filter on ``customers.customer_id``) hides them."""
    timezone = connection.execute(
        select(Customer.timezone).where(Customer.customer_id == customer_id, visible)
    ).first()
    if timezone is None:
        return None
    points = connection.execute(
        select(ContactPoint.id, ContactPoint.type, ContactPoint.party, ContactPoint.do_not_contact)
        .where(ContactPoint.customer_id == customer_id)
        .order_by(ContactPoint.id)
    ).all()
    return ContactFacts(
        customer_id, timezone[0], [(int(i), str(t), str(p), bool(d)) for i, t, p, d in points]
    )


# Reading one customer or account for a person (the API). ``visible`` is the caller's row scope
# as a SQL filter (arrears.cases.scope), put into the same WHERE clause as the id: an object out
# of scope is not found, exactly like one that does not exist.

CONTACT_POINTS_SHOWN = 100
"""Contact points of one customer shown at most (a feed holds a handful per customer)."""


def visible_customer(session: Session, customer_id: str, visible: ColumnElement[bool]) -> Customer | None:
    """The customer, if it exists and ``visible`` holds for it."""
    query = select(Customer).where(Customer.customer_id == customer_id, visible)
    return session.execute(query).scalar_one_or_none()


def contact_points_of(session: Session, customer_id: str) -> list[ContactPoint]:
    """A customer's contact points: the primary ones first, then by type and id."""
    query = (
        select(ContactPoint)
        .where(ContactPoint.customer_id == customer_id)
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.type, ContactPoint.id)
        .limit(CONTACT_POINTS_SHOWN)
    )
    return list(session.execute(query).scalars())


def contact_point_of(session: Session, customer_id: str, contact_point_id: int) -> ContactPoint | None:
    """One contact point of one customer (None when it belongs to someone else)."""
    query = select(ContactPoint).where(
        ContactPoint.id == contact_point_id, ContactPoint.customer_id == customer_id
    )
    return session.execute(query).scalar_one_or_none()


def visible_account(session: Session, account_id: str, visible: ColumnElement[bool]) -> Account | None:
    """The account, if it exists and ``visible`` holds for it."""
    query = select(Account).where(Account.account_id == account_id, visible)
    return session.execute(query).scalar_one_or_none()


def installments_of(
    session: Session, account_id: str, *, limit: int, before_seq: int | None = None
) -> list[Installment]:
    """An account's installments, the latest first (by sequence number), ``limit`` of them from
    before ``before_seq``."""
    query = select(Installment).where(Installment.account_id == account_id)
    if before_seq is not None:
        query = query.where(Installment.seq < before_seq)
    return list(session.execute(query.order_by(Installment.seq.desc()).limit(limit)).scalars())


def payments_of(
    session: Session, account_id: str, *, limit: int, before: tuple[date, str] | None = None
) -> list[Payment]:
    """An account's payments and reversals, the latest first (by date, then id), ``limit`` of
    them from before the (paid_on, payment_id) ``before``."""
    query = select(Payment).where(Payment.account_id == account_id)
    if before is not None:
        paid_on, payment_id = before
        query = query.where(
            or_(Payment.paid_on < paid_on, and_(Payment.paid_on == paid_on, Payment.payment_id < payment_id))
        )
    order = (Payment.paid_on.desc(), Payment.payment_id.desc())
    return list(session.execute(query.order_by(*order).limit(limit)).scalars())
