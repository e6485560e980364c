"""Telephone numbers of a contact-points file, checked and written in E.164 by ``phonenumbers``.

A number is read for the region of its customer's country (CN when the customer has none), so
``+86 138 0013 8000``, ``13800138000`` and ``0086 13800138000`` are the same ``+8613800138000``;
a ``mobile`` must be a mobile number of its region, a landline or work phone any valid number.

Each distinct (text, region) pair is looked at once. ``phonenumbers.parse`` costs most of the
time, so the plain spellings (digits, with the region's ``+cc`` or ``00cc`` in front) are read
without it whenever that reading is the same as the parser's: no national prefix, no carrier
code, and a number of a known type. Anything else goes through the parser.
"""

from __future__ import annotations

import re
from functools import cache

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

PHONE_TYPES = ("mobile", "landline", "work_phone")
DEFAULT_REGION = "CN"
SEPARATORS = re.compile(r"[\s().\-]")
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
MAX_DIGITS = 17
"""The longest national number any numbering plan has (ITU-T E.164 allows 15 with the country code)."""


@cache
def _region(region: str) -> tuple[str, tuple[str, ...], re.Pattern[str] | None] | None:
    """The region's calling code, the prefixes that announce it, and its national prefix."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None:
        return None
    code = str(metadata.country_code)
    prefixes = (f"+{code}", f"00{code}") if metadata.international_prefix == "00" else (f"+{code}",)
    national = metadata.national_prefix_for_parsing or metadata.national_prefix
    return code, prefixes, re.compile(national) if national else None


def _quick(text: str, region: str) -> tuple[str, bool] | None:
    """The number read without the parser, or None when only the parser can say."""
    known = _region(region)
    if known is None:
        return None
    code, prefixes, national = known
    digits = SEPARATORS.sub("", text)
    rest = next((digits[len(p) :] for p in prefixes if digits.startswith(p)), digits)
    if not rest.isdigit() or len(rest) > MAX_DIGITS or rest.startswith("0"):
        return None
    if national is not None and national.match(rest):
        return None
    kind = phonenumbers.number_type(PhoneNumber(country_code=int(code), national_number=int(rest)))
    if kind == PhoneNumberType.UNKNOWN:
        return None
    return f"+{code}{rest}", kind in MOBILE_TYPES


def normalise_phone(text: str, region: str | None) -> tuple[str | None, bool]:
    """(the number in E.164, whether it is a mobile); (None, False) when it is no valid number."""
    region = (region or DEFAULT_REGION).upper()
    quick = _quick(text, region)
    if quick is not None:
        return quick
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None, False
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN or not phonenumbers.is_valid_number(number):
        return None, False
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), kind in MOBILE_TYPES


def register_phones(db: duckdb.DuckDBPyConnection) -> None:
    """Register ``phones(raw, region, e164, mobile)`` for the telephone numbers of table ``clean``,
    each distinct number and region once; ``ref_customers(customer_id, country)`` gives regions."""
    pairs = db.execute(
        """SELECT DISTINCT c.value, coalesce(r.country, $region)
        FROM clean c LEFT JOIN ref_customers r ON r.customer_id = c.customer_id
        WHERE list_contains($types, lower(c.type)) AND c.value IS NOT NULL""",
        {"region": DEFAULT_REGION, "types": list(PHONE_TYPES)},
    ).fetchall()
    found = [normalise_phone(text, region) for text, region in pairs]
    db.register(
        "phones",
        pa.table(
            {
                "raw": pa.array([text for text, _ in pairs], pa.string()),
                "region": pa.array([region for _, region in pairs], pa.string()),
                "e164": pa.array([e164 for e164, _ in found], pa.string()),
                "mobile": pa.array([mobile for _, mobile in found], pa.bool_()),
            }
        ),
    )
