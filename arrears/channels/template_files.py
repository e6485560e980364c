"""Templates kept as files (``examples/templates/``): a folder loaded as drafts, and approved by a
named person (``arrears templates load DIR --approve-as USER``).

The rules:

- a file is ``<code>.<channel>.<language>.txt`` (a call script: ``call_script.m1.call.en.txt``,
  the code may hold dots); its text is the body, after an optional header
  between two ``---`` lines (YAML: ``subject``, ``late_policy``, ``valid_hours``, ``settings``
  — for an SMS template the provider's ``template_code`` and its ``param.<name>`` templates; an
  unknown key or a wrong value names the file and the line);
- a file whose template is already approved with the same text and settings is left as it is (a
  second load drafts nothing); any other is drafted as the system, then, given an approver,
  approved by that person through the same service as the API: their role must allow it and the
  content check applies. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit.trail import Actor
from arrears.auth.models import User
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.auth.service import principal_of
from arrears.channels import template_repository as repository
from arrears.channels import templates
from arrears.channels.rendering import MAX_TEMPLATE
from arrears.compliance.packs import Pack
from arrears.errors import InvalidInputError, NotFoundError
from arrears.i18n import N_
from arrears.yamlfile import FileModel, YamlFileError, parse_yaml, validate

FILE_NAME = re.compile(
    r"(?P<code>[a-z0-9_.-]{1,64})\.(?P<channel>sms|email|letter|call)\.(?P<language>zh-CN|en)\.txt"
)
HEADER = re.compile(r"\A---\n(?P<header>.*?)\n---\n", re.DOTALL)


class TemplateFileError(YamlFileError):
    code = "invalid_template_file"
    default_message = N_("The template file cannot be used")


class UserNotFoundError(NotFoundError):
    code = "not_found"
    default_message = N_("No active user {username}")


class TemplateHeader(FileModel):
    subject: str | None = Field(default=None, max_length=500)
    late_policy: Literal["wait", "expire"] = "wait"
    valid_hours: int | None = Field(default=None, ge=1, le=24 * 30)
    settings: dict[str, str] = Field(
        default_factory=dict, description="per channel: an SMS provider's template_code, param.<name> …"
    )


@dataclass(frozen=True)
class Loaded:
    file: str
    template_id: int
    status: str
    """unchanged, draft or approved."""


def read_template(path: Path) -> templates.TemplateDraft:
    """The draft a template file holds, or an error naming the file (and the header's line)."""
    named = FILE_NAME.fullmatch(path.name)
    if named is None:
        raise InvalidInputError(
            N_("{file}: a template file is named <code>.<sms|email|letter|call>.<zh-CN|en>.txt"),
            file=path.name,
        )
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            N_("{file} cannot be read as UTF-8 text: {problem}"), file=str(path), problem=str(error)
        ) from None
    if len(text) > MAX_TEMPLATE:
        raise InvalidInputError(
            N_("{file}: a template has at most {maximum} characters"), file=str(path), maximum=MAX_TEMPLATE
        )
    header = TemplateHeader()
    found = HEADER.match(text)
    if found is not None:
        document = parse_yaml("\n" + found["header"], str(path), error=TemplateFileError)  # line 1 is ---
        header = validate(document, TemplateHeader, error=TemplateFileError)
        text = text[found.end() :]
    return templates.TemplateDraft(
        code=named["code"],
        channel=named["channel"],
        language=named["language"],
        subject=header.subject,
        body=text.strip(),
        late_policy=header.late_policy,
        valid_hours=header.valid_hours,
        settings=dict(header.settings),
    )


def load_folder(
    session: Session, actor: Actor, folder: Path, *, approver: str | None, pack: Pack, now: datetime
) -> list[Loaded]:
    """Draft (and approve, given an approver) every template file of ``folder`` (see the module)."""
    if not folder.is_dir():
        raise InvalidInputError(N_("{folder} is not a folder of template files"), folder=str(folder))
    files = sorted(path for path in folder.glob("*.txt") if path.is_file())
    if not files:
        raise InvalidInputError(N_("{folder} holds no template file (*.txt)"), folder=str(folder))
    specs = [(path.name, read_template(path)) for path in files]
    principal = None if approver is None else _principal(session, approver)
    loaded: list[Loaded] = []
    for name, spec in specs:
        current = repository.approved(session, spec.code, spec.channel, spec.language)
        if current is not None and _same(current, spec):
            loaded.append(Loaded(name, current.id, "unchanged"))
            continue
        row = templates.draft(session, actor, spec, now=now)
        if principal is not None:
            row = templates.approve(session, principal, row.id, expected=None, pack=pack, now=now)
        loaded.append(Loaded(name, row.id, row.status))
    return loaded


def _same(row: object, spec: templates.TemplateDraft) -> bool:
    fields = ("subject", "body", "late_policy", "valid_hours")
    same_settings = (getattr(row, "settings", None) or {}) == spec.settings
    return same_settings and all(getattr(row, name) == getattr(spec, name) for name in fields)


def _principal(session: Session, username: str) -> Principal:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise UserNotFoundError(username=username[:100])
    principal = principal_of(session, user)
    principal.require(Permission.TEMPLATE_APPROVE)  # before anything is drafted
    return principal
