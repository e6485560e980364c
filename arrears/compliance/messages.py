"""The rule ids and what each means, as catalogue messages (English source, Chinese in the .po).

The ids are fixed by docs/compliance-scenarios.md; a pack may add ids of its own (UK-*).
"""

from __future__ import annotations

from arrears.compliance.decision import Reason
from arrears.i18n import N_, Text

RULES: dict[str, str] = {
    "CN-TIME-1": N_(
        "no collection contact of any kind between 22:00 and 08:00 debtor-local, unless the debtor agreed"
    ),
    "CN-FREQ-1": N_(
        "at most 3 outbound conversations with one debtor per debtor-local day, bank and agencies together"
    ),
    "CN-FREQ-2": N_("at most 6 unanswered dial attempts to the same number per debtor-local day"),
    "CN-PARTY-1": N_("never collect from a party unrelated to the debt"),
    "CN-PARTY-2": N_(
        "a contact person only when the debtor is unreachable, only to relay a message, "
        "never disclosing the debt"
    ),
    "CN-PARTY-3": N_("a contact person who refused further contact is never contacted again"),
    "CN-CONDUCT-1": N_(
        "no violence, threats, insults, intimidation, impersonation of courts or police, false legal "
        "consequences or spreading of private information"
    ),
    "CN-CONDUCT-2": N_(
        "prohibited acts: public postings, collection fees, pushing new borrowing, "
        "unregistered agency channels"
    ),
    "CN-PI-2": N_("no disclosure of the debt to anyone but the debtor"),
    "CN-DISC-1": N_(
        "a collection letter carries name, balance, reason, rights, how to object, contact and seal"
    ),
    "CN-DISPUTE-1": N_(
        "an open objection holds collection contact until it is verified (15 days by default)"
    ),
    "US-REGF-TIME-1": N_(
        "contact (call, text, e-mail, voicemail) only from 08:00 to before 21:00 consumer-local"
    ),
    "US-REGF-TIME-2": N_("location uncertain: only at a time convenient in every candidate zone"),
    "US-REGF-TIME-3": N_(
        "not at a time or place the consumer said is inconvenient (or at work where the employer forbids)"
    ),
    "US-REGF-7IN7": N_("no more than 7 calls to a person about a debt within 7 consecutive local days"),
    "US-REGF-7AFTERCONV": N_(
        "no call within 7 days after a telephone conversation, the conversation day being day 1"
    ),
    "US-REGF-ATTY": N_("represented by an attorney: contact the attorney only"),
    "US-REGF-CEASE": N_("after a written cease request, only the three closing letters"),
    "US-REGF-MEDIUM": N_("not through a medium the person asked not to be used"),
    "US-REGF-EOPTOUT": N_("every e-mail and text carries a simple opt-out"),
    "US-REGF-3P": N_("no debt talk with third parties (spouse, guardian, executor count as the consumer)"),
    "US-REGF-LOC": N_("a third party for location information only once, never mentioning a debt"),
    "US-REGF-DISPUTE": N_(
        "a written dispute in the validation period holds collection until verification is sent"
    ),
    "US-REGF-FALSE": N_("no false, deceptive or misleading statements (arrest, jail, false lawsuits)"),
    "US-REGF-HARASS": N_("no harassment, abuse, profanity or excessive texting"),
    "UK-TIME-1": N_("contact only within the reasonable hours the firm has set"),
    "UK-PARTY-1": N_("no pursuit or disclosure of the debt to third parties"),
    "UK-CONDUCT-1": N_(
        "no oppressive pressure, threats, misleading statements or impersonation of court officials"
    ),
    "UK-FORBEAR-1": N_(
        "a customer in financial difficulty is treated with forbearance: collection is paused"
    ),
    "UK-DISPUTE-1": N_("a debt disputed on valid grounds: recovery is suspended"),
    "HOLD-DISPUTE": N_("an open dispute holds collection contact"),
    "HOLD-CEASE": N_("the customer asked to stop contact"),
    "HOLD-BANKRUPTCY": N_("bankruptcy holds collection contact"),
    "HOLD-DECEASED": N_("the debtor is deceased"),
    "HOLD-HARDSHIP": N_("a hardship arrangement holds collection contact"),
    "OPT-OUT": N_("the customer opted out of this channel"),
    "NO-COMMON-WINDOW": N_("the candidate zones share no permitted time"),
}


def describe(rule_id: str) -> Text:
    """The standard wording of a rule (its id when the rule is not known)."""
    return Text.of(RULES.get(rule_id, rule_id))


def reason(
    rule_id: str,
    detail: Text | None = None,
    *,
    blocking: bool = True,
    retryable: bool = False,
) -> Reason:
    """A reason for a rule, its standard wording followed by what in the facts triggered it."""
    return Reason(
        rule_id=rule_id,
        rule=describe(rule_id),
        details=() if detail is None else (detail,),
        blocking=blocking,
        retryable=retryable,
    )
