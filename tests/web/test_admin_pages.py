"""The administrator's page over real HTTP, on SQLite and PostgreSQL: users, teams and agencies
listed; a user created (a weak password refused on the form), their role changed, disabled (their
session ended); a team and an agency created; every change audited; readers without
``user.manage`` see the lists without the forms, others are refused; both languages."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.models import Agency, Team, TeamLeader, User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.web.conftest import PASSWORD, hidden, sign_in


def signed_in(browser: Callable[..., httpx.Client], username: str, language: str = "en") -> httpx.Client:
    client = browser(language)
    assert sign_in(client, username).status_code == 303
    return client


def user_named(api: Api, username: str) -> User:
    with Session(api.engine) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
        return user


def test_the_administrator_creates_changes_and_disables_a_user(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    team = api.team("T1")
    root = signed_up("root.admin", role=Role.ADMINISTRATOR)
    admin = signed_in(browser, "root.admin")
    page = admin.get("/admin")
    assert page.status_code == 200 and 'data-user="root.admin"' in page.text and 'data-team="T1"' in page.text
    token = hidden(page.text, "csrf_token")
    new = {"csrf_token": token, "username": "li.lei", "role": "collector", "team_id": str(team)}

    weak = admin.post("/admin/users", data=new | {"password": "short"})
    assert weak.status_code == 400 and "data-problem" in weak.text and 'value="li.lei"' in weak.text
    made = admin.post("/admin/users", data=new | {"password": PASSWORD})
    assert made.status_code == 303 and made.headers["location"] == "/admin?done=created"
    created = user_named(api, "li.lei")
    assert (created.role, created.team_id, created.active) == ("collector", team, True)
    taken = admin.post("/admin/users", data=new | {"password": PASSWORD})
    assert taken.status_code == 409 and "data-problem" in taken.text

    collector = signed_in(browser, "li.lei")
    assert collector.get("/").status_code == 200
    assert collector.get("/admin").status_code == 403

    changed = admin.post(
        f"/admin/users/{created.id}",
        data={"csrf_token": token, "role": "collector", "team_id": str(team), "active": ""},
    )
    assert changed.status_code == 303
    assert user_named(api, "li.lei").active is False
    assert collector.get("/").status_code == 303  # disabled: the session ended
    made_by_page = audit_entries(api, "user.create")[-1]
    assert (made_by_page["object_id"], made_by_page["actor_id"]) == (str(created.id), root.id)
    assert audit_entries(api, "user.update")[-1]["after"]["active"] is False


def test_teams_and_agencies_are_created_and_the_last_administrator_kept(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    root = signed_up("root.admin", role=Role.ADMINISTRATOR)
    admin = signed_in(browser, "root.admin", "zh-CN")
    page = admin.get("/admin")
    assert "<h1>系统管理</h1>" in page.text
    token = hidden(page.text, "csrf_token")
    assert (
        admin.post("/admin/teams", data={"csrf_token": token, "code": "T7", "name": "七组"}).status_code
        == 303
    )
    assert (
        admin.post(
            "/admin/agencies", data={"csrf_token": token, "code": "AG1", "name": "某某资产"}
        ).status_code
        == 303
    )
    again = admin.post("/admin/teams", data={"csrf_token": token, "code": "T7", "name": "七组"})
    assert again.status_code == 409 and "data-problem" in again.text
    with Session(api.engine) as session:
        assert session.scalars(select(Team.code)).all() == ["T7"]
        assert session.scalars(select(Agency.code)).all() == ["AG1"]
    last = admin.post(
        f"/admin/users/{root.id}", data={"csrf_token": token, "role": "administrator", "active": ""}
    )
    assert last.status_code == 409 and "data-problem" in last.text
    assert user_named(api, "root.admin").active is True
    shown = admin.get("/admin?done=team")
    assert 'data-team="T7"' in shown.text and 'data-agency="AG1"' in shown.text
    boss = signed_up("wang.boss", role=Role.SUPERVISOR)
    with Session(api.engine) as session:
        team = session.scalars(select(Team.id).where(Team.code == "T7")).one()
    led = admin.post(f"/admin/teams/{team}/leaders", data={"csrf_token": token, "user_id": str(boss.id)})
    assert led.status_code == 303 and led.headers["location"] == "/admin?done=leader"
    with Session(api.engine) as session:
        assert session.scalars(select(TeamLeader.user_id).where(TeamLeader.team_id == team)).all() == [
            boss.id
        ]
    [entry] = audit_entries(api, "team.leader_add")
    assert entry["object_id"] == str(team) and entry["actor_id"] == root.id
    not_a_supervisor = admin.post(
        f"/admin/teams/{team}/leaders", data={"csrf_token": token, "user_id": str(root.id)}
    )
    assert 400 <= not_a_supervisor.status_code < 500 and "data-problem" in not_a_supervisor.text
    assert "团队已有新的负责人。" in admin.get("/admin?done=leader").text


def test_readers_see_the_lists_without_forms_others_are_refused(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    signed_up("zhao.audit", role=Role.AUDITOR)
    signed_up("an.analyst", role=Role.STRATEGY_ANALYST)
    auditor = signed_in(browser, "zhao.audit")
    page = auditor.get("/admin")
    assert page.status_code == 200 and 'data-user="an.analyst"' in page.text
    assert 'action="/admin/users"' not in page.text and 'action="/admin/teams"' not in page.text
    token = hidden(page.text, "csrf_token")
    refused = auditor.post("/admin/teams", data={"csrf_token": token, "code": "T8", "name": "八组"})
    assert refused.status_code == 403
    assert signed_in(browser, "an.analyst").get("/admin").status_code == 403
