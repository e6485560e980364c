"""The streamed book (minor units, no feed) holds the same accounts, dues and payments as the feed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from arrears.money import parse_major
from arrears.sim import BOOK_SCHEMAS, PortfolioSpec, generate_portfolio, iter_book_batches
from tests.sim.reference import read_feed

SPEC = PortfolioSpec(customers=900, seed=23, as_of=date(2026, 11, 21), chunk_customers=400)


@pytest.fixture(scope="module")
def book() -> dict[str, pa.Table]:
    chunks = list(iter_book_batches(SPEC))
    return {kind: pa.concat_tables([getattr(c, kind) for c in chunks]) for kind in BOOK_SCHEMAS}


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    directory: Path = tmp_path_factory.mktemp("book-feed")
    generate_portfolio(SPEC, directory)
    return read_feed(directory)


def test_chunks_hold_whole_customers_with_all_their_rows() -> None:
    chunks = list(iter_book_batches(SPEC))
    assert [c.customers for c in chunks] == [400, 400, 100]
    for chunk in chunks:
        own = set(chunk.accounts.column("account_id").to_pylist())
        assert set(chunk.installments.column("account_id").to_pylist()) <= own
        assert set(chunk.payments.column("account_id").to_pylist()) <= own
        for kind, schema in BOOK_SCHEMAS.items():
            assert getattr(chunk, kind).schema == schema


def test_accounts_are_the_feeds(book: dict[str, pa.Table], feed: dict[str, list[dict[str, str]]]) -> None:
    columns = BOOK_SCHEMAS["accounts"].names
    from_feed = [{c: row[c] for c in columns} for row in feed["accounts"]]
    from_book = [{c: str(v) for c, v in row.items()} for row in book["accounts"].to_pylist()]
    assert from_book == from_feed


def test_installments_are_the_feeds_in_minor_units(
    book: dict[str, pa.Table], feed: dict[str, list[dict[str, str]]]
) -> None:
    currency = {row["account_id"]: row["currency"] for row in feed["accounts"]}
    amounts = ("amount_due", "principal_due", "interest_due", "fees_due")
    from_feed = [
        (
            row["account_id"],
            int(row["seq"]),
            row["due_date"],
            *(parse_major(row[a], currency[row["account_id"]]) for a in amounts),
        )
        for row in feed["installments"]
    ]
    from_book = [
        (r["account_id"], r["seq"], r["due_date"].isoformat(), *(r[a] for a in amounts))
        for r in book["installments"].to_pylist()
    ]
    assert from_book == from_feed


def test_payments_are_the_feeds_in_minor_units(
    book: dict[str, pa.Table], feed: dict[str, list[dict[str, str]]]
) -> None:
    currency = {row["account_id"]: row["currency"] for row in feed["accounts"]}
    from_feed = [
        (
            row["payment_id"],
            row["account_id"],
            row["paid_on"],
            parse_major(row["amount"], currency[row["account_id"]]),
            row["reverses"] or None,
        )
        for row in feed["payments"]
    ]
    from_book = [
        (r["payment_id"], r["account_id"], r["paid_on"].isoformat(), r["amount"], r["reverses"])
        for r in book["payments"].to_pylist()
    ]
    assert from_book == from_feed
    assert any(reverses is not None for *_, reverses in from_book)
