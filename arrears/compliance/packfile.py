"""The shape of a rule pack file (``packs/*.yaml``) and of a bank's policy file, as pydantic models.

Every key is known and in its place (``extra="forbid"``), every value of its type (strict): a
party under ``checks:`` or a parameter spelt wrong is refused with the file, the line and the key
(see :mod:`arrears.yamlfile`), never silently ignored.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from arrears.clock import is_time_zone
from arrears.compliance.calendars import parse_entry
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.yamlfile import FileModel


class ClockError(InvalidInputError):
    code = "invalid_time_of_day"
    default_message = N_("Not a time of day (HH:MM)")


def parse_clock(value: Any) -> time:
    """A local time of day from ``"21:00"`` (or the minutes YAML 1.1 reads from an unquoted 21:00)."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ClockError(N_("not a time of day (HH:MM): {value}"), value=repr(value)) from None


def _time_zone(value: Any) -> Any:
    if isinstance(value, str) and not is_time_zone(value):
        raise InvalidInputError(N_("{zone} is not an IANA time zone"), zone=repr(value))
    return value


Clock = Annotated[time, BeforeValidator(parse_clock)]
TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]
Count = Annotated[int, Field(ge=0)]
PartyPolicy = Literal["consumer", "attorney", "contact_person", "location_only", "never"]
Channel = Literal["call", "sms", "email", "letter", "visit", "wechat", "voicemail"]


def _holiday_entry(value: date | str) -> date | str:
    parse_entry(value)  # a date, a range, a named period or a calendar; else refused here, with its line
    return value


HolidayEntry = Annotated[date | str, AfterValidator(_holiday_entry)]


def _as_changes(value: Any) -> Any:
    """A list of entries (or one entry) is a list of additions."""
    if isinstance(value, list | str | date):
        return {"add": value if isinstance(value, list) else [value]}
    return value


class HolidayChanges(FileModel):
    """``holidays: [cn-rest-days, "2026-12-31"]`` or ``{add: [...], remove: ["2026-05-09"]}``."""

    add: list[HolidayEntry] = Field(default_factory=list)
    remove: list[HolidayEntry] = Field(default_factory=list)


Holidays = Annotated[HolidayChanges, BeforeValidator(_as_changes)]


class EarlierClock(FileModel):
    value: Clock
    stricter: Literal["earlier"]


class LaterClock(FileModel):
    value: Clock
    stricter: Literal["later"]


class LowerCount(FileModel):
    value: Count | None
    stricter: Literal["lower"]


class HigherCount(FileModel):
    value: Count | None
    stricter: Literal["higher"]


class HolidayParameter(FileModel):
    value: Holidays
    stricter: Literal["superset"]


class PackParameters(FileModel):
    """Each parameter, its value and the direction a bank may move it (``stricter``)."""

    quiet_start: EarlierClock
    quiet_end: LaterClock
    max_conversations_per_day: LowerCount
    max_unanswered_per_number_per_day: LowerCount
    max_calls_in_7_days: LowerCount
    days_after_conversation: HigherCount
    max_texts_per_day: LowerCount
    contact_person_after_failed_attempts: HigherCount
    dispute_verification_days: LowerCount
    holidays: HolidayParameter


class PackChecks(FileModel):
    """The rule id each check of the gate raises in this pack; a check left out is not in the pack."""

    time: RuleId | None = None
    time_candidates: RuleId | None = None
    inconvenient_time: RuleId | None = None
    conversations_per_day: RuleId | None = None
    unanswered_per_number: RuleId | None = None
    calls_in_7_days: RuleId | None = None
    after_conversation: RuleId | None = None
    texts_per_day: RuleId | None = None
    unrelated_party: RuleId | None = None
    contact_person: RuleId | None = None
    contact_refused: RuleId | None = None
    unregistered_channel: RuleId | None = None
    medium_opt_out: RuleId | None = None
    dispute: RuleId | None = None
    hardship: RuleId | None = None
    attorney: RuleId | None = None
    cease: RuleId | None = None
    third_party: RuleId | None = None
    location: RuleId | None = None


class PackParties(FileModel):
    """How each party may be contacted; every party the facts know is listed."""

    debtor: PartyPolicy
    spouse: PartyPolicy
    guarantor: PartyPolicy
    emergency_contact: PartyPolicy
    employer: PartyPolicy
    third_party: PartyPolicy
    attorney: PartyPolicy
    guardian: PartyPolicy
    executor: PartyPolicy
    parent: PartyPolicy


class PackOptions(FileModel):
    deceased_blocks_debtor_only: bool = False
    written_dispute_rule_only: bool = False
    verification_ends_dispute: bool = False
    exclude_not_connected: bool = False
    exclude_consented_calls: bool = False
    cease_allows_closing_letters: bool = False
    automated_serious_steps: bool = False
    """A strategy's field visits, agency placements and legal referrals may go without a person's
    confirmation (no pack shipped allows it: PIPL art. 24 and GDPR art. 22)."""


class PackContent(FileModel):
    """The rule ids a content finding raises, per category (or the narrower key a conduct rule
    names: public_posting, collection_fee) and per required element."""

    threat: list[RuleId] = Field(default_factory=list)
    insult: list[RuleId] = Field(default_factory=list)
    impersonation: list[RuleId] = Field(default_factory=list)
    false_legal: list[RuleId] = Field(default_factory=list)
    reputation: list[RuleId] = Field(default_factory=list)
    third_party_leverage: list[RuleId] = Field(default_factory=list)
    disclosure: list[RuleId] = Field(default_factory=list)
    public_posting: list[RuleId] = Field(default_factory=list)
    false_fee_deadline: list[RuleId] = Field(default_factory=list)
    forbidden_time: list[RuleId] = Field(default_factory=list)
    collection_fee: list[RuleId] = Field(default_factory=list)
    new_borrowing: list[RuleId] = Field(default_factory=list)
    third_party_debt_mention: list[RuleId] = Field(default_factory=list)
    contact_person_debt_mention: list[RuleId] = Field(default_factory=list)
    location_debt_mention: list[RuleId] = Field(default_factory=list)
    letter_elements: list[RuleId] = Field(default_factory=list)
    electronic_opt_out: list[RuleId] = Field(default_factory=list)


class PackFile(FileModel):
    """A rule pack as shipped in ``arrears/compliance/packs/``."""

    id: Literal["cn", "us-regf", "uk-fca"]
    version: str
    title: str
    default_timezones: list[TimeZoneName] = Field(min_length=1)
    parameters: PackParameters
    checks: PackChecks
    parties: PackParties
    options: PackOptions = PackOptions()
    time_exempt_channels: list[Channel] = Field(default_factory=list)
    conversation_channels: list[Channel] = Field(default_factory=list)
    content: PackContent = PackContent()


class Tightening(FileModel):
    """A bank's stricter settings: any parameter of the pack, each optional."""

    quiet_start: Clock | None = None
    quiet_end: Clock | None = None
    max_conversations_per_day: Count | None = None
    max_unanswered_per_number_per_day: Count | None = None
    max_calls_in_7_days: Count | None = None
    days_after_conversation: Count | None = None
    max_texts_per_day: Count | None = None
    contact_person_after_failed_attempts: Count | None = None
    dispute_verification_days: Count | None = None
    holidays: Holidays | None = None


class PolicyFile(FileModel):
    """A bank's policy: ``{pack: cn, tighten: {quiet_start: "21:00", holidays: [cn-rest-days]}}``."""

    pack: Literal["cn", "us-regf", "uk-fca"]
    tighten: Tightening = Tightening()
