"""Content checks on templates, scripts, collectors' notes and transcripts.

A template or script that breaks a content rule is blocked (it cannot be published); a stored note
or transcript is kept and flagged for review. Required elements are checked on templates: the US
electronic opt-out on e-mail and text templates, the elements of a Chinese collection letter.
"""

from __future__ import annotations

from dataclasses import replace

from arrears.compliance.decision import Decision, Reason, Verdict, verdict_of
from arrears.compliance.facts import TextRequest, canonical_channel
from arrears.compliance.lexicon import CATEGORIES, Lexicon, NormalisedText, load_lexicon
from arrears.compliance.messages import describe, reason
from arrears.compliance.packs import Pack

CATEGORY_NAMES = {
    "threat": ("威胁恐吓", "a threat"),
    "insult": ("侮辱谩骂", "an insult or profanity"),
    "impersonation": ("冒充公检法", "impersonation of a court or the police"),
    "false_legal": ("虚构法律后果", "a false legal consequence"),
    "disclosure": ("向第三方披露债务", "disclosure of the debt to third parties"),
    "public_posting": ("公开张贴曝光", "a public posting"),
    "collection_fee": ("收取催收费用", "a collection fee"),
    "new_borrowing": ("诱导借新还旧", "pushing new borrowing"),
}
ELECTRONIC_CHANNELS = frozenset({"email", "sms"})
LETTER_ELEMENT_NAMES = {
    "name": "姓名/name",
    "balance": "欠款金额/balance",
    "reason": "欠款原因/reason",
    "rights": "权利告知/rights",
    "objection": "异议方式/how to object",
    "contact": "联系方式/contact",
    "seal": "盖章/seal",
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
    standard_zh, standard_en = describe(first.rule_id)
    extra_zh = other.message_zh.removeprefix(standard_zh).lstrip("：")
    extra_en = other.message_en.removeprefix(standard_en).lstrip(": ")
    return replace(
        first, message_zh=f"{first.message_zh}；{extra_zh}", message_en=f"{first.message_en}; {extra_en}"
    )


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
        zh_name, en_name = CATEGORY_NAMES[name]
        for rule_id in pack.content.get(name, ()):
            reasons.append(reason(rule_id, f"{zh_name}：“{fragment}”", f"{en_name}: “{fragment}”"))
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
            f"发给{request.party}的内容提及债务：“{fragment}”",
            f"a text for the {request.party} mentions the debt: “{fragment}”",
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
            reason(rule_id, "缺少退订方式", f"the {channel} template has no opt-out")
            for rule_id in opt_out_rules
        )
    letter_rules = pack.content.get("letter_elements", ())
    if channel == "letter" and letter_rules:
        missing = _missing_letter_elements(request, text, lexicon)
        if missing:
            shown = "、".join(LETTER_ELEMENT_NAMES[m] for m in missing)
            reasons.extend(reason(rule_id, f"缺少：{shown}", f"missing: {shown}") for rule_id in letter_rules)
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
