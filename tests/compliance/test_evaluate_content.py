"""``arrears compliance evaluate-content``: figures on a small corpus written here, and a clear
refusal of an unreadable one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.compliance.conduct.evaluation import evaluate, load_corpus
from arrears.config import get_settings

runner = CliRunner()

DEV = """
items:
  - {id: d1, text: "再不还就爆你通讯录", lang: zh-Hans, speaker: collector, party: debtor, source: call,
     labels: [third_party_leverage], evidence: [{label: third_party_leverage, span: 爆你通讯录}]}
  - {id: d2, text: "我们不会联系您的家人", lang: zh-Hans, speaker: collector, party: debtor, source: call,
     labels: []}
  - {id: d3, text: "You will be arrested", lang: en, speaker: collector, party: debtor, source: call,
     labels: [false_legal]}
  - {id: d4, text: "你兒子欠我們兩萬", lang: zh-Hant, speaker: collector, party: family, source: call,
     labels: [disclosure]}
  - {id: d5, text: "Please call us back", lang: en, speaker: collector, party: debtor, source: call,
     labels: [insult]}
  - {id: d6, text: "我会打断你的腿", lang: zh-Hans, speaker: customer, party: debtor, source: call,
     labels: []}
"""
HELDOUT = """
- {id: h1, text: "你这个老赖", lang: zh-Hans, speaker: collector, party: debtor, source: note, labels: [insult]}
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "dev").mkdir()
    (tmp_path / "heldout").mkdir()
    (tmp_path / "dev" / "a.yaml").write_text(DEV, "utf-8")
    (tmp_path / "heldout" / "b.yaml").write_text(HELDOUT, "utf-8")
    return tmp_path


def test_the_figures_count_hits_misses_and_false_alarms(corpus: Path) -> None:
    report = evaluate(load_corpus(corpus, "dev"))
    assert report.items == 6
    assert report.exact == 5
    insult = report.by_category["insult"]
    assert (insult.true_positive, insult.false_negative, insult.recall) == (0, 1, 0.0)
    disclosure = report.by_category["disclosure"]
    assert (disclosure.true_positive, disclosure.precision) == (1, 1.0)
    assert report.confusion[("insult", "none")] == 1
    assert report.confusion[("none", "none")] == 2
    assert report.by_language["zh-Hant"].true_positive == 1


def test_the_split_chooses_the_files(corpus: Path) -> None:
    assert [i.id for i in load_corpus(corpus, "heldout")] == ["h1"]
    assert len(load_corpus(corpus, "all")) == 7


def test_the_command_prints_the_tables_and_writes_markdown(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.md"
    result = runner.invoke(
        app, ["compliance", "evaluate-content", str(corpus), "--markdown", str(out), "--misses", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "By category" in result.output and "third_party_leverage" in result.output
    assert "6 items, 5 judged exactly" in result.output
    assert "d5: insult → -" in result.output
    markdown = out.read_text("utf-8")
    assert "| disclosure | 1.000 | 1.000 | 1 | 0 | 0 | 1 |" in markdown
    assert "| insult | - | 0.000 | 0 | 0 | 1 | 1 |" in markdown


def test_a_negative_number_of_misses_is_refused_not_read_as_all_but_the_last(corpus: Path) -> None:
    result = runner.invoke(app, ["compliance", "evaluate-content", str(corpus), "--misses", "-1"])
    assert result.exit_code == 2
    assert "--misses" in result.output and "d5:" not in result.output


def test_the_tables_speak_chinese(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_LANGUAGE", "zh-CN")
    get_settings.cache_clear()
    result = runner.invoke(app, ["compliance", "evaluate-content", str(corpus)])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    assert "按类别" in result.output and "精确率" in result.output


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("- {id: x1, text: hi, lang: klingon, speaker: collector, party: debtor, source: call}", "item x1"),
        (
            "- {id: x2, text: hi, lang: en, speaker: collector, party: debtor, source: call, labels: [rude]}",
            "x2",
        ),
        ("items: [{id: x3, text: hi", "line"),
        (
            f"- {{id: x4, text: {'再不还' * 3334}, lang: zh-Hans, speaker: collector, party: debtor, source: call}}",
            "x4",
        ),
        ("just text", "expected a list of items"),
    ],
)
def test_an_unreadable_corpus_is_refused_naming_the_file_and_item(
    corpus: Path, content: str, named: str
) -> None:
    bad = corpus / "dev" / "z-bad.yaml"
    bad.write_text(content, "utf-8")
    result = runner.invoke(app, ["compliance", "evaluate-content", str(corpus)])
    assert result.exit_code == 2
    assert "z-bad.yaml" in result.output and named in result.output


def test_a_missing_split_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compliance", "evaluate-content", str(tmp_path), "--split", "heldout"])
    assert result.exit_code == 2
    assert "heldout/" in result.output


def test_a_path_that_is_no_folder_is_named(corpus: Path, tmp_path: Path) -> None:
    for path in (tmp_path / "nowhere", corpus / "dev" / "a.yaml"):
        result = runner.invoke(app, ["compliance", "evaluate-content", str(path)])
        assert result.exit_code == 2
        assert f"{path} is not a folder" in result.output


def test_a_yaml_name_that_is_a_folder_is_refused(corpus: Path) -> None:
    (corpus / "dev" / "folder.yaml").mkdir()
    result = runner.invoke(app, ["compliance", "evaluate-content", str(corpus), "--split", "dev"])
    assert result.exit_code == 2
    assert "folder.yaml" in result.output and "Traceback" not in result.output
