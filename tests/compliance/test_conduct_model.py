"""The trained conduct model: deterministic training, the shipped weights trained from what
training would read now, findings with their evidence and the cues behind them, the sentence
encoder loading with the network off and its absence handled, the training and evaluation
commands. Only the corpus' splits open to training are read (never a new held-out part)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.compliance.conduct import embedding, structure
from arrears.compliance.conduct import model as conduct_model
from arrears.compliance.conduct.embedding import EncoderUnavailableError, require_encoder
from arrears.compliance.conduct.model import (
    ContentModel,
    check_with_model,
    explain,
    load_model,
    model_findings,
)
from arrears.compliance.conduct.model_training import (
    EXAMPLES,
    PROBE_TOLERANCE,
    TRAINING_SPLITS,
    Labelled,
    feature_rules_digest,
    fingerprint,
    probe_drift,
    probe_parts,
    probe_probabilities,
    train,
    training_items,
)
from arrears.compliance.conduct.rules import ConductRulesError, RulesFile, load_rules, rule_book
from arrears.yamlfile import parse_yaml, validate

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "qa" / "corpus"
WRITTEN = ROOT / EXAMPLES
RULES_FILE = ROOT / "arrears" / "compliance" / "conduct" / "rules.yaml"
runner = CliRunner()

THREAT = "再不还钱，我把你的照片做成海报贴满你们小区"
"""A threat to the debtor's name (reputation)."""
needs_encoder = pytest.mark.skipif(
    embedding.encoder_version() is None, reason="the qa-model extra (sentence encoder) is not installed"
)
REASSURANCE = "您放心，我们不会把这件事告诉您的单位，也不会联系您的家人"


def written_examples_as_splits() -> list[Labelled]:
    """The written examples dealt in turn to the training splits: quick to train."""
    return probe_parts(WRITTEN)


def small_training(seed: int) -> ContentModel:
    return train(written_examples_as_splits(), seed=seed, measure=False).model


def test_the_shipped_model_was_trained_from_what_training_reads_now() -> None:
    """A stale model.json fails here: the items trained on, the rules file's evasions and cues (they
    make the features), the settings and the encoder are the fingerprint training records; the
    probe is what the same training code gives on the written examples alone (some seconds), within
    a tolerance for another processor's rounding, so a change to the features or the training
    moves it. Training the whole model again is
    ``arrears compliance train-content-model`` (about a minute)."""
    shipped = load_model()
    assert shipped.encoder is not None  # shipped with the sentence model
    parts = training_items(CORPUS, WRITTEN)
    with_sentences = embedding.encoder_version() is not None
    now = fingerprint(parts, seed=shipped.about["seed"], c=shipped.about["C"], sentences=True)
    recorded = dict(shipped.about["fingerprint"])
    if not with_sentences:  # without the extra, the encoder's version cannot be read here
        recorded.pop("encoder")
        now.pop("encoder")
    assert now == recorded
    if with_sentences:
        now_probe = probe_probabilities(seed=shipped.about["seed"], sentences=True, examples=WRITTEN)
        assert probe_drift(shipped.about["probe"], now_probe) <= PROBE_TOLERANCE


def test_the_probe_moves_when_the_features_are_read_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the fingerprint cannot see, a change in how the text is read, moves the probe past its
    tolerance; the same code gives the same probe."""
    before = probe_probabilities(sentences=False, examples=WRITTEN)
    assert probe_drift(before, probe_probabilities(sentences=False, examples=WRITTEN)) == 0.0
    monkeypatch.setattr(structure, "MARK_REACH_ZH", 4)  # a negation reaches 4 characters, not 30
    assert probe_drift(before, probe_probabilities(sentences=False, examples=WRITTEN)) > PROBE_TOLERANCE


def test_the_fingerprint_changes_with_an_item_a_label_or_a_setting() -> None:
    parts = written_examples_as_splits()
    base = fingerprint(parts, seed=0, c=4.0, sentences=False)
    first = parts[0].items[0]
    relabelled = first.model_copy(update={"labels": [*first.labels, "insult"]})
    changed = [Labelled(parts[0].split, parts[0].file, [relabelled, *parts[0].items[1:]]), *parts[1:]]
    assert fingerprint(changed, seed=0, c=4.0, sentences=False)["items"] != base["items"]
    assert fingerprint(parts[:-1], seed=0, c=4.0, sentences=False)["items"] != base["items"]
    assert fingerprint(parts, seed=0, c=8.0, sentences=False)["settings"] != base["settings"]
    assert fingerprint(parts, seed=0, c=4.0, sentences=False) == base


def test_the_fingerprint_reads_the_evasions_and_cues_not_the_rules() -> None:
    """A rule written otherwise leaves the trained model current; an evasion or a cue does not."""
    spec = validate(
        parse_yaml(RULES_FILE.read_text("utf-8"), "rules.yaml", error=ConductRulesError),
        RulesFile,
        error=ConductRulesError,
    )
    base = feature_rules_digest(rule_book(spec))
    assert base == feature_rules_digest(load_rules())
    first = spec.rules[0]
    faster = spec.model_copy(
        update={"rules": [first.model_copy(update={"zh": ["(?:换了)"]}), *spec.rules[1:]]}
    )
    assert feature_rules_digest(rule_book(faster)) == base
    evasion = spec.evasions[0].model_copy(update={"read": "另一个读法"})
    assert (
        feature_rules_digest(rule_book(spec.model_copy(update={"evasions": [evasion, *spec.evasions[1:]]})))
        != base
    )
    name, patterns = next(iter(spec.cues.items()))
    cue = patterns.model_copy(update={"zh": [*patterns.zh, "新的线索词"]})
    assert feature_rules_digest(rule_book(spec.model_copy(update={"cues": {**spec.cues, name: cue}}))) != base


def test_no_other_split_is_read(tmp_path: Path) -> None:
    for split in TRAINING_SPLITS:
        (tmp_path / split).mkdir()
        shutil.copy(WRITTEN, tmp_path / split / "examples.yaml")
    (tmp_path / "heldout-next").mkdir()  # a held-out part being written: never read
    (tmp_path / "heldout-next" / "broken.yaml").write_text("this: [is not read", "utf-8")
    parts = training_items(tmp_path, None)
    assert [(p.split, p.file) for p in parts] == [
        (split, f"{split}/examples.yaml") for split in TRAINING_SPLITS
    ]


def test_a_threat_is_found_with_its_evidence_and_a_reassurance_is_not() -> None:
    (finding,) = model_findings(THREAT)
    assert (finding.category, finding.rule) == ("reputation", "model.reputation")
    assert THREAT[finding.start : finding.end] == finding.evidence
    assert "海报" in finding.evidence
    strongest = explain(THREAT, "reputation")
    assert strongest and all(c.weight > 0 for c in strongest)
    grams = [c for c in strongest if c.feature.startswith("c:")]
    assert all(c.feature[2:] in finding.evidence for c in grams)
    assert all(c.feature.startswith(("c:", "s:")) for c in strongest)  # n-grams and cues (cues.py)
    assert "s:media" in [c.feature for c in strongest]  # a place to be seen: 海报 (cues.py)
    assert model_findings(REASSURANCE) == ()


def test_the_cues_behind_a_finding_are_named_with_where_they_are() -> None:
    """The mechanism, at a threshold the test sets: leverage through third parties is found by the
    shipped model only above 0.99 (its labels disagree across the corpus' writers: docs/qa.md, Round 4)."""
    text = "Keep ignoring us and I might just have a chat with your manager at the depot about your finances."
    data = load_model().to_dict()
    data["categories"]["third_party_leverage"]["ensemble_threshold"] = 0.5
    data["categories"]["third_party_leverage"]["threshold"] = 0.5
    lowered = ContentModel.from_dict(data)
    (finding,) = model_findings(text, model=lowered)
    assert finding.category == "third_party_leverage"
    assert text[finding.start : finding.end] == finding.evidence and "your manager" in finding.evidence
    named = [c.feature for c in explain(text, "third_party_leverage", model=lowered)]
    # someone of the debtor's (or at their work) and a talk with them, named together as one cue
    assert {"s:rel_yours&tell", "s:rel_work&tell"} & set(named)
    assert model_findings("We will not have a chat with your manager about this.", model=lowered) == ()


def test_the_evidence_is_whole_words_of_the_original_text() -> None:
    text = "You're a worthless deadbeat, pay up"
    (finding,) = model_findings(text)
    assert finding.category == "insult"
    assert "deadbeat" in finding.evidence or "worthless" in finding.evidence  # the strongest n-grams' words
    assert text.index(finding.evidence) in (0, text.index("worthless"), text.index("deadbeat"))
    end = text.index(finding.evidence) + len(finding.evidence)
    assert end == len(text) or not text[end].isalnum()  # whole words


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


def test_the_model_loads_and_judges_with_the_network_off(network_off: None) -> None:
    conduct_model._shipped_model.cache_clear()
    embedding._encoder.cache_clear()
    try:
        assert {f.category for f in model_findings(THREAT)} == {"reputation"}
        if embedding.encoder_version() is not None:
            vectors = embedding.embed(["我们不会联系您的家人", "We will not contact your family"])
            assert vectors.shape == (2, embedding.DIMENSIONS)
            assert float(vectors[0] @ vectors[1]) > 0.5  # the same meaning in two languages
    finally:
        conduct_model._shipped_model.cache_clear()
        embedding._encoder.cache_clear()


@needs_encoder
def test_the_sentence_model_is_used_when_its_encoder_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = ContentModel.from_dict(load_model().to_dict())
    assert shipped.reads_sentences
    calls: list[list[str]] = []
    embed = embedding.embed

    def counted(texts: list[str]) -> object:
        calls.append(list(texts))
        return embed(texts)

    monkeypatch.setattr(embedding, "embed", counted)
    model_findings(THREAT, model=shipped)
    assert len(calls) == 1


def test_without_the_encoder_the_model_reads_its_n_grams_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "encoder_version", lambda: None)
    alone = ContentModel.from_dict(load_model().to_dict())
    assert not alone.reads_sentences

    def never(texts: list[str]) -> object:
        raise AssertionError("the encoder is not installed")

    monkeypatch.setattr(embedding, "embed", never)
    assert "reputation" in {f.category for f in model_findings(THREAT, model=alone)}
    with pytest.raises(EncoderUnavailableError, match=r"arrears\[qa-model\]"):
        require_encoder()


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    data = load_model().to_dict()
    data["format"] = 99
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="format"):
        load_model(path)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The written examples dealt to the training splits; a new held-out part never read."""
    for part in written_examples_as_splits():
        (tmp_path / part.split).mkdir()
        (tmp_path / part.file).write_text(
            json.dumps([i.model_dump(exclude_none=True) for i in part.items], ensure_ascii=False), "utf-8"
        )
    (tmp_path / "heldout-next").mkdir()  # a held-out part being written: never read
    (tmp_path / "heldout-next" / "broken.yaml").write_text("this: [is not read", "utf-8")
    return tmp_path


def test_training_is_deterministic_for_a_seed_and_prints_the_figures(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    command = ["compliance", "train-content-model", str(corpus), "--out", str(out)]
    result = runner.invoke(app, [*command, "--examples", str(tmp_path / "none.yaml"), "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert "rules | n-grams" in result.output and "forbidden_time" in result.output
    printed = " ".join(result.output.split())  # the table's title wraps at the console's width
    assert (
        "dev + heldout + heldout2 + heldout3 + heldout4 + heldout5 + heldout6 + heldout7 + heldout8 + heldout9 + heldout10 → heldout11"
        in printed
        and "grouped 5-fold" in printed
    )
    assert (
        "160 items: dev 14, heldout 14, heldout2 14, heldout3 14, heldout4 13, heldout5 13, heldout6 13, "
        "heldout7 13, heldout8 13, heldout9 13, heldout10 13, heldout11 13" in " ".join(result.output.split())
    )
    written = json.loads(out.read_text("utf-8"))
    about = written.pop("about")
    assert set(about["grouped_cross_validation"]) == {
        "dev + heldout + heldout2 + heldout3 + heldout4 + heldout5 + heldout6 + heldout7 + heldout8 + heldout9 + heldout10 → heldout11",
        "grouped 5-fold",
    }
    again = small_training(0).to_dict()
    again.pop("about")
    assert written == again  # the same corpus and seed, another process: the same model
    assert "probe" not in about  # no written examples given: nothing to probe with


def test_evaluate_content_measures_the_rules_with_the_model(corpus: Path) -> None:
    without = runner.invoke(app, ["compliance", "evaluate-content", str(corpus), "--misses", "200"])
    with_model = runner.invoke(
        app, ["compliance", "evaluate-content", str(corpus), "--with-model", "--misses", "200"]
    )
    assert without.exit_code == 0 and with_model.exit_code == 0, with_model.output
    assert "14 items, 14 judged exactly" in without.output  # the dev split: a twelfth of the examples
    assert "14 items" in with_model.output
    assert "The rules with the model: n-grams" in with_model.output  # which model it used


def test_the_sentence_model_reads_the_embedding_again_said_to_a_third_party() -> None:
    import numpy as np

    from arrears.compliance.conduct.model import sentence_inputs

    embedded = np.ones((2, 4))
    inputs = sentence_inputs(embedded, ["debtor", "family"], ["collector", "system"])
    assert inputs.shape == (2, 4 + 6 + 1 + 4)
    assert not inputs[0, -4:].any() and inputs[1, -4:].all()
