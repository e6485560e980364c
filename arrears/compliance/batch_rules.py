"""The gate's rules over the columns of a batch: which reasons each request gets, and when it may retry.

Every reason the scalar gate can give a request the columns model is a :class:`Slot`, in the order
the scalar gate gives them (holds, parties, channels, time of day, holidays, counts); a request's
reasons are a bit mask over :data:`SLOTS`. The distinct masks of a batch are few: each becomes
a :class:`Pattern` (verdict, rule ids, the bank's TENANT-POLICY, whether a later instant can pass)
once, as the scalar gate would make it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

import numpy as np

from arrears.compliance.batch_reading import NONE, Flags, Ints, Rows
from arrears.compliance.facts import PHONE_CHANNELS
from arrears.compliance.gate import SEARCH_CHUNKS
from arrears.compliance.local_clock import date_of, local_days_and_times, micros_of_day, wall_instant
from arrears.compliance.packs import Pack
from arrears.compliance.parties import unrelated_party_rule
from arrears.compliance.windows import MIDNIGHT, quiet_hours_rule_ids

SEARCH_DAYS = SEARCH_CHUNKS[-1][1]
"""The last local day after the request's on which ``decide`` looks for ``next_allowed_at``."""
FIRST_SEARCH_DAYS = SEARCH_CHUNKS[0][1]
"""The days searched first: nearly every request passes again within them."""
NEVER = np.int64(1 << 40)
"""A local date no request reaches (a cap of 0 never lets a request pass)."""


@dataclass(frozen=True)
class Slot:
    """One reason the scalar gate can give, in the order it gives them."""

    name: str
    retryable: bool = False
    """A time or count rule: a later instant may pass it."""


SLOTS = (
    Slot("hold_dispute"),
    Slot("dispute"),
    Slot("hold_cease"),
    Slot("cease"),
    Slot("hold_bankruptcy"),
    Slot("hold_deceased"),
    Slot("hold_hardship"),
    Slot("hardship"),
    Slot("refused"),
    Slot("refused_rule"),
    Slot("attorney"),
    Slot("unrelated_party"),
    Slot("opt_out"),
    Slot("medium"),
    Slot("quiet", retryable=True),
    Slot("quiet_candidate", retryable=True),
    Slot("holiday", retryable=True),
    Slot("conversations", retryable=True),
    Slot("unanswered", retryable=True),
    Slot("texts", retryable=True),
    Slot("calls_7_days", retryable=True),
    Slot("after_conversation", retryable=True),
)
BIT = {slot.name: np.int64(1) << np.int64(index) for index, slot in enumerate(SLOTS)}


def slot_rules(pack: Pack) -> dict[str, str | None]:
    """The rule id each slot raises under ``pack`` (None: the pack has no such check)."""
    quiet, *candidate = quiet_hours_rule_ids(pack, candidate=True)
    medium = pack.check("medium_opt_out")
    return {
        "hold_dispute": "HOLD-DISPUTE",
        "dispute": pack.check("dispute"),
        "hold_cease": "HOLD-CEASE",
        "cease": pack.check("cease"),
        "hold_bankruptcy": "HOLD-BANKRUPTCY",
        "hold_deceased": "HOLD-DECEASED",
        "hold_hardship": "HOLD-HARDSHIP",
        "hardship": pack.check("hardship"),
        "refused": "OPT-OUT",
        "refused_rule": pack.check("contact_refused"),
        "attorney": pack.check("attorney"),
        "unrelated_party": unrelated_party_rule(pack),
        "opt_out": "OPT-OUT",
        "medium": medium if medium != "OPT-OUT" else None,
        "quiet": quiet,
        "quiet_candidate": candidate[0] if candidate else quiet,
        "holiday": "TENANT-POLICY",
        "conversations": pack.check("conversations_per_day"),
        "unanswered": pack.check("unanswered_per_number"),
        "texts": pack.check("texts_per_day"),
        "calls_7_days": pack.check("calls_in_7_days"),
        "after_conversation": pack.check("after_conversation"),
    }


@dataclass(frozen=True)
class Pattern:
    """One combination of reasons, turned into an answer as the scalar gate turns it."""

    slots: tuple[Slot, ...]
    tenant_policy: bool
    """The bank's tightening adds a blocking rule: TENANT-POLICY is named too."""
    tenant_retryable: bool
    rule_ids: tuple[str, ...]
    retryable: bool
    """Blocked only by rules a later instant may pass: the request has a next_allowed_at."""


def pattern_of(mask: int, base_mask: int, pack: Pack) -> Pattern:
    """The answer to a request with the reasons ``mask`` under ``pack`` and ``base_mask`` under the
    pack the bank tightened (``_tenant_policy_reasons``)."""
    rules = slot_rules(pack)
    slots = tuple(s for index, s in enumerate(SLOTS) if mask >> index & 1)
    ids = [rules[s.name] or "" for s in slots]
    tenant, tenant_retryable = False, True
    if pack.tightened:
        base_rules = slot_rules(pack.untightened)
        base_ids = {base_rules[s.name] for index, s in enumerate(SLOTS) if base_mask >> index & 1}
        added = [s for s, i in zip(slots, ids, strict=True) if i not in base_ids and i != "TENANT-POLICY"]
        tenant, tenant_retryable = bool(added), all(s.retryable for s in added)
    if tenant:
        ids.append("TENANT-POLICY")
    return Pattern(
        slots=slots,
        tenant_policy=tenant,
        tenant_retryable=tenant_retryable,
        rule_ids=tuple(dict.fromkeys(ids)),
        retryable=bool(slots) and all(s.retryable for s in slots) and tenant_retryable,
    )


def in_window(clock: Ints, start: time, end: time) -> Flags:
    """``TimeWindow(start, end).contains`` on local times of day in microseconds."""
    first, last = micros_of_day(start), micros_of_day(end)
    if first <= last:
        return (clock >= first) & (clock < last)
    return (clock >= first) | (clock < last)


def holidays_on(days: Ints, pack: Pack) -> Flags:
    """Whether each local date is one of the pack's holidays (asked once per distinct date)."""
    holidays = pack.parameters.holidays
    if not holidays or len(days) == 0:
        return np.zeros(len(days), bool)
    distinct, inverse = np.unique(days, return_inverse=True)
    return np.array([date_of(int(d)) in holidays for d in distinct], bool)[inverse.reshape(-1)]


def _at_cap(count: Ints, cap: int | None) -> Flags:
    return np.zeros(len(count), bool) if cap is None else count >= cap


def slot_flags(rows: Rows, pack: Pack) -> dict[str, Flags]:
    """Each reason of :data:`SLOTS` for every request, raised as the scalar gate's checks raise it."""
    read, parameters = rows.read, pack.parameters
    timed = ~rows.on(pack.time_exempt_channels)
    phone = rows.on(PHONE_CHANNELS)
    dispute = (read["dispute"] == 1) & ~rows.verification
    cease = (read["cease"] == 1) & ~rows.closing
    opted_out = (read["opted_out"] == 1) | rows.do_not_contact
    quiet = timed & ~in_window(rows.clock, parameters.quiet_end, parameters.quiet_start)
    days = parameters.days_after_conversation
    last_conversation = read["last_conversation"]
    return {
        "hold_dispute": dispute,
        "dispute": dispute & ~(pack.option("written_dispute_rule_only") & (read["dispute_written"] == 0)),
        "hold_cease": cease,
        "cease": cease & (read["cease_written"] != 0),
        "hold_bankruptcy": read["bankruptcy"] == 1,
        "hold_deceased": (read["deceased"] == 1)
        & (rows.debtor | (not pack.option("deceased_blocks_debtor_only"))),
        "hold_hardship": read["hardship"] == 1,
        "hardship": read["hardship"] == 1,
        "refused": read["refused"] == 1,
        "refused_rule": read["refused"] == 1,
        "attorney": (rows.policy == "consumer") & (read["attorney"] == 1),
        "unrelated_party": rows.policy == "never",
        "opt_out": opted_out,
        "medium": opted_out,
        "quiet": quiet,
        "quiet_candidate": quiet & rows.candidate,
        "holiday": timed & holidays_on(rows.day, pack),
        "conversations": _at_cap(read["conversations"], parameters.max_conversations_per_day)
        & rows.on(pack.conversation_channels),
        "unanswered": _at_cap(read["unanswered"], parameters.max_unanswered_per_number_per_day) & phone,
        "texts": _at_cap(read["texts"], parameters.max_texts_per_day) & rows.on({"sms"}),
        "calls_7_days": _at_cap(read["calls_7_days"], parameters.max_calls_in_7_days) & phone,
        "after_conversation": phone
        & (days is not None)
        & (last_conversation != NONE)
        & (rows.day <= last_conversation + (days or 0) - 1),
    }


def masks_of(rows: Rows, pack: Pack) -> Ints:
    """Each request's reasons as bits of :data:`SLOTS` (0 for a request the scalar gate decides)."""
    rules = slot_rules(pack)
    masks = np.zeros(len(rows.zone), np.int64)
    for name, raised in slot_flags(rows, pack).items():
        if rules[name] is not None:
            masks |= np.where(raised, BIT[name], np.int64(0))
    masks[rows.scalar] = 0
    return masks


def first_free_day(rows: Rows, pack: Pack, masks: Ints) -> Ints:
    """The first local date from which no count rule blocks the request. Each is monotone in the
    date: a day's count starts again at 0 the next day (only events known at the request count),
    the 7 days move past the cap-th latest call, the days after a conversation pass; so the
    request passes them on every later date too. :data:`NEVER` for a cap of 0."""
    parameters, read = pack.parameters, rows.read
    first = rows.day.copy()

    def from_day(name: str, day: Ints, cap: int | None) -> None:
        hit = (masks & BIT[name]) != 0
        first[hit] = np.maximum(first[hit], day[hit]) if cap != 0 else NEVER

    from_day("conversations", rows.day + 1, parameters.max_conversations_per_day)
    from_day("unanswered", rows.day + 1, parameters.max_unanswered_per_number_per_day)
    from_day("texts", rows.day + 1, parameters.max_texts_per_day)
    from_day("calls_7_days", read["capping_call_day"] + 7, parameters.max_calls_in_7_days)
    from_day(
        "after_conversation", read["last_conversation"] + (parameters.days_after_conversation or 0), None
    )
    return first


@dataclass(frozen=True)
class Boundaries:
    """A zone's instants where a time or day-count answer can change (``boundary_instants``: local
    midnight and the end of the quiet hours, each day), sorted, with the local date each was made
    for, its own local date, and whether the permitted hours are open then on a working day."""

    instants: Ints
    made_for: Ints
    day: Ints
    open: Flags

    @classmethod
    def of(cls, info: ZoneInfo, first_day: int, last_day: int, pack: Pack) -> Boundaries:
        parameters = pack.parameters
        walls = sorted({MIDNIGHT, parameters.quiet_end})
        made = [(wall_instant(info, d, wall), d) for d in range(first_day, last_day + 1) for wall in walls]
        instants, first = np.unique(np.array([m for m, _ in made], np.int64), return_index=True)
        made_for = np.array([d for _, d in made], np.int64)[first]
        day, clock = local_days_and_times(info, instants)
        open_ = in_window(clock, parameters.quiet_end, parameters.quiet_start) & ~holidays_on(day, pack)
        return cls(instants, made_for, day, open_)


def next_allowed(rows: Rows, pack: Pack, masks: Ints, retryable: Flags) -> Ints:
    """``next_allowed_at`` (microseconds; :data:`NONE` for none) of the requests blocked only by
    time and count rules: the first boundary after the request, on or after its first free date,
    in the permitted hours of a day that is no holiday if the time rules apply to its channel,
    within the days ``decide`` searches. The nearest days are searched first, the rest only for
    the requests not placed within them."""
    found = np.full(len(masks), NONE, np.int64)
    first = first_free_day(rows, pack, masks)
    todo = np.flatnonzero(retryable & (first < NEVER))
    for horizon in (FIRST_SEARCH_DAYS, SEARCH_DAYS):
        if not len(todo):
            break
        at = _search(rows, pack, first, todo, horizon)
        found[todo] = at
        todo = todo[at == NONE]
    return found


def _search(rows: Rows, pack: Pack, first: Ints, todo: Ints, horizon: int) -> Ints:
    """:func:`next_allowed` of the requests ``todo`` among the boundaries up to ``horizon`` days
    after the latest of them (:data:`NONE` where none is found)."""
    found = np.full(len(todo), NONE, np.int64)
    timed = ~rows.on(pack.time_exempt_channels)
    zone, day, at = rows.zone[todo], rows.day[todo], rows.at[todo]
    # one group per zone, first free date and whether the time rules apply, as one number
    free, base, zones = first[todo], int(first[todo].min()), len(rows.zones)
    distinct, group_of = np.unique(((free - base) * zones + zone) * 2 + timed[todo], return_inverse=True)
    group_of = group_of.reshape(-1)
    groups = [(k // 2 % zones, k // 2 // zones + base, bool(k % 2)) for k in distinct.tolist()]
    boundaries = {
        z: Boundaries.of(
            ZoneInfo(rows.zones[z]), int(day[zone == z].min()) - 1, int(day[zone == z].max()) + horizon, pack
        )
        for z in np.unique(zone).tolist()
    }
    order = np.argsort(group_of, kind="stable")
    starts = np.searchsorted(group_of[order], np.arange(1, len(groups)))
    for (z, first_day, is_timed), members in zip(groups, np.split(order, starts), strict=True):
        b = boundaries[z]
        eligible = (b.day >= first_day) & (b.open | (not is_timed))
        instants, made_for = b.instants[eligible], b.made_for[eligible]
        after = np.searchsorted(instants, at[members], side="right")
        hit = after < len(instants)
        hit[hit] = made_for[after[hit]] <= day[members][hit] + SEARCH_DAYS
        found[members[hit]] = instants[after[hit]]
    return found
