"""The trained conduct model (an experiment): deterministic training, the shipped weights as
fresh training makes them, findings with their evidence, loading with the network off, the
training and evaluation commands. Only the corpus' dev split is read."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.compliance.conduct import model as conduct_model
from arrears.compliance.conduct.evaluation import load_corpus, read_items
from arrears.compliance.conduct.model import (
    ContentModel,
    check_with_model,
    explain,
    load_model,
    model_findings,
)
from arrears.compliance.conduct.model_training import EXAMPLES, train

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "qa" / "corpus"
WRITTEN = ROOT / EXAMPLES
runner = CliRunner()

THREAT = "再不还钱，我把你的照片做成海报贴满你们小区"
"""A threat to the debtor's name (reputation). The model finds no `threat` (violence) at all: no
threshold reached a precision of 0.95 on dev's out-of-fold probabilities (docs/qa.md)."""
REASSURANCE = "您放心，我们不会把这件事告诉您的单位，也不会联系您的家人"


def small_training(seed: int) -> ContentModel:
    """The written examples alone: enough for every category, quick to train."""
    return train(read_items(WRITTEN), [], seed=seed, measure=False).model


def test_the_shipped_weights_are_what_training_makes_of_dev_and_the_examples() -> None:
    fresh = train(load_corpus(CORPUS, "dev"), read_items(WRITTEN), seed=0, measure=False).model
    shipped = load_model()
    assert fresh.names == shipped.names
    assert fresh.idf == shipped.idf
    for name, category in fresh.categories.items():
        stored = shipped.categories[name]
        assert (category.intercept, category.threshold, category.union_threshold) == (
            stored.intercept,
            stored.threshold,
            stored.union_threshold,
        )
        assert dict(category.weights) == dict(stored.weights)
    texts = [THREAT, REASSURANCE, "You're a worthless deadbeat", "去找你朋友借点钱先把这期还了"]
    for text in texts:
        assert model_findings(text, model=fresh) == model_findings(text, model=shipped)


def test_a_threat_is_found_with_its_evidence_and_a_reassurance_is_not() -> None:
    (finding,) = model_findings(THREAT)
    assert (finding.category, finding.rule) == ("reputation", "model.reputation")
    assert THREAT[finding.start : finding.end] == finding.evidence
    assert "海报" in finding.evidence
    strongest = explain(THREAT, "reputation")
    assert strongest and all(c.weight > 0 and c.feature.startswith("c:") for c in strongest)
    assert all(c.feature[2:] in finding.evidence for c in strongest)
    assert model_findings(REASSURANCE) == ()


def test_the_evidence_is_whole_words_of_the_original_text() -> None:
    text = "You're a worthless deadbeat, pay up"
    (finding,) = model_findings(text)
    assert (finding.category, finding.evidence) == ("insult", "deadbeat")


def test_a_customers_words_raise_nothing() -> None:
    assert model_findings(THREAT, speaker="customer") == ()


def test_check_with_model_adds_the_models_categories_to_the_rules() -> None:
    text = "你去网贷平台借点钱先把我们这期还了"  # no rule has this phrasing; the model learnt it
    checked = check_with_model(text, "debtor", "collector")
    assert "new_borrowing" in checked.categories
    assert all(text[f.start : f.end] == f.evidence for f in checked.findings)
    ruled = check_with_model("你这个老赖，不要脸", "debtor", "collector")
    assert any(f.rule.startswith("insult.") for f in ruled.findings)  # the rules' own finding stays
    assert not any(f.rule == "model.insult" for f in ruled.findings)  # not found twice


def test_the_model_loads_and_judges_with_the_network_off(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    conduct_model._shipped_model.cache_clear()
    try:
        assert {f.category for f in model_findings(THREAT)} == {"reputation"}
    finally:
        conduct_model._shipped_model.cache_clear()


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    data = load_model().to_dict()
    data["format"] = 99
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="format"):
        load_model(path)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The written examples as a dev split; a held-out split the training must not read."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "heldout").mkdir()
    shutil.copy(WRITTEN, tmp_path / "dev" / "examples.yaml")
    (tmp_path / "heldout" / "broken.yaml").write_text("this: [is not read", "utf-8")
    return tmp_path


def test_training_is_deterministic_for_a_seed_and_prints_the_figures(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    command = ["compliance", "train-content-model", str(corpus), "--out", str(out)]
    result = runner.invoke(app, [*command, "--examples", str(tmp_path / "none.yaml"), "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert "rules | model" in result.output and "forbidden_time" in result.output
    assert "160 dev items, 0 examples" in result.output
    written = json.loads(out.read_text("utf-8"))
    assert "cross_validated_on_dev" in written.pop("about")
    again = small_training(0).to_dict()
    again.pop("about")
    assert written == again  # the same corpus and seed, another process: the same model
    other = small_training(7)
    assert tuple(written["vocabulary"]) == other.names  # the vocabulary does not depend on the folds ...
    thresholds = {c: m["threshold"] for c, m in written["categories"].items()}
    assert thresholds != {c: m.threshold for c, m in other.categories.items()}  # ... the thresholds do


def test_evaluate_content_measures_the_rules_with_the_model(corpus: Path) -> None:
    without = runner.invoke(app, ["compliance", "evaluate-content", str(corpus), "--misses", "200"])
    with_model = runner.invoke(
        app, ["compliance", "evaluate-content", str(corpus), "--with-model", "--misses", "200"]
    )
    assert without.exit_code == 0 and with_model.exit_code == 0, with_model.output
    assert "160 items, 160 judged exactly" in without.output
    assert "160 items" in with_model.output
