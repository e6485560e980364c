"""The uplift model watched for drift, as the scoring models are (:mod:`arrears.scoring.monitoring`).

At training, the model keeps how its training sample was distributed: a profile of each feature
and of the predicted gain (:func:`arrears.scoring.uplift.profile_of`, in its artifact). Each night
that scores the uplift model (a strategy reads ``uplift_band``), the cases it scored — the rows
:func:`arrears.strategy.facts.score_uplift` predicted, with the features they were predicted on,
not scored again — are set against that profile: PSI per variable with the noise floor of the two
sample sizes, judged with the scoring's thresholds (``ARREARS_SCORING_PSI_WARN`` and ``_ALERT``).
The report is kept with the night's strategy run (``strategy_runs.counts``, a few hundred bytes),
said in the night's note when a variable warns or alerts, and shown on the model's registry page
(:func:`latest`). Not judged, and said so: a model stored before the profile was kept, or fewer
scored cases than the noise floor's approximation needs (``MIN_PER_BIN`` a bin).

The compared population is the cases the night scored: those a segment reading the band could
take. A model trained on every bucket and read by an M1 segment sees M1 cases only, and its DPD
drifts by construction; that is worth knowing (the model is used where it was not trained) and
the page and the note say which variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal, check_permission
from arrears.i18n import N_
from arrears.scoring.uplift import PURPOSE
from arrears.strategy.document import StrategyDocument
from arrears.strategy.facts import UpliftScoring, read_scored_facts
from arrears.strategy.models import StrategyRun

if TYPE_CHECKING:
    from arrears.scoring.settings import ScoringSettings

KEY = "uplift_drift"
"""Its key in ``strategy_runs.counts``."""
NO_PROFILE = "no_profile"
FEW_CASES = "few_cases"
STABILITY = {"stable": N_("stable"), "warn": N_("warn"), "alert": N_("alert")}
"""How each judgement is named on the registry page."""
VARIABLES = {
    "dpd": N_("days past due"),
    "overdue": N_("overdue amount"),
    "score": N_("score"),
    "age": N_("age"),
    "product": N_("product"),
    "english": N_("English-speaking"),
    "gain": N_("predicted gain from contact"),
}
"""The model's variables (arrears.scoring.uplift.FEATURES, and its gain) in words on the page."""


@dataclass(frozen=True)
class Variable:
    name: str
    psi: float
    noise: float
    """The PSI chance alone reaches with these sample sizes (at or below it: stable)."""
    stability: str


@dataclass(frozen=True)
class UpliftDrift:
    """One night's drift of the uplift model: the cases it scored against its training sample."""

    version: int
    cases: int
    needed: int
    """Cases the noise floor's approximation needs (``MIN_PER_BIN`` a bin of the widest profile)."""
    variables: tuple[Variable, ...]
    """Worst first; empty when not judged."""
    reason: str | None
    """Why not judged (:data:`NO_PROFILE`, :data:`FEW_CASES`); None when judged."""
    warn: float
    alert: float

    def flagged(self) -> list[Variable]:
        return [v for v in self.variables if v.stability != "stable"]

    def note(self) -> str:
        """For the night's note: the variables that warn or alert, or why nothing was judged;
        empty when every variable is stable."""
        model = f"{PURPOSE} v{self.version}"
        if self.reason == NO_PROFILE:
            return (
                f"uplift drift not judged 增益模型漂移未判断: {model} was stored without its training "
                "profile (train it again to watch it)"
            )
        if self.reason == FEW_CASES:
            from arrears.scoring.monitoring import MIN_PER_BIN

            return (
                f"uplift drift not judged 增益模型漂移未判断: {self.cases:,} cases scored, fewer than "
                f"{self.needed:,} ({MIN_PER_BIN} per bin) 样本不足"
            )
        flagged = self.flagged()
        if not flagged:
            return ""
        shown = ", ".join(f"PSI {v.name} = {v.psi:.3f} ({v.stability})" for v in flagged)
        return f"uplift drift 增益模型漂移 ({model}, {self.cases:,} cases): {shown}"

    def to_json(self) -> dict[str, Any]:
        """As the strategy run keeps it (small: a line a variable)."""
        return {
            "purpose": PURPOSE,
            "version": self.version,
            "cases": self.cases,
            "needed": self.needed,
            "reason": self.reason,
            "warn": self.warn,
            "alert": self.alert,
            "variables": [
                {"name": v.name, "psi": round(v.psi, 4), "noise": round(v.noise, 4), "stability": v.stability}
                for v in self.variables
            ],
        }


def judge(scoring: UpliftScoring, settings: ScoringSettings | None = None) -> UpliftDrift:
    """The scored cases against the model's training profile: PSI with the noise floor, with the
    scoring's thresholds (``settings``, default the bank's). Set-based: a few NumPy passes per
    variable over the scored rows."""
    from arrears.scoring.monitoring import MIN_PER_BIN, drift_report  # the scoring extra
    from arrears.scoring.settings import get_scoring_settings

    found = settings or get_scoring_settings()
    profile = scoring.model.profile
    cases = len(scoring.scored.gain)

    def drift(needed: int, variables: tuple[Variable, ...], reason: str | None) -> UpliftDrift:
        return UpliftDrift(scoring.version, cases, needed, variables, reason, found.psi_warn, found.psi_alert)

    if profile is None:
        return drift(0, (), NO_PROFILE)
    needed = max((MIN_PER_BIN * len(p.shares) for p in profile.values()), default=0)
    if cases < needed:
        return drift(needed, (), FEW_CASES)
    report = drift_report(profile, scoring.scored.columns(), found.psi_warn, found.psi_alert)
    return drift(needed, tuple(Variable(d.variable, d.psi, d.noise, str(d.stability)) for d in report), None)


def watched_case_facts(
    connection: Connection, as_of: date, document: StrategyDocument
) -> tuple[pa.Table, UpliftDrift | None]:
    """The night's facts (:func:`arrears.strategy.facts.read_case_facts`) and the uplift model's
    drift on the cases it scored (None when it scored none)."""
    facts, scoring = read_scored_facts(connection, as_of, document)
    return facts, None if scoring is None else judge(scoring)


def night_note(drift: UpliftDrift | None) -> str:
    """What the night's note adds (``; …``), or nothing."""
    said = "" if drift is None else drift.note()
    return f"; {said}" if said else ""


def run_counts(drift: UpliftDrift | None) -> dict[str, Any]:
    """What the strategy run's counts keep of it."""
    return {} if drift is None else {KEY: drift.to_json()}


@dataclass(frozen=True)
class NightDrift:
    as_of: date
    drift: dict[str, Any]
    """As :meth:`UpliftDrift.to_json` kept it."""


def nights(session: Session, who: Principal | Actor, version: int, limit: int) -> list[NightDrift]:
    """The drift of this version of the uplift model on each night that scored with it, the latest
    first, ``limit`` nights at most (for the registry's readers: ``model.read``)."""
    check_permission(who, Permission.MODEL_READ)
    kept = StrategyRun.counts[(KEY, "version")].as_integer()
    rows = session.execute(
        select(StrategyRun.as_of, StrategyRun.counts)
        .where(kept == version)
        .order_by(StrategyRun.as_of.desc())
        .limit(limit)
    )
    return [NightDrift(row.as_of, row.counts[KEY]) for row in rows]
