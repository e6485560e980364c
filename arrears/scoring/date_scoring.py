"""Scoring one date: features as of D, the active model, scores, drift (:func:`score_as_of`).

The batch's scorer (arrears.scoring.batch_scorer) calls it with its DuckDB connection (the
inputs of :mod:`arrears.scoring.features` staged) and its session; the batch owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
from sqlalchemy.orm import Session

from arrears.scoring import service
from arrears.scoring.features import compute_features
from arrears.scoring.frame import from_arrow
from arrears.scoring.monitoring import MIN_PER_BIN, Drift, Stability, drift_report
from arrears.scoring.scale import Bands
from arrears.scoring.settings import ScoringSettings


@dataclass(frozen=True)
class NightlyScoring:
    run: service.ScoreRun
    drift: list[Drift]
    warn: float
    """The PSI warning threshold the drift was judged with."""
    needed: int
    """Accounts the batch needs before PSI is judged (see monitoring.judgeable)."""

    def warnings(self) -> list[str]:
        """Lines for the batch summary: every variable whose PSI passed the warning threshold
        and its sampling noise; then how many passed the threshold within the noise, or why
        PSI was not judged at all."""
        if self.run.accounts < self.needed:
            return [
                f"PSI not judged: {self.run.accounts:,} accounts, fewer than {self.needed:,} "
                f"({MIN_PER_BIN} per bin) 样本不足"
            ]
        lines = [
            f"PSI {d.variable} = {d.psi:.3f} ({d.stability})"
            for d in self.drift
            if d.stability != Stability.STABLE
        ]
        noisy = sum(1 for d in self.drift if d.stability == Stability.STABLE and d.psi > self.warn)
        if noisy:
            lines.append(
                f"PSI: {noisy} more over {self.warn:g} within the sampling noise of "
                f"{self.run.accounts:,} accounts 样本噪声内"
            )
        return lines


def score_as_of(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    as_of: date,
    purpose: str,
    settings: ScoringSettings,
    case_of: Mapping[str, str] | None = None,
    cases_only: bool = False,
) -> NightlyScoring:
    """Score every delinquent account of the snapshot at ``as_of`` with the purpose's active model.

    ``cases_only``: score exactly the accounts of ``case_of`` (those of the open cases) instead.
    """
    row, model = service.active_model(session, purpose)
    chosen = pa.table({"account_id": pa.array(list(case_of or {}), pa.string())}) if cases_only else None
    features = compute_features(con, as_of, accounts=chosen)
    frame = from_arrow(features, model.features, model.vocabularies)
    accounts = [str(a) for a in features.column("account_id").to_pylist()]
    cases = [case_of.get(a) for a in accounts] if case_of is not None else None
    run = service.score_accounts(
        session, row, model, frame, accounts, as_of, Bands.parse(settings.bands), cases
    )
    batch = {name: frame.column(name) for name in model.features}
    batch["score"] = model.score(frame).score.astype(float)
    drift = drift_report(model.profile, batch, settings.psi_warn, settings.psi_alert)
    needed = max((MIN_PER_BIN * len(p.shares) for p in model.profile.values()), default=0)
    return NightlyScoring(run, drift, settings.psi_warn, needed)
