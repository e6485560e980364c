"""The outbox's routes: counts, cancel and resend, each with its permission, If-Match and the
audit trail."""

from __future__ import annotations

from sqlalchemy import select

from arrears.audit.models import AuditEntry
from arrears.auth.permissions import Role
from arrears.channels.models import MessageState, OutboxMessage
from arrears.db import transaction
from tests.api.conftest import API_NOW, Api
from tests.channels.helpers import queue, seed


def test_counts_cancel_and_resend(api: Api) -> None:
    customer = seed(api.engine)[0]
    queued = queue(api.engine, customer, "api-1", now=API_NOW)
    dead = queue(api.engine, customer, "api-2", now=API_NOW)
    with transaction(api.engine) as session:
        row = session.get(OutboxMessage, dead)
        assert row is not None
        row.state = MessageState.DEAD
    admin = api.as_(api.person(Role.ADMINISTRATOR))
    collector = api.as_(api.person(Role.COLLECTOR))
    assert collector.get("/api/v1/outbox/counts").status_code == 403
    counts = admin.get("/api/v1/outbox/counts")
    assert counts.status_code == 200
    assert (counts.json()["counts"]["email"]["queued"], counts.json()["counts"]["email"]["dead"]) == (1, 1)
    reason = {"reason": "the customer paid at the branch"}
    stale = admin.post(f"/api/v1/outbox/{queued}/cancel", json=reason, headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    done = admin.post(f"/api/v1/outbox/{queued}/cancel", json=reason, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.headers["ETag"]) == ("stopped", '"2"')
    assert "body" not in done.json() and "to" not in done.json()
    again = admin.post(f"/api/v1/outbox/{queued}/cancel", json=reason)
    assert (again.status_code, again.json()["code"]) == (409, "message_state")
    assert admin.post("/api/v1/outbox/999999/resend", json=reason).status_code == 404
    sent_again = admin.post(f"/api/v1/outbox/{dead}/resend", json={"reason": "the address is corrected"})
    assert (sent_again.status_code, sent_again.json()["state"]) == (200, "queued")
    assert collector.post(f"/api/v1/outbox/{dead}/cancel", json=reason).status_code == 403
    supervisor = api.person(Role.SUPERVISOR)
    api.team("T-OTHER", leader=supervisor)  # leads a team the case is not assigned to
    hidden = api.as_(supervisor).post(f"/api/v1/outbox/{dead}/cancel", json=reason)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    with transaction(api.engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("message.%"))).all()
    assert sorted(actions) == ["message.cancel", "message.queue", "message.queue", "message.resend"]
