"""The audit routes over HTTP: entries by cursor, verify, export; who may call them."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from arrears.api.paging import encode_cursor
from arrears.audit.trail import entry_hash
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.audit.chain import fill, rows

ENTRIES = "/api/v1/audit/entries"


def test_entries_page_by_cursor_in_seq_order_with_filters(api: Api) -> None:
    fill(api.engine, 12)
    auditor = api.as_(api.person(Role.AUDITOR))
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        answer = auditor.get(ENTRIES, params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += [item["seq"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 13)) and pages == 3
    stored = rows(api.engine)
    first = auditor.get(ENTRIES, params={"limit": 1}).json()["items"][0]
    assert first["hash"] == stored[1]["hash"] and entry_hash(first) == first["hash"]

    day = {"from": "2026-11-02", "to": "2026-11-02"}  # in Shanghai: entries 4 to 7
    assert [i["seq"] for i in auditor.get(ENTRIES, params=day).json()["items"]] == [4, 5, 6, 7]
    one = auditor.get(ENTRIES, params=day | {"customer_id": "C001"}).json()["items"]
    assert [i["seq"] for i in one] == [4, 7]
    reveals = auditor.get(ENTRIES, params={"action": "personal.reveal", "actor": "system"}).json()["items"]
    assert [i["seq"] for i in reveals] == [1, 7]  # n = 0 and 6: reveals by the system
    assert [i["seq"] for i in auditor.get(ENTRIES, params={"object_id": "K0003"}).json()["items"]] == [4]
    for forged in ("x1", "57", encode_cursor("users", 3), encode_cursor("audit", 2**64)):
        refused = auditor.get(ENTRIES, params={"cursor": forged})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_cursor"
    assert auditor.get(ENTRIES, params={"from": "2026-11-03", "to": "2026-11-02"}).status_code == 400


def test_who_may_read_verify_and_export(api: Api) -> None:
    fill(api.engine, 2)
    export = {"from": "2026-11-01", "to": "2026-11-01"}
    for role, read, exported in (
        (Role.COLLECTOR, 403, 403),
        (Role.SUPERVISOR, 403, 403),
        (Role.ADMINISTRATOR, 200, 403),
        (Role.AUDITOR, 200, 200),
        (Role.COMPLIANCE_OFFICER, 200, 200),
    ):
        client = api.as_(api.person(role))
        assert client.get(ENTRIES).status_code == read, role
        assert client.get("/api/v1/audit/verify").status_code == read, role
        answer = client.get("/api/v1/audit/export", params=export)
        assert answer.status_code == exported, role
        if exported == 403:
            assert answer.headers["content-type"] == "application/problem+json"
    assert api.client().get(ENTRIES).status_code == 401


def test_verify_answers_intact_or_the_first_break_in_the_callers_language(api: Api) -> None:
    fill(api.engine, 6)
    auditor = api.as_(api.person(Role.AUDITOR), **{"Accept-Language": "zh-CN"})
    intact = auditor.get("/api/v1/audit/verify").json()
    assert intact == {
        "intact": True,
        "entries": 6,
        "head_seq": 6,
        "head_hash": rows(api.engine)[6]["hash"],
        "broken_at": None,
        "kind": None,
        "detail": None,
    }
    with api.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET reason = 'tidied' WHERE seq = 3"))
    broken = auditor.get("/api/v1/audit/verify").json()
    assert broken["intact"] is False and broken["broken_at"] == 3 and broken["kind"] == "changed"
    assert broken["entries"] == 2 and "第 3 条" in broken["detail"]


def test_export_streams_csv_or_json_and_is_on_the_record(api: Api) -> None:
    fill(api.engine, 12)
    person = api.person(Role.AUDITOR)
    auditor = api.as_(person)
    params = {"from": "2026-11-02", "to": "2026-11-02", "customer_id": "C001"}
    answer = auditor.get("/api/v1/audit/export", params=params)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    exported = list(csv.DictReader(io.StringIO(answer.text)))
    assert [int(e["seq"]) for e in exported] == [4, 7]
    answer = auditor.get("/api/v1/audit/export", params=params | {"format": "json"})
    assert answer.headers["content-type"] == "application/json"
    document = json.loads(answer.text)
    assert [e["seq"] for e in document["entries"]] == [4, 7] and document["count"] == 2
    assert all(entry_hash(e) == e["hash"] for e in document["entries"])
    recorded = [e for e in rows(api.engine).values() if e["action"] == "audit.export"]
    assert [(e["actor_name"], e["actor_role"], e["customer_id"]) for e in recorded] == [
        (person.username, "auditor", "C001"),
        (person.username, "auditor", "C001"),
    ]
    assert json.loads(recorded[1]["after"])["format"] == "json"
    assert auditor.get("/api/v1/audit/export", params=params | {"format": "xml"}).status_code == 422
    assert auditor.get("/api/v1/audit/export", params={"from": "2026-11-02"}).status_code == 422


def test_the_routes_declare_their_answers(api: Api) -> None:
    document = api.client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/audit/entries", "/api/v1/audit/verify", "/api/v1/audit/export"):
        declared = document["paths"][path]["get"]["responses"]
        assert {"200", "401", "403", "422"} <= set(declared), path
    entries = document["paths"]["/api/v1/audit/entries"]["get"]
    assert {p["name"] for p in entries["parameters"]} >= {
        "from",
        "to",
        "actor",
        "action",
        "object_type",
        "object_id",
        "customer_id",
        "cursor",
        "limit",
    }
    exported = document["paths"]["/api/v1/audit/export"]["get"]["responses"]["200"]["content"]
    assert set(exported) == {"text/csv; charset=utf-8", "application/json"}
