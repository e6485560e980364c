"""The gate's reasons name a contact point's party in the reader's words, never by its code."""

from arrears.compliance.facts import PARTIES
from arrears.compliance.parties import PARTY_WORDS, party_word
from arrears.contacts.models import Party
from arrears.i18n import N_, Text


def test_every_party_has_its_words_in_both_languages() -> None:
    assert set(PARTIES) | {p.value for p in Party} <= set(PARTY_WORDS)
    for party in PARTY_WORDS:
        said = Text.of(N_("the party is {party}"), party=party_word(party)).render("zh-CN")
        assert party not in said and said.startswith("对象为"), said


def test_an_unknown_party_is_shown_as_it_is() -> None:
    assert party_word("neighbour") == "neighbour"
