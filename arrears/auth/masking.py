"""Masking personal data for a caller who may not see it in full.

Pure functions of a value: the same mask in every response, export and log line. What stays is
what a collector needs to tell two values apart (the last digits, the e-mail's domain, the
district of an address), never enough to reach the person.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from arrears.auth.permissions import PersonalField

STAR = "*"
_CN_DISTRICT = re.compile(r"^.*?(?:区|县|旗)|^.*?市")
"""Through the first district (区, 县, 旗), else through the city (市)."""


def mask_national_id(value: str) -> str:
    """``110101199003071234`` → ``110***********1234``: the region's first three, the last four."""
    if len(value) <= 7:
        return STAR * len(value)
    return value[:3] + STAR * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``+8613812345678`` → ``+86138****5678``: four digits before the last four hidden."""
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    hidden = set(digits[-8:-4]) if len(digits) >= 8 else set(digits[:-2] or digits)
    return "".join(STAR if i in hidden else ch for i, ch in enumerate(value))


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    local, at, domain = value.rpartition("@")
    if not at:
        return STAR * 3
    return (local[:1] or STAR) + STAR * 3 + "@" + domain


def mask_address(value: str) -> str:
    """An address down to its district: ``北京市朝阳区建国路88号`` → ``北京市朝阳区****``; a
    comma-separated address keeps its last two parts (city, region): ``***, Springfield, IL``."""
    text = value.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        found = _CN_DISTRICT.match(text)
        kept = found.group(0) if found and len(found.group(0)) < len(text) else ""
        return kept + STAR * 4
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return ", ".join([STAR * 3, *parts[-2:]]) if len(parts) > 2 else STAR * 3


def mask_birth_date(value: date | str) -> str:
    """``1990-03-07`` → ``1990-**-**``: the year only."""
    return f"{str(value)[:4]}-**-**"


MASKS: dict[PersonalField, Callable[[str], str]] = {
    PersonalField.NATIONAL_ID: mask_national_id,
    PersonalField.PHONE: mask_phone,
    PersonalField.EMAIL: mask_email,
    PersonalField.ADDRESS: mask_address,
    PersonalField.BIRTH_DATE: mask_birth_date,
}

CONTACT_FIELDS: dict[str, PersonalField] = {
    "mobile": PersonalField.PHONE,
    "landline": PersonalField.PHONE,
    "work_phone": PersonalField.PHONE,
    "email": PersonalField.EMAIL,
    "address": PersonalField.ADDRESS,
    "wechat": PersonalField.PHONE,
}
"""The personal field a contact point's type is, for masking (feed contract types)."""


def mask(field: PersonalField, value: str | date | None) -> str | None:
    if value is None:
        return None
    return MASKS[field](value if isinstance(value, str) else value.isoformat())
