"""Rule packs: versioned YAML data shipped in the package, and a bank's tightening of them.

A pack's file is validated whole (:mod:`arrears.compliance.packfile`); its parameters (quiet hours,
caps, holidays) may only be made stricter by a bank, in the direction the pack declares for each
(``stricter:``). An attempt to loosen one is refused with :class:`LooseningRefusedError`, whose
message says which parameter, the pack's value and the value given, in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from arrears.compliance.calendars import CalendarError, Holidays, HolidaySet
from arrears.compliance.packfile import ClockError, PackFile, PolicyFile, parse_clock
from arrears.i18n import N_, Text, translate
from arrears.yamlfile import YamlFileError, parse_yaml, problem, read_yaml, validate

PACK_IDS = ("cn", "us-regf", "uk-fca")

TITLES = (
    N_("China (mainland) collection rules"),
    N_("United States FDCPA / Regulation F"),
    N_("United Kingdom FCA CONC 7"),
)
"""The packs' titles as their files give them, marked for the catalogue."""

CAP_PARAMETERS = (
    "max_conversations_per_day",
    "max_unanswered_per_number_per_day",
    "max_calls_in_7_days",
    "max_texts_per_day",
    "dispute_verification_days",
)
FLOOR_PARAMETERS = ("days_after_conversation", "contact_person_after_failed_attempts")
PARAMETER_NAMES = ("quiet_start", "quiet_end", *CAP_PARAMETERS, *FLOOR_PARAMETERS, "holidays")
UNLIMITED = N_("unlimited")


class PackError(YamlFileError):
    """A pack or a bank's policy that cannot be used (a ``ValueError`` too)."""

    code = "invalid_rule_pack"
    default_message = N_("The rule pack or policy cannot be used")

    @property
    def text(self) -> Text:
        """The message as a value, to be shown later in any language."""
        return Text.of(self.template, **self.params)


class LooseningRefusedError(PackError):
    """A bank tried to make a pack's parameter less strict than the pack."""

    code = "loosening_refused"
    default_message = N_("A bank's policy may only tighten its pack")


@dataclass(frozen=True)
class Parameters:
    quiet_start: time
    quiet_end: time
    max_conversations_per_day: int | None = None
    max_unanswered_per_number_per_day: int | None = None
    max_calls_in_7_days: int | None = None
    max_texts_per_day: int | None = None
    dispute_verification_days: int | None = None
    days_after_conversation: int | None = None
    contact_person_after_failed_attempts: int | None = None
    holidays: Holidays = field(default_factory=Holidays)


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title: str
    """The English title, a catalogue message (:attr:`title_zh` is its translation)."""
    default_timezones: tuple[str, ...]
    parameters: Parameters
    stricter: Mapping[str, str]
    """For each parameter, the direction in which a bank may move it (earlier, later, lower, higher,
    superset): :func:`tighten` reads it."""
    checks: Mapping[str, str]
    parties: Mapping[str, str]
    options: frozenset[str]
    time_exempt_channels: frozenset[str]
    conversation_channels: frozenset[str]
    content: Mapping[str, tuple[str, ...]]
    tightened: Mapping[str, Any] = field(default_factory=dict)
    base: Pack | None = None

    def check(self, name: str) -> str | None:
        """The rule id this pack raises for a check, or None when the check is not in the pack."""
        return self.checks.get(name)

    def option(self, name: str) -> bool:
        return name in self.options

    def party_policy(self, party: str) -> str:
        return self.parties.get(party, "never")

    def title_in(self, language: str) -> str:
        return translate(self.title, language)

    @property
    def title_zh(self) -> str:
        return self.title_in("zh-CN")

    @property
    def title_en(self) -> str:
        return self.title_in("en")

    @property
    def label(self) -> str:
        """The version a decision is recorded under: the pack's, marked when a bank tightened it."""
        return f"{self.version}+tenant" if self.tightened else self.version

    @property
    def untightened(self) -> Pack:
        return self.base or self


def available_packs() -> tuple[str, ...]:
    return PACK_IDS


@lru_cache(maxsize=8)
def load_pack(pack_id: str) -> Pack:
    """A shipped pack by id (cn, us-regf, uk-fca)."""
    if pack_id not in PACK_IDS:
        raise PackError(
            N_("unknown rule pack {pack}; known: {known}"), pack=repr(pack_id), known=", ".join(PACK_IDS)
        )
    name = f"{pack_id}.yaml"
    text = resources.files("arrears.compliance").joinpath("packs").joinpath(name).read_text("utf-8")
    document = parse_yaml(text, f"arrears/compliance/packs/{name}", error=PackError)
    return pack_from_file(validate(document, PackFile, error=PackError))


def pack_from_file(spec: PackFile) -> Pack:
    p = spec.parameters
    holidays = p.holidays.value
    parameters = Parameters(
        quiet_start=p.quiet_start.value,
        quiet_end=p.quiet_end.value,
        holidays=Holidays().adding(_holiday_set(holidays.add, holidays.remove)),
        **{name: getattr(p, name).value for name in (*CAP_PARAMETERS, *FLOOR_PARAMETERS)},
    )
    return Pack(
        id=spec.id,
        version=spec.version,
        title=spec.title,
        default_timezones=tuple(spec.default_timezones),
        parameters=parameters,
        stricter={name: getattr(p, name).stricter for name in PARAMETER_NAMES},
        checks={name: rule for name, rule in spec.checks.model_dump().items() if rule is not None},
        parties=spec.parties.model_dump(),
        options=frozenset(name for name, on in spec.options.model_dump().items() if on),
        time_exempt_channels=frozenset(spec.time_exempt_channels),
        conversation_channels=frozenset(spec.conversation_channels),
        content={name: tuple(rules) for name, rules in spec.content.model_dump().items() if rules},
    )


def tighten(pack: Pack, overrides: Mapping[str, Any]) -> Pack:
    """The pack with a bank's stricter settings; any loosening is refused, nothing is applied."""
    if not overrides:
        return pack
    parameters = pack.parameters
    for name, value in overrides.items():
        parameters = _tighten_one(pack, parameters, name, value)
    if not parameters.quiet_end < parameters.quiet_start:
        raise LooseningRefusedError(N_("the permitted hours must be a non-empty span within one day"))
    return replace(
        pack,
        parameters=parameters,
        tightened={**pack.tightened, **overrides},
        base=pack.untightened,
    )


def load_policy(path: Path) -> Pack:
    """A bank's policy file: ``{pack: cn, tighten: {quiet_start: "21:00", ...}}``.

    Every key is checked with its line; a loosening is refused naming the file, line and key.
    """
    document = read_yaml(path, error=PackError)
    spec = validate(document, PolicyFile, error=PackError)
    overrides = dict(document.data.get("tighten") or {})
    try:
        return tighten(load_pack(spec.pack), overrides)
    except PackError as error:
        name = error.params.get("name")
        key: tuple[str, ...] = (
            ("tighten", name) if isinstance(name, str) and name in overrides else ("tighten",)
        )
        located = problem(document, key, N_("{file}, line {line}: {key}: {problem}"), problem=error.text)
        raise type(error)(N_("{problems}"), problems=located) from None


def _tighten_one(pack: Pack, parameters: Parameters, name: str, value: Any) -> Parameters:
    direction = pack.stricter.get(name)
    if direction is None:
        raise PackError(
            N_("unknown pack parameter {name}; known: {known}"),
            name=repr(name),
            known=", ".join(pack.stricter),
        )
    current = getattr(parameters, name)
    if direction == "superset":
        return replace(parameters, holidays=current.adding(_holiday_changes(value)))
    if direction in ("earlier", "later"):
        try:
            given = parse_clock(value)
        except ClockError as error:
            raise PackError(error.template, **error.params) from None
        stricter = given <= current if direction == "earlier" else given >= current
        _refuse_unless(stricter, name, current.strftime("%H:%M"), given.strftime("%H:%M"))
        changes: dict[str, Any] = {name: given}
        return replace(parameters, **changes)
    given_count = _count(name, value)
    if direction == "lower":
        stricter = given_count is not None and (current is None or given_count <= current)
    else:
        stricter = given_count is not None and (current is None or given_count >= current)
    _refuse_unless(stricter, name, current, given_count)
    counts: dict[str, Any] = {name: given_count}
    return replace(parameters, **counts)


def _refuse_unless(stricter: bool, name: str, current: Any, given: Any) -> None:
    if stricter:
        return
    raise LooseningRefusedError(
        N_(
            "parameter {name} may only be tightened, never loosened: the pack has {current}, "
            "the bank asked for {given}"
        ),
        name=name,
        current=Text.of(UNLIMITED) if current is None else current,
        given=Text.of(UNLIMITED) if given is None else given,
    )


def _count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PackError(
            N_("parameter {name} must be a whole number >= 0, got {value}"), name=name, value=repr(value)
        )
    return value


def _holiday_changes(value: Any) -> HolidaySet:
    """``[entries]``, one entry, or ``{add: [entries], remove: [dates or ranges]}``."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"add", "remove"})
        if unknown:
            raise PackError(
                N_("holidays: {keys} is not a known key; known keys: add, remove"), keys=", ".join(unknown)
            )
        return _holiday_set(value.get("add") or (), value.get("remove") or ())
    entries = value if isinstance(value, list | tuple) else [value]
    return _holiday_set(entries, ())


def _holiday_set(add: Iterable[Any], remove: Iterable[Any]) -> HolidaySet:
    try:
        return HolidaySet.parse(add, remove)
    except CalendarError as error:
        raise PackError(error.template, **error.params) from None


def parse_holidays(entries: Iterable[Any] | str | date) -> HolidaySet:
    """Dates, ``from..to`` ranges, named periods and calendars of every year (see calendars.py)."""
    return _holiday_changes(entries)


__all__ = [
    "LooseningRefusedError",
    "Pack",
    "PackError",
    "Parameters",
    "available_packs",
    "load_pack",
    "load_policy",
    "parse_clock",
    "tighten",
]
