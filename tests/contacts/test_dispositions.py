"""The disposition codes: the shipped list, a bank's list (ARREARS_DISPOSITIONS), refusals naming
the file, and the table of docs/casework.md kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.config import load_settings
from arrears.contacts.dispositions import (
    SHIPPED,
    Counts,
    DispositionFileError,
    UnknownDispositionError,
    disposition,
    dispositions,
    markdown_table,
)

DOC = Path(__file__).parents[2] / "docs" / "casework.md"
START, END = "<!-- dispositions:start -->\n", "<!-- dispositions:end -->"


def test_the_shipped_codes_count_as_the_issue_says() -> None:
    codes = dispositions()
    assert codes["right_party_contact"].counts(Counts.RIGHT_PARTY)
    assert codes["promise"].counts(Counts.PROMISE) and codes["promise"].call_outcome == "conversation"
    assert not codes["no_answer"].counts(Counts.CONNECTED)
    assert codes["refused_by_gate"].counts_as == []
    assert codes["third_party_reached"].label("zh-CN") == "联系到第三方"
    assert codes["third_party_reached"].label("en") == "Third party reached"
    for wanted in (
        "no_answer",
        "busy",
        "voicemail",
        "invalid_number",
        "wrong_party",
        "refuses_to_pay",
        "callback_requested",
        "dispute_raised",
        "complaint_raised",
        "deceased",
        "bankrupt",
        "hardship_stated",
    ):
        assert wanted in codes
    with pytest.raises(UnknownDispositionError):
        disposition("nonsense")


def test_a_banks_list_is_read_from_its_setting(tmp_path: Path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text(
        "codes:\n"
        "  - {code: ptp_strong, zh-CN: 明确承诺, en: Firm promise, counts_as: [attempt, connected, right_party, promise], call_outcome: conversation}\n"
        "  - {code: refused_by_gate, zh-CN: 合规拦截未联系, en: Refused, counts_as: []}\n",
        "utf-8",
    )
    settings = load_settings(dispositions=str(path))
    codes = dispositions(settings.dispositions)
    assert list(codes) == ["ptp_strong", "refused_by_gate"]
    assert dispositions(load_settings().dispositions) is dispositions(None)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("codes:\n  - {code: a1, zh-CN: 甲, en: A}\n  - {code: a1, zh-CN: 乙, en: B}\n", "given twice"),
        ("codes:\n  - {code: a1, zh-CN: 甲, en: A}\n", "refused_by_gate"),
        ("codes:\n  - {code: a1, zh-CN: 甲, en: A, counts_as: [sale]}\n", "line 2"),
        ("codes:\n  - {code: a1, zh-CN: 甲, en: A, colour: red}\n", "colour"),
        ("codes: []\n", "codes"),
    ],
)
def test_a_wrong_list_is_refused_naming_the_file(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(DispositionFileError) as refused:
        dispositions(path)
    assert said in refused.value.message("en") and "bad.yaml" in refused.value.message("en")


def test_the_docs_table_is_the_shipped_list() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} holds the table between {START.strip()} and {END}"
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table == markdown_table(SHIPPED), (
        "docs/casework.md's disposition table is out of date: paste "
        "`python -c 'from arrears.contacts.dispositions import markdown_table; print(markdown_table(), end=\"\")'`"
    )
