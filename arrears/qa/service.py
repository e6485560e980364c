"""Call transcripts checked by the conduct checker, scored, sampled for people's review, and the
reviewers' verdicts that measure the checker (docs/qa.md, "Call transcripts and review").

Entries take the caller (a :class:`Principal`, whose permission is checked here, or the command
line's :class:`Actor`) and the caller's row scope as a SQL filter (``visible``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor, record
from arrears.auth.masking import scrub
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, actor_of, check_permission
from arrears.compliance.conduct import check_conduct, e5, load_rules
from arrears.compliance.conduct.checker import Checked, Finding
from arrears.compliance.conduct.model import check_many_with_model, load_model, reader_for
from arrears.compliance.conduct.rules import CATEGORIES
from arrears.compliance.packs import Pack
from arrears.contacts import repository as contacts
from arrears.contacts.gate import GATE_PARTIES
from arrears.contacts.models import Channel, Contact, ReviewStatus
from arrears.errors import ConflictError, InvalidInputError, NotFoundError
from arrears.i18n import N_, Text
from arrears.portfolio.views import record_look, record_looks
from arrears.qa import repository
from arrears.qa.models import CallTranscript, QaVerdict, ReviewState, Speaker, TranscriptTurn, Verdict

Who = Principal | Actor

TRANSCRIBED = frozenset({Channel.CALL, Channel.VISIT, Channel.CHAT})
"""The contacts a transcript may be attached to: spoken or written conversations."""

SEVERITY_WEIGHT = {"high": 30, "medium": 15, "low": 5}
"""What each finding takes off a call's score of 100, by its severity."""

SCORE_BANDS = (("low", 0, 59), ("middle", 60, 89), ("high", 90, 100))
"""The bands a review sample is stratified by: (name, lowest score, highest score)."""


class TranscriptContactNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No contact {contact_id}")


class TranscriptNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No transcript {transcript_id}")


class NotAConversationError(ConflictError):
    code = "not_a_conversation"
    default_message = N_("Contact {contact_id} is a {channel}: only calls, visits and chats have transcripts")


class TranscriptExistsError(ConflictError):
    code = "transcript_exists"
    default_message = N_("Contact {contact_id} already has a transcript")


class AlreadyReviewedError(ConflictError):
    code = "transcript_reviewed"
    default_message = N_("Transcript {transcript_id} has been reviewed already")


class VerdictError(InvalidInputError):
    code = "invalid_verdict"
    default_message = N_("Verdict {index}: {problem}")


class VerdictsMissingError(InvalidInputError):
    code = "verdicts_missing"
    default_message = N_("Every finding needs a verdict; missing: {missing}")


@dataclass(frozen=True)
class TurnSpec:
    speaker: Speaker
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class TranscriptSpec:
    contact_id: int
    turns: tuple[TurnSpec, ...]
    language: str | None = None
    source: str = "api"


@dataclass(frozen=True)
class VerdictSpec:
    seq: int
    category: str
    verdict: Verdict
    note: str | None = None


# --- Import. ------------------------------------------------------------------------------------


def import_transcript(
    session: Session,
    who: Who,
    spec: TranscriptSpec,
    *,
    visible: ColumnElement[bool],
    pack: Pack,
    now: datetime,
    with_model: bool = False,
) -> CallTranscript:
    """Attach a transcript to its contact, each collector's turn checked (by the rules, and by the
    trained content model too ``with_model``: the bank's ``ARREARS_QA_CONTENT_MODEL``); a call with
    findings goes to the compliance review list. Personal data in the text (ids, phones, e-mails)
    is masked before it is stored."""
    check_permission(who, Permission.TRANSCRIPT_IMPORT)
    contact = contacts.visible_contact(session, spec.contact_id, visible)
    if contact is None:
        raise TranscriptContactNotFoundError(contact_id=spec.contact_id)
    if contact.channel not in TRANSCRIBED:
        raise NotAConversationError(contact_id=contact.id, channel=contact.channel)
    if repository.transcript_of_contact(session, contact.id) is not None:
        raise TranscriptExistsError(contact_id=contact.id)
    party = _party_of(contact, pack)
    texts = [scrub(turn.text) for turn in spec.turns]
    items = [(text, party, turn.speaker) for text, turn in zip(texts, spec.turns, strict=True)]
    checked = _checked(items, with_model)
    turns = [
        _turn(seq, turn, text, found, pack)
        for seq, (turn, text, found) in enumerate(zip(spec.turns, texts, checked, strict=True), 1)
    ]
    findings = [f for turn in turns for f in turn.findings]
    transcript = CallTranscript(
        contact_id=contact.id,
        case_id=contact.case_id,
        customer_id=contact.customer_id,
        collector_id=contact.recorded_by,
        team_id=contact.team_id,
        week=week_of(contact.started_on),
        language=spec.language,
        source=spec.source,
        turn_count=len(turns),
        finding_count=len(findings),
        score=score_of(findings),
        checked_with=_checked_with(pack, with_model),
        review_state=ReviewState.NONE,
        imported_at=now,
        imported_by=getattr(who, "user_id", None),
    )
    _insert(session, transcript, turns)
    if findings:
        _flag_for_review(session, contact)
    record(
        session,
        actor_of(who),
        "transcript.import",
        at=now,
        object_type="transcript",
        object_id=str(transcript.id),
        customer_id=contact.customer_id,
        after={
            "contact_id": contact.id,
            "turns": len(turns),
            "findings": len(findings),
            "score": transcript.score,
        },
        rules=sorted({r for f in findings for r in f["rule_ids"]}) or None,
    )
    return transcript


def _insert(session: Session, transcript: CallTranscript, turns: list[TranscriptTurn]) -> None:
    try:
        with session.begin_nested():
            session.add(transcript)
            session.flush()
            for turn in turns:
                turn.transcript_id = transcript.id
            session.add_all(turns)
            session.flush()
    except IntegrityError:
        raise TranscriptExistsError(contact_id=transcript.contact_id) from None


def _party_of(contact: Contact, pack: Pack) -> str:
    """Whom the collector spoke to, as the checker knows parties (the debtor, or anyone else)."""
    policy = pack.party_policy(GATE_PARTIES.get(contact.party, contact.party))
    return "debtor" if policy in ("consumer", "attorney") else "third_party"


def _checked(items: Sequence[tuple[str, str, str]], with_model: bool) -> list[Checked]:
    """Each turn (text, party, speaker) checked: by the rules one at a time, or with the model all
    together (its sentence encoder and reader read the turns in batches, with the same findings as
    one at a time)."""
    if with_model:
        return check_many_with_model(items)
    return [check_conduct(text, party=party, speaker=speaker) for text, party, speaker in items]


def _turn(seq: int, turn: TurnSpec, text: str, checked: Checked, pack: Pack) -> TranscriptTurn:
    return TranscriptTurn(
        seq=seq,
        speaker=turn.speaker,
        start_ms=turn.start_ms,
        end_ms=turn.end_ms,
        text=text,
        findings=[_as_json(f, pack) for f in checked.findings],
    )


def _checked_with(pack: Pack, with_model: bool) -> str:
    """What checked the turns: the rules' version, the model's (with its sentence encoder, if
    any) and the pack."""
    checked_with = f"conduct {load_rules().version}"
    if with_model:
        model = load_model()
        checked_with += "; model" + (f" with sentences {model.encoder}" if model.reads_sentences else "")
        checked_with += f" and reader {e5.PACKAGE} {e5.VERSION}" if reader_for(model) is not None else ""
    return f"{checked_with}; {pack.label}"


def _as_json(finding: Finding, pack: Pack) -> dict[str, Any]:
    rule_ids = pack.content.get(finding.pack_key) or pack.content.get(finding.category, ())
    return {
        "category": finding.category,
        "rule": finding.rule,
        "rule_ids": list(rule_ids),
        "severity": finding.severity,
        "start": finding.start,
        "end": finding.end,
        "evidence": finding.evidence,
    }


def score_of(findings: Iterable[Mapping[str, Any]]) -> int:
    """100 less each finding's weight by severity (high 30, medium 15, low 5), at least 0."""
    return max(0, 100 - sum(SEVERITY_WEIGHT.get(f["severity"], 0) for f in findings))


def week_of(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - timedelta(days=day.weekday())


def _flag_for_review(session: Session, contact: Contact) -> None:
    session.execute(
        update(Contact)
        .where(Contact.id == contact.id, Contact.review_status == ReviewStatus.NONE)
        .values(review_status=ReviewStatus.PENDING)
    )


# --- Reading. -----------------------------------------------------------------------------------


def transcript_of(
    session: Session, who: Who, contact_id: int, *, visible: ColumnElement[bool]
) -> tuple[CallTranscript, list[TranscriptTurn], list[QaVerdict]]:
    """A contact's transcript, its turns and the verdicts on it."""
    found = repository.transcript_of_contact(session, contact_id)
    return read_transcript(session, who, -1 if found is None else found.id, visible=visible)


def read_transcript(
    session: Session, who: Who, transcript_id: int, *, visible: ColumnElement[bool]
) -> tuple[CallTranscript, list[TranscriptTurn], list[QaVerdict]]:
    """A transcript, its turns and the verdicts on it (the caller audits the look)."""
    check_permission(who, Permission.QA_READ)
    transcript = repository.visible_transcript(session, transcript_id, visible)
    if transcript is None:
        raise TranscriptNotFoundError(transcript_id=transcript_id)
    return (
        transcript,
        repository.turns_of(session, transcript.id),
        repository.verdicts_of(session, transcript.id),
    )


def record_transcript_look(
    session: Session, principal: Principal, transcript: CallTranscript, *, at: datetime
) -> None:
    """A look at one transcript on the audit trail (called last, as :func:`record_look` asks)."""
    record_look(
        session, principal, "transcript.read", "transcript", str(transcript.id), transcript.customer_id, at=at
    )


def record_queue_look(
    session: Session, principal: Principal, queue: Iterable[CallTranscript], *, at: datetime
) -> None:
    """A look at the review queue: one entry per customer whose call is listed."""
    record_looks(
        session, principal, "transcript.read", "qa_review_queue", (t.customer_id for t in queue), at=at
    )


def week_scores(
    session: Session, who: Who, week: date, *, visible: ColumnElement[bool]
) -> list[repository.WeekRow]:
    """Per collector, the QA scores of the week's calls (the Monday of ``week``'s week)."""
    check_permission(who, Permission.QA_READ)
    return repository.week_scores(session, week_of(week), visible)


def latest_week(session: Session, who: Who, *, visible: ColumnElement[bool]) -> date | None:
    """The newest week with a transcript (its Monday), for a week that has none."""
    check_permission(who, Permission.QA_READ)
    return repository.latest_week(session, visible)


# --- The sample for people's review. ------------------------------------------------------------


def draw_sample(
    session: Session,
    who: Who,
    week: date,
    per_band: int,
    *,
    visible: ColumnElement[bool],
    seed: int,
    now: datetime,
) -> dict[int, str]:
    """Draw up to ``per_band`` of the week's unreviewed calls from each score band, at random (the
    same seed, the same draw). Returns the drawn transcripts with their band."""
    check_permission(who, Permission.CONTACT_REVIEW)
    if per_band < 1:
        raise InvalidInputError(N_("Draw at least one call a band"))
    monday = week_of(week)
    candidates = repository.unsampled(session, monday, visible)
    drawn: dict[int, str] = {}
    for band, lowest, highest in SCORE_BANDS:
        in_band = [tid for tid, score in candidates if lowest <= score <= highest]
        in_band.sort(key=lambda tid: hashlib.sha256(f"{seed}:{tid}".encode()).digest())
        drawn.update(dict.fromkeys(in_band[:per_band], band))
    repository.mark_sampled(session, drawn)
    record(
        session,
        actor_of(who),
        "qa.sample",
        at=now,
        object_type="week",
        object_id=monday.isoformat(),
        after={"drawn": len(drawn), "per_band": per_band, "seed": seed} | _band_counts(drawn),
    )
    return drawn


def _band_counts(drawn: Mapping[int, str]) -> dict[str, int]:
    return {band: sum(1 for b in drawn.values() if b == band) for band, _, _ in SCORE_BANDS}


def review_queue(
    session: Session, who: Who, *, visible: ColumnElement[bool], week: date | None, limit: int
) -> list[CallTranscript]:
    check_permission(who, Permission.CONTACT_REVIEW)
    return repository.review_queue(
        session, visible, week=None if week is None else week_of(week), limit=limit
    )


# --- Verdicts. ----------------------------------------------------------------------------------


def record_verdicts(
    session: Session,
    who: Who,
    transcript_id: int,
    verdicts: list[VerdictSpec],
    *,
    visible: ColumnElement[bool],
    now: datetime,
) -> CallTranscript:
    """A reviewer's word on every finding of a call (agree or false alarm) and on what the checker
    missed; once per call (the second of two reviewers racing gets 409)."""
    check_permission(who, Permission.CONTACT_REVIEW)
    transcript = repository.visible_transcript(session, transcript_id, visible)
    if transcript is None:
        raise TranscriptNotFoundError(transcript_id=transcript_id)
    if transcript.review_state == ReviewState.REVIEWED:
        raise AlreadyReviewedError(transcript_id=transcript_id)
    found = {(t.seq, f["category"]) for t in repository.turns_of(session, transcript_id) for f in t.findings}
    seqs = set(range(1, transcript.turn_count + 1))
    _validate(verdicts, found, seqs)
    by = getattr(who, "user_id", None)
    if not repository.close_review(session, transcript_id, at=now, by=by):
        raise AlreadyReviewedError(transcript_id=transcript_id)
    session.add_all(
        QaVerdict(
            transcript_id=transcript_id,
            seq=v.seq,
            category=v.category,
            verdict=v.verdict,
            note=None if v.note is None else scrub(v.note.strip())[:1000] or None,
            reviewed_at=now,
            reviewed_by=by,
        )
        for v in verdicts
    )
    session.flush()
    session.refresh(transcript)
    record(
        session,
        actor_of(who),
        "transcript.review",
        at=now,
        object_type="transcript",
        object_id=str(transcript_id),
        customer_id=transcript.customer_id,
        before={"review_state": ReviewState.SAMPLED.value},
        after={"review_state": ReviewState.REVIEWED.value} | _verdict_counts(verdicts),
    )
    return transcript


def _validate(verdicts: list[VerdictSpec], found: set[tuple[int, str]], seqs: set[int]) -> None:
    given: set[tuple[int, str]] = set()
    for index, verdict in enumerate(verdicts, 1):
        key = (verdict.seq, verdict.category)
        problem = _problem(verdict, key, found, seqs, given)
        if problem is not None:
            raise VerdictError(index=index, problem=problem)
        given.add(key)
    missing = sorted(found - given)
    if missing:
        raise VerdictsMissingError(missing=", ".join(f"{seq}/{category}" for seq, category in missing))


def _problem(
    verdict: VerdictSpec,
    key: tuple[int, str],
    found: set[tuple[int, str]],
    seqs: set[int],
    given: set[tuple[int, str]],
) -> Text | None:
    if verdict.seq not in seqs:
        return Text.of(N_("the call has no turn {seq}"), seq=verdict.seq)
    if verdict.category not in CATEGORIES:
        return Text.of(N_("there is no category {category}"), category=verdict.category)
    if key in given:
        return Text.of(N_("turn {seq}, {category} given twice"), seq=verdict.seq, category=verdict.category)
    if verdict.verdict == Verdict.MISSED and key in found:
        return Text.of(
            N_("the checker found {category} in turn {seq}: agree or disagree"),
            seq=verdict.seq,
            category=verdict.category,
        )
    if verdict.verdict != Verdict.MISSED and key not in found:
        return Text.of(
            N_("the checker found no {category} in turn {seq}: say missed"),
            seq=verdict.seq,
            category=verdict.category,
        )
    return None


def _verdict_counts(verdicts: list[VerdictSpec]) -> dict[str, int]:
    return {str(v): sum(1 for x in verdicts if x.verdict == v) for v in Verdict}


# --- The checker against people. ----------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    category: str
    agree: int
    disagree: int
    missed: int

    @property
    def precision(self) -> float | None:
        judged = self.agree + self.disagree
        return self.agree / judged if judged else None

    @property
    def recall(self) -> float | None:
        """Of what reviewers hold to be there, the share the checker found (on reviewed calls)."""
        there = self.agree + self.missed
        return self.agree / there if there else None


def agreement(session: Session, who: Who, *, visible: ColumnElement[bool]) -> list[Agreement]:
    """The checker's running precision and recall against reviewers, per category, and overall last
    (category ``all``)."""
    check_permission(who, Permission.QA_READ)
    counts: dict[str, dict[str, int]] = {}
    for category, verdict, count in repository.verdict_counts(session, visible):
        counts.setdefault(category, {})[verdict] = count
    rows = [_agreement(category, counts.get(category, {})) for category in CATEGORIES if category in counts]
    total = {str(v): sum(c.get(v, 0) for c in counts.values()) for v in Verdict}
    return [*rows, _agreement("all", total)]


def _agreement(category: str, counts: Mapping[str, int]) -> Agreement:
    return Agreement(
        category, counts.get(Verdict.AGREE, 0), counts.get(Verdict.DISAGREE, 0), counts.get(Verdict.MISSED, 0)
    )
