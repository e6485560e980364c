"""The case forms against what a careless or hostile user types: a note of 100 KB, dates far out
of range, amounts that are not amounts. Each answer is the form again with a 4xx naming what is
wrong, never a 500, and nothing is saved."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from arrears.arrangements.models import Arrangement, Promise
from arrears.auth.models import User
from arrears.contacts.models import Callback, Contact
from arrears.disputes.models import Complaint, Hold
from tests.api.conftest import Api
from tests.web.test_case_forms import CASE, _collector, _count, _point, _post

HUGE = "还" * 100_000
PLAN = {"currency": "CNY", "method": "equal", "frequency": "monthly", "count": "3", "action": "propose"}

CASES = [
    ("contact", {"disposition": "no_answer", "note": HUGE}, Contact),
    ("callback", {"due_at": "0001-01-01T00:00", "note": "x"}, Callback),
    ("callback", {"due_at": "9999-12-31T23:59", "note": "x"}, Callback),
    ("promise", {"currency": "CNY", "due_on": "0001-01-01", "amount": "10.00"}, Promise),
    ("promise", {"currency": "CNY", "due_on": "9999-12-31", "amount": "10.00"}, Promise),
    ("promise", {"currency": "CNY", "due_on": "2026-12-01", "amount": "1e400"}, Promise),
    ("promise", {"currency": "CNY", "due_on": "2026-12-01", "amount": "-5"}, Promise),
    ("promise", {"currency": "CNY", "due_on": "2026-12-01", "amount": "10.001"}, Promise),
    ("promise", {"currency": "CNY", "due_on": "2026-12-01", "amount": "=1+1"}, Promise),
    ("promise", {"currency": "C=Y", "due_on": "2026-12-01", "amount": "10"}, Promise),
    ("plan", {**PLAN, "first_due_on": "9999-12-31"}, Arrangement),
    ("plan", {**PLAN, "first_due_on": "0001-01-01"}, Arrangement),
    ("plan", {**PLAN, "first_due_on": "2026-12-01", "count": "999999999"}, Arrangement),
    ("settlement", {**PLAN, "first_due_on": "2026-12-01", "total": "99999999999999999999"}, Arrangement),
    ("settlement", {**PLAN, "first_due_on": "2026-12-01", "total": "NaN"}, Arrangement),
    ("complaint", {"category": "conduct", "description": HUGE}, Complaint),
    ("hold", {"kind": "hardship", "evidence": HUGE}, Hold),
    ("hold", {"kind": "hardship", "evidence": "失业证明", "until": "9999-12-31"}, Hold),
]


def test_hostile_input_gives_the_form_again_and_saves_nothing(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser)
    point = _point(api)
    for form, typed, model in CASES:
        data = {"contact_point_id": point, **typed} if form in ("contact", "callback") else typed
        answer = _post(client, form, data)
        seen = (form, data, answer.status_code, answer.text[-1000:])
        assert 400 <= answer.status_code < 500, seen
        assert answer.headers["content-type"].startswith("text/html"), seen
        assert "data-refusal" in answer.text or "<h1>" in answer.text, seen
        assert _count(api, model) == 0, seen


def test_a_field_over_its_length_is_named_in_the_readers_language(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    client = _collector(api, signed_up, browser, "zh-CN")
    answer = _post(client, "contact", {"disposition": "no_answer", "note": HUGE})
    assert answer.status_code == 422
    assert "body.note: 最多 4000 个字符" in answer.text
    form = client.get(f"/cases/{CASE}/contact").text
    assert 'name="note" rows="4" maxlength="4000"' in form  # the browser stops it before it is sent
    assert _count(api, Contact) == 0
