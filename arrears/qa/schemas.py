"""API and file shapes of call transcripts, QA scores, review samples and verdicts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from arrears.compliance.conduct.rules import Category
from arrears.errors import VALIDATION_MESSAGES
from arrears.qa import service
from arrears.qa.models import CallTranscript, QaVerdict, Speaker, TranscriptTurn, Verdict
from arrears.qa.repository import WeekRow

MAX_ID = 2**31 - 1
MAX_TURNS = 5000
MAX_TURN_CHARS = 10_000
MAX_TRANSCRIPT_CHARS = 100_000
"""All the turns' text together: a two-hour call is about 30,000 characters in Chinese and
100,000 in fast English. The turns are checked during the request, with the model at some 1,800
characters a second in short turns and 6,000 in long ones (docs/qa.md): 100,000 characters take
up to a minute, where 5,000 turns at their own limit would have held it for hours."""
TRANSCRIPT_TOO_LONG = "transcript_too_long"
"""The error's type: its words, in the reader's language, are ``errors.VALIDATION_MESSAGES``'."""
SPEAKERS: dict[str, Speaker] = {
    "collector": Speaker.COLLECTOR,
    "agent": Speaker.COLLECTOR,
    "customer": Speaker.CUSTOMER,
    "client": Speaker.CUSTOMER,
    "other": Speaker.OTHER,
}
"""Speaker names as speech-to-text systems give them, and what they are here."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnIn(_In):
    speaker: Literal["collector", "agent", "customer", "client", "other"]
    start: Decimal = Field(ge=0, le=86_400, decimal_places=3, description="Seconds from the call's start")
    end: Decimal = Field(ge=0, le=86_400, decimal_places=3)
    text: str = Field(min_length=1, max_length=MAX_TURN_CHARS)

    @model_validator(mode="after")
    def _ends_after_start(self) -> TurnIn:
        if self.end < self.start:
            raise ValueError(f"the turn ends ({self.end} s) before it starts ({self.start} s)")
        return self

    def spec(self) -> service.TurnSpec:
        return service.TurnSpec(
            SPEAKERS[self.speaker], int(self.start * 1000), int(self.end * 1000), self.text
        )


class TranscriptIn(_In):
    language: str | None = Field(default=None, max_length=16, description="As the speech-to-text gave it")
    turns: list[TurnIn] = Field(min_length=1, max_length=MAX_TURNS)

    @model_validator(mode="after")
    def _not_too_long(self) -> TranscriptIn:
        total = sum(len(turn.text) for turn in self.turns)
        if total > MAX_TRANSCRIPT_CHARS:
            raise PydanticCustomError(
                TRANSCRIPT_TOO_LONG,
                VALIDATION_MESSAGES[TRANSCRIPT_TOO_LONG],
                {"total": f"{total:,}", "maximum": f"{MAX_TRANSCRIPT_CHARS:,}"},
            )
        return self

    def spec(self, contact_id: int, source: str) -> service.TranscriptSpec:
        return service.TranscriptSpec(contact_id, tuple(t.spec() for t in self.turns), self.language, source)


class TranscriptFile(TranscriptIn):
    """A transcript file: the API's body with the contact it belongs to."""

    contact_id: int = Field(ge=1, le=MAX_ID)


class FindingOut(BaseModel):
    category: str
    rule: str
    rule_ids: list[str]
    severity: str
    start: int
    end: int
    evidence: str


class TurnOut(BaseModel):
    seq: int
    speaker: str
    start: Decimal
    end: Decimal
    text: str
    findings: list[FindingOut]

    @classmethod
    def of(cls, turn: TranscriptTurn) -> TurnOut:
        return cls(
            seq=turn.seq,
            speaker=turn.speaker,
            start=Decimal(turn.start_ms) / 1000,
            end=Decimal(turn.end_ms) / 1000,
            text=turn.text,
            findings=[FindingOut(**f) for f in turn.findings],
        )


class VerdictOut(BaseModel):
    seq: int
    category: str
    verdict: str
    note: str | None
    reviewed_at: datetime

    @classmethod
    def of(cls, row: QaVerdict) -> VerdictOut:
        return cls(
            seq=row.seq,
            category=row.category,
            verdict=row.verdict,
            note=row.note,
            reviewed_at=row.reviewed_at,
        )


class TranscriptSummary(BaseModel):
    id: int
    contact_id: int
    case_id: str
    collector_id: int | None
    week: date
    turn_count: int
    finding_count: int
    score: int
    review_state: str
    sample_band: str | None
    checked_with: str
    imported_at: datetime

    @classmethod
    def of(cls, row: CallTranscript) -> TranscriptSummary:
        fields: dict[str, Any] = {name: getattr(row, name) for name in cls.model_fields}
        return cls(**fields)


class TranscriptOut(TranscriptSummary):
    turns: list[TurnOut]
    verdicts: list[VerdictOut]

    @classmethod
    def full(
        cls, row: CallTranscript, turns: list[TranscriptTurn], verdicts: list[QaVerdict]
    ) -> TranscriptOut:
        summary = TranscriptSummary.of(row).model_dump()
        return cls(
            **summary, turns=[TurnOut.of(t) for t in turns], verdicts=[VerdictOut.of(v) for v in verdicts]
        )


class TranscriptsOut(BaseModel):
    transcripts: list[TranscriptSummary]


class WeekRowOut(BaseModel):
    collector_id: int | None
    collector: str | None
    calls: int
    mean_score: Decimal = Field(description="Rounded to one decimal")
    lowest_score: int
    findings: int
    flagged_calls: int

    @classmethod
    def of(cls, row: WeekRow) -> WeekRowOut:
        return cls(
            collector_id=row.collector_id,
            collector=row.collector,
            calls=row.calls,
            mean_score=Decimal(str(round(row.mean_score, 1))),
            lowest_score=row.lowest_score,
            findings=row.findings,
            flagged_calls=row.flagged_calls,
        )


class WeekScoresOut(BaseModel):
    week: date = Field(description="The Monday of the week")
    collectors: list[WeekRowOut]


class SampleIn(_In):
    week: date = Field(description="Any day of the week drawn from")
    per_band: int = Field(ge=1, le=1000, description="Calls drawn from each score band")
    seed: int = Field(default=1, ge=0, le=MAX_ID, description="The same seed draws the same calls")


class SampleOut(BaseModel):
    week: date
    drawn: dict[str, int] = Field(description="Calls drawn per score band")
    transcript_ids: list[int]


class VerdictIn(_In):
    seq: int = Field(ge=1, le=MAX_TURNS, description="The turn")
    category: Category
    verdict: Verdict
    note: str | None = Field(default=None, max_length=1000)

    def spec(self) -> service.VerdictSpec:
        return service.VerdictSpec(self.seq, self.category, self.verdict, self.note)


class VerdictsIn(_In):
    verdicts: list[VerdictIn] = Field(max_length=1000)


class AgreementOut(BaseModel):
    category: str
    agree: int
    disagree: int
    missed: int
    precision: Decimal | None = Field(description="agree / (agree + disagree), three decimals")
    recall: Decimal | None = Field(description="agree / (agree + missed), on reviewed calls")

    @classmethod
    def of(cls, row: service.Agreement) -> AgreementOut:
        return cls(
            category=row.category,
            agree=row.agree,
            disagree=row.disagree,
            missed=row.missed,
            precision=_ratio(row.precision),
            recall=_ratio(row.recall),
        )


def _ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 3)))


class AgreementsOut(BaseModel):
    categories: list[AgreementOut]


class TranscriptsFile(_In):
    """A file of transcripts for ``arrears qa import``: ``transcripts: [{contact_id, language, turns}]``
    (YAML or JSON)."""

    transcripts: list[TranscriptFile] = Field(min_length=1)
