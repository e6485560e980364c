"""Rule packs: versioned YAML data shipped in the package, and a bank's tightening of them.

A pack's parameters (quiet hours, caps, holidays) may only be made stricter by a bank; an attempt
to loosen one is refused with :class:`LooseningRefusedError`, whose message says which parameter, the
pack's value and the value given, in Simplified Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PACK_IDS = ("cn", "us-regf", "uk-fca")

CAP_PARAMETERS = (
    "max_conversations_per_day",
    "max_unanswered_per_number_per_day",
    "max_calls_in_7_days",
    "max_texts_per_day",
    "dispute_verification_days",
)
FLOOR_PARAMETERS = ("days_after_conversation", "contact_person_after_failed_attempts")
PARAMETER_NAMES = ("quiet_start", "quiet_end", *CAP_PARAMETERS, *FLOOR_PARAMETERS, "holidays")


class PackError(ValueError):
    """A pack or a bank's policy that cannot be used, explained in both languages."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_en} / {message_zh}")
        self.message_zh = message_zh
        self.message_en = message_en


class LooseningRefusedError(PackError):
    """A bank tried to make a pack's parameter less strict than the pack."""


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
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title_zh: str
    title_en: str
    default_timezones: tuple[str, ...]
    parameters: Parameters
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
            f"未知规则包 {pack_id!r}", f"unknown rule pack {pack_id!r}; known: {', '.join(PACK_IDS)}"
        )
    text = (
        resources.files("arrears.compliance").joinpath("packs").joinpath(f"{pack_id}.yaml").read_text("utf-8")
    )
    return pack_from_mapping(yaml.safe_load(text))


def pack_from_mapping(data: Mapping[str, Any]) -> Pack:
    raw = {name: spec["value"] for name, spec in data["parameters"].items()}
    parameters = Parameters(
        quiet_start=parse_clock(raw["quiet_start"]),
        quiet_end=parse_clock(raw["quiet_end"]),
        holidays=parse_holidays(raw.get("holidays") or []),
        **{name: raw.get(name) for name in (*CAP_PARAMETERS, *FLOOR_PARAMETERS)},
    )
    return Pack(
        id=data["id"],
        version=str(data["version"]),
        title_zh=data["title"]["zh-CN"],
        title_en=data["title"]["en"],
        default_timezones=tuple(data["default_timezones"]),
        parameters=parameters,
        checks=dict(data["checks"]),
        parties=dict(data["parties"]),
        options=frozenset(k for k, v in (data.get("options") or {}).items() if v),
        time_exempt_channels=frozenset(data.get("time_exempt_channels") or ()),
        conversation_channels=frozenset(data.get("conversation_channels") or ()),
        content={k: tuple(v) for k, v in (data.get("content") or {}).items()},
    )


def tighten(pack: Pack, overrides: Mapping[str, Any]) -> Pack:
    """The pack with a bank's stricter settings; any loosening is refused, nothing is applied."""
    if not overrides:
        return pack
    parameters = pack.parameters
    for name, value in overrides.items():
        parameters = _tighten_one(parameters, name, value)
    if not parameters.quiet_end < parameters.quiet_start:
        raise LooseningRefusedError(
            "允许联系时段必须在同一天内且不为空",
            "the permitted hours must be a non-empty span within one day",
        )
    return replace(
        pack,
        parameters=parameters,
        tightened={**pack.tightened, **overrides},
        base=pack.untightened,
    )


def load_policy(path: Path) -> Pack:
    """A bank's policy file: ``{pack: cn, tighten: {quiet_start: "21:00", ...}}``."""
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    if not isinstance(data, Mapping) or "pack" not in data:
        raise PackError(
            f"{path}：缺少 pack", f"{path}: a policy names its pack (pack: cn | us-regf | uk-fca)"
        )
    return tighten(load_pack(str(data["pack"])), data.get("tighten") or {})


def _tighten_one(parameters: Parameters, name: str, value: Any) -> Parameters:
    if name not in PARAMETER_NAMES:
        raise PackError(
            f"未知参数 {name!r}", f"unknown pack parameter {name!r}; known: {', '.join(PARAMETER_NAMES)}"
        )
    current = getattr(parameters, name)
    if name == "holidays":
        return replace(parameters, holidays=current | parse_holidays(value))
    if name in ("quiet_start", "quiet_end"):
        given = parse_clock(value)
        stricter = given <= current if name == "quiet_start" else given >= current
        _refuse_unless(stricter, name, current.strftime("%H:%M"), given.strftime("%H:%M"))
        changes: dict[str, Any] = {name: given}
        return replace(parameters, **changes)
    given_count = _count(name, value)
    if name in CAP_PARAMETERS:
        stricter = given_count is not None and (current is None or given_count <= current)
    else:
        stricter = given_count is not None and (current is None or given_count >= current)
    _refuse_unless(stricter, name, current, given_count)
    counts: dict[str, Any] = {name: given_count}
    return replace(parameters, **counts)


def _refuse_unless(stricter: bool, name: str, current: Any, given: Any) -> None:
    if stricter:
        return
    shown_current = "不限/unlimited" if current is None else current
    shown_given = "不限/unlimited" if given is None else given
    raise LooseningRefusedError(
        f"参数 {name} 只能收紧，不能放宽：规则包为 {shown_current}，收到 {shown_given}",
        f"parameter {name} may only be tightened, never loosened: the pack has {shown_current}, "
        f"the bank asked for {shown_given}",
    )


def _count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PackError(
            f"参数 {name} 须为非负整数", f"parameter {name} must be a whole number >= 0, got {value!r}"
        )
    return value


def parse_clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 21:00 as sexagesimal minutes
        return time(value // 60, value % 60)
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise PackError(f"时间格式错误：{value!r}", f"not a time of day (HH:MM): {value!r}") from None


def parse_holidays(entries: Iterable[Any] | str) -> frozenset[date]:
    """Dates, ``from..to`` ranges, or names of calendars shipped in ``packs/calendars.yaml``."""
    if isinstance(entries, str):
        entries = [entries]
    days: set[date] = set()
    for entry in entries:
        days |= _holiday_entry(entry)
    return frozenset(days)


def _holiday_entry(entry: Any) -> set[date]:
    if isinstance(entry, date):
        return {entry}
    text = str(entry).strip()
    calendars = _calendars()
    if text in calendars:
        return set(parse_holidays(calendars[text]))
    try:
        if ".." in text:
            first, last = (date.fromisoformat(part.strip()) for part in text.split("..", 1))
            return {first + timedelta(days=n) for n in range((last - first).days + 1)}
        return {date.fromisoformat(text)}
    except ValueError:
        raise PackError(
            f"无法识别的节假日：{text!r}",
            f"not a date, a date range (from..to) or a known calendar: {text!r}",
        ) from None


@lru_cache(maxsize=1)
def _calendars() -> dict[str, list[str]]:
    text = (
        resources.files("arrears.compliance").joinpath("packs").joinpath("calendars.yaml").read_text("utf-8")
    )
    return dict(yaml.safe_load(text)["calendars"])
