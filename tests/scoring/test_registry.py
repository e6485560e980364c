import math
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pytest

from arrears import i18n
from arrears.scoring import registry as registry_module
from arrears.scoring.frame import from_arrow
from arrears.scoring.reasons import Reason, phrase, phrases, reasons_for
from arrears.scoring.registry import Feature, FeatureRegistry, Kind, Unit, default_registry
from arrears.scoring.trained_model import train
from tests.scoring.synthetic import quick_boosting


def test_every_built_in_feature_reads_in_both_languages() -> None:
    registry = default_registry()
    assert len(registry.names()) >= 20
    for feature in registry:
        for language in ("zh-CN", "en"):
            text = feature.say("auto_loan" if feature.kind is Kind.CATEGORICAL else 2.0, language)
            assert text and "{" not in text


@pytest.mark.parametrize(
    ("name", "value", "zh", "en"),
    [
        ("pay_ratio_6m", 0.8, "近6个月还款为应还额的80%", "paid 80% of dues in the last 6 months"),
        ("months_delinquent_6m", 3.0, "近6个月中3个月逾期", "delinquent in 3 of the last 6 months"),
        ("days_since_last_payment", 45.0, "最近一次还款在45天前", "last payment 45 days ago"),
        ("days_since_last_payment", None, "无还款记录", "no payment on record"),
        ("worst_bucket_6m", 9.0, "近6个月最高账龄M7+", "worst delinquency in 6 months: M7+"),
        ("repayment_status_now", -1.0, "最近一期全额还款", "last statement: paid in full"),
        ("repayment_status_now", 2.0, "最近一期逾期2个月", "last statement: 2 months late"),
        ("product", "auto_loan", "产品：auto_loan", "product: auto_loan"),
    ],
)
def test_phrases_in_chinese_and_english(name: str, value: float | str | None, zh: str, en: str) -> None:
    feature = default_registry()[name]
    assert feature.say(value, "zh-CN") == zh
    assert feature.say(value, "en") == en


def test_reason_phrase_carries_the_direction_of_its_effect() -> None:
    down = Reason("months_delinquent_6m", 3.0, -0.7)
    up = Reason("pay_ratio_6m", 0.8, 0.4)
    assert phrases([down, up], "en") == [
        "▼ delinquent in 3 of the last 6 months",
        "▲ paid 80% of dues in the last 6 months",
    ]
    assert phrase(up, "zh-CN") == "▲ 近6个月还款为应还额的80%"


def with_translations(monkeypatch: pytest.MonkeyPatch, zh: dict[str, str]) -> None:
    """The catalogue as a later context leaves it once `make messages` has run and its Chinese is in."""
    known = i18n.catalogue

    def catalogue(language: str) -> Mapping[str, str]:
        return {**known(language), **zh} if language == "zh-CN" else known(language)

    monkeypatch.setattr(i18n, "catalogue", catalogue)
    monkeypatch.setattr(registry_module, "catalogue", catalogue)


def test_a_feature_the_catalogue_cannot_say_in_both_languages_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    untranslated = Feature("x", Kind.NUMERIC, Unit.COUNT, "g", "x", "x {value}")
    with pytest.raises(ValueError, match="zh-CN"):
        FeatureRegistry().register(untranslated)
    with_translations(monkeypatch, {"x": "x", "x {value}": "x {value}"})
    assert FeatureRegistry([untranslated]).get("x") == untranslated


def test_every_built_in_feature_text_is_a_catalogue_message() -> None:
    translated = i18n.catalogue("zh-CN")
    for feature in default_registry():
        assert all(translated.get(text) for text in feature.texts()), feature.name


def test_registering_the_same_name_differently_is_refused() -> None:
    registry = FeatureRegistry()
    first = Feature("x", Kind.NUMERIC, Unit.COUNT, "g", "credit limit", "credit limit {value}")
    registry.register(first)
    registry.register(first)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Feature("x", Kind.NUMERIC, Unit.DAYS, "g", "credit limit", "credit limit {value}"))


def test_a_new_feature_slots_in_without_model_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A contact-history feature, declared only in the registry, is trained on and explained."""
    with_translations(
        monkeypatch,
        {
            "promises broken in 90 days": "近90天违约承诺次数",
            "{value} promises broken in 90 days": "近90天{value}次承诺未兑现",
        },
    )
    registry = FeatureRegistry(default_registry())
    registry.register(
        Feature(
            name="promises_broken_90d",
            kind=Kind.NUMERIC,
            unit=Unit.COUNT,
            group="contact",
            description="promises broken in 90 days",
            phrase="{value} promises broken in 90 days",
        )
    )
    rng = np.random.default_rng(3)
    broken = rng.integers(0, 5, 2000).astype(float)
    ratio = rng.random(2000)
    outcome = (rng.random(2000) < 1 / (1 + np.exp(-(1.5 - 1.2 * broken + ratio)))).astype(np.int8)
    table = from_arrow(
        pa.table({"promises_broken_90d": broken, "pay_ratio_6m": ratio}),
        ["promises_broken_90d", "pay_ratio_6m"],
    )
    model = train(quick_boosting(), table, outcome)
    worst = int(np.argmax(broken))
    reasons = reasons_for(
        table.take(np.array([worst])), model.contributions(table.take(np.array([worst]))), model.features
    )
    assert reasons[0][0].feature == "promises_broken_90d"
    assert reasons[0][0].effect < 0
    assert phrases(reasons[0][:1], "en", registry) == ["▼ 4 promises broken in 90 days"]
    assert phrases(reasons[0][:1], "zh-CN", registry) == ["▼ 近90天4次承诺未兑现"]


def test_a_column_unknown_to_the_registry_still_reads() -> None:
    assert phrase(Reason("EXT_SOURCE_2", 0.25, -1.0), "en") == "▼ EXT_SOURCE_2 = 0.25"
    assert phrase(Reason("currency", None, -1.0), "zh-CN") == "▼ currency: 无"  # a column name, not a message
    assert math.isclose(Reason.from_dict(Reason("a", 1.0, -0.123456).to_dict()).effect, -0.1235)
