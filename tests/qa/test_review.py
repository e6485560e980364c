"""The week's QA scores per collector, the review sample drawn by score band, reviewers' verdicts
(once per call, every finding answered) and the checker's running precision and recall against
them; the command line's import of transcript files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arrears.auth.permissions import Role
from arrears.cli import app
from arrears.config import get_settings
from tests.api.conftest import Api
from tests.api.work_book import audit_entries
from tests.conftest import command_line_url
from tests.contacts.helpers import Desk, desk
from tests.qa.test_transcripts import CUSTOMER, REASSURANCE, THREAT, a_call, turns

INSULT = "你这个老赖，脸都不要了"


def imported(api: Api, d: Desk, *texts: tuple[str, str]) -> dict[str, Any]:
    made = api.as_(d.supervisor).post(
        f"/api/v1/contacts/{a_call(d)}/transcript", json={"turns": turns(*texts)}
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_scores_sample_verdicts_and_the_checkers_agreement_with_reviewers(api: Api) -> None:
    d = desk(api)
    bad = imported(api, d, ("collector", THREAT), ("customer", CUSTOMER), ("collector", INSULT))
    clean = imported(api, d, ("collector", REASSURANCE), ("customer", CUSTOMER))
    officer = api.person(Role.COMPLIANCE_OFFICER)

    scores = api.as_(d.supervisor).get("/api/v1/qa/scores", params={"week": "2026-11-19"})
    assert scores.status_code == 200, scores.text
    [row] = scores.json()["collectors"]
    assert scores.json()["week"] == "2026-11-16"
    assert (row["collector_id"], row["calls"], row["flagged_calls"]) == (d.collector.user_id, 2, 1)
    assert row["lowest_score"] == bad["score"] and row["findings"] == bad["finding_count"]
    assert row["mean_score"] == str((bad["score"] + clean["score"]) / 2)

    drawn = api.as_(officer).post("/api/v1/qa/samples", json={"week": "2026-11-20", "per_band": 5})
    assert drawn.status_code == 200, drawn.text
    assert sorted(drawn.json()["transcript_ids"]) == sorted([bad["id"], clean["id"]])
    assert drawn.json()["drawn"]["high"] == 1
    redrawn = api.as_(officer).post("/api/v1/qa/samples", json={"week": "2026-11-20", "per_band": 5})
    assert redrawn.json()["transcript_ids"] == []  # what is drawn is not drawn again
    queue = api.as_(officer).get("/api/v1/qa/review-queue").json()["transcripts"]
    assert [t["id"] for t in queue] == [bad["id"], clean["id"]]  # lowest score first

    url = f"/api/v1/transcripts/{bad['id']}/verdicts"
    findings = [(t["seq"], f["category"]) for t in bad["turns"] for f in t["findings"]]
    assert len(findings) >= 2
    partial = api.as_(officer).post(url, json={"verdicts": [_verdict(*findings[0], "agree")]})
    assert partial.status_code == 400 and partial.json()["code"] == "verdicts_missing"
    wrong = api.as_(officer).post(url, json={"verdicts": [_verdict(2, "threat", "agree")]})
    assert wrong.status_code == 400 and "turn 2" in wrong.json()["detail"]
    verdicts = [_verdict(*findings[0], "agree")]
    verdicts += [_verdict(seq, category, "disagree") for seq, category in findings[1:]]
    verdicts.append(_verdict(2, "threat", "missed"))
    assert api.as_(d.collector).post(url, json={"verdicts": verdicts}).status_code == 403
    done = api.as_(officer).post(url, json={"verdicts": verdicts})
    assert done.status_code == 200, done.text
    assert done.json()["review_state"] == "reviewed"
    again = api.as_(officer).post(url, json={"verdicts": verdicts})
    assert again.status_code == 409 and again.json()["code"] == "transcript_reviewed"
    [entry] = audit_entries(api, "transcript.review")
    assert entry["actor_id"] == officer.user_id and entry["after"]["agree"] == 1

    shown = api.as_(officer).get(f"/api/v1/transcripts/{bad['id']}").json()
    assert len(shown["verdicts"]) == len(verdicts)
    agreement = {a["category"]: a for a in api.as_(officer).get("/api/v1/qa/agreement").json()["categories"]}
    overall = agreement["all"]
    assert (overall["agree"], overall["disagree"], overall["missed"]) == (1, len(findings) - 1, 1)
    assert overall["precision"] == str(round(1 / len(findings), 3))
    assert overall["recall"] == "0.5"
    assert agreement["threat"]["missed"] >= 1


def _verdict(seq: int, category: str, verdict: str) -> dict[str, Any]:
    return {"seq": seq, "category": category, "verdict": verdict}


@pytest.fixture
def cli_env(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ARREARS_DATABASE_URL", command_line_url(api.engine))
    monkeypatch.setenv("ARREARS_LANGUAGE", "en")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_command_line_imports_a_file_all_or_nothing_and_skips_what_is_there(
    api: Api, cli_env: None, tmp_path: Path
) -> None:
    d = desk(api)
    first, second = a_call(d), a_call(d)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"transcripts:\n  - contact_id: {first}\n    turns:\n      - {{speaker: agent, start: 0, end: 2, text: 您好}}\n"
        f"  - contact_id: {second}\n    turns:\n      - {{speaker: agent, start: 3, end: 1, text: {THREAT}}}\n",
        "utf-8",
    )
    runner = CliRunner()
    refused = runner.invoke(app, ["qa", "import", str(bad)])
    assert (
        refused.exit_code == 2
        and "bad.yaml" in refused.output
        and "line 7" in refused.output
        and "before it starts" in refused.output
    )
    assert audit_entries(api, "transcript.import") == []
    good = tmp_path / "good.json"
    item = {"contact_id": first, "turns": [{"speaker": "agent", "start": 0, "end": 2.5, "text": THREAT}]}
    good.write_text(json.dumps({"transcripts": [item]}, ensure_ascii=False), "utf-8")
    done = runner.invoke(app, ["qa", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "1" in done.output
    [entry] = audit_entries(api, "transcript.import")
    assert entry["actor_role"] == "system"
    again = runner.invoke(app, ["qa", "import", str(good)])
    assert again.exit_code == 0 and str(first) in again.output
    assert len(audit_entries(api, "transcript.import")) == 1
    table = runner.invoke(app, ["qa", "scores", "--week", "2026-11-20"])
    assert table.exit_code == 0 and d.collector.username in table.output
