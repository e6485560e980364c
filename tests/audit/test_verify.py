"""verify names the first entry changed, removed, inserted or reordered, each done directly in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from arrears.audit.trail import GENESIS
from arrears.audit.verify import Anchor, Break, BreakKind, ChainState, verify
from arrears.errors import InvalidInputError
from tests.audit.chain import fill, insert, put, rehashed, rows, shift

COUNT = 12


def checked(engine: Engine, anchor: Anchor | None = None) -> ChainState:
    with engine.connect() as connection:
        return verify(connection, anchor)


@pytest.fixture
def chained(engine: Engine) -> Engine:
    fill(engine, COUNT)
    return engine


def test_an_empty_trail_verifies(engine: Engine) -> None:
    assert checked(engine) == ChainState(entries=0, head_seq=0, head_hash=GENESIS)


def test_an_intact_chain_verifies_with_its_count_and_head(chained: Engine) -> None:
    entries = rows(chained)
    state = checked(chained)
    assert state.intact and state.broken is None
    assert (state.entries, state.head_seq, state.head_hash) == (COUNT, COUNT, entries[COUNT]["hash"])
    assert checked(chained, Anchor(COUNT, entries[COUNT]["hash"])).intact
    assert checked(chained, Anchor(5, entries[5]["hash"])).intact


def test_an_edited_row_is_named_changed(chained: Engine) -> None:
    with chained.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET after = :v WHERE seq = 6"), {"v": '{"team":99}'})
    assert checked(chained).broken == Break(6, BreakKind.CHANGED)


def test_an_edited_first_row_is_named_changed(chained: Engine) -> None:
    with chained.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 1"))
    assert checked(chained).broken == Break(1, BreakKind.CHANGED)


def test_a_row_rewritten_with_its_own_hash_recomputed_is_named_changed(chained: Engine) -> None:
    entries = rows(chained)
    put(chained, rehashed({**entries[7], "outcome": "refused"}))
    state = checked(chained)
    assert state.broken == Break(7, BreakKind.CHANGED)  # entry 8 still names entry 7's old hash
    assert state.entries == 7  # entry 7 itself hashes right: the break shows at the link after it


def test_a_deleted_row_is_named_removed(chained: Engine) -> None:
    with chained.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    assert checked(chained).broken == Break(5, BreakKind.REMOVED)


def test_a_deleted_first_row_is_named_removed(chained: Engine) -> None:
    with chained.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 1"))
    assert checked(chained).broken == Break(1, BreakKind.REMOVED)


def test_a_deleted_row_with_the_rest_renumbered_is_named_removed(chained: Engine) -> None:
    with chained.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    shift(chained, 6, -1)
    assert checked(chained).broken == Break(5, BreakKind.REMOVED)


def test_a_row_squeezed_in_with_a_correct_hash_is_named_inserted(chained: Engine) -> None:
    entries = rows(chained)
    forged = rehashed({**entries[5], "action": "personal.reveal", "prev_hash": entries[4]["hash"]})
    shift(chained, 5, 1)
    insert(chained, forged)  # seq 5, its prev_hash the hash of 4, its own hash right
    state = checked(chained)
    assert state.broken == Break(5, BreakKind.INSERTED)
    assert state.entries == 5  # the forged entry links and hashes; the one after shows it


def test_a_row_appended_in_a_taken_position_is_named_inserted(chained: Engine) -> None:
    entries = rows(chained)
    forged = rehashed({**entries[3], "seq": COUNT + 1, "prev_hash": entries[3]["hash"]})
    insert(chained, forged)  # claims to follow entry 3, as entry 4 does
    assert checked(chained).broken == Break(COUNT + 1, BreakKind.INSERTED)


def test_two_rows_swapped_are_named_reordered(chained: Engine) -> None:
    entries = rows(chained)
    put(chained, entries[9], seq=4)
    put(chained, entries[4], seq=9)
    assert checked(chained).broken == Break(4, BreakKind.REORDERED)


def test_two_neighbours_swapped_are_named_reordered(chained: Engine) -> None:
    entries = rows(chained)
    put(chained, entries[8], seq=7)
    put(chained, entries[7], seq=8)
    assert checked(chained).broken == Break(7, BreakKind.REORDERED)


def test_the_head_swapped_with_an_earlier_row_is_named_reordered(chained: Engine) -> None:
    entries = rows(chained)
    put(chained, entries[COUNT], seq=3)
    put(chained, entries[3], seq=COUNT)
    assert checked(chained).broken == Break(3, BreakKind.REORDERED)


def test_a_rewritten_suffix_verifies_but_not_against_an_anchor(chained: Engine) -> None:
    entries = rows(chained)
    anchor = Anchor(COUNT, entries[COUNT]["hash"])
    previous = entries[5]["hash"]
    for seq in range(6, COUNT + 1):  # the tamperer recomputes every hash from entry 6 on
        forged = rehashed({**entries[seq], "reason": "tidied", "prev_hash": previous})
        put(chained, forged)
        previous = forged["hash"]
    assert checked(chained).intact  # the chain alone cannot show it ...
    assert checked(chained, anchor).broken == Break(COUNT, BreakKind.CHANGED)  # ... an anchor does


def test_a_cut_end_verifies_but_not_against_an_anchor(chained: Engine) -> None:
    entries = rows(chained)
    with chained.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq > :s"), {"s": COUNT - 2})
    assert checked(chained).intact
    anchor = Anchor(COUNT, entries[COUNT]["hash"])
    assert checked(chained, anchor).broken == Break(COUNT - 1, BreakKind.REMOVED)


def test_an_anchor_is_read_as_verify_prints_it() -> None:
    assert Anchor.parse(f"12:{'A' * 64}") == Anchor(12, "a" * 64)
    for wrong in ("12", f"x:{'a' * 64}", "0:" + "a" * 64, "3:abc"):
        with pytest.raises(InvalidInputError):
            Anchor.parse(wrong)
