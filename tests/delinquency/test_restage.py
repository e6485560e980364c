"""A staged portfolio changed night after night by feed rows (restage) and carried from one
snapshot to the next gives, every night, the definitions' snapshot of the book as it stands.

Each row of a generated book arrives in one of three parts: staged at first, or restaged
before the second or the third night. Some installments and accounts arrive again in a later
part with another due date, amount, currency or status. The nights carry their state, so
every way an account can change is crossed: restaged, paid late (a ledger entry dated after
the carried date, staged before), an installment falling due, or none of them; with the
superseded rows kept or compacted away."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.delinquency.engines import DuckDBEngine
from arrears.delinquency.reference import (
    AccountFact,
    InstallmentFact,
    PaymentFact,
    reference_snapshot,
)
from arrears.delinquency.rules import DelinquencyRules
from tests.delinquency.portfolios import (
    CURRENCIES,
    START,
    frames_of,
    portfolios,
    previous_frame,
)

Book = tuple[list[AccountFact], list[InstallmentFact], list[PaymentFact]]
RULES = DelinquencyRules(materiality={"JPY": 100, "CNY": 250})
PARTS = 3
LATER = st.sampled_from([0, 0, 0, 0, 0, 1, 2])
"""The part a row arrives in: most are staged first, so that most accounts are carried."""
NIGHTS = st.lists(st.integers(0, 140), min_size=PARTS, max_size=PARTS, unique=True).map(sorted)


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[Book, list[Book]]:
    """A book and its rows split into parts by arrival (part 0 staged first);
    returns the final book and each part's rows."""
    accounts, installments, payments = draw(portfolios(max_accounts=16))
    part: dict[object, int] = {}
    parts: list[Book] = [([], [], []) for _ in range(PARTS)]
    for account in accounts:
        arrives = draw(LATER)
        part[account.account_id] = arrives
        parts[arrives][0].append(account)
        if arrives < PARTS - 1 and draw(st.integers(0, 3)) == 0:
            changed = replace(
                account,
                currency=draw(st.sampled_from(CURRENCIES)),
                status=draw(st.sampled_from(["active", "closed"])),
            )
            parts[draw(st.integers(arrives + 1, PARTS - 1))][0].append(changed)
    for item in installments:
        arrives = max(part[item.account_id], draw(LATER))
        parts[arrives][1].append(item)
        if arrives < PARTS - 1 and draw(st.integers(0, 4)) == 0:
            revised = replace(
                item,
                due_date=item.due_date + timedelta(days=draw(st.integers(-20, 20))),
                amount_due=draw(st.integers(0, 5_000)),
            )
            parts[draw(st.integers(arrives + 1, PARTS - 1))][1].append(revised)
    arrived: dict[str, int] = {}
    for payment in payments:
        earliest = part[payment.account_id]
        if payment.reverses is not None:
            earliest = max(earliest, arrived[payment.reverses])
        arrives = max(earliest, draw(LATER))
        arrived[payment.payment_id] = arrives
        parts[arrives][2].append(payment)
    final = _latest(parts)
    return final, parts


def _latest(parts: list[Book]) -> Book:
    """The book as it stands after every part: a later row replaces an earlier one."""
    accounts: dict[str, AccountFact] = {}
    installments: dict[tuple[str, int], InstallmentFact] = {}
    payments: dict[str, PaymentFact] = {}
    for part_accounts, part_installments, part_payments in parts:
        accounts.update((a.account_id, a) for a in part_accounts)
        installments.update(((i.account_id, i.seq), i) for i in part_installments)
        payments.update((p.payment_id, p) for p in part_payments)
    return list(accounts.values()), list(installments.values()), list(payments.values())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    book=arrivals(),
    days=NIGHTS,
    roll_from_carry=st.booleans(),
    compact=st.booleans(),
)
def test_restaged_nights_match_the_reference(
    book: tuple[Book, list[Book]],
    days: list[int],
    roll_from_carry: bool,
    compact: bool,
) -> None:
    _, parts = book
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        engine.load(frames_of(*parts[0]))
        previous: dict[str, str] = {}
        for number, day in enumerate(START + timedelta(days=d) for d in days):
            if number:
                engine.restage(frames_of(*parts[number]))
                if compact:
                    engine.compact(force=True)
            standing = _latest(parts[: number + 1])
            expected = reference_snapshot(*standing, day, RULES, previous)
            use_carry = roll_from_carry and number > 0
            actual = {
                row["account_id"]: row
                for row in engine.snapshot(
                    day,
                    RULES,
                    None if use_carry else previous_frame(previous),
                    roll_from_carry=use_carry,
                ).to_pylist()
            }
            assert set(actual) == set(expected), day
            for account_id, row in expected.items():
                got = {f: actual[account_id][f] for f in row.__dataclass_fields__}
                assert got == asdict(row), (day, account_id)
            previous = {a: r.bucket for a, r in expected.items()}
    finally:
        engine.close()


def test_a_restage_gives_new_accounts_the_next_keys_and_keeps_the_old() -> None:
    accounts = [AccountFact(f"A{n}", "C1", "CNY", "active") for n in (3, 1, 2)]
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        engine.load(frames_of(accounts, [], []))
        late = [
            AccountFact("A0", "C2", "USD", "active"),
            AccountFact("A2", "C1", "CNY", "closed"),
        ]
        assert engine.restage(frames_of(late, [], [])) == 2
        keys = engine.connection.execute(
            "SELECT account_id, k, gen, status FROM accounts ORDER BY k"
        ).fetchall()
        assert keys == [
            ("A1", 0, 0, "active"),
            ("A2", 1, 1, "closed"),
            ("A3", 2, 0, "active"),
            ("A0", 3, 1, "active"),
        ]
    finally:
        engine.close()


def _counts(engine: DuckDBEngine) -> tuple[int, int]:
    con = engine.connection
    return (
        con.execute("SELECT count(*) FROM schedule").fetchall()[0][0],
        con.execute("SELECT count(*) FROM ledger").fetchall()[0][0],
    )


def _sorted_rows(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def test_compaction_keeps_the_current_rows_only() -> None:
    first = [AccountFact("A1", "C1", "CNY", "active")]
    schedule = [InstallmentFact("A1", seq, START + timedelta(days=30 * seq), 1_000) for seq in (1, 2, 3)]
    paid = [PaymentFact("P1", "A1", START + timedelta(days=31), 1_000)]
    engine = DuckDBEngine(memory_limit="500MB", threads=1)
    try:
        engine.load(frames_of(first, schedule, paid))
        moved = InstallmentFact("A1", 2, START + timedelta(days=75), 700)
        more = PaymentFact("P2", "A1", START + timedelta(days=80), 500)
        engine.restage(frames_of([], [moved], [more]))
        # the first generation's 3 installments and 1 payment are superseded
        assert _counts(engine) == (6, 3)
        current = engine.frames()
        assert engine.compact() is True  # 4 superseded of 9 rows: over a quarter
        assert _counts(engine) == (3, 2)
        calendar = engine.connection.execute(
            "SELECT due_date, amount_due FROM calendar ORDER BY due_date"
        ).fetchall()
        assert calendar == [
            (START + timedelta(days=30), 1_000),
            (START + timedelta(days=75), 700),
            (START + timedelta(days=90), 1_000),
        ]
        after = engine.frames()
        for name in ("accounts", "installments", "payments"):
            assert _sorted_rows(getattr(after, name)) == _sorted_rows(getattr(current, name))
        assert engine.compact(force=True) is False  # nothing left to drop
    finally:
        engine.close()
