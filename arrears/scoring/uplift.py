"""The uplift model: who pays because they are contacted, and who pays (or not) anyway.

A "T-learner": one LightGBM classifier per arm of a randomised experiment (treated: contacted by
a strategy's path; control: not), with the scoring's own boosting settings; a customer's
estimated *gain* is the difference of two predicted chances of paying. With several treated arms
(an experiment with several challengers) there is one classifier for each, and a customer's gain
is that of the arm with the highest chance of paying (its *best arm*): contact pays when some
path makes paying likelier. The simulator's evidence (:mod:`arrears.strategy.simulation.evidence`)
and the model the night scores with are trained here, by the same functions.

Bands (``uplift_band``, a strategy fact), from the gain and the chance of paying without contact
(the control arm's prediction), with thresholds stored with the model:

- ``persuadable``: gain > ``gain_threshold`` (contact helps);
- ``do_not_disturb``: gain < −``gain_threshold`` (contact harms);
- ``sure_thing``: a small gain and a chance of paying without contact ≥ ``sure_threshold``;
- ``lost_cause``: a small gain and a lower chance either way.

With several treated arms priced apart, each arm may have its own threshold (its break-even gain,
``arm_thresholds``): the best arm is then the one whose gain passes its threshold by most, and a
row's band is judged against its best arm's threshold.

Measures kept with a trained model: the Qini coefficient (:func:`qini`) of its ranking on a
held-out part of the randomised customers (any treated arm against the control, ranked by the
gain; and each treated arm's own, its customers and the control's ranked by that arm's gain), and
per arm the calibration of the arm's classifier, out of fold on the training part (expected
calibration error and Brier score, :mod:`arrears.scoring.metrics`); the held-out gain the model
predicts against the gain the arms show (:func:`gain_seen`); and each arm's boosting rounds,
chosen by early stopping unless given (:func:`_arm_model`). Every arm's classifier starts from
the same prior (:class:`ArmModels`).

Kept in the artifact beside the two classifiers: how the training sample was distributed
(:func:`profile_of`, a :class:`arrears.scoring.monitoring.Profile` per feature and one of the
predicted gain), which the night's scored cases are compared with (PSI,
:mod:`arrears.strategy.uplift_drift`), as a scoring model's profile is. An artifact stored before
the profile was kept loads without it (``profile`` None: its drift is not judged).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.i18n import N_

if TYPE_CHECKING:
    from arrears.scoring.monitoring import Profile

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Outcome = npt.NDArray[np.int8]
Codes = npt.NDArray[np.int8]
"""A band as its index in :data:`BANDS`; −1: none."""
Arms = npt.NDArray[np.int16]
"""Each customer's treated arm, its index in the arms' names; −1: the control."""

PURPOSE = "uplift_contact"
"""The registry's purpose of the model the night scores with."""
KIND = "uplift"
ARTIFACT_FORMAT = 1
"""Format 1; its optional ``profile`` is read when there, and left alone by code that predates it."""
FEATURES = ("dpd", "overdue", "score", "age", "product", "english")
"""The facts the model reads, as a strategy reads them on a night (protected ones left out)."""
CATEGORICAL = frozenset({"product", "english"})
"""The features profiled by category (the others by the training sample's deciles)."""
GAIN = "gain"
"""The predicted gain's name in the profile (beside the features')."""
BANDS = ("persuadable", "sure_thing", "lost_cause", "do_not_disturb")
GAIN_THRESHOLD = 0.05
"""A gain above this (5 points of the chance of paying) makes a customer persuadable; below its
negative, one not to disturb."""
SURE_THRESHOLD = 0.5
"""With a small gain, a chance of paying without contact at or above this is a sure thing."""
HELD_OUT = 0.3
FOLDS = 3
MOST_ROUNDS = 2000
"""Rounds chosen by early stopping (``rounds`` None) stop here at the latest."""
PATIENCE = 50
"""Early stopping: the rounds without a lower log loss on the arm's stopping fifth before it stops."""
STOPPING_SHARE = 0.2
"""The share of an arm's customers its rounds are chosen on (then boosted on all of them)."""


def products_of(facts: pa.Table) -> tuple[str, ...]:
    """The products in the facts, sorted: the model's categories (stored with it)."""
    return tuple(sorted(set(facts["product"].to_pylist()) - {None}))


def features(
    facts: pa.Table,
    as_of: date | pa.Array,
    products: tuple[str, ...],
    protected: frozenset[str] = frozenset(),
) -> tuple[Floats, tuple[str, ...]]:
    """The model's inputs from a night's facts, one row per case in their order (a missing score
    or birth date, or a product the model has not seen, is NaN: LightGBM's missing value).
    ``as_of``: the night, or each row's own day (an experiment's members, on the day they entered)."""
    day = pa.scalar(as_of, pa.date32()) if isinstance(as_of, date) else as_of
    born = _floats(pc.days_between(facts["birth_date"], day))
    code = pc.index_in(facts["product"], value_set=pa.array(products, pa.string()))
    columns = {
        "dpd": _floats(facts["dpd"]),
        "overdue": _floats(facts["overdue"]),
        "score": _floats(facts["score"]),
        "age": born / 365.25,
        "product": _floats(code),
        "english": _floats(pc.equal(facts["language"], "en")),
    }
    names = tuple(name for name in FEATURES if name not in protected)
    return np.column_stack([columns[name] for name in names]), names


def _floats(column: pa.Array | pa.ChunkedArray) -> Floats:
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def arms_of(metrics: Mapping[str, Any] | None) -> tuple[str, ...]:
    """A stored version's treated arms, from its metrics (one, named ``treated``, in a version
    stored before the arms were kept)."""
    return tuple(((metrics or {}).get("arms") or {}).get("treated") or ("treated",))


def band_names(codes: Codes) -> pa.Array:
    """The bands' names (NULL where the code is −1)."""
    indices = pa.array(codes, pa.int8(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(BANDS)).dictionary_decode()


@dataclass(frozen=True)
class ArmModels:
    """One classifier per arm: the control's and each treated arm's, by the arm's name. Every
    one starts from the same log-odds (``prior``, of all the arms' customers paying, added to
    each one's raw score): boosting stops short of the data by the rounds it is given, and
    classifiers that each started from their own arm's rate would stop short towards different
    rates, a difference that reads as gain where no arm helps. 0: a model stored before (each
    classifier started from its own arm's rate, inside its trees)."""

    control: Any
    treated: tuple[tuple[str, Any], ...]
    prior: float = 0.0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.treated)

    def predict(self, x: Floats) -> Floats:
        """The estimated gain: the best arm's chance of paying less the control arm's."""
        gain, _ = self.arms(x)
        return gain

    def arms(self, x: Floats) -> tuple[Floats, Floats]:
        """The gain and the chance of paying without contact, for every row at once."""
        gain, without, _ = self.best(x)
        return gain, without

    def best(self, x: Floats, thresholds: Floats | None = None) -> tuple[Floats, Floats, Arms]:
        """The gain, the chance without contact and the best arm (its index), for every row. The
        best arm has the highest chance of paying; with each arm's own persuadable threshold
        (``thresholds``, its break-even gain), the highest gain beyond its threshold: the arm
        whose contact pays most, a cheap reminder before a dear call that adds a little more."""
        without = self.without(x)
        chances = self.chances(x)
        best = np.argmax(chances if thresholds is None else chances - thresholds, axis=1).astype(np.int16)
        gain: Floats = chances[np.arange(len(without)), best] - without
        return gain, without, best

    def without(self, x: Floats) -> Floats:
        """The chance of paying without contact (the control arm's classifier)."""
        return chance(self.control, x, self.prior)

    def chances(self, x: Floats) -> Floats:
        """Each treated arm's chance of paying (rows × arms)."""
        return np.column_stack([chance(model, x, self.prior) for _, model in self.treated])

    def stored(self) -> dict[str, Any]:
        return {
            "arms": [[name, model.model_to_string()] for name, model in self.treated],
            "control": self.control.model_to_string(),
            "prior": self.prior,
        }

    @classmethod
    def loaded(cls, document: Mapping[str, Any]) -> ArmModels:
        import lightgbm as lgb

        arms = document.get("arms") or [["treated", document["treated"]]]  # stored before several arms
        return cls(
            lgb.Booster(model_str=document["control"]),
            tuple((str(name), lgb.Booster(model_str=text)) for name, text in arms),
            float(document.get("prior", 0.0)),
        )


def chance(model: Any, x: Floats, prior: float) -> Floats:
    """A classifier's chance of paying: its raw score from the log-odds it started from."""
    found: Floats = 1.0 / (1.0 + np.exp(-(model.predict(x, raw_score=True) + prior)))
    return found


def arm_models(
    x: Floats,
    arm: Arms,
    outcome: Outcome,
    names: tuple[str, ...],
    arms: tuple[str, ...],
    rounds: int | None,
    seed: int,
) -> ArmModels:
    """One LightGBM classifier per arm (the "T-learner"); the scoring's own boosting settings,
    every one started from the same log-odds (:class:`ArmModels`). ``rounds`` None: each arm's
    chosen by early stopping (:func:`_arm_model`)."""
    control, prior = arm < 0, log_odds(outcome)
    return ArmModels(
        _arm_model(x[control], outcome[control], names, rounds, seed, prior),
        tuple(
            (name, _arm_model(x[arm == k], outcome[arm == k], names, rounds, seed, prior))
            for k, name in enumerate(arms)
        ),
        prior,
    )


def log_odds(outcome: Outcome) -> float:
    """The log-odds of paying among all the customers given (at least one paid and one not)."""
    rate = float(outcome.mean())
    return float(np.log(rate / (1.0 - rate)))


def two_models(
    x: Floats, treated: Flags, outcome: Outcome, names: tuple[str, ...], rounds: int, seed: int
) -> ArmModels:
    """:func:`arm_models` for one treated arm (named ``treated``)."""
    return arm_models(
        x, np.where(treated, 0, -1).astype(np.int16), outcome, names, ("treated",), rounds, seed
    )


def _arm_model(
    x: Floats, outcome: Outcome, names: tuple[str, ...], rounds: int | None, seed: int, prior: float
) -> Any:
    """An arm's classifier, boosted ``rounds`` times; None: as many times as lowered the log loss
    on a random fifth of the arm's customers boosted on the rest (stopped after
    :data:`PATIENCE` rounds without, at most :data:`MOST_ROUNDS`), then boosted on all of them."""
    import lightgbm as lgb

    from arrears.scoring.boosting import DEFAULT_PARAMETERS

    parameters = DEFAULT_PARAMETERS | {"seed": seed, "boost_from_average": False}
    categorical: list[int] | Literal["auto"] = [names.index("product")] if "product" in names else "auto"

    def dataset(rows: Flags) -> Any:
        return lgb.Dataset(
            x[rows],
            label=outcome[rows],
            feature_name=list(names),
            categorical_feature=categorical,
            init_score=np.full(int(rows.sum()), prior),
        )

    everyone = np.ones(len(outcome), np.bool_)
    if rounds is None:
        stopping = np.random.default_rng([seed, 0x5709]).random(len(outcome)) < STOPPING_SHARE
        if any(len(np.unique(outcome[part])) < 2 for part in (stopping, ~stopping)):
            raise ValueError(N_("an arm is too small to choose its rounds on a fifth of it: give --rounds"))
        trial = lgb.train(
            parameters | {"metric": "binary_logloss"},
            dataset(~stopping),
            num_boost_round=MOST_ROUNDS,
            valid_sets=[dataset(stopping)],
            callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
        )
        rounds = max(int(trial.best_iteration), 1)
    return lgb.train(parameters, dataset(everyone), num_boost_round=rounds)


def qini(predicted: Floats, treated: Flags, outcome: Outcome) -> float:
    """The Qini coefficient from a randomised sample (Radcliffe 2007): customers ranked by
    predicted uplift; at each cut, the treated's successes less the control's scaled to as many
    customers, ``Q(k) = Y_t(k) − Y_c(k) · N_t(k) / N_c(k)``; the area between that curve and the
    straight line of a random ranking, over the number of customers (so 0 is random), normalised
    by the total incremental gain ``Q(n)`` when it is not zero."""
    order = np.argsort(-predicted, kind="stable")
    t, y = treated[order], outcome[order].astype(np.float64)
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * ~t)
    curve = y_t - y_c * np.divide(n_t, n_c, out=np.zeros(len(t)), where=n_c > 0)
    return _area_over_random(curve)


def qini_of_truth(predicted: Floats, effect: npt.NDArray[np.int64]) -> float:
    """The Qini coefficient with the truth known: customers ranked by ``predicted``; the curve is
    the cumulative true effect (treated minus untreated outcome) of the customers so far."""
    order = np.argsort(-predicted, kind="stable")
    return _area_over_random(np.cumsum(effect[order].astype(np.float64)))


def _area_over_random(curve: Floats) -> float:
    n = len(curve)
    total = curve[-1]
    random_line = total * np.arange(1, n + 1) / n
    area = float(np.sum(curve - random_line)) / n
    return area / abs(total) if total else area


def profile_of(x: Floats, names: tuple[str, ...], gain: Floats) -> dict[str, Profile]:
    """How a sample was distributed: each feature (its deciles, or its categories) and the
    predicted gain; what the night's cases are compared with."""
    from arrears.scoring.monitoring import Profile  # the scoring extra (SciPy)

    profile = {name: Profile.fit(x[:, i], name in CATEGORICAL) for i, name in enumerate(names)}
    profile[GAIN] = Profile.fit(gain, categorical=False)
    return profile


@dataclass(frozen=True)
class Scored:
    """The rows scored: each one's gain and band, and the features they were scored on (what the
    night's drift is judged on, without scoring them again)."""

    gain: Floats
    codes: Codes
    x: Floats
    names: tuple[str, ...]
    best: Arms | None = None
    """Each row's best arm (its index in the model's arms)."""

    def columns(self) -> dict[str, Floats]:
        """Each feature's column and the gain, by the names of the model's profile."""
        found = {name: self.x[:, i] for i, name in enumerate(self.names)}
        found[GAIN] = self.gain
        return found


@dataclass(frozen=True)
class UpliftModel:
    """What a model version of an uplift purpose stores, and what the night scores with."""

    models: ArmModels
    features: tuple[str, ...]
    products: tuple[str, ...]
    gain_threshold: float = GAIN_THRESHOLD
    sure_threshold: float = SURE_THRESHOLD
    kind: str = KIND
    profile: dict[str, Profile] | None = None
    """The training sample's distribution (:func:`profile_of`); None in an artifact stored
    before it was kept."""
    arm_thresholds: tuple[float, ...] | None = None
    """Each treated arm's own persuadable threshold (its break-even gain, its cost being its
    own), in the order of the arms; None: ``gain_threshold`` for every arm (and in an artifact
    stored before arms had their own)."""

    def score(self, facts: pa.Table, as_of: date) -> tuple[Floats, Codes]:
        """Every case's estimated gain and band (its index in :data:`BANDS`), set-based: one
        prediction per arm over all the rows."""
        found = self.scored(facts, as_of)
        return found.gain, found.codes

    def scored(self, facts: pa.Table, as_of: date) -> Scored:
        """:meth:`score` with the features the rows were scored on."""
        if facts.num_rows == 0:
            empty = np.zeros((0, len(self.features)))
            return Scored(np.zeros(0), np.zeros(0, np.int8), empty, self.features, np.zeros(0, np.int16))
        x, names = features(facts, as_of, self.products, frozenset(FEATURES) - set(self.features))
        gain, without, best = self.best(x)
        return Scored(gain, self.band_codes(gain, without, best), x, names, best)

    def best(self, x: Floats) -> tuple[Floats, Floats, Arms]:
        """:meth:`ArmModels.best` with the model's thresholds: each arm's own when it has them."""
        own = None if self.arm_thresholds is None else np.asarray(self.arm_thresholds, np.float64)
        return self.models.best(x, own)

    def arm_names(self, best: Arms) -> pa.Array:
        """The arms' names (NULL where ``best`` is −1)."""
        indices = pa.array(best, pa.int16(), mask=best < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(self.models.names)).dictionary_decode()

    def band_codes(self, gain: Floats, without: Floats, best: Arms | None = None) -> Codes:
        """Each row's band from its gain against its best arm's threshold (``best``: the rows'
        best arms, needed when the arms have thresholds of their own)."""
        threshold: Floats | float = self.gain_threshold
        if self.arm_thresholds is not None:
            assert best is not None, "the arms have their own thresholds: the rows' best arms are needed"
            threshold = np.asarray(self.arm_thresholds, np.float64)[best]
        band = np.where(without >= self.sure_threshold, 1, 2)
        band = np.where(gain > threshold, 0, band)
        return np.where(gain < -threshold, 3, band).astype(np.int8)

    def thresholds(self) -> dict[str, Any]:
        found: dict[str, Any] = {"gain": self.gain_threshold, "sure": self.sure_threshold}
        if self.arm_thresholds is not None:
            found["arms"] = dict(zip(self.models.names, self.arm_thresholds, strict=True))
        return found

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "format": ARTIFACT_FORMAT,
            "kind": self.kind,
            "features": list(self.features),
            "products": list(self.products),
            "thresholds": self.thresholds(),
        }
        document |= self.models.stored()
        if self.profile is not None:
            document["profile"] = {name: p.to_dict() for name, p in self.profile.items()}
        return gzip.compress(json.dumps(document).encode(), mtime=0)

    @classmethod
    def from_bytes(cls, artifact: bytes) -> UpliftModel:
        from arrears.scoring.monitoring import Profile

        document = json.loads(gzip.decompress(artifact))
        if document.get("format") != ARTIFACT_FORMAT or document.get("kind") != KIND:
            raise ValueError("not an uplift model artifact of a supported format")
        profile = document.get("profile")
        models = ArmModels.loaded(document)
        own = document["thresholds"].get("arms")
        return cls(
            models,
            tuple(document["features"]),
            tuple(document["products"]),
            float(document["thresholds"]["gain"]),
            float(document["thresholds"]["sure"]),
            profile=None if profile is None else {k: Profile.from_dict(v) for k, v in profile.items()},
            arm_thresholds=None if own is None else tuple(float(own[name]) for name in models.names),
        )


@dataclass(frozen=True)
class Randomised:
    """Customers randomised into treated arms and a control arm, with each one's outcome (and,
    from the simulator, each one's true effect)."""

    x: Floats
    names: tuple[str, ...]
    products: tuple[str, ...]
    treated: Flags
    outcome: Outcome
    truth: npt.NDArray[np.int64] | None = None
    collected: npt.NDArray[np.int64] | None = None
    """Each customer's amount collected within the horizon, in minor units of ``currency``
    (the persuadable threshold's break-even, :mod:`arrears.strategy.uplift`); None: unknown."""
    currency: str | None = None
    cost: npt.NDArray[np.int64] | None = None
    """What each customer's arm cost within the horizon, minor units of ``currency``, at its
    strategy's price per action (``--cost-from-arms``); None: not priced."""
    arm: Arms | None = None
    """Each treated customer's arm (its index in ``arms``), −1 for the control; None: one treated
    arm (``treated`` says who)."""
    arms: tuple[str, ...] = ("treated",)
    """The treated arms' names."""
    control: str = "control"
    """The control arm's name."""

    def arm_of(self) -> Arms:
        return self.arm if self.arm is not None else np.where(self.treated, 0, -1).astype(np.int16)


def train(
    data: Randomised,
    rounds: int | None,
    seed: int,
    gain_threshold: float = GAIN_THRESHOLD,
    sure_threshold: float = SURE_THRESHOLD,
    arm_thresholds: Mapping[str, float] | None = None,
) -> tuple[UpliftModel, dict[str, Any]]:
    """The model, fitted on a random 70% of the customers, and its measures (see the module).
    ``arm_thresholds``: each treated arm's own persuadable threshold, by name (all of them)."""
    rng = np.random.default_rng([seed, 0x0F7])
    held = rng.random(len(data.outcome)) < HELD_OUT
    fit = ~held
    arm = data.arm_of()
    _check_arms(arm[fit], data.outcome[fit], len(data.arms))
    models = arm_models(data.x[fit], arm[fit], data.outcome[fit], data.names, data.arms, rounds, seed)
    own = None if arm_thresholds is None else tuple(float(arm_thresholds[name]) for name in data.arms)
    model = UpliftModel(models, data.names, data.products, gain_threshold, sure_threshold, arm_thresholds=own)
    profile = profile_of(data.x[fit], data.names, model.best(data.x[fit])[0])
    model = replace(model, profile=profile)
    gain, without, best = model.best(data.x[held])
    band = model.band_codes(gain, without, best)
    codes, counts = np.unique(band, return_counts=True)
    metrics: dict[str, Any] = {
        "customers": len(data.outcome),
        "trained_on": int(fit.sum()),
        "held_out": int(held.sum()),
        "treated_share": float(data.treated.mean()),
        "arms": {"treated": list(data.arms), "control": data.control},
        "qini_held_out": qini(gain, arm[held] >= 0, data.outcome[held]),
        "qini_by_arm": _qini_by_arm(models, data.x[held], arm[held], data.outcome[held], without),
        "held_out_bands": {BANDS[code]: int(c) for code, c in zip(codes, counts, strict=True)},
        "gain_seen": {
            "all": gain_seen(gain, best, arm[held], data.outcome[held]),
            BANDS[0]: gain_seen(*(a[band == 0] for a in (gain, best, arm[held], data.outcome[held]))),
        },
        "thresholds": model.thresholds(),
        "profile": {"rows": int(fit.sum()), "variables": list(profile)},
        "calibration": _out_of_fold(data, fit, rounds, seed),
        "rounds": _rounds_of(models, data.control),
        "rounds_chosen": rounds is None,
    }
    if data.truth is not None:
        truth = data.truth[held]
        metrics["qini_truth"] = qini_of_truth(gain, truth)
        metrics["qini_truth_best"] = qini_of_truth(truth.astype(np.float64), truth)
        metrics["true_effect"] = float(data.truth.mean())
    return model, metrics


def gain_seen(gain: Floats, best: Arms, arm: Arms, outcome: Outcome) -> dict[str, Any]:
    """The mean gain the model predicts for some customers against the gain their randomisation
    shows: among the customers whose best arm is k, the paying rate of those who were in arm k
    less that of those in the control, weighted by how many have k as their best arm (strata
    with no customer in one of the two are left out), with its 95% confidence interval (normal
    approximation over the strata). ``seen`` None: no stratum has both."""
    found: dict[str, Any] = {"customers": len(gain), "predicted": float(gain.mean()) if len(gain) else None}
    differences, variances, weights = [], [], []
    for k in np.unique(best):
        stratum = best == k
        took, left = outcome[stratum & (arm == k)], outcome[stratum & (arm < 0)]
        if len(took) and len(left):
            p1, p0 = took.mean(), left.mean()
            differences.append(p1 - p0)
            variances.append(p1 * (1 - p1) / len(took) + p0 * (1 - p0) / len(left))
            weights.append(stratum.sum())
    if not weights:
        return found | {"seen": None, "low": None, "high": None}
    w = np.array(weights, np.float64) / sum(weights)
    seen = float(w @ np.array(differences))
    half_width = NormalDist().inv_cdf(0.975) * float(np.sqrt(w**2 @ np.array(variances)))
    return found | {"seen": seen, "low": seen - half_width, "high": seen + half_width}


def _qini_by_arm(
    models: ArmModels, x: Floats, arm: Arms, outcome: Outcome, without: Floats
) -> dict[str, float]:
    """Each treated arm's Qini: its customers and the control's, ranked by that arm's own gain."""
    chances = models.chances(x)
    found = {}
    for k, name in enumerate(models.names):
        rows = (arm == k) | (arm < 0)
        found[name] = qini(chances[rows, k] - without[rows], arm[rows] == k, outcome[rows])
    return found


def _check_arms(arm: Arms, outcome: Outcome, arms: int) -> None:
    for k in (-1, *range(arms)):
        inside = arm == k
        if inside.sum() < 2 * FOLDS or len(np.unique(outcome[inside])) < 2:
            raise ValueError(N_("each arm needs customers who paid and who did not"))


def _rounds_of(models: ArmModels, control: str) -> dict[str, int]:
    """Each arm's boosting rounds (the treated arms by name, then the control)."""
    found = {name: int(model.current_iteration()) for name, model in models.treated}
    return found | {control: int(models.control.current_iteration())}


def _out_of_fold(data: Randomised, fit: Flags, rounds: int | None, seed: int) -> dict[str, dict[str, Any]]:
    """Each arm's classifier judged on the rows it was not fitted on (``FOLDS`` folds): its AUC,
    Brier score, calibration error and reliability table, as a scoring model's are kept (the
    treated arms first, by name, then the control)."""
    from arrears.scoring.metrics import measure  # the scoring extra
    from arrears.scoring.report import figures_record

    x, outcome, arms, names = data.x[fit], data.outcome[fit], data.arm_of()[fit], data.names
    prior = log_odds(outcome)
    fold = np.random.default_rng([seed, 0xF01D]).integers(0, FOLDS, len(outcome))
    found = {}
    for arm_name, k in (*((name, k) for k, name in enumerate(data.arms)), (data.control, -1)):
        arm = arms == k
        predicted = np.zeros(int(arm.sum()))
        rows, arm_fold, arm_outcome = x[arm], fold[arm], outcome[arm]
        for part in range(FOLDS):
            out = arm_fold == part
            if out.any():
                model = _arm_model(rows[~out], arm_outcome[~out], names, rounds, seed, prior)
                predicted[out] = chance(model, rows[out], prior)
        figures = figures_record(measure(predicted, arm_outcome), reliability=True)
        found[arm_name] = {"customers": figures["accounts"], **figures}
    return found
