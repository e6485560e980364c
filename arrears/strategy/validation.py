"""What a strategy must pass before it may be approved, beyond its shape (:mod:`document`):

- no two segments can take the same case (unique hit policy): two segments overlap when every
  fact both constrain can hold for both at once (lists share a value, ranges meet, the same
  currency's amounts meet, the same flag); the facts one of them leaves free do not separate
  them. Exact for these conditions, which are conjunctions over independent columns; facts that
  move together in the data (bucket and DPD) are not known to be tied, so use one of them per
  dimension;
- every value is one the bank knows: buckets of the delinquency rules, score bands of the scale,
  templates approved for the step's channel, queues of the active queue set, agencies;
- no step is allowed by the rule pack at no hour: each message's send time and each call's
  window is put to the gate, for a customer with no history, on each of the next 14 days in each
  of the pack's zones; a step that never passes is named with the rules that refuse it;
- no protected attribute is a condition; no serious step skips confirmation unless the pack allows;
- a path no segment or arm follows is named (a warning);
- a segment that reads ``uplift_band`` while no uplift model is active is named (a warning: the
  band is NULL on every case until one is, so the segment takes none).

Every problem names where it is (``segments[2].when.bucket``) and what is wrong; each is a
value, not an exception, so that the analyst sees them all at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from arrears.compliance.facts import ContactRequest, Facts
from arrears.compliance.gate import decide
from arrears.compliance.packs import Pack
from arrears.i18n import N_, Text
from arrears.strategy.document import (
    MESSAGE_ACTIONS,
    SERIOUS_ACTIONS,
    AmountRange,
    Range,
    Segment,
    Step,
    StrategyDocument,
    Window,
)

DEFAULT_PROTECTED = frozenset({"age", "gender", "ethnicity", "religion", "region"})
"""Attributes a bank declares protected by default (ARREARS_PROTECTED_ATTRIBUTES)."""
DAYS_TRIED = 14
GATE_CHANNELS = {"sms": "sms", "email": "email", "letter": "letter", "call": "call", "field_visit": "visit"}
SKIP_CONFIRMATION_OPTION = "automated_serious_steps"
"""The pack option under which a serious step may go without a person's confirmation."""


@dataclass(frozen=True)
class Problem:
    where: str
    message: Text
    warning: bool = False

    @property
    def text(self) -> Text:
        return Text.of(N_("{where}: {problem}"), where=self.where, problem=self.message)

    def render(self, language: str) -> str:
        return self.text.render(language)


def joined(problems: Iterable[Problem]) -> Text:
    """The problems as one text, separated by semicolons."""
    texts = [p.text for p in problems]
    result = texts[0]
    for more in texts[1:]:
        result = Text.of(N_("{first}; {second}"), first=result, second=more)
    return result


@dataclass(frozen=True)
class Known:
    """What the bank has that a strategy may name."""

    buckets: frozenset[str]
    score_bands: frozenset[str]
    templates: frozenset[tuple[str, str]] = frozenset()
    """(code, channel) with an approved version."""
    queues: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    protected: frozenset[str] = DEFAULT_PROTECTED
    uplift_model: bool = False
    """Whether an uplift model is active (without one, ``uplift_band`` is NULL on every case)."""
    uplift_arms: frozenset[str] = frozenset()
    """The active uplift model's treated arms (the names ``uplift_arm`` can take)."""


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(document: StrategyDocument, known: Known, pack: Pack, today: date) -> Report:
    report = Report()
    report.problems.extend(overlaps(document.segments))
    report.problems.extend(_protected(document, known.protected))
    report.problems.extend(_unknown_values(document, known))
    report.problems.extend(_unknown_names(document, known))
    report.problems.extend(_impossible_steps(document, pack, today))
    report.problems.extend(_unconfirmed(document, pack))
    report.problems.extend(_unused_paths(document))
    report.problems.extend(_uplift_without_model(document, known))
    return report


def overlaps(segments: list[Segment]) -> Iterable[Problem]:
    for (_, first), (j, second) in combinations(enumerate(segments), 2):
        if _can_meet(first, second):
            yield Problem(
                f"segments[{j}]",
                Text.of(
                    N_("segments {first} and {second} can both take a case (where {shared})"),
                    first=first.code,
                    second=second.code,
                    shared=_shared_region(first, second) or "-",
                ),
            )


def _can_meet(first: Segment, second: Segment) -> bool:
    a, b = first.when.constrained(), second.when.constrained()
    return all(_meet(a[name], b[name]) for name in a.keys() & b.keys())


def _meet(a: object, b: object) -> bool:
    if isinstance(a, AmountRange) and isinstance(b, AmountRange):
        return a.currency == b.currency and _intervals_meet(a.minor_bounds, b.minor_bounds)
    if isinstance(a, Range) and isinstance(b, Range):
        return _intervals_meet((a.min, a.max), (b.min, b.max))
    if isinstance(a, list) and isinstance(b, list):
        return bool(set(a) & set(b))
    return a == b


def _intervals_meet(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool:
    low = max(x for x in (a[0], b[0], -1) if x is not None)
    high = min((x for x in (a[1], b[1]) if x is not None), default=None)
    return high is None or low <= high


def _shared_region(first: Segment, second: Segment) -> str:
    a, b = first.when.constrained(), second.when.constrained()
    shown = []
    for name in sorted(a.keys() & b.keys()):
        mine, theirs = a[name], b[name]
        if isinstance(mine, list) and isinstance(theirs, list):
            common = [v for v in mine if v in theirs]
            shown.append(f"{name} {', '.join(map(str, common))}")
    return "; ".join(shown)


def _protected(document: StrategyDocument, protected: Collection[str]) -> Iterable[Problem]:
    for i, segment in enumerate(document.segments):
        for name in segment.when.constrained():
            if name in protected:
                yield Problem(
                    f"segments[{i}].when.{name}",
                    Text.of(
                        N_("{fact} is an attribute the bank protects: it cannot be a condition"), fact=name
                    ),
                )


def _unknown_values(document: StrategyDocument, known: Known) -> Iterable[Problem]:
    for i, segment in enumerate(document.segments):
        when = segment.when
        for name, allowed in (("bucket", known.buckets), ("score_band", known.score_bands | {"none"})):
            for value in getattr(when, name) or []:
                if value not in allowed:
                    yield Problem(
                        f"segments[{i}].when.{name}",
                        Text.of(
                            N_("{value} is not a known {fact} (known: {known})"),
                            value=value,
                            fact=name,
                            known=", ".join(sorted(allowed)),
                        ),
                    )


def _unknown_names(document: StrategyDocument, known: Known) -> Iterable[Problem]:
    for code, path in document.paths.items():
        for k, step in enumerate(path.steps):
            where = f"paths.{code}.steps[{k}]"
            if step.template is not None and (step.template, step.action) not in known.templates:
                yield Problem(
                    f"{where}.template",
                    Text.of(
                        N_("no approved {channel} template {template}"),
                        channel=step.action,
                        template=step.template,
                    ),
                )
            if step.queue is not None and step.queue not in known.queues:
                yield Problem(
                    f"{where}.queue",
                    Text.of(N_("no queue {queue} in the active queue set"), queue=step.queue),
                )
            if step.agency is not None and step.agency not in known.agencies:
                yield Problem(f"{where}.agency", Text.of(N_("no active agency {agency}"), agency=step.agency))


def _impossible_steps(document: StrategyDocument, pack: Pack, today: date) -> Iterable[Problem]:
    for code, path in document.paths.items():
        for k, step in enumerate(path.steps):
            refused = never_allowed(step, pack, today)
            if refused is not None:
                yield Problem(
                    f"paths.{code}.steps[{k}]",
                    Text.of(
                        N_("the rule pack {pack} allows this {action} at no hour it names ({rules})"),
                        pack=pack.id,
                        action=step.action,
                        rules=", ".join(refused),
                    ),
                )


def never_allowed(step: Step, pack: Pack, today: date) -> list[str] | None:
    """The rules that refuse the step on each of the next :data:`DAYS_TRIED` days in each of the
    pack's zones, for a customer with no history; None when it passes at least once."""
    channel = GATE_CHANNELS.get(step.action)
    if channel is None:
        return None  # placements and legal referrals are not contacts
    refusing: set[str] = set()
    for zone_name in pack.default_timezones:
        facts = Facts(timezone=zone_name)
        for offset in range(1, DAYS_TRIED + 1):
            for moment in _instants(step, today + timedelta(days=offset), ZoneInfo(zone_name)):
                decision = decide(ContactRequest(at=moment, channel=channel), facts, pack)
                if decision.allowed:
                    return None
                refusing.update(r.rule_id for r in decision.reasons if r.blocking)
    return sorted(refusing)


def _instants(step: Step, day: date, zone: ZoneInfo) -> list[datetime]:
    """The local instants a step may happen at on ``day``: a message's send time; each half hour
    of a call's window (the best hour: any hour of the day)."""
    if step.action in MESSAGE_ACTIONS:
        return [datetime.combine(day, time.fromisoformat(step.send_at), zone)]
    if isinstance(step.window, Window):
        start, end = time.fromisoformat(step.window.start), time.fromisoformat(step.window.end)
    else:
        start, end = time(0), time(23, 59)
    moments = []
    moment = datetime.combine(day, start, zone)
    last = datetime.combine(day if end > start else day + timedelta(days=1), end, zone)
    while moment < last:
        moments.append(moment)
        moment += timedelta(minutes=30)
    return moments


def _unconfirmed(document: StrategyDocument, pack: Pack) -> Iterable[Problem]:
    if pack.option(SKIP_CONFIRMATION_OPTION):
        return
    for code, path in document.paths.items():
        for k, step in enumerate(path.steps):
            if step.action in SERIOUS_ACTIONS and not step.confirm:
                yield Problem(
                    f"paths.{code}.steps[{k}].confirm",
                    Text.of(
                        N_("the rule pack {pack} wants a person to confirm a {action}"),
                        pack=pack.id,
                        action=step.action,
                    ),
                )


def _unused_paths(document: StrategyDocument) -> Iterable[Problem]:
    used = {s.path for s in document.all_segments} | {
        arm.path for e in document.experiments for arm in e.arms if arm.path is not None
    }
    for code in document.paths:
        if code not in used:
            yield Problem(
                f"paths.{code}", Text.of(N_("no segment or arm follows path {path}"), path=code), warning=True
            )


def _uplift_without_model(document: StrategyDocument, known: Known) -> Iterable[Problem]:
    for i, segment in enumerate(document.segments):
        for fact in ("uplift_band", "uplift_arm"):
            if getattr(segment.when, fact) is not None and not known.uplift_model:
                yield Problem(
                    f"segments[{i}].when.{fact}",
                    Text.of(
                        N_(
                            "no uplift model is active: {fact} is empty on every case and segment "
                            "{segment} takes none (arrears strategy uplift train, then activate)"
                        ),
                        fact=fact,
                        segment=segment.code,
                    ),
                    warning=True,
                )
        unknown = [
            a for a in segment.when.uplift_arm or () if known.uplift_model and a not in known.uplift_arms
        ]
        if unknown:
            yield Problem(
                f"segments[{i}].when.uplift_arm",
                Text.of(
                    N_(
                        "the active uplift model has no arm {arms} (its arms: {known}): segment {segment} "
                        "takes no case by it"
                    ),
                    arms=", ".join(unknown),
                    known=", ".join(sorted(known.uplift_arms)),
                    segment=segment.code,
                ),
                warning=True,
            )
