"""Checking the chain: walk every entry in ``seq`` order, recompute its hash, and name the first
entry that was changed, removed, inserted or reordered.

The walk streams (a server-side cursor on PostgreSQL) and keeps only the last two hashes, so it
runs in constant memory over millions of entries. Only at the first break does it look further
(two look-ups by hash) to say which kind of tampering explains what it sees:

- a gap in ``seq``: the entries from the gap on were **removed**;
- content that does not match its hash, but that matches it with the ``seq`` one below: an entry
  was **inserted** before it (and the rest renumbered); with the ``seq`` one above, or the ``seq``
  its neighbours by hash give it, and its predecessor gone: entries were **removed** before it
  (and the rest renumbered); with the ``seq`` its neighbours by hash give it: it was **reordered**
  (moved from that position); else it was **changed**;
- content that matches its hash but names a predecessor other than the entry before it: when that
  predecessor exists elsewhere in the chain this entry was **inserted** (a second entry claiming a
  position); when no entry has that hash any more, the entry before it was **changed** and its
  hash recomputed.

What the chain cannot show on its own: an attacker who may write the table can rewrite an entry
and every entry after it, hashes recomputed, or drop entries from the end. Only a head hash kept
outside the database (``anchor``) shows that: see docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from arrears.audit import repository
from arrears.audit.trail import GENESIS, entry_hash
from arrears.errors import ConflictError, InvalidInputError, echo
from arrears.i18n import N_


class BreakKind(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"


BREAK_MESSAGES: Mapping[BreakKind, str] = {
    BreakKind.CHANGED: N_(
        "The audit trail is broken at entry {seq} ({kind}): its content no longer matches the hash "
        "the chain holds for it"
    ),
    BreakKind.REMOVED: N_(
        "The audit trail is broken at entry {seq} ({kind}): the entry at this position was deleted"
    ),
    BreakKind.INSERTED: N_(
        "The audit trail is broken at entry {seq} ({kind}): this entry was added into the chain "
        "after the entries around it"
    ),
    BreakKind.REORDERED: N_(
        "The audit trail is broken at entry {seq} ({kind}): this entry was moved here from another position"
    ),
}


@dataclass(frozen=True)
class Break:
    seq: int
    kind: BreakKind


@dataclass(frozen=True)
class Anchor:
    """A head seen earlier and kept outside the database: entry ``seq`` had hash ``hash``."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``SEQ:HASH`` as ``verify`` prints the head."""
        seq, _, value = text.strip().partition(":")
        if not seq.isdigit() or int(seq) < 1 or len(value) != 64:
            raise InvalidInputError(
                N_("{value} is not an anchor: write it SEQ:HASH, as verify prints the head"),
                value=repr(echo(text)),
            )
        return cls(int(seq), value.lower())


@dataclass(frozen=True)
class ChainState:
    """What a walk found: how many entries verified, the head it reached, and the first break."""

    entries: int
    head_seq: int
    head_hash: str
    broken: Break | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


class ChainBrokenError(ConflictError):
    """The chain does not verify: exit status 3 on the command line."""

    code = "audit_chain_broken"

    def __init__(self, broken: Break) -> None:
        super().__init__(BREAK_MESSAGES[broken.kind], seq=broken.seq, kind=str(broken.kind))
        self.broken = broken


def verify(connection: Connection, anchor: Anchor | None = None) -> ChainState:
    """Walk the whole chain in ``seq`` order; the first break, or the head when intact."""
    expected, previous = 1, GENESIS
    broken: Break | None = None
    suspect: dict[str, Any] | None = None  # the first entry that does not follow, to diagnose
    content_ok = True
    with repository.chain(connection) as rows:
        for row in rows:
            values = dict(zip(repository.COLUMN_NAMES, row, strict=True))
            seq = int(values["seq"])
            if seq != expected:
                kind = BreakKind.REMOVED if seq > expected else BreakKind.INSERTED
                broken = Break(expected if seq > expected else seq, kind)
                break
            content_ok = entry_hash(values) == values["hash"]
            if not (content_ok and values["prev_hash"] == previous):
                suspect = values  # diagnosed below, once the stream is closed
                break
            if anchor is not None and seq == anchor.seq and values["hash"] != anchor.hash:
                broken = Break(seq, BreakKind.CHANGED)
                break
            previous = str(values["hash"])
            expected += 1
    if suspect is not None:
        broken = _diagnose(connection, suspect, expected, content_ok)
    if broken is None and anchor is not None and anchor.seq >= expected:
        broken = Break(expected, BreakKind.REMOVED)  # the anchored head is gone: the end was cut
    return ChainState(entries=expected - 1, head_seq=expected - 1, head_hash=previous, broken=broken)


def _diagnose(
    connection: Connection,
    values: dict[str, Any],
    seq: int,
    content_ok: bool,
) -> Break:
    """Which kind of tampering explains entry ``seq`` (``values``) not following the one before."""
    if content_ok:  # its own hash holds, but it names another predecessor
        named = repository.seq_with_hash(connection, str(values["prev_hash"]))
        if named is not None or seq == 1:
            return Break(seq, BreakKind.INSERTED if named is not None else BreakKind.CHANGED)
        return Break(seq - 1, BreakKind.CHANGED)  # the entry before was rewritten, its hash recomputed
    predecessor = repository.seq_with_hash(connection, str(values["prev_hash"]))
    successor = repository.seq_naming(connection, str(values["hash"]))
    candidates = {seq - 1, seq + 1}
    if predecessor is not None:
        candidates.add(predecessor + 1)
    if successor is not None:
        candidates.add(successor - 1)
    for position in sorted(candidates - {seq}):
        if position < 1 or entry_hash({**values, "seq": position}) != values["hash"]:
            continue
        if position < seq:  # it sat lower: entries were inserted before it, from ``position`` on
            return Break(position, BreakKind.INSERTED)
        if predecessor is None:
            return Break(seq, BreakKind.REMOVED)  # its predecessor is gone and the rest renumbered
        return Break(seq, BreakKind.REORDERED)
    return Break(seq, BreakKind.CHANGED)
