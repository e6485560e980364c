import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from arrears.scoring.binning import fit_categorical, fit_numeric
from arrears.scoring.evaluation import cross_validate
from arrears.scoring.reasons import reasons_for, top_indexes
from arrears.scoring.scale import Bands, ScoreScale
from arrears.scoring.trained_model import TrainedModel, learner_for, train
from tests.scoring.synthetic import portfolio, quick_boosting


def test_woe_of_two_bins_matches_the_formula() -> None:
    # value 1: 8 of 10 pay, value 2: 2 of 10 pay; WOE = ln(((p+.5)/(P+.5)) / ((o+.5)/(O+.5)))
    values = np.array([1.0] * 10 + [2.0] * 10)
    outcome = np.array([1] * 8 + [0] * 2 + [1] * 2 + [0] * 8, dtype=np.int8)
    binning = fit_numeric("x", values, outcome, min_share=0.05, max_bins=8)
    assert binning.edges == (2.0,)
    assert binning.woe[0] == pytest.approx(np.log((8.5 / 10.5) / (2.5 / 10.5)))
    assert binning.woe[1] == pytest.approx(np.log((2.5 / 10.5) / (8.5 / 10.5)))
    assert binning.woe[2] == 0.0  # no missing value in training: neutral
    assert binning.labels == ("< 2", "≥ 2", "missing")
    assert list(binning.assign(np.array([-5.0, 1.99, 2.0, np.nan]))) == [0, 0, 1, 2]


def test_fine_bins_merge_until_each_holds_its_minimum_share() -> None:
    values = np.arange(1000, dtype=float)
    outcome = (np.arange(1000) % 3 != 0).astype(np.int8)
    binning = fit_numeric("x", values, outcome, min_share=0.2, max_bins=8)
    assert 1 <= len(binning.edges) <= 4
    assert min(binning.counts[:-1]) >= 200
    assert sum(binning.counts) == 1000


def test_small_categories_merge_with_their_nearest_neighbour() -> None:
    codes = np.array([0.0] * 50 + [1.0] * 48 + [2.0] * 2)
    outcome = np.array([1] * 40 + [0] * 10 + [1] * 10 + [0] * 38 + [1, 1], dtype=np.int8)
    binning = fit_categorical("c", codes, outcome, ("a", "b", "c"), min_share=0.05)
    assert binning.groups == ((1,), (0, 2))
    assert binning.labels == ("b", "a, c", "missing")
    assert list(binning.assign(np.array([2.0, 1.0, 7.0, np.nan]))) == [1, 0, 2, 2]


def test_scorecard_score_is_the_sum_of_its_points_and_shortfalls_explain_it() -> None:
    table, outcome = portfolio(3000)
    model = train(learner_for("scorecard"), table, outcome)
    rows = model.fitted.rows()  # type: ignore[attr-defined]
    assert {r["feature"] for r in rows} >= {"months_delinquent_6m", "pay_ratio_6m"}
    scored = model.score(table)
    shortfall = model.contributions(table)
    best_total = sum(max(p) for p in model.fitted.points)  # type: ignore[attr-defined]
    assert np.array_equal(scored.score, (best_total + shortfall.sum(axis=1)).astype(np.int64))
    assert shortfall.max() == 0.0
    points = {r["feature"]: [x["points"] for x in rows if x["feature"] == r["feature"]] for r in rows}
    assert points["months_delinquent_6m"][0] > points["months_delinquent_6m"][-1]


@pytest.mark.parametrize("kind", ["boosting", "scorecard"])
def test_models_learn_the_signal_and_calibrate_on_held_out_rows(kind: str) -> None:
    table, outcome = portfolio(2500)
    learner = quick_boosting() if kind == "boosting" else learner_for(kind)
    evaluation = cross_validate(learner, table, outcome, folds=3)
    assert evaluation.overall.auc > 0.72
    base_rate = outcome.mean()
    assert evaluation.overall.brier < base_rate * (1 - base_rate)
    for row in evaluation.overall.calibration:
        assert abs(row.predicted - row.realised) < 0.1


def test_boosting_reasons_are_its_own_contributions() -> None:
    table, outcome = portfolio(2000)
    model = train(quick_boosting(), table, outcome)
    contributions = model.fitted.contributions(table)
    bias = np.asarray(model.fitted.booster.predict(table.values, pred_contrib=True))[:, -1]  # type: ignore[attr-defined]
    assert np.allclose(contributions.sum(axis=1) + bias, model.fitted.margin(table))
    reasons = reasons_for(table, contributions, model.features, count=2)
    row = int(np.argmax(table.column("months_delinquent_6m")))
    assert len(reasons[row]) == 2
    assert abs(reasons[row][0].effect) >= abs(reasons[row][1].effect)
    assert {r.feature for r in reasons[row]} <= set(model.features)
    assert isinstance(table.display_value(0, "product"), str)


@pytest.mark.parametrize("kind", ["boosting", "scorecard"])
def test_a_model_survives_its_artifact(kind: str) -> None:
    table, outcome = portfolio(1500)
    learner = quick_boosting(30) if kind == "boosting" else learner_for(kind)
    model = train(learner, table, outcome, calibration="isotonic")
    again = TrainedModel.from_bytes(model.to_bytes())
    assert again.features == model.features
    assert np.array_equal(again.score(table).score, model.score(table).score)
    assert np.allclose(again.score(table).probability, model.score(table).probability)
    assert np.allclose(again.contributions(table), model.contributions(table))
    assert set(again.profile) == {*model.features, "score"}
    assert model.to_bytes() == again.to_bytes()


def test_score_scale_and_bands() -> None:
    scale = ScoreScale(base_score=600, base_odds=1, points_to_double_odds=20)
    assert list(scale.score(np.array([0.5, 2 / 3, 0.8]))) == [600, 620, 640]
    bands = Bands.parse("A:680, B:640, C:600, D:560, E:0")
    assert list(bands.assign(np.array([700, 680, 679, 600, 559, -20]))) == ["A", "A", "B", "C", "E", "E"]
    with pytest.raises(ValueError, match="best first"):
        Bands.parse("A:600,B:640")
    with pytest.raises(ValueError, match="name:lowest"):
        Bands.parse("A=600")


@pytest.mark.parametrize("kind", ["boosting", "scorecard"])
def test_explain_gives_the_scores_and_contributions_of_the_separate_calls(kind: str) -> None:
    table, outcome = portfolio(1500)
    model = train(quick_boosting(30) if kind == "boosting" else learner_for(kind), table, outcome)
    scored, contributions = model.explain(table)
    assert np.array_equal(scored.score, model.score(table).score)
    assert np.allclose(scored.probability, model.score(table).probability)
    assert np.allclose(contributions, model.contributions(table))


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 8)),
        elements=st.sampled_from([0.0, -1.0, 1.0, 2.5, -2.5, 0.25]),
    ),
    st.integers(1, 5),
)
def test_top_indexes_are_the_first_columns_of_a_stable_sort_by_size(values: np.ndarray, count: int) -> None:
    expected = np.argsort(-np.abs(values), axis=1, kind="stable")[:, : min(count, values.shape[1])]
    assert np.array_equal(top_indexes(values, count), expected)
