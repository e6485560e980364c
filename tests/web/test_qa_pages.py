"""The QA pages over real HTTP: the week's scores per collector, the sample drawn from the page,
a call's transcript with the checker's evidence highlighted, the verdicts given on the page (a
form missing one refused with its reason), each look audited, both languages, each page refused
to a role without its permission."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from arrears.auth.models import User
from arrears.auth.permissions import Role
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.contacts.helpers import desk
from tests.qa.test_transcripts import CUSTOMER, THREAT, a_call, turns
from tests.web.conftest import hidden
from tests.web.test_compliance_pages import signed_in


def test_scores_sample_transcript_and_verdicts_on_the_pages(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    d = desk(api)
    made = api.as_(d.supervisor).post(
        f"/api/v1/contacts/{a_call(d)}/transcript",
        json={
            "turns": turns(("agent", THREAT), ("customer", CUSTOMER), ("agent", "那你下周五之前还一部分吧"))
        },
    )
    assert made.status_code == 201, made.text
    transcript = made.json()
    [finding, *more] = transcript["turns"][0]["findings"]
    officer = signed_up("qian.officer", role=Role.COMPLIANCE_OFFICER)
    client = signed_in(browser, "qian.officer")

    garbled = client.get("/qa?week=2026-02-30")
    assert garbled.status_code == 400 and "week: write a date like 2026-12-31" in garbled.text
    empty = client.get("/qa?week=2026-12-30")
    assert "No call of this week has a transcript." in empty.text
    assert 'href="/qa?week=2026-11-16" data-latest-week' in empty.text
    page = client.get("/qa?week=2026-11-18")
    assert page.status_code == 200 and 'href="/qa"' in page.text
    assert "data-latest-week" not in page.text
    assert f'data-collector="{d.collector.user_id}"' in page.text and "No call waits for review." in page.text
    drawn = client.post(
        "/qa/sample",
        data={"csrf_token": hidden(page.text, "csrf_token"), "week": "2026-11-18", "per_band": "3"},
    )
    assert drawn.status_code == 303 and drawn.headers["location"] == "/qa?week=2026-11-18&done=drawn"
    listed = client.get(drawn.headers["location"])
    assert f'data-transcript="{transcript["id"]}"' in listed.text

    call = client.get(f"/qa/transcripts/{transcript['id']}")
    assert call.status_code == 200
    assert f'<mark class="finding" data-category="{finding["category"]}"' in call.text
    assert finding["evidence"] in call.text and finding["rule_ids"][0] in call.text
    looks = [e for e in audit_entries(api, "transcript.read") if e["object_type"] == "transcript"]
    assert [(e["actor_id"], e["customer_id"]) for e in looks] == [(officer.id, d.customer_id)]

    token = hidden(call.text, "csrf_token")
    url = f"/qa/transcripts/{transcript['id']}/verdicts"
    partial = client.post(url, data={"csrf_token": token, "missed": "3|new_borrowing"})
    assert partial.status_code == 400 and "Every finding needs a verdict" in partial.text
    verdicts = [f"1|{finding['category']}|agree"] + [f"1|{f['category']}|disagree" for f in more]
    done = client.post(
        url, data={"csrf_token": token, "verdict": verdicts, "missed": ["", "3|false_fee_deadline"]}
    )
    assert done.status_code == 303 and done.headers["location"] == "/qa?done=reviewed"
    [entry] = audit_entries(api, "transcript.review")
    assert entry["actor_id"] == officer.id and (entry["after"]["agree"], entry["after"]["missed"]) == (1, 1)
    reviewed = client.get(f"/qa/transcripts/{transcript['id']}")
    assert 'data-missed="false_fee_deadline"' in reviewed.text and "Record the verdicts" not in reviewed.text
    summary = client.get("/qa?week=2026-11-18")
    assert 'data-category="all"' in summary.text

    zh = signed_in(browser, "qian.officer", "zh-CN").get(f"/qa/transcripts/{transcript['id']}")
    assert "催收员" in zh.text and "同意" in zh.text


def test_the_qa_pages_are_refused_without_the_permission(
    api: Api, browser: Callable[..., httpx.Client], signed_up: Callable[..., User], cheap_hashing: object
) -> None:
    d = desk(api)
    made = api.as_(d.supervisor).post(
        f"/api/v1/contacts/{a_call(d)}/transcript", json={"turns": turns(("agent", THREAT))}
    )
    signed_up("wu.collector", role=Role.COLLECTOR, team_id=d.team)
    client = signed_in(browser, "wu.collector")
    assert client.get("/qa").status_code == 403
    assert client.get(f"/qa/transcripts/{made.json()['id']}").status_code == 403
    signed_up("zheng.auditor", role=Role.AUDITOR)
    auditor = signed_in(browser, "zheng.auditor")
    page = auditor.get(f"/qa/transcripts/{made.json()['id']}")
    assert page.status_code == 200 and "Record the verdicts" not in page.text  # reads, does not review
    assert (
        auditor.post(
            "/qa/sample", data={"csrf_token": hidden(page.text, "csrf_token"), "per_band": "1"}
        ).status_code
        == 403
    )
