"""The book in minor units, streamed chunk by chunk: what the nightly batch reads, with no feed.

    from arrears.sim import PortfolioSpec, iter_book_batches

    spec = PortfolioSpec(customers=7_100_000, seed=42, as_of=date(2026, 11, 21))  # ~10M accounts
    for chunk in iter_book_batches(spec):
        chunk.accounts      # account_id, customer_id, product, currency, opened_on, status
        chunk.installments  # account_id, seq, due_date, amount_due, principal_due, interest_due, fees_due
        chunk.payments      # payment_id, account_id, paid_on, amount, reverses

Each chunk holds whole customers (``spec.chunk_customers`` of them, 10,000 by default) with all
their accounts, installments and payments, in account order, so memory stays that of one chunk
whatever the size of the book. Amounts are int64 minor units of the account's currency; dates
are date32; ``reverses`` is the payment_id a reversal takes back, else null. The draws are the
feed's: the same spec gives the same identifiers, dates and amounts as ``generate_portfolio``
writes (there as decimal text in major units), and no other text is formatted, so a chunk costs
about a third of a feed chunk. ``BOOK_SCHEMAS`` names the columns and their types.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from arrears.portfolio.frames import PAYMENTS_SCHEMA
from arrears.sim.generator import DrawnChunk, PortfolioSpec, iter_drawn_chunks
from arrears.sim.profile import CURRENCIES, PRODUCT_NAMES
from arrears.sim.tables import STATUSES, account_ids, reversed_payment_ids
from arrears.sim.text import dates, numbered, pick

_TEXT = pa.string()
_MINOR = pa.int64()

BOOK_SCHEMAS: dict[str, pa.Schema] = {
    "accounts": pa.schema(
        [
            ("account_id", _TEXT),
            ("customer_id", _TEXT),
            ("product", _TEXT),
            ("currency", _TEXT),
            ("opened_on", pa.date32()),
            ("status", _TEXT),
        ]
    ),
    "installments": pa.schema(
        [
            ("account_id", _TEXT),
            ("seq", pa.int64()),
            ("due_date", pa.date32()),
            ("amount_due", _MINOR),
            ("principal_due", _MINOR),
            ("interest_due", _MINOR),
            ("fees_due", _MINOR),
        ]
    ),
    "payments": PAYMENTS_SCHEMA,
}


@dataclass(frozen=True)
class BookChunk:
    number: int  # 0, 1, ... in the order of the feed
    customers: int
    accounts: pa.Table
    installments: pa.Table
    payments: pa.Table


def iter_book_batches(spec: PortfolioSpec) -> Iterator[BookChunk]:
    """The whole book of ``spec``, one chunk of customers at a time (tables in BOOK_SCHEMAS).

    The next chunk is made on a background thread while the caller works on this one: at most
    two chunks are alive at once.
    """
    drawn = enumerate(iter_drawn_chunks(spec))

    def make_next() -> BookChunk | None:
        item = next(drawn, None)
        return None if item is None else book_chunk(*item)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="book") as pool:
        pending = pool.submit(make_next)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(make_next)
            yield chunk


def book_chunk(number: int, drawn: DrawnChunk) -> BookChunk:
    accounts, schedule, payments = drawn.accounts, drawn.schedule, drawn.payments
    ids = account_ids(accounts)
    first_payment = drawn.counters.payment
    account_table = {
        "account_id": ids,
        "customer_id": numbered("C", drawn.people.number[accounts.owner], 10),
        "product": pick(PRODUCT_NAMES, accounts.product),
        "currency": pick(CURRENCIES, accounts.currency),
        "opened_on": dates(accounts.opened),
        "status": pick(STATUSES, drawn.status),
    }
    installment_table = {
        "account_id": ids.take(pa.array(schedule.account)),
        "seq": pa.array(schedule.seq),
        "due_date": dates(schedule.due),
        "amount_due": pa.array(schedule.amount),
        "principal_due": pa.array(schedule.principal),
        "interest_due": pa.array(schedule.interest),
        "fees_due": pa.array(schedule.fees),
    }
    payment_table = {
        "payment_id": numbered("P", np.arange(first_payment, first_payment + payments.size), 12),
        "account_id": ids.take(pa.array(payments.account)),
        "paid_on": dates(payments.paid_on),
        "amount": pa.array(payments.amount),
        "reverses": reversed_payment_ids(payments, first_payment),
    }
    return BookChunk(
        number=number,
        customers=drawn.people.size,
        accounts=pa.table(account_table, schema=BOOK_SCHEMAS["accounts"]),
        installments=pa.table(installment_table, schema=BOOK_SCHEMAS["installments"]),
        payments=pa.table(payment_table, schema=BOOK_SCHEMAS["payments"]),
    )
