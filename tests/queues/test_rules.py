"""The queue set document: unknown keys, bad values and misplaced catch-alls are refused with
the line and key; a good document parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.i18n import translate
from arrears.queues.rules import QueueSetFileError, parse_document
from tests.queues.helpers import queue, queue_set

EXAMPLE = Path(__file__).parents[2] / "examples" / "queues.yaml"


def _refusal(text: str) -> str:
    with pytest.raises(QueueSetFileError) as caught:
        parse_document(text, "q.yaml")
    return translate(caught.value.template, "en", **caught.value.params)


def test_the_shipped_example_parses() -> None:
    document = parse_document(EXAMPLE.read_text("utf-8"), str(EXAMPLE))
    assert document.queues[-1].rule.catch_all
    assert [q.code for q in document.queues][:2] == ["holds", "placed"]


def test_unknown_key_is_named_with_its_line() -> None:
    text = queue_set(queue("a", "T", "{bukets: [M1]}"))
    assert _refusal(text) == "q.yaml, line 6: queues[0].rule.bukets is not a known key here; known keys: " + (
        "buckets, dpd, products, balance, currencies, languages, countries, branches, score, "
        "broken_promises, placed, held"
    )


def test_a_catch_all_before_the_last_queue_is_refused() -> None:
    text = queue_set(queue("all", "T"), queue("m1", "T", "{buckets: [M1]}"))
    assert "queue all matches every case: only the last queue may" in _refusal(text)


def test_twice_the_same_code_and_a_reversed_band_are_refused() -> None:
    assert "queue code a appears twice" in _refusal(
        queue_set(queue("a", "T", "{held: true}"), queue("a", "T"))
    )
    assert "min 9 is above max 1" in _refusal(queue_set(queue("a", "T", "{dpd: {min: 9, max: 1}}")))
    assert "currency" in _refusal(queue_set(queue("a", "T", "{balance: {min: 1}}")))
    assert "strategy" in _refusal(queue_set(queue("a", "T", assignment="{strategy: random}")))
