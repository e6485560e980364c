"""The QA pages (质检): a week's scores per collector, the calls drawn for review, the checker's
running precision against reviewers; a call's transcript with the evidence highlighted and the
reviewer's verdicts. Thin: the services of :mod:`arrears.qa.service`, as ``qa.api`` calls them,
each look audited as there; a refused form is shown on the page with its 4xx status."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.compliance.conduct.rules import CATEGORIES
from arrears.compliance.content import CATEGORY_NAMES
from arrears.errors import ConflictError, InvalidInputError
from arrears.i18n import N_
from arrears.qa import service
from arrears.qa.models import Speaker, TranscriptTurn, Verdict
from arrears.web import form_values, render
from arrears.web.supervise import names_of, refusal

router = APIRouter(include_in_schema=False)

QaReader = Annotated[Principal, Depends(page_requires(Permission.QA_READ))]
Reviewer = Annotated[Principal, Depends(page_requires(Permission.CONTACT_REVIEW))]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
SHOWN = 50
SPEAKER_NAMES = {
    Speaker.COLLECTOR: N_("Collector"),
    Speaker.CUSTOMER: N_("Customer"),
    Speaker.OTHER: N_("Other"),
}
SEVERITY_NAMES = {"high": N_("high severity"), "medium": N_("medium severity"), "low": N_("low severity")}
BAND_NAMES = {"low": N_("below 60"), "middle": N_("60 to 89"), "high": N_("90 and above")}


@dataclass(frozen=True)
class Piece:
    """A stretch of a turn's text, and the categories of the findings whose evidence covers it."""

    text: str
    categories: tuple[str, ...] = ()


def pieces(turn: TranscriptTurn) -> list[Piece]:
    """The turn's text cut at every finding's span, each piece with the findings covering it."""
    cuts = sorted(
        {0, len(turn.text)} | {f["start"] for f in turn.findings} | {f["end"] for f in turn.findings}
    )
    out = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(f["category"] for f in turn.findings if f["start"] <= start and end <= f["end"])
        out.append(Piece(turn.text[start:end], covering))
    return out


def _week(value: str | None, default: date) -> date:
    """Any day of the week asked for (a 400 page naming the field when it is not a date)."""
    return form_values.day(value, "week") if value and value.strip() else default


@router.get("/qa", response_class=HTMLResponse)
def qa_page(
    request: Request,
    session: DatabaseSession,
    principal: QaReader,
    week: Annotated[str | None, Query(max_length=10)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The week's QA scores per collector, the calls waiting for review, and the checker's
    agreement with reviewers (the same services as GET /api/v1/qa/scores, review-queue, agreement)."""
    return _qa(request, session, principal, _week(week, today(request)), done=done)


def _qa(
    request: Request,
    session: Session,
    principal: Principal,
    day: date,
    *,
    done: str | None = None,
    refused: InvalidInputError | ConflictError | None = None,
) -> Response:
    visible = case_filter(principal, today(request))
    queue = []
    if principal.may(Permission.CONTACT_REVIEW):
        queue = service.review_queue(session, principal, visible=visible, week=None, limit=SHOWN)
    scores = service.week_scores(session, principal, day, visible=visible)
    context: dict[str, Any] = {
        "week": service.week_of(day),
        "scores": scores,
        "latest_week": None if scores else service.latest_week(session, principal, visible=visible),
        "queue": queue,
        "collectors": names_of(session, {row.collector_id for row in queue}),
        "agreement": service.agreement(session, principal, visible=visible),
        "category_names": CATEGORY_NAMES,
        "band_names": BAND_NAMES,
        "may_review": principal.may(Permission.CONTACT_REVIEW),
        "done": done,
        "problem": refused.message(render.language_of(request)) if refused else None,
    }
    service.record_queue_look(session, principal, queue, at=now(request))
    return render.render(request, "qa.html", context, status=refused.http_status if refused else 200)


@router.post("/qa/sample")
def draw_sample(
    request: Request,
    session: DatabaseSession,
    principal: Reviewer,
    week: Annotated[str, Form(max_length=10)] = "",
    per_band: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Draw the week's calls for review, stratified by score band (POST /api/v1/qa/samples)."""
    day = _week(week, today(request))
    with refusal(session) as caught:
        if not per_band.isdigit() or not 1 <= int(per_band) <= 1000:
            raise InvalidInputError(N_("Calls a band: a whole number from 1 to 1000"))
        service.draw_sample(
            session,
            principal,
            day,
            int(per_band),
            visible=case_filter(principal, today(request)),
            seed=day.toordinal(),
            now=now(request),
        )
    if caught:
        return _qa(request, session, principal, day, refused=caught[0])
    return RedirectResponse(f"/qa?week={day.isoformat()}&done=drawn", status_code=303)


@router.get("/qa/transcripts/{transcript_id}", response_class=HTMLResponse)
def transcript_page(
    request: Request,
    session: DatabaseSession,
    principal: QaReader,
    transcript_id: RowId,
) -> Response:
    """A call's transcript, speaker by speaker, the checker's evidence highlighted with its rule;
    the reviewer's verdicts, or the form to give them (the look audited, as the API's)."""
    return _transcript(request, session, principal, transcript_id)


def _transcript(
    request: Request,
    session: Session,
    principal: Principal,
    transcript_id: int,
    *,
    refused: InvalidInputError | ConflictError | None = None,
) -> Response:
    transcript, turns, verdicts = service.read_transcript(
        session, principal, transcript_id, visible=case_filter(principal, today(request))
    )
    context: dict[str, Any] = {
        "transcript": transcript,
        "turns": [(turn, pieces(turn)) for turn in turns],
        "verdicts": {(v.seq, v.category): v for v in verdicts},
        "collector": names_of(session, {transcript.collector_id}).get(transcript.collector_id or 0),
        "speaker_names": SPEAKER_NAMES,
        "severity_names": SEVERITY_NAMES,
        "category_names": CATEGORY_NAMES,
        "categories": CATEGORIES,
        "may_review": principal.may(Permission.CONTACT_REVIEW) and transcript.review_state != "reviewed",
        "problem": refused.message(render.language_of(request)) if refused else None,
    }
    service.record_transcript_look(session, principal, transcript, at=now(request))
    return render.render(
        request, "qa_transcript.html", context, status=refused.http_status if refused else 200
    )


@router.post("/qa/transcripts/{transcript_id}/verdicts")
def record_verdicts(
    request: Request,
    session: DatabaseSession,
    principal: Reviewer,
    transcript_id: RowId,
    verdict: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI reads it, never mutated
    missed: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The reviewer's word on each finding (``verdict``: ``<turn>|<category>|agree`` or ``disagree``)
    and what the checker missed (``missed``: ``<turn>|<category>``), as POST
    /api/v1/transcripts/{id}/verdicts."""
    with refusal(session) as caught:
        specs = _verdicts_of(verdict, missed, note.strip() or None)
        service.record_verdicts(
            session,
            principal,
            transcript_id,
            specs,
            visible=case_filter(principal, today(request)),
            now=now(request),
        )
    if caught:
        return _transcript(request, session, principal, transcript_id, refused=caught[0])
    return RedirectResponse("/qa?done=reviewed", status_code=303)


def _verdicts_of(given: list[str], missed: list[str], note: str | None) -> list[service.VerdictSpec]:
    specs = []
    for value in given:
        seq, category, word = ([*value.split("|"), "", "", ""])[:3]
        specs.append(service.VerdictSpec(_turn(seq), category, _verdict(word), note))
    for value in filter(None, missed):
        seq, _, category = value.partition("|")
        specs.append(service.VerdictSpec(_turn(seq), category, Verdict.MISSED, note))
    return specs


def _turn(value: str) -> int:
    if not value.isdigit():
        raise InvalidInputError(N_("The form names no turn: {value}"), value=value[:20])
    return int(value)


def _verdict(value: str) -> Verdict:
    if value not in (Verdict.AGREE, Verdict.DISAGREE):
        raise InvalidInputError(N_("Choose agree or false alarm for every finding"))
    return Verdict(value)
