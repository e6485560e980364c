"""Callbacks (in an allowed window, closed once with If-Match) and contact preferences (the gate
reads them: an opt-out stops the next SMS, a consent allows a call at 22:30 under cn)."""

from __future__ import annotations

import pytest

from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.contacts.helpers import desk, local


def test_a_callback_out_of_hours_is_refused_at_once_with_the_next_allowed_time(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/cases/{d.case_id}/callbacks"
    late = d.client.post(url, json={"due_at": local(21, 23, 30).isoformat(), "contact_point_id": d.mobile})
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "callback_not_allowed" and "CN-TIME-1" in late.json()["rules"]
    assert late.json()["next_allowed_at"] == local(22, 8).isoformat()
    past = d.client.post(url, json={"due_at": local(21, 9).isoformat(), "contact_point_id": d.mobile})
    assert past.status_code == 400
    made = d.client.post(url, json={"due_at": local(21, 15).isoformat(), "contact_point_id": d.mobile})
    assert made.status_code == 201, made.text
    assert made.headers["ETag"] == '"1"' and made.json()["status"] == "open"
    listed = d.client.get(url).json()["callbacks"]
    assert [c["id"] for c in listed] == [made.json()["id"]]
    assert len(audit_entries(api, "callback.schedule")) == 1


def test_a_callback_is_closed_once_and_a_stale_version_refused(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/cases/{d.case_id}/callbacks"
    ident = d.client.post(
        url, json={"due_at": local(21, 15).isoformat(), "contact_point_id": d.mobile}
    ).json()["id"]
    stale = d.client.post(f"/api/v1/callbacks/{ident}/done", headers={"If-Match": '"7"'})
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"
    done = d.client.post(f"/api/v1/callbacks/{ident}/done", headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["version"], done.headers["ETag"]) == ("done", 2, '"2"')
    again = d.client.post(f"/api/v1/callbacks/{ident}/cancel", headers={"If-Match": '"2"'})
    assert again.status_code == 409 and again.json()["code"] == "callback_closed"
    bad = d.client.post(f"/api/v1/callbacks/{ident}/cancel", headers={"If-Match": "yesterday"})
    assert bad.status_code == 400
    stranger = desk(api, "CB").collector
    assert api.as_(stranger).post(f"/api/v1/callbacks/{ident}/cancel").status_code == 404
    assert api.as_(stranger).get(url).status_code == 404
    [entry] = audit_entries(api, "callback.done")
    assert (entry["before"]["status"], entry["after"]["status"]) == ("open", "done")


def test_callback_requested_schedules_the_callback_with_the_contact(api: Api) -> None:
    d = desk(api)
    asked = {"due_at": local(21, 23).isoformat(), "contact_point_id": d.mobile}
    refused = d.log(disposition="callback_requested", callback=asked)
    assert refused.status_code == 409 and refused.json()["code"] == "callback_not_allowed"
    assert d.contacts() == []  # the collector picks another time; nothing was logged
    asked["due_at"] = local(21, 16).isoformat()
    made = d.log(disposition="callback_requested", callback=asked)
    assert made.status_code == 201, made.text
    callback = made.json()["callback"]
    assert callback["contact_id"] == made.json()["id"] and callback["due_at"] == local(
        21, 16
    ).isoformat().replace("+00:00", "Z")


def test_an_opt_out_stops_the_next_sms_until_withdrawn(api: Api) -> None:
    d = desk(api)
    sms = {"channel": "sms", "disposition": "message_sent"}
    assert d.log(**sms).status_code == 201
    url = f"/api/v1/customers/{d.customer_id}/contact-preferences"
    opt_out = d.client.post(url, json={"kind": "opt_out", "channel": "sms", "contact_point_id": d.mobile})
    assert opt_out.status_code == 201, opt_out.text
    refused = d.log(**sms)
    assert refused.status_code == 409 and "OPT-OUT" in refused.json()["rules"]
    assert refused.json()["next_allowed_at"] is None
    assert d.log(disposition="no_answer").status_code == 201  # calls are still allowed
    withdrawn = d.client.delete(f"{url}/{opt_out.json()['id']}")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    assert d.client.delete(f"{url}/{opt_out.json()['id']}").status_code == 409
    assert d.log(**sms).status_code == 201
    listed = d.client.get(url, params={"standing": "true"}).json()["preferences"]
    assert listed == []
    assert len(audit_entries(api, "contact_preference.record")) == 1
    assert len(audit_entries(api, "contact_preference.withdraw")) == 1


def test_a_consent_allows_a_call_at_22_30_under_cn(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/customers/{d.customer_id}/contact-preferences"
    consent = {
        "kind": "consent",
        "channel": "call",
        "window": {"from": "22:00", "to": "23:00"},
        "until": local(28, 0).isoformat(),
    }
    assert d.client.post(url, json=consent).status_code == 201
    d.at(local(21, 22, 30))
    assert d.log().status_code == 201
    sms = d.log(channel="sms", disposition="message_sent")
    assert sms.status_code == 409 and "CN-TIME-1" in sms.json()["rules"]  # the consent is for calls
    d.at(local(28, 22, 30))
    assert d.log().status_code == 409  # expired


def test_an_inconvenient_time_blocks_within_its_window(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/customers/{d.customer_id}/contact-preferences"
    made = d.client.post(url, json={"kind": "inconvenient_time", "window": {"from": "09:30", "to": "11:00"}})
    assert made.status_code == 201, made.text
    refused = d.log()
    assert refused.status_code == 409, refused.text
    assert refused.json()["next_allowed_at"] == local(21, 11).isoformat()


def test_a_contact_person_who_refused_is_never_contacted(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/customers/{d.customer_id}/contact-preferences"
    debtor = d.client.post(url, json={"kind": "contact_refused", "contact_point_id": d.mobile})
    assert debtor.status_code == 400
    made = d.client.post(url, json={"kind": "contact_refused", "contact_point_id": d.emergency})
    assert made.status_code == 201
    for hour in (8, 9):  # the debtor unreachable: every number invalid
        d.at(local(21, hour + 2))
        d.log(after_the_fact=True, started_at=local(21, hour, 30).isoformat(), disposition="invalid_number")
    refused = d.log(contact_point_id=d.emergency, party="emergency_contact")
    assert refused.status_code == 409 and "CN-PARTY-3" in refused.json()["rules"]


def test_preferences_are_checked_scoped_and_permitted(api: Api) -> None:
    d = desk(api)
    url = f"/api/v1/customers/{d.customer_id}/contact-preferences"
    for body in (
        {"kind": "consent", "window": {"from": "22:00", "to": "23:00"}},
        {"kind": "consent", "window": {"from": "22:00", "to": "23:00"}, "until": local(20, 0).isoformat()},
        {"kind": "inconvenient_time"},
        {"kind": "opt_out"},
        {"kind": "opt_out", "channel": "sms", "window": {"from": "01:00", "to": "02:00"}},
        {"kind": "opt_out", "channel": "sms", "until": local(28, 0).isoformat()},
        {"kind": "contact_refused"},
        {"kind": "opt_out", "channel": "sms", "contact_point_id": desk(api, "PX").mobile},
    ):
        answer = d.client.post(url, json=body)
        assert answer.status_code == 400, (body, answer.text)
    assert d.client.post(url, json={"kind": "sometimes"}).status_code == 422
    stranger = desk(api, "PS").collector
    assert api.as_(stranger).post(url, json={"kind": "opt_out", "channel": "sms"}).status_code == 404
    assert api.as_(stranger).get(url).status_code == 404
    auditor = api.person(Role.AUDITOR)
    assert api.as_(auditor).post(url, json={"kind": "opt_out", "channel": "sms"}).status_code == 403
    assert api.as_(auditor).get(url).status_code == 200
    assert d.client.delete(f"{url}/987654").status_code == 404


def test_two_people_closing_one_callback_at_once_one_loses_with_409(api: Api) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from arrears.auth.models import User
    from arrears.auth.service import principal_of
    from arrears.contacts.callbacks import CallbackClosedError, close
    from arrears.contacts.models import CallbackStatus
    from arrears.db import session_factory
    from tests.api.work_book import TODAY

    d = desk(api)
    url = f"/api/v1/cases/{d.case_id}/callbacks"
    ident = d.client.post(
        url, json={"due_at": local(21, 15).isoformat(), "contact_point_id": d.mobile}
    ).json()["id"]
    sessions = session_factory(api.engine)
    first, second = sessions(), sessions()
    try:
        who = principal_of(first, first.get(User, d.collector.user_id))  # type: ignore[arg-type]
        boss = principal_of(second, second.get(User, d.supervisor.user_id))  # type: ignore[arg-type]
        from sqlalchemy import true

        from arrears.contacts.repository import visible_callback

        assert visible_callback(second, ident, true()) is not None  # the second reads version 1 too
        first.commit()
        close(first, who, ident, CallbackStatus.DONE, expected=1, now=api.clock.now(), today=TODAY)
        first.commit()
        with pytest.raises((StaleDataError, CallbackClosedError)):  # both answered 409
            close(
                second, boss, ident, CallbackStatus.CANCELLED, expected=None, now=api.clock.now(), today=TODAY
            )
        second.rollback()
    finally:
        first.close()
        second.close()
    listed = d.client.get(url).json()["callbacks"]
    assert [(c["status"], c["version"]) for c in listed] == [("done", 2)]
