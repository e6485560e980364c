"""Users, teams and agencies through the API: who may, the membership rules, the audit entries."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from arrears.api.access import Access
from arrears.audit.models import AuditEntry
from arrears.auth import api as auth_api
from arrears.auth.models import TeamLeader, User
from arrears.auth.permissions import Permission, Role
from arrears.db import transaction
from tests.api.conftest import Api
from tests.auth.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("cheap_hashing")
SignUp = Callable[..., User]

ROUTES = {
    ("POST", "/auth/token"): Access("public"),
    ("POST", "/auth/session"): Access("public"),
    ("POST", "/auth/logout"): Access("signed_in"),
    ("DELETE", "/auth/session"): Access("signed_in"),
    ("GET", "/auth/me"): Access("signed_in"),
    ("GET", "/users"): Access("permission", Permission.USER_READ),
    ("POST", "/users"): Access("permission", Permission.USER_MANAGE),
    ("GET", "/users/{user_id}"): Access("permission", Permission.USER_READ),
    ("PATCH", "/users/{user_id}"): Access("permission", Permission.USER_MANAGE),
    ("GET", "/teams"): Access("permission", Permission.USER_READ),
    ("POST", "/teams"): Access("permission", Permission.TEAM_MANAGE),
    ("POST", "/teams/{team_id}/leaders"): Access("permission", Permission.TEAM_MANAGE),
    ("GET", "/agencies"): Access("permission", Permission.USER_READ),
    ("POST", "/agencies"): Access("permission", Permission.AGENCY_MANAGE),
    ("PATCH", "/agencies/{agency_id}"): Access("permission", Permission.AGENCY_MANAGE),
}


def _declared(route: APIRoute) -> list[Access]:
    found: list[Access] = []

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for sub in dependant.dependencies:
            access = getattr(sub.call, "access", None)
            if access is not None:
                found.append(access)
            walk(sub)

    walk(route.dependant)
    return found


def test_each_route_of_the_auth_context_declares_its_access_once() -> None:
    declared = {
        (method, route.path): _declared(route)
        for route in auth_api.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert set(declared) == set(ROUTES)
    for key, accesses in declared.items():
        assert accesses == [ROUTES[key]], key


def test_who_may_read_and_manage_users(api: Api) -> None:
    collector = api.person(Role.COLLECTOR, "c.one", team_id=api.team("T1"))
    supervisor = api.person(Role.SUPERVISOR, "s.one")
    admin = api.person(Role.ADMINISTRATOR, "a.one")
    assert api.as_(collector).get("/api/v1/users").status_code == 403
    assert api.as_(supervisor).get("/api/v1/users").status_code == 200
    new = {"username": "n.one", "role": "strategy_analyst", "password": PASSWORD}
    refused = api.as_(supervisor).post("/api/v1/users", json=new)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert api.as_(supervisor).post("/api/v1/agencies", json={"code": "X", "name": "X"}).status_code == 403
    assert api.as_(supervisor).post("/api/v1/teams", json={"code": "X", "name": "X"}).status_code == 403
    assert api.client().get("/api/v1/users").status_code == 401
    assert api.as_(admin).post("/api/v1/users", json=new).status_code == 201


def test_an_administrator_creates_a_user_by_the_rules(api: Api) -> None:
    admin = api.as_(api.person(Role.ADMINISTRATOR, "a.one"))
    team = api.team("T1")
    weak = admin.post(
        "/api/v1/users", json={"username": "x.one", "role": "auditor", "password": "qwerty123456"}
    )
    assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
    assert "qwerty123456" not in weak.text
    no_team = admin.post(
        "/api/v1/users", json={"username": "x.one", "role": "collector", "password": PASSWORD}
    )
    assert no_team.status_code == 400 and "team" in no_team.json()["detail"]
    zh = admin.post(
        "/api/v1/users",
        json={"username": "x.one", "role": "collector", "password": PASSWORD},
        headers={"Accept-Language": "zh-CN"},
    )
    assert "团队" in zh.json()["detail"]
    stray = admin.post(
        "/api/v1/users",
        json={"username": "x.one", "role": "auditor", "password": PASSWORD, "team_id": team},
    )
    assert stray.status_code == 400
    unknown_team = admin.post(
        "/api/v1/users", json={"username": "x.one", "role": "collector", "password": PASSWORD, "team_id": 999}
    )
    assert unknown_team.status_code == 400
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "x.one",
            "role": "collector",
            "password": PASSWORD,
            "team_id": team,
            "display_name": "Xu One",
            "language": "zh-CN",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["team_id"] == team and body["language"] == "zh-CN" and body["machine"] is False
    assert "password" not in body and PASSWORD not in created.text
    with transaction(api.engine) as session:
        stored = session.get(User, body["id"])
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalar_one()
    assert entry.actor_name == "a.one" and json.loads(entry.after or "")["team"] == "T1"
    assert PASSWORD not in str(vars(entry))
    again = admin.post("/api/v1/users", json={"username": "x.one", "role": "auditor", "password": PASSWORD})
    assert again.status_code == 409
    malformed = admin.post("/api/v1/users", json={"username": "y", "role": "king", "password": PASSWORD})
    assert malformed.status_code == 422 and PASSWORD not in malformed.text
    signed = api.client().post("/api/v1/auth/token", data={"username": "x.one", "password": PASSWORD})
    assert signed.status_code == 200


def test_users_are_listed_a_page_at_a_time_and_read_by_id(api: Api) -> None:
    admin = api.as_(api.person(Role.ADMINISTRATOR, "a.one"))
    for n in range(3):
        api.person(Role.AUDITOR, f"au.{n}")
    first = admin.get("/api/v1/users", params={"limit": 2}).json()
    assert [u["username"] for u in first["items"]] == ["a.one", "au.0"]
    second = admin.get("/api/v1/users", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [u["username"] for u in second["items"]] == ["au.1", "au.2"]
    assert second["next_cursor"] is None
    forged = admin.get("/api/v1/users", params={"cursor": first["next_cursor"] + "x"})
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"
    one = admin.get(f"/api/v1/users/{first['items'][1]['id']}")
    assert one.status_code == 200 and one.json()["role"] == "auditor"
    missing = admin.get("/api/v1/users/99999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_role_change_is_audited_with_before_and_after(api: Api, signed_up: SignUp) -> None:
    admin = api.as_(api.person(Role.ADMINISTRATOR, "a.one"))
    team = api.team("T1")
    user = signed_up("r.one", Role.COLLECTOR, team_id=team)
    to_agency = admin.patch(f"/api/v1/users/{user.id}", json={"role": "agency_user"})
    assert to_agency.status_code == 400  # an agency user needs an agency
    changed = admin.patch(f"/api/v1/users/{user.id}", json={"role": "supervisor", "display_name": "R One"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "supervisor" and changed.json()["team_id"] is None  # a supervisor leads
    with transaction(api.engine) as session:
        entry = (
            session.execute(
                select(AuditEntry).where(AuditEntry.action == "user.update").order_by(AuditEntry.seq.desc())
            )
            .scalars()
            .first()
        )
    assert entry is not None and entry.actor_name == "a.one" and entry.object_id == str(user.id)
    before, after = json.loads(entry.before or ""), json.loads(entry.after or "")
    assert (before["role"], before["team"], before["display_name"]) == ("collector", "T1", None)
    assert (after["role"], after["team"], after["display_name"]) == ("supervisor", None, "R One")
    same = admin.patch(f"/api/v1/users/{user.id}", json={"language": "en"})
    assert same.json()["language"] == "en" and same.json()["role"] == "supervisor"
    cleared = admin.patch(f"/api/v1/users/{user.id}", json={"language": None})
    assert cleared.json()["language"] is None
    assert admin.patch(f"/api/v1/users/{user.id}", json={"password": "x"}).status_code == 422


def test_the_last_administrator_stays(api: Api) -> None:
    only = api.person(Role.ADMINISTRATOR, "a.one")
    admin = api.as_(only)
    refused = admin.patch(f"/api/v1/users/{only.user_id}", json={"active": False})
    assert refused.status_code == 409
    assert admin.patch(f"/api/v1/users/{only.user_id}", json={"role": "auditor"}).status_code == 409
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_teams_and_their_leaders(api: Api, signed_up: SignUp) -> None:
    admin = api.as_(api.person(Role.ADMINISTRATOR, "a.one"))
    boss = signed_up("boss.one", Role.SUPERVISOR)
    helper = signed_up("boss.two", Role.SUPERVISOR)
    analyst = signed_up("an.one", Role.STRATEGY_ANALYST)
    refused = admin.post("/api/v1/teams", json={"code": "NORTH", "name": "North", "leader_ids": [analyst.id]})
    assert refused.status_code == 400
    created = admin.post("/api/v1/teams", json={"code": "NORTH", "name": "North", "leader_ids": [boss.id]})
    assert created.status_code == 201, created.text
    team = created.json()
    assert [leader["username"] for leader in team["leaders"]] == ["boss.one"] and team["members"] == 0
    assert admin.post("/api/v1/teams", json={"code": "NORTH", "name": "Again"}).status_code == 409
    signed_up("co.one", Role.COLLECTOR, team_id=team["id"])
    added = admin.post(f"/api/v1/teams/{team['id']}/leaders", json={"user_id": helper.id})
    assert added.status_code == 200
    assert [leader["username"] for leader in added.json()["leaders"]] == ["boss.one", "boss.two"]
    assert admin.post("/api/v1/teams/999/leaders", json={"user_id": helper.id}).status_code == 404
    listed = admin.get("/api/v1/teams").json()["items"]
    assert [(t["code"], t["members"], len(t["leaders"])) for t in listed] == [("NORTH", 1, 2)]
    # The new leader sees the team among the ones they lead, at once.
    with transaction(api.engine) as session:
        assert session.get(TeamLeader, (team["id"], helper.id)) is not None
        actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    assert "team.create" in actions and "team.leader_add" in actions


def test_agencies_are_created_renamed_and_disabled(api: Api) -> None:
    admin = api.as_(api.person(Role.ADMINISTRATOR, "a.one"))
    created = admin.post("/api/v1/agencies", json={"code": "AG-1", "name": "First Recovery"})
    assert created.status_code == 201
    agency = created.json()
    assert agency["active"] is True
    assert admin.post("/api/v1/agencies", json={"code": "AG-1", "name": "Twice"}).status_code == 409
    assert admin.post("/api/v1/agencies", json={"code": "bad code", "name": "X"}).status_code == 400
    renamed = admin.patch(f"/api/v1/agencies/{agency['id']}", json={"name": "First Recovery Ltd"})
    assert renamed.json()["name"] == "First Recovery Ltd"
    assert admin.patch("/api/v1/agencies/999", json={"active": False}).status_code == 404
    assert [a["code"] for a in admin.get("/api/v1/agencies").json()["items"]] == ["AG-1"]
    with transaction(api.engine) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "agency.update")).scalar_one()
    assert json.loads(entry.before or "")["name"] == "First Recovery"
    assert json.loads(entry.after or "")["name"] == "First Recovery Ltd"


def test_the_openapi_document_declares_the_sign_in_problems(api: Api) -> None:
    document = api.client().get("/api/v1/openapi.json").json()
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert {"200", "401", "422", "429"} <= set(token["responses"])
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert document["paths"]["/api/v1/users"]["post"]["responses"]["201"]
