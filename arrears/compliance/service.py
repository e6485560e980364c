"""Ask the gate and record its answer. The caller owns the transaction: nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from arrears.clock import Clock
from arrears.compliance.decision import Decision
from arrears.compliance.facts import Facts, Request
from arrears.compliance.gate import decide
from arrears.compliance.models import ComplianceDecision
from arrears.compliance.packs import Pack, load_pack, tighten
from arrears.compliance.repository import add_decision


def record_decision(
    session: Session,
    decision: Decision,
    request: Request,
    facts: Facts,
    clock: Clock,
    *,
    customer_id: str | None = None,
    requested_by: str | None = None,
    tightened: dict[str, object] | None = None,
    flush: bool = True,
) -> ComplianceDecision:
    row = ComplianceDecision(
        decided_at=clock.now(),
        customer_id=customer_id,
        pack=decision.pack_id,
        pack_version=decision.pack_version,
        decision=decision.verdict.value,
        rule_ids=list(decision.rule_ids),
        reasons=[r.to_json() for r in decision.reasons],
        next_allowed_at=decision.next_allowed_at,
        request=request.to_json(),
        facts=facts.to_json(),
        tightened={k: _plain(v) for k, v in (tightened or {}).items()},
        requested_by=requested_by,
    )
    return add_decision(session, row, flush=flush)


def gate(
    session: Session,
    request: Request,
    facts: Facts,
    pack: Pack,
    clock: Clock,
    *,
    customer_id: str | None = None,
    requested_by: str | None = None,
) -> Decision:
    """Decide and record in one step: the way every outbound path asks before it acts."""
    decision = decide(request, facts, pack)
    record_decision(
        session,
        decision,
        request,
        facts,
        clock,
        customer_id=customer_id,
        requested_by=requested_by,
        tightened=dict(pack.tightened),
    )
    return decision


def _plain(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def ask(
    request: Request, facts: Facts, pack_id: str, tightening: Mapping[str, Any] | None = None
) -> Decision:
    """The gate's answer to a question asked ahead of any contact (the API's compliance check,
    like ``arrears compliance replay``), under the pack tightened by the bank's settings; nothing
    is recorded here. A policy that loosens the pack is refused (LooseningRefusedError)."""
    return decide(request, facts, tighten(load_pack(pack_id), tightening or {}))
