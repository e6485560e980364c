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


# --- personal data by its shape, in free text (log lines: defense in depth) -------------------

_EDGE_BEFORE = r"(?<![0-9A-Za-z_])"
_EDGE_AFTER = r"(?![0-9A-Za-z_])"
SHAPES: tuple[tuple[PersonalField, re.Pattern[str]], ...] = (
    (PersonalField.EMAIL, re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    # A Chinese resident id (region, birth date, sequence, check character: a bare run of 18
    # digits is not enough, so ids and counters in a log line are left alone); a passport-like
    # letter or two and 7 or 8 digits.
    (
        PersonalField.NATIONAL_ID,
        re.compile(
            _EDGE_BEFORE
            + r"\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
            + _EDGE_AFTER
        ),
    ),
    (PersonalField.NATIONAL_ID, re.compile(_EDGE_BEFORE + r"[A-Z]{1,2}\d{7,8}" + _EDGE_AFTER)),
    # International (+86 138…, +86-10-…, +1 713…), a Chinese mobile, a domestic landline, a US number.
    (PersonalField.PHONE, re.compile(r"(?<![0-9A-Za-z_+])\+\d[\d -]{6,18}\d" + _EDGE_AFTER)),
    (PersonalField.PHONE, re.compile(_EDGE_BEFORE + r"1[3-9]\d{9}" + _EDGE_AFTER)),
    (PersonalField.PHONE, re.compile(_EDGE_BEFORE + r"0\d{2,3}-\d{7,8}" + _EDGE_AFTER)),
    (PersonalField.PHONE, re.compile(_EDGE_BEFORE + r"\(?\d{3}\)?[ .-]\d{3}[.-]\d{4}" + _EDGE_AFTER)),
)
"""What a national id, a phone number or an e-mail address looks like in free text. The edges are
ASCII (a Chinese character beside a number does not hide it); a hex request id or a timestamp
does not match."""


def find_personal(text: str) -> list[tuple[PersonalField, str]]:
    """Every piece of ``text`` shaped like a national id, a phone number or an e-mail address."""
    return [(field, found.group(0)) for field, shape in SHAPES for found in shape.finditer(text)]


def scrub(text: str) -> str:
    """``text`` with everything shaped like a national id, phone number or e-mail address masked."""
    for field, shape in SHAPES:
        text = shape.sub(lambda found, field=field: MASKS[field](found.group(0)), text)  # type: ignore[misc]
    return text
