from pathlib import Path

import pytest

from arrears.delinquency.rules import (
    Bucket,
    DelinquencyRules,
    RulesError,
    load_rules,
    roll_between,
)
from arrears.errors import InvalidFileError

RULES = DelinquencyRules()


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4"),
        (120, "M4"),
        (121, "M5"),
        (150, "M5"),
        (151, "M6"),
        (180, "M6"),
        (181, "M7+"),
        (5000, "M7+"),
    ],
)
def test_default_bucket_table_edges(dpd: int, bucket: str) -> None:
    assert RULES.bucket_for(dpd).name == bucket


@pytest.mark.parametrize(
    ("before", "after", "roll"),
    [
        (None, "M0", "new"),
        (None, "M3", "new"),
        ("M0", "M0", "same"),
        ("M2", "M2", "same"),
        ("M0", "M1", "forward"),
        ("M1", "M3", "forward"),
        ("M3", "M1", "back"),
        ("M3", "M0", "cured"),
        ("M1", "M0", "cured"),
    ],
)
def test_roll_classes(before: str | None, after: str, roll: str) -> None:
    assert roll_between(before, after, RULES) == roll


@pytest.mark.parametrize(
    "buckets",
    [
        (),
        (Bucket("M0", 1, 1), Bucket("M1", 2, None)),
        (Bucket("M0", 0, 0), Bucket("M1", 2, None)),
        (Bucket("M0", 0, 0), Bucket("M1", 1, 30)),
        (Bucket("M0", 0, None), Bucket("M1", 1, None)),
        (Bucket("M 0", 0, None),),
    ],
)
def test_bucket_tables_that_cannot_classify_every_dpd_are_refused(buckets: tuple[Bucket, ...]) -> None:
    with pytest.raises(RulesError):
        DelinquencyRules(buckets)


def test_thresholds_are_per_currency_and_default_to_zero() -> None:
    rules = DelinquencyRules(materiality={"JPY": 100})
    assert rules.threshold("JPY") == 100
    assert rules.threshold("CNY") == 0
    with pytest.raises(RulesError):
        DelinquencyRules(materiality={"JPY": -1})


def test_rules_load_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "buckets:\n  - {name: C, low: 0, high: 0}\n  - {name: X1, low: 1, high: 29}\n  - {name: X2, low: 30}\n"
        "materiality: {JPY: 50}\ndefault_materiality: 5\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.names == ("C", "X1", "X2")
    assert rules.bucket_for(30).name == "X2"
    assert rules.threshold("JPY") == 50
    assert rules.threshold("EUR") == 5


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "buckets:\n  - {name: M0, low: 0, high: 0}\n  - {name: M1, low: 1, hihg: 30}\n",
            3,
            "buckets[1].hihg is not a known key here; known keys: name, low, high",
        ),
        (
            "buckets:\n  - {name: M0, low: 0, high: 0}\n  - {name: M1, low: 1}\n  - default_materiality: 5\n",
            4,
            "buckets[2].default_materiality is not a known key here",
        ),
        ("materiality: {JPY: '100'}\n", 1, "materiality.JPY '100' should be a whole number"),
        (
            "bukets: []\n",
            1,
            "bukets is not a known key here; known keys: buckets, materiality, default_materiality",
        ),
        (
            "buckets:\n  - {name: M0, low: 0, high: 0}\n  - {name: M1, low: 2}\n",
            1,
            "buckets: bucket M1 starts at 2, expected 1",
        ),
        ("materiality: {ABC: 5}\n", 1, "materiality: 'ABC' is not an ISO 4217 currency code"),
        ("buckets: [\n", 2, "not valid YAML"),
    ],
)
def test_a_bad_rules_file_is_refused_with_its_line_and_key(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert f"rules.yaml, line {line}" in refused.value.message("en")
    assert message in refused.value.message("en")
    assert f"第 {line} 行" in refused.value.message("zh-CN")
    assert isinstance(refused.value, InvalidFileError) and isinstance(refused.value, ValueError)


def test_an_empty_rules_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(RulesError, match="the file is empty"):
        load_rules(path)
