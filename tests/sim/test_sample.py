"""The committed sample portfolio (examples/feeds) is what ``arrears sim portfolio --sample`` writes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import app
from arrears.sim.writer import KINDS
from tests.sim.reference import bucket, delinquency, read_feed

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "feeds"
AS_OF = date(2026, 11, 21)


def test_the_sample_is_reproduced_byte_for_byte_by_its_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sim", "portfolio", "--sample", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stdout
    for kind in KINDS:
        assert (tmp_path / f"{kind}.csv").read_bytes() == (SAMPLE / f"{kind}.csv").read_bytes(), kind


def test_the_sample_is_small() -> None:
    assert sum((SAMPLE / f"{kind}.csv").stat().st_size for kind in KINDS) < 2 * 2**20


def test_the_sample_has_every_bucket_reversals_and_both_kinds_of_names() -> None:
    feed = read_feed(SAMPLE)
    assert len(feed["customers"]) == 300
    buckets = {bucket(state.dpd) for state in delinquency(feed, AS_OF).values()}
    assert buckets == {"M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"}
    assert sum(1 for p in feed["payments"] if p["reverses"]) >= 3
    names = [c["name"] for c in feed["customers"]]
    assert any(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+", n) for n in names)
    assert max(date.fromisoformat(p["paid_on"]) for p in feed["payments"]) <= AS_OF
    assert min(date.fromisoformat(a["opened_on"]) for a in feed["accounts"]) >= date(2024, 10, 1)
