"""Routes of call transcripts and their quality assurance under /api/v1 (docs/qa.md, "Call
transcripts and review"). Thin: parse, declare the permission, call :mod:`arrears.qa.service` in
the request's transaction, render; every look at a transcript is audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from arrears.api.access import DatabaseSession, requires
from arrears.api.paging import DEFAULT_LIMIT, Limit, now, problem_responses, today
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.cases.scope import case_filter
from arrears.compliance.packs import Pack
from arrears.contacts.gate import pack_of
from arrears.qa import repository, service
from arrears.qa.models import CallTranscript, QaVerdict, TranscriptTurn
from arrears.qa.schemas import (
    MAX_ID,
    AgreementOut,
    AgreementsOut,
    SampleIn,
    SampleOut,
    TranscriptIn,
    TranscriptOut,
    TranscriptsOut,
    TranscriptSummary,
    VerdictsIn,
    WeekRowOut,
    WeekScoresOut,
)

router = APIRouter(tags=["quality assurance"])

Importer = Annotated[Principal, Depends(requires(Permission.TRANSCRIPT_IMPORT))]
QaReader = Annotated[Principal, Depends(requires(Permission.QA_READ))]
Reviewer = Annotated[Principal, Depends(requires(Permission.CONTACT_REVIEW))]
ContactId = Annotated[int, Path(ge=1, le=MAX_ID)]
TranscriptId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _pack(request: Request) -> Pack:
    settings = request.app.state.context.settings
    return pack_of(settings.compliance_pack, settings.compliance_policy)


def _shown(
    request: Request,
    session: DatabaseSession,
    principal: Principal,
    found: tuple[CallTranscript, list[TranscriptTurn], list[QaVerdict]],
) -> TranscriptOut:
    transcript, turns, verdicts = found
    answer = TranscriptOut.full(transcript, turns, verdicts)
    service.record_transcript_look(session, principal, transcript, at=now(request))
    return answer


@router.post(
    "/contacts/{contact_id}/transcript",
    response_model=TranscriptOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Attach a call's transcript (speaker turns) to its contact; each turn is checked",
)
def import_transcript(
    contact_id: ContactId, body: TranscriptIn, principal: Importer, session: DatabaseSession, request: Request
) -> TranscriptOut:
    """One per contact (409 ``transcript_exists``); a contact that is not a call, visit or chat is
    409 ``not_a_conversation``. A call with findings goes to the compliance review list."""
    transcript = service.import_transcript(
        session,
        principal,
        body.spec(contact_id, "api"),
        visible=case_filter(principal, today(request)),
        pack=_pack(request),
        now=now(request),
        with_model=request.app.state.context.settings.qa_content_model,
    )
    return TranscriptOut.full(transcript, repository.turns_of(session, transcript.id), [])


@router.get(
    "/contacts/{contact_id}/transcript",
    response_model=TranscriptOut,
    responses=problem_responses(403, 404),
    summary="A contact's transcript with the checker's findings and the reviewer's verdicts",
)
def contact_transcript(
    contact_id: ContactId, principal: QaReader, session: DatabaseSession, request: Request
) -> TranscriptOut:
    found = service.transcript_of(
        session, principal, contact_id, visible=case_filter(principal, today(request))
    )
    return _shown(request, session, principal, found)


@router.get(
    "/transcripts/{transcript_id}",
    response_model=TranscriptOut,
    responses=problem_responses(403, 404),
    summary="A transcript with the checker's findings and the reviewer's verdicts",
)
def transcript(
    transcript_id: TranscriptId, principal: QaReader, session: DatabaseSession, request: Request
) -> TranscriptOut:
    found = service.read_transcript(
        session, principal, transcript_id, visible=case_filter(principal, today(request))
    )
    return _shown(request, session, principal, found)


@router.get(
    "/qa/scores",
    response_model=WeekScoresOut,
    responses=problem_responses(400, 403),
    summary="QA scores per collector for a week",
)
def week_scores(
    principal: QaReader,
    session: DatabaseSession,
    request: Request,
    week: Annotated[date | None, Query(description="Any day of the week (default: this week)")] = None,
) -> WeekScoresOut:
    day = week or today(request)
    rows = service.week_scores(session, principal, day, visible=case_filter(principal, today(request)))
    return WeekScoresOut(week=service.week_of(day), collectors=[WeekRowOut.of(row) for row in rows])


@router.post(
    "/qa/samples",
    response_model=SampleOut,
    responses=problem_responses(400, 403),
    summary="Draw the week's calls for review, stratified by score band",
)
def draw_sample(body: SampleIn, principal: Reviewer, session: DatabaseSession, request: Request) -> SampleOut:
    """Calls already drawn or reviewed are not drawn again; the same seed draws the same calls."""
    drawn = service.draw_sample(
        session,
        principal,
        body.week,
        body.per_band,
        visible=case_filter(principal, today(request)),
        seed=body.seed,
        now=now(request),
    )
    bands = {band: sum(1 for b in drawn.values() if b == band) for band, _, _ in service.SCORE_BANDS}
    return SampleOut(week=service.week_of(body.week), drawn=bands, transcript_ids=sorted(drawn))


@router.get(
    "/qa/review-queue",
    response_model=TranscriptsOut,
    responses=problem_responses(400, 403),
    summary="Calls drawn for review and not reviewed yet, lowest score first",
)
def review_queue(
    principal: Reviewer,
    session: DatabaseSession,
    request: Request,
    week: Annotated[date | None, Query(description="Any day of the week (default: every week)")] = None,
    limit: Limit = DEFAULT_LIMIT,
) -> TranscriptsOut:
    rows = service.review_queue(
        session, principal, visible=case_filter(principal, today(request)), week=week, limit=limit
    )
    answer = TranscriptsOut(transcripts=[TranscriptSummary.of(row) for row in rows])
    service.record_queue_look(session, principal, rows, at=now(request))
    return answer


@router.post(
    "/transcripts/{transcript_id}/verdicts",
    response_model=TranscriptSummary,
    responses=problem_responses(400, 403, 404, 409),
    summary="A reviewer's verdict on every finding of a call, and what the checker missed",
)
def record_verdicts(
    transcript_id: TranscriptId,
    body: VerdictsIn,
    principal: Reviewer,
    session: DatabaseSession,
    request: Request,
) -> TranscriptSummary:
    """Once per call: 409 ``transcript_reviewed`` for the second (also of two racing). Every finding
    needs ``agree`` or ``disagree``; ``missed`` names a category the checker did not find in a turn."""
    row = service.record_verdicts(
        session,
        principal,
        transcript_id,
        [v.spec() for v in body.verdicts],
        visible=case_filter(principal, today(request)),
        now=now(request),
    )
    return TranscriptSummary.of(row)


@router.get(
    "/qa/agreement",
    response_model=AgreementsOut,
    responses=problem_responses(403),
    summary="The checker's running precision and recall against reviewers, per category",
)
def agreement(principal: QaReader, session: DatabaseSession, request: Request) -> AgreementsOut:
    rows = service.agreement(session, principal, visible=case_filter(principal, today(request)))
    return AgreementsOut(categories=[AgreementOut.of(row) for row in rows])
