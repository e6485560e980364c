"""A quick first-character test in front of a pattern, so the regular expression engine rejects most
positions of a text at once.

Python's ``re`` tries every alternative of an alternation at every position: a word class of sixty
words ("{family}") costs sixty attempts per character. When every alternative begins with a known
character, ``(?=[爸妈老…])`` in front lets a position that starts none of them fail in one step.
``first_chars`` is conservative: it answers None (no guard) whenever it cannot be sure.
"""

from __future__ import annotations

from collections.abc import Iterator

_SPECIAL = set(".^$*+?{}[]()|\\")
_CLASS_SPECIAL = set("^-]\\[")


def guarded(pattern: str, *, runs: bool = False) -> str:
    """``pattern`` behind a lookahead on its possible first characters, when they are known; else
    each of its alternatives behind its own, where known. ``runs``: each run of consecutive
    alternatives that all begin with known characters behind one lookahead (not one each), the
    others guarded alone. The same matches in the same order: a lookahead only tests what every
    alternative behind it needs."""
    chars = first_chars(pattern)
    if chars:
        return _behind(chars, pattern)
    alternatives = _top_level_alternatives(pattern)
    if len(alternatives) == 1:
        inner = _whole_group(pattern)
        return pattern if inner is None else f"(?:{guarded(inner, runs=runs)})"
    if not runs:
        return "|".join(_behind(first_chars(a), a) if first_chars(a) else guarded(a) for a in alternatives)
    return "|".join(_guarded_runs(alternatives))


def _guarded_runs(alternatives: list[str]) -> list[str]:
    parts: list[str] = []
    run: list[str] = []
    run_chars: set[str] = set()

    def close_run() -> None:
        if run:
            parts.append(_behind(frozenset(run_chars), run[0] if len(run) == 1 else "|".join(run)))
            run.clear()
            run_chars.clear()

    for alternative in alternatives:
        known = first_chars(alternative)
        if known:
            run.append(alternative)
            run_chars.update(known)
        else:
            close_run()
            parts.append(guarded(alternative, runs=True))
    close_run()
    return parts


def _whole_group(pattern: str) -> str | None:
    """The inside of ``(?:…)`` when that group is the whole pattern."""
    if pattern.startswith("(?:") and _matching_paren(pattern) == len(pattern) - 1:
        return pattern[3:-1]
    return None


def _behind(chars: frozenset[str] | None, pattern: str) -> str:
    if not chars:
        return f"(?:{pattern})"
    return "(?=[" + "".join(_in_class(c) for c in sorted(chars)) + "])(?:" + pattern + ")"


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with, or None when unknown (or it can be
    empty)."""
    found: set[str] = set()
    for alternative in _top_level_alternatives(pattern):
        chars = _first_of(alternative)
        if chars is None:
            return None
        found |= chars
    return frozenset(found)


def _first_of(alternative: str) -> frozenset[str] | None:
    text = alternative
    while text.startswith(("\\b", "^")):
        text = text[2:] if text.startswith("\\b") else text[1:]
    if not text:
        return None
    if text.startswith("(?=["):
        return _lookahead_class(text)
    if text.startswith(("(?<=", "(?<!", "(?!", "(?=")):  # zero-width: the first character follows
        close = _matching_paren(text)
        return None if close is None else _first_of(text[close + 1 :])
    atom = _atom(text)
    if atom is None:
        return None
    chars, end = atom
    if not _optional_after(text, end):
        return chars
    rest = _first_of(text[_after_quantifier(text, end) :])
    return None if rest is None else chars | rest


def _atom(text: str) -> tuple[frozenset[str], int] | None:
    """The first atom's possible characters and where it ends, or None when unknown."""
    if text.startswith("("):
        close = _matching_paren(text)
        inner = _group_inside(text, close)
        if inner is None or close is None:
            return None
        chars = first_chars(inner)
        return None if chars is None else (chars, close + 1)
    if text.startswith("["):
        end = text.find("]", 1)
        chars = _plain_class(text[1:end]) if end > 1 else None
        return None if chars is None else (chars, end + 1)
    if text.startswith("\\d"):
        return frozenset("0123456789"), 2
    if text[0] == "\\":
        return None if len(text) < 2 or text[1].isalnum() else (frozenset(text[1]), 2)
    return None if text[0] in _SPECIAL else (frozenset(text[0]), 1)


def _group_inside(text: str, close: int | None) -> str | None:
    if close is None:
        return None
    if text.startswith("(?:"):
        return text[3:close]
    if text.startswith("(?P<"):
        name_end = text.find(">")
        return text[name_end + 1 : close] if 0 < name_end < close else None
    return None if text.startswith("(?") else text[1:close]


def _after_quantifier(text: str, index: int) -> int:
    if text[index : index + 1] == "{":
        index = text.index("}", index) + 1
    else:
        index += 1
    return index + 1 if text[index : index + 1] == "?" else index


def _lookahead_class(text: str) -> frozenset[str] | None:
    end = text.find("]", 4)
    if end < 0 or text[end + 1 : end + 2] != ")":
        return None
    return _plain_class(text[4:end])


def _plain_class(body: str) -> frozenset[str] | None:
    if not body or any(c in _CLASS_SPECIAL for c in body):
        return None
    return frozenset(body)


def _optional_after(text: str, index: int) -> bool:
    """Whether the atom ending before ``index`` may be skipped (``?``, ``*``, ``{0,``)."""
    after = text[index : index + 3]
    return after[:1] in ("?", "*") or after.startswith("{0")


def _structure(text: str) -> Iterator[tuple[int, str, int]]:
    """Each ``(``, ``)`` and ``|`` of a pattern outside escapes and character classes, with the
    group depth after it."""
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(text, index)
        elif char in "()|":
            depth += {"(": 1, ")": -1, "|": 0}[char]
            yield index, char, depth
        index += 1


def non_capturing(pattern: str) -> str:
    """``pattern`` with every capturing group made non-capturing (``(a|b)`` reads ``(?:a|b)``): the same
    matches, found faster (``re`` saves a capturing group's bounds at each attempt). For patterns
    whose groups nothing reads and that hold no backreference."""
    opens = [
        index
        for index, char, _ in _structure(pattern)
        if char == "(" and pattern[index + 1 : index + 2] != "?"
    ]
    pieces = [pattern[start:end] for start, end in zip([0, *opens], [*opens, len(pattern)], strict=True)]
    return "(?:".join(piece if i == 0 else piece[1:] for i, piece in enumerate(pieces))


def _matching_paren(text: str) -> int | None:
    return next((index for index, char, depth in _structure(text) if char == ")" and depth == 0), None)


def _class_end(text: str, start: int) -> int:
    index = start + 1
    if text[index : index + 1] == "]":
        index += 1
    while index < len(text) and text[index] != "]":
        index += 2 if text[index] == "\\" else 1
    return index


def _top_level_alternatives(pattern: str) -> list[str]:
    bars = [index for index, char, depth in _structure(pattern) if char == "|" and depth == 0]
    starts = [0, *(bar + 1 for bar in bars)]
    ends = [*bars, len(pattern)]
    return [pattern[start:end] for start, end in zip(starts, ends, strict=True)]


def _in_class(char: str) -> str:
    return "\\" + char if char in _CLASS_SPECIAL else char
