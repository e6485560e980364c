"""What the gate answers: allow, block or review, the reasons by rule id, and when to retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"
    REVIEW = "review"


@dataclass(frozen=True)
class Reason:
    """One rule behind a decision, explained in Simplified Chinese and English."""

    rule_id: str
    message_zh: str
    message_en: str
    blocking: bool = True
    retryable: bool = False
    """A time or frequency rule: the same request passes later (see ``next_allowed_at``)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "zh-CN": self.message_zh,
            "en": self.message_en,
            "blocking": self.blocking,
        }


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    pack_id: str
    pack_version: str
    next_allowed_at: datetime | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self.reasons))

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.verdict.value,
            "rules": list(self.rule_ids),
            "reasons": [r.to_json() for r in self.reasons],
            "pack": self.pack_id,
            "pack_version": self.pack_version,
            "next_allowed_at": None if self.next_allowed_at is None else self.next_allowed_at.isoformat(),
        }


def verdict_of(reasons: tuple[Reason, ...] | list[Reason], *, flag_as_review: bool = False) -> Verdict:
    """Block on any blocking reason (review instead when the text is only flagged), else review or allow."""
    if any(r.blocking for r in reasons):
        return Verdict.REVIEW if flag_as_review else Verdict.BLOCK
    return Verdict.REVIEW if reasons else Verdict.ALLOW
