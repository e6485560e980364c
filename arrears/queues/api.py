"""Routes of queues under /api/v1: the queues and their sizes, the caller's call tasks, queue sets
(draft, preview, activate), collector profiles, retention (留案). Thin: parse, declare the permission, call
:mod:`arrears.queues.service` in the request's transaction, render."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from arrears.api.access import DatabaseSession, requires
from arrears.api.concurrency import IfMatch
from arrears.api.paging import now, problem_responses, today
from arrears.api.problems import language_of
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.concurrency import etag, parse_if_match
from arrears.queues import calls, service
from arrears.queues.schemas import (
    CallTaskOut,
    CallTasksOut,
    PreviewOut,
    ProfileIn,
    ProfileOut,
    QueueSetIn,
    QueueSetOut,
    QueueSetsOut,
    QueueSizeOut,
    QueuesOut,
    RetentionIn,
    RetentionOut,
)

router = APIRouter(tags=["queues"])

Worker = Annotated[Principal, Depends(requires(Permission.QUEUE_WORK))]
Reader = Annotated[Principal, Depends(requires(Permission.QUEUE_READ))]
Manager = Annotated[Principal, Depends(requires(Permission.QUEUE_MANAGE))]
Number = Annotated[int, Path(ge=1, le=2**31 - 1)]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/queues",
    response_model=QueuesOut,
    responses=problem_responses(403),
    summary="The active queues and their sizes",
)
def list_queues(principal: Worker, session: DatabaseSession, request: Request) -> QueuesOut:
    """Per queue and currency: open cases, overdue, mean DPD and the oldest entry. A supervisor
    sees their teams' queues, a collector their team's queues with their own cases only."""
    active, sizes = service.queues(session, principal, today(request))
    return QueuesOut(
        queue_set=None if active is None else active.number, queues=[QueueSizeOut.of(s) for s in sizes]
    )


@router.get(
    "/queues/overview",
    response_model=QueuesOut,
    responses=problem_responses(403),
    summary="The active queues and their sizes, for those who watch them",
)
def queues_overview(principal: Reader, session: DatabaseSession, request: Request) -> QueuesOut:
    """Per queue and currency, as ``GET /queues``, for a reader of the queues: an analyst or a
    compliance officer sees every team's queues, a supervisor their teams'."""
    active, sizes = service.overview(session, principal, today(request))
    return QueuesOut(
        queue_set=None if active is None else active.number, queues=[QueueSizeOut.of(s) for s in sizes]
    )


@router.get(
    "/queues/sets",
    response_model=QueueSetsOut,
    responses=problem_responses(403),
    summary="The queue sets, newest first",
)
def list_sets(principal: Reader, session: DatabaseSession, request: Request) -> QueueSetsOut:
    language = language_of(request)
    return QueueSetsOut(
        sets=[
            QueueSetOut.of(row, service.document(row), language, full=False)
            for row in service.queue_sets(session, principal)
        ]
    )


@router.post(
    "/queues/sets",
    response_model=QueueSetOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403),
    summary="Store a queue set as a draft",
)
def draft_set(
    body: QueueSetIn, principal: Manager, session: DatabaseSession, request: Request, response: Response
) -> QueueSetOut:
    """The YAML is checked (unknown keys, teams that do not exist: 400 naming the line and key)."""
    row = service.draft(session, principal, body.document, "document", note=body.note, now=now(request))
    response.headers["ETag"] = etag(row.version)
    return QueueSetOut.of(row, service.document(row), language_of(request), full=True)


@router.get(
    "/queues/sets/{number}",
    response_model=QueueSetOut,
    responses=problem_responses(403, 404),
    summary="One queue set, with its document",
)
def get_set(
    number: Number, principal: Reader, session: DatabaseSession, request: Request, response: Response
) -> QueueSetOut:
    row = service.queue_set(session, principal, number)
    response.headers["ETag"] = etag(row.version)
    return QueueSetOut.of(row, service.document(row), language_of(request), full=True)


@router.get(
    "/queues/sets/{number}/preview",
    response_model=PreviewOut,
    responses=problem_responses(400, 403, 404),
    summary="What the queue set would do to today's open cases",
)
def preview_set(number: Number, principal: Reader, session: DatabaseSession, request: Request) -> PreviewOut:
    """Each queue's cases, and how many cases would change queue and collector: computed as the
    nightly step does, written nowhere."""
    day = today(request)
    return PreviewOut.of(service.preview(session, principal, number, day), day)


@router.post(
    "/queues/sets/{number}/activate",
    response_model=QueueSetOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Make a draft the active queue set (the next night applies it)",
)
def activate_set(
    number: Number,
    principal: Manager,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> QueueSetOut:
    row = service.activate(session, principal, number, expected=parse_if_match(if_match), now=now(request))
    response.headers["ETag"] = etag(row.version)
    return QueueSetOut.of(row, service.document(row), language_of(request), full=False)


@router.get(
    "/collectors/{user_id}/profile",
    response_model=ProfileOut,
    responses=problem_responses(403, 404),
    summary="A collector's languages, products and capacity",
)
def get_profile(
    user_id: UserId, principal: Reader, session: DatabaseSession, response: Response
) -> ProfileOut:
    row = service.profile(session, principal, user_id)
    if row is not None:
        response.headers["ETag"] = etag(row.version)
    return ProfileOut.of(user_id, row)


@router.put(
    "/collectors/{user_id}/profile",
    response_model=ProfileOut,
    responses=problem_responses(400, 403, 404, 409, 412),
    summary="Write a collector's languages, products and capacity",
)
def put_profile(
    user_id: UserId,
    body: ProfileIn,
    principal: Manager,
    session: DatabaseSession,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ProfileOut:
    row = service.set_profile(
        session,
        principal,
        user_id,
        languages=body.languages,
        products=body.products,
        capacity=body.capacity,
        expected=parse_if_match(if_match),
        now=now(request),
    )
    response.headers["ETag"] = etag(row.version)
    return ProfileOut.of(user_id, row)


@router.post(
    "/cases/{case_id}/retention",
    response_model=RetentionOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 403, 404, 409),
    summary="Keep a case with its collector for some days (留案)",
)
def retain_case(
    case_id: str, body: RetentionIn, principal: Manager, session: DatabaseSession, request: Request
) -> RetentionOut:
    """Only a supervisor leading the case's team; a retention standing is replaced."""
    row = service.retain(
        session,
        principal,
        case_id,
        days=body.days,
        reason=body.reason,
        now=now(request),
        today=today(request),
    )
    return RetentionOut.of(row)


@router.delete(
    "/cases/{case_id}/retention",
    response_model=RetentionOut,
    responses=problem_responses(403, 404),
    summary="Release a case's retention",
)
def release_case(
    case_id: str, principal: Manager, session: DatabaseSession, request: Request
) -> RetentionOut:
    row = service.release(session, principal, case_id, now=now(request), today=today(request))
    return RetentionOut.of(row)


@router.get(
    "/call-tasks",
    response_model=CallTasksOut,
    responses=problem_responses(400, 403),
    summary="Your call tasks of a day: the strategy's calls, each with its window and reason",
)
def list_call_tasks(
    principal: Worker,
    session: DatabaseSession,
    request: Request,
    day: Annotated[date | None, Query(description="The business day (default today)")] = None,
) -> CallTasksOut:
    """The calls the nightly strategy asked for on the day on the cases you hold, and, while no
    collector holds a case, those routed to your team (by the step's queue, else the case's team);
    earliest window first, each with its state now. A look at the customers' cases, audited."""
    chosen = day or today(request)
    at = now(request)
    items = calls.call_tasks(session, principal, day=chosen, at=at)
    language = language_of(request)
    return CallTasksOut(day=chosen, tasks=[CallTaskOut.of(item, at, language) for item in items])
