"""Sign-in over real HTTP: tokens, web sessions with CSRF, API keys, expiry, revocation, throttling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select

from arrears.api.app import create_app
from arrears.audit.models import AuditEntry
from arrears.auth import api as auth_api
from arrears.auth import passwords
from arrears.auth import service as auth
from arrears.auth.models import Credential, CredentialKind, SignInAttempt, User
from arrears.auth.permissions import Role
from arrears.config import load_settings
from arrears.db import transaction
from tests.api.conftest import Api, serving
from tests.auth.conftest import PASSWORD, TEST_ACTOR

pytestmark = pytest.mark.usefixtures("cheap_hashing")
SignUp = Callable[..., User]
TOKEN = "/api/v1/auth/token"
SESSION = "/api/v1/auth/session"
ME = "/api/v1/auth/me"


def sign_in(api: Api, username: str, password: str = PASSWORD, path: str = TOKEN, **headers: str):  # type: ignore[no-untyped-def]
    return api.client(**headers).post(path, data={"username": username, "password": password})


def token_of(api: Api, username: str, password: str = PASSWORD) -> str:
    answer = sign_in(api, username, password)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def cookie_of(answer) -> str:  # type: ignore[no-untyped-def]
    return str(answer.cookies["arrears_session"])


def with_cookie(api: Api, session_id: str, **headers: str):  # type: ignore[no-untyped-def]
    # The cookie is Secure: httpx keeps it from plain http, so the tests send it themselves.
    return api.client(Cookie=f"arrears_session={session_id}", **headers)


def test_token_sign_in_over_http(api: Api, signed_up: SignUp) -> None:
    signed_up("wang.fang", Role.COLLECTOR, team_id=api.team("T1"))
    answer = sign_in(api, "wang.fang")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    me = api.client(body["access_token"]).get(ME)
    assert me.status_code == 200 and me.json()["username"] == "wang.fang" and me.json()["role"] == "collector"
    with transaction(api.engine) as session:
        stored = session.execute(select(Credential)).scalar_one()
        assert stored.kind == "token" and body["access_token"] not in stored.digest  # only its hash
        assert stored.expires_at == api.clock.now() + timedelta(hours=12)


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_answer(
    api: Api, signed_up: SignUp, caplog: pytest.LogCaptureFixture
) -> None:
    signed_up("zhao.lei")
    signed_up("qian.yu")
    with transaction(api.engine) as session:
        auth.update_user(
            session,
            TEST_ACTOR,
            auth.user_named(session, "qian.yu"),
            auth.UserChanges(active=False),
            now=api.clock.now(),
            customer_exists=lambda _: True,
        )
    caplog.set_level(logging.INFO, logger="arrears.auth")
    answers = [
        sign_in(api, "zhao.lei", "not the password 123"),
        sign_in(api, "nobody.here", "not the password 123"),
        sign_in(api, "qian.yu", PASSWORD),  # the right password of a disabled user
    ]
    assert {a.status_code for a in answers} == {401}
    bodies = [{k: v for k, v in a.json().items() if k != "request_id"} for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "sign_in_refused"
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert "WWW-Authenticate" not in answers[0].headers or (
        answers[0].headers.get("WWW-Authenticate") == answers[1].headers.get("WWW-Authenticate")
    )
    assert "sign-in refused" in caplog.text
    assert PASSWORD not in caplog.text and "not the password 123" not in caplog.text


def test_sign_ins_are_audited_and_kept_whatever_their_outcome(api: Api, signed_up: SignUp) -> None:
    user = signed_up("sun.li")
    assert sign_in(api, "sun.li", "wrong password 12345").status_code == 401
    assert sign_in(api, "ghost.user", "wrong password 12345").status_code == 401
    assert sign_in(api, "sun.li").status_code == 200
    with transaction(api.engine) as session:
        entries = (
            session.execute(
                select(AuditEntry).where(AuditEntry.action == "auth.sign_in").order_by(AuditEntry.seq)
            )
            .scalars()
            .all()
        )
        attempts = session.execute(select(SignInAttempt).order_by(SignInAttempt.id)).scalars().all()
        everything = " ".join(str(vars(e)) for e in session.execute(select(AuditEntry)).scalars())
    assert [(e.outcome, e.actor_name, e.reason) for e in entries] == [
        ("refused", "sun.li", "wrong_password"),
        ("refused", "ghost.user", "unknown_user"),
        ("ok", "sun.li", None),
    ]
    assert entries[0].actor_id == user.id and entries[1].actor_id is None
    assert entries[2].client == "127.0.0.1" and entries[2].request_id
    assert [(a.username, a.succeeded) for a in attempts] == [
        ("sun.li", False),
        ("ghost.user", False),
        ("sun.li", True),
    ]
    assert "wrong password" not in everything and PASSWORD not in everything


def test_throttled_per_user_name_after_five_failures_with_retry_after(api: Api, signed_up: SignUp) -> None:
    signed_up("zhou.min")
    throttle = auth.Throttle(max_failures=5, window=timedelta(minutes=15))
    with transaction(api.engine) as session:  # five failures from five other addresses
        for n in range(5):
            auth.sign_in(
                session,
                "zhou.min",
                "wrong password 12345",
                kind=CredentialKind.TOKEN,
                now=api.clock.now() - timedelta(minutes=10 - n),
                lifetimes=api.app.state.context.lifetimes,
                throttle=throttle,
                client=f"10.0.0.{n}",
            )
    answer = sign_in(api, "zhou.min")  # the right password, unchecked
    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_sign_ins"
    assert answer.headers["Retry-After"] == str(5 * 60)  # the oldest failure leaves the window in 5 min
    assert sign_in(api, "someone.else").status_code == 401  # this address is not throttled
    api.clock.advance(timedelta(minutes=5))
    assert sign_in(api, "zhou.min").status_code == 200


def test_throttled_per_client_address_and_never_checks_the_password(api: Api, signed_up: SignUp) -> None:
    signed_up("wu.hao")
    for n in range(5):
        assert sign_in(api, f"guess.{n}", "wrong password 12345").status_code == 401
    throttled = sign_in(api, "wu.hao")  # another name, the right password, the same address
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == str(15 * 60)
    zh = sign_in(api, "wu.hao", **{"Accept-Language": "zh-CN"}).json()
    assert "登录失败次数过多" in zh["detail"]
    with transaction(api.engine) as session:
        kept = session.scalar(select(SignInAttempt).where(SignInAttempt.username == "wu.hao"))
        refused = (
            session.execute(
                select(AuditEntry.reason).where(
                    AuditEntry.action == "auth.sign_in", AuditEntry.actor_name == "wu.hao"
                )
            )
            .scalars()
            .all()
        )
    assert kept is None  # a throttled attempt is not counted again, so the wait does not grow
    assert refused == ["throttled"] * 2
    api.clock.advance(timedelta(minutes=15))
    assert sign_in(api, "wu.hao").status_code == 200


def test_a_success_clears_the_count_of_the_name(api: Api, signed_up: SignUp) -> None:
    signed_up("he.jun")
    for _ in range(4):
        assert sign_in(api, "he.jun", "wrong password 12345").status_code == 401
    assert sign_in(api, "he.jun").status_code == 200
    # Four more failures of the name: not yet throttled (the address has eight, hence another one).
    with transaction(api.engine) as session:
        for _ in range(4):
            failed = auth.sign_in(
                session,
                "he.jun",
                "wrong password 12345",
                kind=CredentialKind.TOKEN,
                now=api.clock.now(),
                lifetimes=api.app.state.context.lifetimes,
                throttle=auth.Throttle(5, timedelta(minutes=15)),
                client="10.1.1.1",
            )
            assert isinstance(failed.refusal, auth.SignInRefusedError)
    with transaction(api.engine) as session:
        outcome = auth.sign_in(
            session,
            "he.jun",
            PASSWORD,
            kind=CredentialKind.TOKEN,
            now=api.clock.now(),
            lifetimes=api.app.state.context.lifetimes,
            throttle=auth.Throttle(5, timedelta(minutes=15)),
            client="10.2.2.2",
        )
    assert outcome.refusal is None


def test_an_idle_token_expires(api: Api, signed_up: SignUp) -> None:
    signed_up("lin.tao")
    client = api.client(token_of(api, "lin.tao"))
    api.clock.advance(timedelta(minutes=14))
    assert client.get(ME).status_code == 200  # used: the idle time starts again
    api.clock.advance(timedelta(minutes=14))
    assert client.get(ME).status_code == 200
    api.clock.advance(timedelta(minutes=15))
    expired = client.get(ME)
    assert expired.status_code == 401 and expired.json()["code"] == "not_signed_in"


def test_a_token_used_all_day_ends_after_twelve_hours(api: Api, signed_up: SignUp) -> None:
    signed_up("xu.jing")
    client = api.client(token_of(api, "xu.jing"))
    seen = []
    for _ in range(51):  # 51 × 14 min = 11 h 54 min
        api.clock.advance(timedelta(minutes=14))
        assert client.get(ME).status_code == 200
        with transaction(api.engine) as session:
            seen.append(session.execute(select(Credential.last_used_at)).scalar_one())
    assert seen == sorted(seen) and len(set(seen)) == len(seen)  # last_used_at moves forward
    api.clock.advance(timedelta(minutes=6))  # 12 h after sign-in, used 6 minutes ago
    assert client.get(ME).status_code == 401


def test_logout_revokes_the_token(api: Api, signed_up: SignUp) -> None:
    signed_up("ma.lan")
    token = token_of(api, "ma.lan")
    other = api.client(token_of(api, "ma.lan"))
    client = api.client(token)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get(ME).status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 401
    assert other.get(ME).status_code == 200  # only the token presented ends
    with transaction(api.engine) as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "auth.sign_out"))


def test_disabling_a_user_revokes_their_tokens_at_once(api: Api, signed_up: SignUp) -> None:
    admin = api.person(Role.ADMINISTRATOR, "root.admin")
    user = signed_up("gao.ping")
    client = api.client(token_of(api, "gao.ping"))
    assert client.get(ME).status_code == 200
    answer = api.as_(admin).patch(f"/api/v1/users/{user.id}", json={"active": False})
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert client.get(ME).status_code == 401
    with transaction(api.engine) as session:
        revoked = session.execute(
            select(Credential.revoked_at).where(Credential.user_id == user.id)
        ).scalar_one()
    assert revoked == api.clock.now()
    # Enabled again, the old token stays revoked; a new sign-in works.
    assert api.as_(admin).patch(f"/api/v1/users/{user.id}", json={"active": True}).status_code == 200
    assert client.get(ME).status_code == 401
    assert sign_in(api, "gao.ping").status_code == 200


def test_the_web_session_cookie_and_its_csrf_token(api: Api, signed_up: SignUp) -> None:
    signed_up("luo.yi")
    answer = sign_in(api, "luo.yi", path=SESSION)
    assert answer.status_code == 200
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith("arrears_session=")
    flags = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    session_id, csrf = cookie_of(answer), answer.json()["csrf_token"]
    assert session_id not in answer.text  # the session id is in the cookie only
    assert with_cookie(api, session_id).get(ME).status_code == 200  # a safe method needs no token
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}, {"X-CSRF-Token": session_id}):
        refused = with_cookie(api, session_id, **headers).post("/api/v1/auth/logout")
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    assert with_cookie(api, session_id).get(ME).status_code == 200  # still signed in
    closed = with_cookie(api, session_id, **{"X-CSRF-Token": csrf}).delete(SESSION)
    assert closed.status_code == 204
    assert (
        'arrears_session=""' in closed.headers["set-cookie"]
        and "max-age=0" in closed.headers["set-cookie"].lower()
    )
    assert with_cookie(api, session_id).get(ME).status_code == 401
    # A bearer token is not a web session: it has no CSRF token to present and needs none.
    assert api.client(token_of(api, "luo.yi")).post("/api/v1/auth/logout").status_code == 204


def test_a_session_cookie_is_not_a_bearer_token_and_back(api: Api, signed_up: SignUp) -> None:
    signed_up("tang.wen")
    session_id = cookie_of(sign_in(api, "tang.wen", path=SESSION))
    token = token_of(api, "tang.wen")
    assert api.client(session_id).get(ME).status_code == 401
    assert with_cookie(api, token).get(ME).status_code == 401
    assert api.client(**{"X-API-Key": token}).get(ME).status_code == 401


def test_session_rotation_on_sign_in(api: Api, signed_up: SignUp) -> None:
    signed_up("feng.qi")
    first = sign_in(api, "feng.qi", path=SESSION)
    old = cookie_of(first)
    second = with_cookie(api, old).post(SESSION, data={"username": "feng.qi", "password": PASSWORD})
    assert second.status_code == 200
    new = cookie_of(second)
    assert new != old and second.json()["csrf_token"] != first.json()["csrf_token"]
    assert with_cookie(api, old).get(ME).status_code == 401
    assert with_cookie(api, new).get(ME).status_code == 200
    # The old session's CSRF token does not pass on the new session.
    stale = with_cookie(api, new, **{"X-CSRF-Token": first.json()["csrf_token"]}).delete(SESSION)
    assert stale.status_code == 403


def test_an_api_key_works_until_revoked(api: Api) -> None:
    with transaction(api.engine) as session:
        key, machine = auth.create_api_key(
            session,
            TEST_ACTOR,
            now=api.clock.now(),
            name="core-banking",
            role=Role.AUDITOR,
            customer_exists=lambda _: True,
        )
    client = api.client(**{"X-API-Key": key})
    api.clock.advance(timedelta(days=30))  # no idle or absolute end
    me = client.get(ME)
    assert me.status_code == 200 and me.json()["role"] == "auditor"
    assert client.post("/api/v1/auth/logout").status_code == 409  # revoked by an administrator only
    assert sign_in(api, "core-banking", "anything at all 123").status_code == 401  # no password
    with transaction(api.engine) as session:
        auth.revoke_api_key(
            session, TEST_ACTOR, auth.user_named(session, "core-banking"), now=api.clock.now()
        )
    assert client.get(ME).status_code == 401
    assert machine.is_machine


def test_a_hash_with_old_parameters_is_renewed_at_sign_in(api: Api, signed_up: SignUp) -> None:
    user = signed_up("shen.yu")
    older = PasswordHasher(time_cost=2, memory_cost=4096, parallelism=2, type=Type.ID).hash(PASSWORD)
    with transaction(api.engine) as session:
        session.get(User, user.id).password_hash = older  # type: ignore[union-attr]
    assert sign_in(api, "shen.yu").status_code == 200
    with transaction(api.engine) as session:
        renewed = session.get(User, user.id).password_hash  # type: ignore[union-attr]
    assert renewed != older and renewed is not None and not passwords.needs_rehash(renewed)
    assert passwords.verify(renewed, PASSWORD)


def test_users_of_a_disabled_agency_are_signed_out_at_once(api: Api, signed_up: SignUp) -> None:
    admin = api.person(Role.ADMINISTRATOR, "root.admin")
    agency = api.agency("AG1")
    signed_up("agent.kim", Role.AGENCY_USER, agency_id=agency)
    client = api.client(token_of(api, "agent.kim"))
    assert client.get(ME).status_code == 200
    answer = api.as_(admin).patch(f"/api/v1/agencies/{agency}", json={"active": False})
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert client.get(ME).status_code == 401
    assert sign_in(api, "agent.kim").status_code == 401
    assert api.as_(admin).patch(f"/api/v1/agencies/{agency}", json={"active": True}).status_code == 200
    assert sign_in(api, "agent.kim").status_code == 200


def test_the_secure_flag_is_off_only_when_configured_and_never_in_production(
    api: Api, signed_up: SignUp
) -> None:
    signed_up("local.dev")
    settings = load_settings(
        database_url=api.engine.url.render_as_string(hide_password=False),
        language="en",
        session_cookie_secure=False,
    )
    local = create_app(settings, engine=api.engine, clock=api.clock)
    with serving(local) as url, httpx.Client(base_url=url) as client:
        answer = client.post(SESSION, data={"username": "local.dev", "password": PASSWORD})
        assert answer.status_code == 200
        flags = {part.strip().lower() for part in answer.headers["set-cookie"].split(";")[1:]}
        assert "secure" not in flags and {"httponly", "samesite=strict"} <= flags
        # Sent back by the client itself over http://, as a browser on localhost does.
        assert client.get(ME).status_code == 200
    production = SimpleNamespace(
        app=SimpleNamespace(
            state=SimpleNamespace(
                context=SimpleNamespace(settings=settings.model_copy(update={"environment": "production"}))
            )
        )
    )
    assert auth_api._secure_cookie(production) is True  # type: ignore[arg-type]
