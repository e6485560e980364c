"""``arrears outbox print-batch --date D``: the letters the outbox sent that day, gathered for the
print vendor: one PDF per letter (the same bytes as the letter the provider wrote) and the
manifest; a letter sent another day is not in it; made once (a second run says it exists,
``--again`` makes it anew), each batch audited."""

from __future__ import annotations

import csv
import hashlib
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from arrears.audit.models import AuditEntry
from arrears.channels.letters import MANIFEST, MANIFEST_COLUMNS
from arrears.channels.providers.letters import LetterProvider
from arrears.channels.worker import work
from arrears.cli import app
from arrears.clock import FixedClock
from arrears.config import get_settings
from arrears.db import transaction
from tests.channels.helpers import NOW, seed, settings_for
from tests.channels.test_letter_outbox import queue_letter, with_address

runner = CliRunner()
DAY = date(2026, 11, 21)


@pytest.fixture
def outbox(command_line_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "outbox"
    monkeypatch.setenv("ARREARS_OUTBOX_DIR", str(folder))
    get_settings.cache_clear()
    return folder


def run(*args: str) -> Result:
    return runner.invoke(
        app, ["outbox", "print-batch", *args], env={"COLUMNS": "200", "ARREARS_LANGUAGE": "en"}
    )


def send_letters(engine: Engine, outbox: Path, keys: list[str], day: date) -> None:
    for n, key in enumerate(keys):
        customer_id, _email = seed(engine, prefix=f"{key[:3].upper()}{n}")[0]
        with_address(engine, customer_id, f"北京市朝阳区建国路{n + 1}号")
        queue_letter(engine, customer_id, key)
    provider = LetterProvider(outbox, lambda: day)
    clock = FixedClock(NOW + timedelta(days=(day - DAY).days))
    work(engine, {"letter": provider}, clock, once=True, settings=settings_for(engine), rng=random.Random(2))


def test_the_batch_of_a_day_gathers_its_letters_once(command_line_database: Engine, outbox: Path) -> None:
    engine = command_line_database
    send_letters(engine, outbox, ["day-a", "day-b"], DAY)
    send_letters(engine, outbox, ["next-c"], DAY + timedelta(days=1))

    made = run("--date", "2026-11-21")
    assert made.exit_code == 0, made.output
    folder = outbox / "print" / "2026-11-21"
    with (folder / MANIFEST).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("day-a", "王小明", "北京市朝阳区建国路1号", "1", "day-a.pdf"),
        ("day-b", "王小明", "北京市朝阳区建国路2号", "1", "day-b.pdf"),
    ]
    for row in rows[1:]:
        sent = (outbox / "letters" / "2026-11-21" / row[5]).read_bytes()
        assert (folder / row[5]).read_bytes() == sent
        assert row[4] == hashlib.sha256(sent).hexdigest()

    again = run("--date", "2026-11-21")
    assert again.exit_code != 0 and "exists already" in again.output
    assert run("--date", "2026-11-21", "--again").exit_code == 0
    other = run("--date", "2026-11-22", "--out", str(outbox / "vendor"))
    assert other.exit_code == 0, other.output
    assert sorted(p.name for p in (outbox / "vendor").iterdir()) == [MANIFEST, "next-c.pdf"]
    assert run("--date", "2026-11-23").exit_code != 0  # no letter that day
    with transaction(engine) as session:
        audited = list(
            session.scalars(
                select(AuditEntry.object_id)
                .where(AuditEntry.action == "letters.print_batch")
                .order_by(AuditEntry.seq)
            )
        )
    assert audited == ["2026-11-21", "2026-11-21", "2026-11-22"]
