"""What the gate answers: allow, block or review, the reasons by rule id, and when to retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from arrears.i18n import LANGUAGES, N_, Spoken, Text, translate


class Verdict(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"
    REVIEW = "review"


@dataclass(frozen=True)
class Reason(Spoken):
    """One rule behind a decision: its standard wording and what in the facts triggered it, as
    catalogue messages shown in any language (:meth:`message`)."""

    rule_id: str
    rule: Text
    details: tuple[Text, ...] = ()
    blocking: bool = True
    retryable: bool = False
    """A time or frequency rule: the same request passes later (see ``next_allowed_at``)."""

    def message(self, language: str) -> str:
        """The rule's wording followed by the details, in ``language``."""
        wording = self.rule.render(language)
        if not self.details:
            return wording
        detail = self.details[0]
        for more in self.details[1:]:
            detail = Text.of(N_("{first}; {second}"), first=detail, second=more)
        return translate(N_("{rule}: {detail}"), language, rule=wording, detail=detail)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            **{language: self.message(language) for language in LANGUAGES},
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
