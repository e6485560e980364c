"""Content checks on templates, scripts, collectors' notes and transcripts.

A template or script that breaks a content rule is blocked (it cannot be published); a stored note
or transcript is kept and flagged for review. Required elements are checked on templates: the US
electronic opt-out on e-mail and text templates, the elements of a Chinese collection letter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import TextRequest, canonical_channel
from arrears.compliance.lexicon import CATEGORIES, Lexicon, NormalisedText, load_lexicon
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.i18n import N_, Text

CATEGORY_NAMES = {
    "threat": N_("a threat"),
    "insult": N_("an insult or profanity"),
    "impersonation": N_("impersonation of a court or the police"),
    "false_legal": N_("a false legal consequence"),
    "disclosure": N_("disclosure of the debt to third parties"),
    "public_posting": N_("a public posting"),
    "collection_fee": N_("a collection fee"),
    "new_borrowing": N_("pushing new borrowing"),
}
ELECTRONIC_CHANNELS = frozenset({"email", "sms"})
LETTER_ELEMENT_NAMES = {
    "name": N_("the debtor's name"),
    "balance": N_("the balance"),
    "reason": N_("the reason for the debt"),
    "rights": N_("the debtor's rights"),
    "objection": N_("how to object"),
    "contact": N_("how to contact the bank"),
    "seal": N_("the seal"),
}
LETTER_LIKE_THRESHOLD = 3
"""A letter template naming this many elements is a collection letter and must carry them all.

So is one that asks for payment: a bare "请尽快还款" must not escape by being even less complete."""


def check_text(request: TextRequest, pack: Pack, lexicon: Lexicon | None = None) -> Decision:
    lexicon = lexicon or load_lexicon()
    text = lexicon.normalise(request.text)
    reasons = [
        *_category_reasons(text, pack, lexicon),
        *_party_reasons(request, text, pack, lexicon),
    ]
    if request.purpose == "template":
        reasons.extend(_required_elements(request, text, pack, lexicon))
    reasons = _merge_by_rule(reasons)
    verdict = verdict_of(reasons, flag_as_review=request.purpose not in ("template", "script"))
    return Decision(verdict, tuple(reasons), pack.id, f"{pack.label}; lexicon {lexicon.version}")


def _merge_by_rule(reasons: list[Reason]) -> list[Reason]:
    """One reason per rule id, naming everything the text was flagged for under it."""
    merged: dict[str, Reason] = {}
    for found in reasons:
        first = merged.get(found.rule_id)
        merged[found.rule_id] = found if first is None else _joined(first, found)
    return list(merged.values())


def _joined(first: Reason, other: Reason) -> Reason:
    return replace(first, details=first.details + other.details)


def listed(names: Iterable[str]) -> Text:
    """Names as one list in the reader's language ("a, b, c" or "a、b、c")."""
    texts = [Text.of(name) for name in names]
    combined = texts[0]
    for text in texts[1:]:
        combined = Text.of(N_("{first}, {second}"), first=combined, second=text)
    return combined


def flagged_categories(text: str, lexicon: Lexicon | None = None) -> dict[str, str]:
    """The categories a text falls in, each with the fragment that matched."""
    lexicon = lexicon or load_lexicon()
    normalised = lexicon.normalise(text)
    found = {name: lexicon.categories[name].find(normalised) for name in CATEGORIES}
    return {name: fragment for name, fragment in found.items() if fragment}


def _category_reasons(text: NormalisedText, pack: Pack, lexicon: Lexicon) -> list[Reason]:
    reasons: list[Reason] = []
    for name in CATEGORIES:
        fragment = lexicon.categories[name].find(text)
        if fragment is None:
            continue
        detail = Text.of(
            N_("{category}: “{fragment}”"), category=Text.of(CATEGORY_NAMES[name]), fragment=fragment
        )
        reasons.extend(reason(rule_id, detail) for rule_id in pack.content.get(name, ()))
    return reasons


def _party_reasons(request: TextRequest, text: NormalisedText, pack: Pack, lexicon: Lexicon) -> list[Reason]:
    """A message for anyone but the debtor (or who counts as them) must not mention the debt."""
    policy = pack.party_policy(request.party)
    if policy in ("consumer", "attorney"):
        return []
    fragment = lexicon.debt_terms.find(text)
    if fragment is None:
        return []
    key = {
        "contact_person": "contact_person_debt_mention",
        "location_only": "location_debt_mention",
    }.get(policy, "third_party_debt_mention")
    rule_ids = pack.content.get(key) or pack.content.get("third_party_debt_mention", ())
    return [
        reason(
            rule_id,
            Text.of(
                N_("a text for the {party} mentions the debt: “{fragment}”"),
                party=request.party,
                fragment=fragment,
            ),
        )
        for rule_id in rule_ids
    ]


def _required_elements(
    request: TextRequest, text: NormalisedText, pack: Pack, lexicon: Lexicon
) -> list[Reason]:
    channel = canonical_channel(request.channel or "")
    reasons: list[Reason] = []
    opt_out_rules = pack.content.get("electronic_opt_out", ())
    if channel in ELECTRONIC_CHANNELS and opt_out_rules and lexicon.opt_out.find(text) is None:
        reasons.extend(
            reason(rule_id, Text.of(N_("the {channel} template has no opt-out"), channel=channel))
            for rule_id in opt_out_rules
        )
    letter_rules = pack.content.get("letter_elements", ())
    if channel == "letter" and letter_rules:
        missing = _missing_letter_elements(request, text, lexicon)
        if missing:
            detail = Text.of(
                N_("missing: {elements}"), elements=listed(LETTER_ELEMENT_NAMES[m] for m in missing)
            )
            reasons.extend(reason(rule_id, detail) for rule_id in letter_rules)
    return reasons


def _missing_letter_elements(request: TextRequest, text: NormalisedText, lexicon: Lexicon) -> list[str]:
    present = {name for name, patterns in lexicon.letter_elements.items() if patterns.find(text)}
    missing = [name for name in lexicon.letter_elements if name not in present]
    asks_for_payment = lexicon.collection_demand.find(text) is not None
    is_collection_letter = request.template_kind in ("collection_letter", "demand_letter") or (
        request.template_kind is None and (len(present) >= LETTER_LIKE_THRESHOLD or asks_for_payment)
    )
    return missing if is_collection_letter else []


__all__ = ["Verdict", "check_text", "flagged_categories"]
