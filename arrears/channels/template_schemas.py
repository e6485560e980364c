"""API shapes of message templates (requests and answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arrears.channels.models import MessageTemplate
from arrears.channels.rendering import MAX_TEMPLATE
from arrears.channels.templates import MAX_SUBJECT, MAX_VALID_HOURS, Preview

MAX_ID = 2**31 - 1


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateIn(_In):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$", examples=["promise_reminder"])
    channel: Literal["sms", "email", "letter", "call"]
    language: Literal["zh-CN", "en"]
    subject: str | None = Field(
        default=None, max_length=MAX_SUBJECT, description="E-mail (required) and letter; Jinja2 too"
    )
    body: str = Field(
        min_length=1,
        max_length=MAX_TEMPLATE,
        description="Jinja2, rendered in a sandbox with the variables of docs/channels.md",
        examples=[
            "{{ customer_name }}您好，您的{{ product_name }}已逾期，欠款{{ overdue_amount | money }}。"
        ],
    )
    late_policy: Literal["wait", "expire"] = Field(
        default="wait", description="A message the gate puts off at send time waits, or expires"
    )
    valid_hours: int | None = Field(
        default=None, ge=1, le=MAX_VALID_HOURS, description="A message of it expires this long after queued"
    )
    settings: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="Per channel: an SMS provider's template code …"
    )


class PreviewIn(_In):
    case_id: str = Field(min_length=1, max_length=100)


class TemplateOut(BaseModel):
    id: int
    code: str
    channel: str
    language: str
    number: int
    status: str = Field(description="draft, approved or retired")
    subject: str | None
    body: str
    late_policy: str
    valid_hours: int | None
    settings: dict[str, str]
    created_at: datetime
    created_by: int | None
    approved_at: datetime | None
    approved_by: int | None
    retired_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: MessageTemplate) -> TemplateOut:
        return cls(
            id=row.id,
            code=row.code,
            channel=row.channel,
            language=row.language,
            number=row.number,
            status=row.status,
            subject=row.subject,
            body=row.body,
            late_policy=row.late_policy,
            valid_hours=row.valid_hours,
            settings={str(k): str(v) for k, v in (row.settings or {}).items()},
            created_at=row.created_at,
            created_by=row.created_by,
            approved_at=row.approved_at,
            approved_by=row.approved_by,
            retired_at=row.retired_at,
            version=row.version,
        )


class TemplatesOut(BaseModel):
    templates: list[TemplateOut]
    next_cursor: str | None


class SmsLengthOut(BaseModel):
    encoding: str = Field(description="gsm7 or ucs2")
    characters: int = Field(description="Septets (GSM-7) or UTF-16 units (UCS-2)")
    segments: int


class PreviewOut(BaseModel):
    template_id: int
    case_id: str
    channel: str
    language: str
    subject: str | None
    body: str
    sms: SmsLengthOut | None = Field(description="For an SMS: its encoding, length and segments")

    @classmethod
    def of(cls, preview: Preview) -> PreviewOut:
        sms = preview.sms
        return cls(
            template_id=preview.template.id,
            case_id=preview.case_id,
            channel=preview.template.channel,
            language=preview.template.language,
            subject=preview.subject,
            body=preview.body,
            sms=SmsLengthOut(encoding=sms.encoding, characters=sms.characters, segments=sms.segments)
            if sms
            else None,
        )
