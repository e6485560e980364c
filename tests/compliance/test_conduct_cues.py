"""Cues (cues.py): classes of words read with the structure the rules use, and pairs of them, as
the trained model's inputs beside its n-grams."""

from __future__ import annotations

from arrears.compliance.conduct.cues import PREFIX, cue_features, find_cues, is_cue
from arrears.compliance.conduct.model import features, read_text


def names(text: str) -> set[str]:
    return {name for name, _, _ in cue_features(read_text(text).text)}


def test_a_condition_a_relation_and_a_contact_make_pairs_in_either_script() -> None:
    for text in (
        "再不还钱，我就打给你老板",
        "再不還錢，我就打給你老闆",
        "If you don't pay, I'll call your boss.",
    ):
        found = names(text)
        assert {"s:condition", "s:tell", "s:rel_work", "s:rel_yours"} <= found, text
        assert {"s:condition&tell", "s:rel_work&tell", "s:rel_yours&tell"} <= found, text


def test_a_negated_or_reported_cue_is_read_as_such_and_makes_no_pair() -> None:
    assert {"s:tell~neg", "s:rel_yours~neg"} <= names("We will not contact your manager.")
    assert "s:rel_yours&tell" not in names("We will not contact your manager.")
    reported = names("客户说要去告诉他老婆")
    assert {"s:tell~rep", "s:rel_family~rep"} <= reported
    assert not any("&" in name for name in reported)


def test_pairs_reach_the_next_sentence_only() -> None:
    near = names("Your kids walk home at three. We know the route.")
    assert "s:rel_family&whereabouts" in near
    far = names("Your kids are lovely. The weather is fine. Nice day. We know the route.")
    assert "s:rel_family&whereabouts" not in far


def test_every_cue_keeps_its_span_in_the_normalised_text() -> None:
    text = read_text("你老婆每天几点下班，走哪条路，我们都清楚").text
    for name, start, end in cue_features(text):
        assert name.startswith(PREFIX) and 0 <= start < end <= len(text)
    for cue in find_cues(text):
        assert text[cue.start : cue.end]


def test_the_model_reads_cues_and_marks_them_said_to_a_third_party() -> None:
    said = features("她欠我们三万块，你让她快点还", "family", "collector")
    assert "s:debt" in said and "3p|s:debt" in said and is_cue("3p|s:debt")
    assert "3p|s:debt" not in features("你欠我们三万块，快点还", "debtor", "collector")
