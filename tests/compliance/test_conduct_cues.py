"""Cues (cues.py): classes of words read with the structure the rules use, and pairs of them, as
the trained model's inputs beside its n-grams."""

from __future__ import annotations

from arrears.compliance.conduct.cues import PAIR_REACH, PREFIX, cue_features, find_cues, is_cue
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


def test_what_is_spoken_of_is_read_as_classes_of_words_in_either_script() -> None:
    assert {"s:media", "s:post", "s:media&post"} <= names("再不还我就把你照片发到你们业主群")
    assert {"s:media", "s:post"} <= names("We'll post your name on our defaulters page.")
    assert {"s:kin_role", "s:urge", "s:debt"} <= names("他欠我们三万多，您当妈的得好好说说他")
    assert "s:entitled" in names("As guarantor on your nephew's loan you're liable for the missed payments.")
    assert "s:crime~neg" in names("欠信用卡是民事纠纷，不会坐牢")


def test_a_negation_reaches_the_rest_of_its_clause_and_a_denial_after_counts() -> None:
    assert "s:borrow~neg" in names("我们不会要求您找亲戚朋友借钱")  # ten characters after 不会
    assert "s:crime~neg" in names("坐牢是不会的")
    assert "s:borrow" in names("没钱就去找亲戚朋友借")  # no negation over the borrowing


def test_the_model_reads_its_n_grams_negated_or_reported_as_other_features() -> None:
    said = features("我们不会联系您的家人", "debtor", "collector")
    assert "n|c:家人" in said and "c:家人" not in said
    reported = features("客户说要去告诉他老婆", "debtor", "collector")
    assert "r|c:老婆" in reported
    assert "c:家人" in features("我们会联系您的家人", "debtor", "collector")


def _every_pair(text: str) -> set[str]:
    """The pairs as defined: two plain cues of different kinds at most PAIR_REACH sentences apart."""
    plain = [c for c in find_cues(text) if not c.how]
    return {
        f"{PREFIX}{'&'.join(sorted((a.name, b.name)))}"
        for i, a in enumerate(plain)
        for b in plain[i + 1 :]
        if b.name != a.name and b.sentence - a.sentence <= PAIR_REACH
    }


def test_a_long_unbroken_note_makes_a_pair_per_cue_and_kind_not_one_per_two_cues() -> None:
    """A note with no sentence mark is one sentence: pairing each cue with every later one made
    64,000 characters take minutes (benchmarks/bench_conduct_long.py --unpunctuated)."""
    text = read_text("再不还钱我们就打给你老板 " * 150).text
    cues = [c for c in find_cues(text) if not c.how]
    kinds = {c.name for c in cues}
    pairs = [name for name, _, _ in cue_features(text) if "&" in name]
    assert len(cues) >= 300 and len(kinds) >= 3
    assert len(pairs) <= len(cues) * (len(kinds) - 1)
    assert set(pairs) == _every_pair(text)


def test_the_pairs_are_those_of_every_two_cues_near_each_other() -> None:
    for text in (
        "Your kids walk home at three. We know the route. If you don't pay, I'll call your boss.",
        "再不还钱，我就打给你老板，你老婆每天几点下班，走哪条路，我们都清楚。我们不会联系您的家人",
        "再不还我就把你照片发到你们业主群，告诉你老板，告诉你老婆，告诉你老板",
    ):
        normalised = read_text(text).text
        assert {name for name, _, _ in cue_features(normalised) if "&" in name} == _every_pair(normalised)
