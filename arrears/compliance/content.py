"""Content checks on templates, scripts, collectors' notes and transcripts.

A template or script that breaks a content rule is blocked (it cannot be published); a stored note
or transcript is kept and flagged for review. Required elements are checked on templates: the US
electronic opt-out on e-mail and text templates, the elements of a Chinese collection letter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from arrears.compliance.conduct import Finding, check_conduct, load_rules
from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import TextRequest, canonical_channel
from arrears.compliance.lexicon import Lexicon, NormalisedText, load_lexicon
from arrears.compliance.messages import reason
from arrears.compliance.packs import Pack
from arrears.i18n import N_, Text

CATEGORY_NAMES = {
    "threat": N_("a threat"),
    "reputation": N_("a threat to the debtor's reputation"),
    "third_party_leverage": N_("telling family, employer or colleagues as leverage"),
    "disclosure": N_("disclosure of the debt to third parties"),
    "impersonation": N_("impersonation of a court, the police or an official"),
    "false_legal": N_("a false legal consequence"),
    "insult": N_("an insult or profanity"),
    "new_borrowing": N_("pushing new borrowing"),
    "false_fee_deadline": N_("a false fee or deadline"),
    "forbidden_time": N_("contact at a forbidden time"),
}
PARTY_RULES = frozenset({"disclosure.debt_to_third_party"})
"""Rules that only speak to the party a text is for: raised under the pack's party rules."""
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
    """The conduct checker's findings (conduct/) as the pack's rules, and a template's required
    elements (the lexicon)."""
    lexicon = lexicon or load_lexicon()
    party_policy = pack.party_policy(request.party)
    speaks_to = "debtor" if party_policy in ("consumer", "attorney") else "third_party"
    checked = check_conduct(request.text, party=speaks_to)
    reasons = [
        *_category_reasons(checked.findings, pack),
        *_party_reasons(request, checked.findings, pack, party_policy),
    ]
    if request.purpose == "template":
        reasons.extend(_required_elements(request, lexicon.normalise(request.text), pack, lexicon))
    reasons = _merge_by_rule(reasons)
    verdict = verdict_of(reasons, flag_as_review=request.purpose not in ("template", "script"))
    rules_version = load_rules().version
    return Decision(
        verdict, tuple(reasons), pack.id, f"{pack.label}; conduct {rules_version}; lexicon {lexicon.version}"
    )


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


def flagged_categories(text: str, party: str = "debtor", speaker: str = "collector") -> dict[str, str]:
    """The categories a text falls in, each with the evidence of its first finding."""
    found: dict[str, str] = {}
    for finding in check_conduct(text, party=party, speaker=speaker).findings:
        found.setdefault(finding.category, finding.evidence)
    return found


def _category_reasons(findings: Iterable[Finding], pack: Pack) -> list[Reason]:
    reasons: list[Reason] = []
    for finding in findings:
        if finding.rule in PARTY_RULES:
            continue
        detail = Text.of(
            N_("{category}: “{fragment}”"),
            category=Text.of(CATEGORY_NAMES[finding.category]),
            fragment=finding.evidence,
        )
        rule_ids = pack.content.get(finding.pack_key) or pack.content.get(finding.category, ())
        reasons.extend(reason(rule_id, detail) for rule_id in rule_ids)
    return reasons


def _party_reasons(
    request: TextRequest, findings: Iterable[Finding], pack: Pack, policy: str
) -> list[Reason]:
    """A message for anyone but the debtor (or who counts as them) must not mention the debt."""
    fragment = next((f.evidence for f in findings if f.rule in PARTY_RULES), None)
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
