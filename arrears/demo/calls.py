"""The demo's call transcripts: sample calls (``calls.yaml``, mostly clean, a few breaking the
conduct rules) attached to the collectors' calls that reached the customer on one day, through
the QA service as the bank's speech-to-text would import them; then that week's sample drawn
for review, so the QA pages (/qa) open on real findings, scores and a review queue."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.compliance.packs import Pack
from arrears.contacts.dispositions import Counts, dispositions
from arrears.contacts.models import Channel, Contact
from arrears.qa import service
from arrears.qa.schemas import TranscriptIn
from arrears.yamlfile import parse_yaml

DEMO = Actor(user_id=None, name="demo:speech-to-text", role="system")
CALLS_A_DAY = 40
"""Transcripts the demo attaches (the sample calls in turn)."""


def sample_calls() -> list[TranscriptIn]:
    text = resources.files("arrears.demo").joinpath("calls.yaml").read_text("utf-8")
    document = parse_yaml(text, "arrears/demo/calls.yaml")
    return [TranscriptIn.model_validate(call) for call in document.data["calls"]]


def attach_transcripts(
    session: Session, day: date, pack: Pack, disposition_file: Path | None, *, now: datetime
) -> int:
    """Transcripts on the day's calls that reached the customer; the week's review sample drawn.
    Answers how many were attached."""
    codes = dispositions(disposition_file)
    reached = [code for code, d in codes.items() if d.counts(Counts.RIGHT_PARTY)]
    contacts = session.scalars(
        select(Contact.id)
        .where(Contact.channel == Channel.CALL, Contact.started_on == day, Contact.disposition.in_(reached))
        .order_by(Contact.id)
        .limit(CALLS_A_DAY)
    ).all()
    calls = sample_calls()
    for number, contact_id in enumerate(contacts):
        spec = calls[number % len(calls)].spec(contact_id, "file")
        service.import_transcript(session, DEMO, spec, visible=true(), pack=pack, now=now)
    if contacts:
        service.draw_sample(session, DEMO, day, 4, visible=true(), seed=day.toordinal(), now=now)
    return len(contacts)
