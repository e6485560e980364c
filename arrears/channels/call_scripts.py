"""Call scripts (话术): the approved script a collector reads on a case's call.

A call script is a message template of the channel ``call`` (:mod:`arrears.channels.templates`):
drafted, approved by a compliance officer who is not its author after the content check (as a
script: threats, insults, impersonation, false legal consequences, disclosure …), retired, every
step audited, exactly as a message template; the outbox refuses to queue one
(:mod:`arrears.channels.outbox`). The rules (docs/channels.md, "Call scripts"):

- its code is ``call_script`` (the generic script) or ``call_script.<bucket>`` (a bucket's own:
  the bucket's name in lower case, ``+`` written ``plus``: M1 → ``call_script.m1``, M7+ →
  ``call_script.m7plus``);
- the script of a case is picked for the case's bucket (its worst account's) and a language: the
  reader's, else the customer's, else zh-CN; in the first of these languages that has one, the
  bucket's own approved script, else the generic approved one; none when there is none;
- it is rendered with the case's facts as the reader may see them (the customer's name, the bank's
  name, the amount overdue formatted in the script's language, the postal address masked for a
  role that does not see addresses), through the same sandbox as a message; an approved script
  that does not render for this case (a variable it does not guard) says so instead.

The customer reading their own case (the portal's role) is given none: a script is for the bank's
staff. Reading a script records no look of its own: its way in reads it before the case's audited look
(``case.read``), and a case out of scope is not found, as there. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.permissions import Permission, PersonalField
from arrears.auth.principal import Principal
from arrears.cases import repository as cases
from arrears.cases.scope import case_filter
from arrears.cases.views import CaseNotFoundError
from arrears.channels.models import CALL, SCRIPT_CODE, MessageTemplate, TemplateStatus
from arrears.channels.rendering import FALLBACK_LANGUAGE, LANGUAGES, InvalidTemplateError, render
from arrears.channels.templates import context_for
from arrears.i18n import normalise_language
from arrears.portfolio.models import Customer


@dataclass(frozen=True)
class CallScript:
    """The script a case's call follows, rendered for the case (or why it does not render)."""

    template: MessageTemplate
    bucket: str
    """The case's bucket it was picked for (the template may be the generic one)."""
    language: str
    text: str | None
    """The script with the case's facts; none when it does not render for this case."""
    problem: InvalidTemplateError | None = None
    """Why it does not render (the template's line and the problem; ``.message(language)``)."""


def script_code(bucket: str) -> str:
    """The code of a bucket's own script: ``call_script.m1``, ``call_script.m7plus``."""
    return f"{SCRIPT_CODE}.{bucket.lower().replace('+', 'plus')}"


def languages_for(reader: str | None, customer: str | None) -> list[str]:
    """The languages a script is looked for in, in order: the reader's, the customer's, zh-CN."""
    wanted = [normalise_language(reader or ""), normalise_language(customer or ""), FALLBACK_LANGUAGE]
    return [language for language in dict.fromkeys(wanted) if language in LANGUAGES]


def pick(session: Session, bucket: str, languages: list[str]) -> MessageTemplate | None:
    """The approved script for ``bucket`` in the first of ``languages`` that has one: the bucket's
    own, else the generic one (one query)."""
    codes = (script_code(bucket), SCRIPT_CODE)
    found = session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.channel == CALL,
            MessageTemplate.status == TemplateStatus.APPROVED,
            MessageTemplate.code.in_(codes),
            MessageTemplate.language.in_(languages),
        )
    ).all()
    approved = {(row.code, row.language): row for row in found}
    for language in languages:
        for code in codes:
            if (code, language) in approved:
                return approved[(code, language)]
    return None


def script_for_case(
    session: Session, principal: Principal, case_id: str, *, language: str | None, today: date
) -> CallScript | None:
    """The approved script of the case's call for ``principal`` reading in ``language`` (see the
    module), rendered with the case's facts as they may see them; none when there is none. A case
    out of the reader's scope is not found."""
    principal.require(Permission.CASE_READ)
    case = cases.visible_case(session, case_id, case_filter(principal, today))
    if case is None:
        raise CaseNotFoundError()  # exactly the answer of the case's own read
    if principal.may(Permission.PORTAL_USE):
        return None  # the customer reading their own case: a script is the bank's staff's
    customer = session.get(Customer, case.customer_id)
    assert customer is not None  # a case's customer is a foreign key
    template = pick(session, case.bucket, languages_for(language, customer.language))
    if template is None:
        return None
    context = context_for(session, case, today, full_address=principal.sees(PersonalField.ADDRESS))
    try:
        text = render(template.body, context, template.language)
    except InvalidTemplateError as error:
        return CallScript(template, case.bucket, template.language, None, error)
    return CallScript(template, case.bucket, template.language, text)
