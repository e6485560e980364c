"""Which rule patterns may match a text, read in one pass by Hyperscan, so Python's ``re`` searches
only those.

Every pattern is compiled into one block-mode database in prefilter mode: Hyperscan then reports a
pattern wherever it *may* match (a superset: it approximates what it cannot run exactly, such as
lookarounds and backreferences), never misses one that does. A pattern it does not report cannot
match, so skipping its search cannot change a decision; the matches themselves are still found by
``re``. Where the two engines could read a pattern or a text differently, the prefilter steps
aside:

- a pattern Hyperscan refuses, or one written with what the two read differently (case folding
  beyond ASCII, verbose mode, ``\\N{…}``, ``\\u``, ``{,n}``, POSIX classes), is always tried;
- a text holding a character the engines class differently as a letter, digit or space (their
  Unicode versions differ: ``\\w``, ``\\b``, ``\\d``, ``\\s`` could disagree there), or one that is
  not valid UTF-8 (a lone surrogate), is searched with every pattern.

Two rewrites keep the compilation short, both only widening what a pattern matches (so still a
superset): a bounded repetition ``x{m,n}`` reads ``x{m,}`` (a gap of up to 60 characters in UTF-8
is an automaton Hyperscan takes seconds to build), and a pattern longer than Hyperscan's limit is
given as its top-level alternatives, each reported for the pattern.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

import hyperscan

from arrears.compliance.conduct.prefix import _top_level_alternatives, _whole_group

log = logging.getLogger(__name__)

_FLAGS = (
    hyperscan.HS_FLAG_PREFILTER
    | hyperscan.HS_FLAG_UTF8
    | hyperscan.HS_FLAG_UCP
    | hyperscan.HS_FLAG_SINGLEMATCH
)
_MAPPED = {re.DOTALL: hyperscan.HS_FLAG_DOTALL, re.MULTILINE: hyperscan.HS_FLAG_MULTILINE}
_UNPROVEN_FLAGS = re.IGNORECASE | re.VERBOSE | re.ASCII | re.LOCALE
_UNPROVEN_SYNTAX = re.compile(r"\\[NuU]|\{,|\[:|\(\?[a-zA-Z-]*[aiLux]")
"""Read differently by the two engines (searched in the whole pattern, escapes and classes too:
a pattern merely holding one is tried, never wrongly skipped)."""
_LENGTH_LIMIT = 16_000
"""Hyperscan's longest pattern, in bytes."""
_BOUNDED = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\{(\d+),\d+\}", re.DOTALL)


class Prefilter:
    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        parts = {id(pattern): (pattern, _parts(pattern)) for pattern in patterns}
        try:
            self._database = _compiled([(pattern, split) for pattern, split in parts.values() if split])
        except hyperscan.error:  # find the patterns Hyperscan refuses, one by one
            for key, (pattern, split) in parts.items():
                if split and _refuses([(pattern, split)]):
                    parts[key] = (pattern, None)
            self._database = _compiled([(pattern, split) for pattern, split in parts.values() if split])
        self._owners = [key for key, (_, split) in parts.items() for _ in split or ()]
        """For each Hyperscan expression, the id of the pattern it is (a part of)."""
        self.always = frozenset(key for key, (_, split) in parts.items() if not split)
        """The ids of the patterns searched at every text."""
        self._local = threading.local()

    def size(self) -> int:
        return 0 if self._database is None else self._database.size()

    def candidates(self, text: str) -> frozenset[int] | None:
        """The ids of the patterns that may match ``text``, or None when each must be searched."""
        if self._database is None or _unproven_chars().search(text) is not None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        scratch: hyperscan.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:  # one per thread: a scratch space serves one scan at a time
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        found: list[int] = []
        self._database.scan(data, match_event_handler=lambda i, *_: found.append(i), scratch=scratch)
        owners = self._owners
        return self.always.union(owners[i] for i in found)


def _compiled(patterns: list[tuple[re.Pattern[str], list[str]]]) -> hyperscan.Database | None:
    expressions = [part.encode() for _, split in patterns for part in split]
    if not expressions:
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = [_flags(pattern) for pattern, split in patterns for _ in split]
    database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
    return database


def _refuses(patterns: list[tuple[re.Pattern[str], list[str]]]) -> bool:
    try:
        _compiled(patterns)
    except hyperscan.error as error:
        _always_tried(patterns[0][0], str(error))
        return True
    return False


def _flags(pattern: re.Pattern[str]) -> int:
    return _FLAGS | sum(hs for flag, hs in _MAPPED.items() if pattern.flags & flag)


def _parts(pattern: re.Pattern[str]) -> list[str] | None:
    """``pattern`` as Hyperscan expressions whose matches cover its own, or None when it cannot be
    (it is then always tried)."""
    if pattern.flags & _UNPROVEN_FLAGS or _UNPROVEN_SYNTAX.search(pattern.pattern):
        return _always_tried(pattern, "read differently by Hyperscan")
    widened = _BOUNDED.sub(
        lambda m: m.group(0) if m.group(1) is None else f"{{{m.group(1)},}}", pattern.pattern
    )
    return _short_enough(widened) or _always_tried(pattern, "too long")


def _short_enough(pattern: str) -> list[str] | None:
    """``pattern`` whole, or split into alternatives Hyperscan can take (a match of the pattern is
    a match of one of them); a lookahead in front (a first-character guard) is left out."""
    if len(pattern.encode()) <= _LENGTH_LIMIT:
        return [pattern]
    if pattern.startswith("(?=[") and (end := pattern.find("])")) > 0:
        pattern = pattern[end + 2 :]
    alternatives = _top_level_alternatives(pattern)
    if len(alternatives) == 1:
        inner = _whole_group(pattern)
        return None if inner is None else _short_enough(inner)
    parts: list[str] = []
    for alternative in alternatives:
        split = _short_enough(alternative)
        if split is None:
            return None
        parts += split
    return parts


def _always_tried(pattern: re.Pattern[str], why: str) -> None:
    log.debug("conduct prefilter: pattern always tried (%s): %.80s…", why, pattern.pattern)


@lru_cache(maxsize=1)
def _unproven_chars() -> re.Pattern[str]:
    """The characters Python's ``re`` and Hyperscan (UCP) class differently as ``\\w``, ``\\d`` or
    ``\\s``, and the surrogates (worked out once: every code point read by both)."""
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(map(chr, points))
    differ: set[int] = set(range(0xD800, 0xE000))
    for escape in (r"\w", r"\d", r"\s"):
        database = hyperscan.Database()
        database.compile(expressions=[escape.encode()], flags=hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP)
        by_hyperscan: set[int] = set()
        database.scan(
            text.encode(), match_event_handler=lambda _i, _s, end, *_: by_hyperscan.add(_point_ending(end))
        )
        by_python = {ord(c) for c in re.findall(escape, text)}
        differ |= by_hyperscan ^ by_python
    return re.compile("[" + "".join(_ranges(sorted(differ))) + "]")


def _point_ending(end: int) -> int:
    """The code point whose UTF-8 ends at byte ``end`` of every code point in order (no surrogates)."""
    for first, last, width in (
        (0, 0x7F, 1),
        (0x80, 0x7FF, 2),
        (0x800, 0xD7FF, 3),
        (0xE000, 0xFFFF, 3),
        (0x10000, 0x10FFFF, 4),
    ):
        if end <= (last - first + 1) * width:
            return first + end // width - 1
        end -= (last - first + 1) * width
    raise ValueError(end)


def _ranges(points: Sequence[int]) -> Iterable[str]:
    start = previous = points[0]
    for point in [*points[1:], -1]:
        if point != previous + 1:
            yield f"\\U{start:08x}-\\U{previous:08x}"
            start = point
        previous = point
