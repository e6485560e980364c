"""The strategy's call tasks in the collectors' work lists over real HTTP, on SQLite and PostgreSQL:
only the collector who holds the case sees its task (or, while no collector holds it, the team its
step's queue names); next case prefers a task whose window is open and holds back one whose window
is shut; a contact logged on the case does the day's task. The tasks are inserted as the night
writes them (tests/strategy/test_nightly.py proves the night's part)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from arrears.audit.models import AuditEntry
from arrears.auth.permissions import Role
from arrears.cases.models import CaseAssignment
from arrears.contacts.models import CallTask
from arrears.portfolio.models import ContactPoint
from arrears.strategy.models import Strategy, StrategyAction
from tests.api.conftest import API_NOW, Api
from tests.queues.test_next import NEXT, Queued, add_cases, case_id_of, collector, release, take

TODAY = date(2026, 11, 21)
TASKS = "/api/v1/call-tasks"
WHY = {"strategy": "night", "version": 1, "segment": "m1", "arm": "", "path": "gentle", "day": 2}


def add_task(
    engine: Engine,
    key: str,
    start: timedelta,
    end: timedelta,
    *,
    team_id: int | None = None,
    best: bool = False,
) -> int:
    """A planned call action of the night before and its task, the window ``start``..``end`` from
    the API's now."""
    with engine.begin() as connection:
        strategy_id = connection.scalar(select(Strategy.id).where(Strategy.code == "night"))
        if strategy_id is None:
            strategy_id = connection.execute(
                insert(Strategy)
                .values(
                    code="night",
                    number=1,
                    document="strategy: night",
                    digest=hashlib.sha256(b"night").hexdigest(),
                    status="approved",
                    drafted_at=API_NOW,
                    active_from=TODAY,
                    version=1,
                )
                .returning(Strategy.id)
            ).scalar_one()
        action_id = connection.execute(
            insert(StrategyAction)
            .values(
                key=f"strategy:{key}",
                as_of=TODAY - timedelta(days=1),
                case_id=case_id_of(key),
                customer_id=f"N{key}",
                strategy_id=strategy_id,
                segment="m1",
                arm="",
                path="gentle",
                day=2,
                action="call",
                details={
                    "day": 2,
                    "action": "call",
                    "window": "best" if best else {"from": "09:00", "to": "20:00"},
                },
                planned_at=API_NOW + start,
                window_end=API_NOW + end,
                status="planned",
                needs_confirmation=False,
                rule_ids=[],
                reasons=[],
                why=WHY,
            )
            .returning(StrategyAction.id)
        ).scalar_one()
        return int(
            connection.execute(
                insert(CallTask)
                .values(
                    action_id=action_id,
                    case_id=case_id_of(key),
                    customer_id=f"N{key}",
                    due_on=TODAY,
                    window_start=API_NOW + start,
                    window_end=API_NOW + end,
                    best=best,
                    team_id=team_id,
                    why=WHY,
                    status="open",
                )
                .returning(CallTask.id)
            ).scalar_one()
        )


def tasks(api: Api, who: Any, **params: str) -> list[dict[str, Any]]:
    answer = api.as_(who).get(TASKS, params=params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["tasks"]
    return found


HOUR = timedelta(hours=1)


def test_a_call_task_shows_only_for_the_collector_who_holds_the_case(api: Api) -> None:
    team = api.team("T1")
    me, other = collector(api, team, "me"), collector(api, team, "other")
    add_cases(api.engine, [Queued("mine", team, me.user_id), Queued("theirs", team, other.user_id)])
    add_task(api.engine, "mine", -HOUR, HOUR, best=True)
    add_task(api.engine, "theirs", -HOUR, HOUR)
    mine = tasks(api, me)
    assert [t["case_id"] for t in mine] == [case_id_of("mine")]
    task = mine[0]
    assert task["state"] == "open" and task["best"] is True and task["pooled"] is False
    assert task["reason"] == "Strategy night v1, segment m1, path gentle, day 2"
    assert task["window_start"].startswith("2026-11-21T01:00:00")
    assert [t["case_id"] for t in tasks(api, other)] == [case_id_of("theirs")]
    assert tasks(api, me, day="2026-11-22") == []  # another day's list
    zh = api.as_(me, **{"Accept-Language": "zh-CN"}).get(TASKS).json()["tasks"][0]["reason"]
    assert zh != task["reason"] and "night" in zh
    analyst = api.person(Role.STRATEGY_ANALYST)
    assert api.as_(analyst).get(TASKS).status_code == 403  # works no queue
    with api.engine.connect() as connection:
        looks = connection.execute(
            select(AuditEntry.actor_id, AuditEntry.customer_id).where(AuditEntry.action == "call_task.read")
        ).all()
    assert (me.user_id, "Nmine") in looks and (me.user_id, "Ntheirs") not in looks


def test_a_task_routed_to_a_queue_goes_to_its_team_while_no_collector_holds_the_case(api: Api) -> None:
    home, calls_team = api.team("HOME"), api.team("CALLS")
    caller, homebody = collector(api, calls_team, "caller"), collector(api, home, "homebody")
    add_cases(api.engine, [Queued("loose", home, None, assigned=False, queued=False)])
    add_task(api.engine, "loose", -HOUR, HOUR, team_id=calls_team)
    routed = tasks(api, caller)
    assert [(t["case_id"], t["pooled"]) for t in routed] == [(case_id_of("loose"), True)]
    assert tasks(api, homebody) == []
    got = take(api.as_(caller))  # the pool's task is handed out, and the case assigned
    assert (got["case_id"], got["reason"], got["assigned"]) == (case_id_of("loose"), "call_task", True)
    with api.engine.connect() as connection:
        holder = connection.scalar(
            select(CaseAssignment.collector_id).where(
                CaseAssignment.case_id == case_id_of("loose"), CaseAssignment.ended_at.is_(None)
            )
        )
    assert holder == caller.user_id
    assert [t["pooled"] for t in tasks(api, caller)] == [False]


def test_next_case_prefers_an_open_window_and_holds_back_a_shut_one(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(
        api.engine,
        [
            Queued("later", team, me.user_id, overdue=900_000),
            Queued("passed", team, me.user_id, overdue=800_000),
            Queued("big", team, me.user_id, overdue=500_000),
            Queued("open", team, me.user_id, overdue=1_000),
        ],
    )
    add_task(api.engine, "later", HOUR, 2 * HOUR)  # opens at 11:00
    add_task(api.engine, "passed", -2 * HOUR, -HOUR)  # closed at 09:00
    add_task(api.engine, "open", -HOUR, HOUR)
    client = api.as_(me)
    order = []
    for _ in range(2):
        got = take(client)
        order.append((got["case_id"], got["reason"]))
        release(client)
    assert order == [(case_id_of("open"), "call_task"), (case_id_of("big"), "expected_recovery")]
    assert client.post(NEXT).status_code == 404  # "later" and "passed" are held back
    states = {t["case_id"]: t["state"] for t in tasks(api, me)}
    assert states == {
        case_id_of("later"): "later",
        case_id_of("passed"): "passed",
        case_id_of("open"): "open",
    }


def test_a_contact_logged_on_the_case_does_the_days_task(api: Api) -> None:
    team = api.team("T1")
    me = collector(api, team)
    add_cases(api.engine, [Queued("a", team, me.user_id)])
    task_id = add_task(api.engine, "a", -HOUR, HOUR)
    with api.engine.connect() as connection:
        point = connection.scalar(select(ContactPoint.id).where(ContactPoint.customer_id == "Na"))
    answer = api.as_(me).post(
        f"/api/v1/cases/{case_id_of('a')}/contacts",
        json={"channel": "call", "contact_point_id": point, "disposition": "no_answer"},
    )
    assert answer.status_code == 201, answer.text
    contact_id = answer.json()["id"]
    [task] = tasks(api, me)
    assert (task["id"], task["state"], task["contact_id"]) == (task_id, "done", contact_id)
    with api.engine.connect() as connection:
        row = connection.execute(select(CallTask).where(CallTask.id == task_id)).one()
        entry = connection.execute(select(AuditEntry).where(AuditEntry.action == "call_task.done")).one()
    assert row.status == "done" and row.done_by == me.user_id and row.done_at == API_NOW
    assert entry.object_id == case_id_of("a") and json.loads(entry.after)["contact"] == contact_id
    assert take(api.as_(me))["reason"] == "expected_recovery"  # done: no longer a call task
