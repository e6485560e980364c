"""The sample feeds: examples/feeds imports clean; examples/feeds-bad shows every rejection reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlalchemy import Engine

from arrears.portfolio.feeds import KINDS
from arrears.portfolio.reasons import REASONS
from tests.portfolio.feedkit import counts, rejects, run_import

EXAMPLES = Path(__file__).parents[2] / "examples"


def _reason_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\d\}", template)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


def test_the_bad_examples_show_every_rejection_reason(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feeds-bad"
    shutil.copytree(EXAMPLES / "feeds-bad", feed)
    outcomes = run_import(engine, feed, rejects_dir=tmp_path / "rejects")
    assert all(o.exit_code == 3 for o in outcomes)
    reasons = [line["reason"] for o in outcomes for line in rejects(o)]
    shown = {
        code
        for code, english in REASONS.items()
        if any(_reason_pattern(english).fullmatch(reason) for reason in reasons)
    }
    assert shown == set(REASONS)
    assert counts(engine)["customers"] == 2 and counts(engine)["payments"] == 3


def test_the_sample_portfolio_imports_without_a_reject(engine: Engine, tmp_path: Path) -> None:
    feed = tmp_path / "feeds"
    shutil.copytree(EXAMPLES / "feeds", feed)
    outcomes = run_import(engine, feed)
    assert [o.kind for o in outcomes] == list(KINDS)  # the contract's order
    assert all(o.exit_code == 0 and o.stored == o.rows_read > 0 for o in outcomes), outcomes
