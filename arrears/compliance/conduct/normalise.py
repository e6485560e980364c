"""Text as the rules read it, with every character traced back to the original text.

Traditional characters become Simplified (OpenCC), full-width forms are folded (NFKC), letters are
lower-cased, spaces and filler marks between Chinese characters are dropped ("坐 * 牢" reads
"坐牢"), and known evasions (pinyin initials, homophones) are spelled out. Offsets of findings are
always given in the original text: ``origin[i]`` is where normalised character ``i`` came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import opencc

from arrears.compliance.conduct.prefix import _top_level_alternatives, guarded

_CJK = r"\u3400-\u9fff"
_FILLER_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[\s\u200b-\u200d\ufeff*·•_\-~.、|/]+(?=[{_CJK}])")
_SPACES = re.compile(r"(?! (?![\s\u200b-\u200d\ufeff]))[\s\u200b-\u200d\ufeff]+")
"""Runs of spaces to fold into one, but not a lone plain space (already what it would become)."""
_SPACED_LETTERS = re.compile(r"[a-z](?<![a-z][a-z])(?:[ .\-*·][a-z]){2,}(?![a-z])")
"""Three or more single letters apart: "d e a d b e a t", "l-o-s-e-r", "j.a.i.l"."""
_LETTER_GAP = re.compile(r"(?<=(?<![a-z])[a-z])[ .\-*·](?=[a-z](?![a-z]))")
_LEET = re.compile(r"[0134@$](?<=[a-z][0134@$])(?=[a-z])")
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"}
_LATIN_NEXT_TO_CJK = re.compile(rf"(?<=[a-z])(?=[{_CJK}])|(?<=[{_CJK}])(?=[a-z])")
"""Where a Latin letter meets a Chinese character (searched only in texts holding both)."""
HAS_CJK = re.compile(rf"[{_CJK}]")
HAS_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Normalised:
    text: str
    origin: tuple[int, ...]
    """For each character of ``text``, its index in the original text."""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised ``text[start:end]`` came from."""
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _to_simplified(chars: str) -> str:
    converter = _converter()
    converted: str = converter.convert(chars)
    if len(converted) == len(chars):
        return converted
    # a phrase conversion changed the length: convert one character at a time to keep offsets
    return "".join(converter.convert(c) if len(converter.convert(c)) == 1 else c for c in chars)


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
"""Full-width ASCII and the ideographic space, as NFKC folds them, one character for one: the
punctuation of almost every Chinese text ("，", "？", "："), folded without NFKC's slower walk."""


def normalise(text: str, evasions: Sequence[tuple[re.Pattern[str], str]] = ()) -> Normalised:
    plain = text.translate(_FULL_WIDTH)
    if unicodedata.is_normalized("NFKC", plain):
        chars, origin = plain, list(range(len(text)))
    else:
        chars, origin = _folded(text)
    has_cjk = HAS_CJK.search(chars) is not None
    folded_text = (_to_simplified(chars) if has_cjk else chars).lower()
    if len(folded_text) != len(origin):  # a lower-casing that changed the length (rare: "İ")
        simplified = _to_simplified(chars) if has_cjk else chars
        folded_text = "".join(c if len(c.lower()) != 1 else c.lower() for c in simplified)
    folded_text, origin = _substitute(folded_text, origin, _FILLER_BETWEEN_CJK, "")
    has_latin = HAS_LATIN.search(folded_text) is not None
    if has_latin:
        folded_text, origin = _letters_as_words(folded_text, origin)
    folded_text, origin = _substitute(folded_text, origin, _SPACES, " ")
    if evasions:
        spelled_text, origin = _spell_out(folded_text, origin, evasions)
        if spelled_text != folded_text:  # "xiao xin ni de tui" spelled out reads "小心 你的 腿"
            spelled_text, origin = _substitute(spelled_text, origin, _FILLER_BETWEEN_CJK, "")
        folded_text = spelled_text
    if has_cjk and has_latin:  # "criminal record一辈子": English words apart, for their patterns' \b
        folded_text, origin = _substitute(folded_text, origin, _LATIN_NEXT_TO_CJK, " ")
    return Normalised(folded_text, tuple(origin))


def _letters_as_words(text: str, origin: list[int]) -> tuple[str, list[int]]:
    """Spaced letters joined ("d e a d b e a t"), digits inside a word read as letters ("l0ser")."""
    if _SPACED_LETTERS.search(text):  # before spaces collapse: "w a l l  o f" keeps its words
        text, origin = _substitute(text, origin, _LETTER_GAP, "")
    return _substitute(text, origin, _LEET, lambda found: _LEET_LETTERS[found.group()])


def _folded(text: str) -> tuple[str, list[int]]:
    """NFKC one character at a time, remembering where each folded character came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKC", char):
            chars.append(piece)
            origin.append(index)
    return "".join(chars), origin


_AFTER_CJK = "(?<=[\\u4e00-\\u9fff])"
"""How an evasion read only after a Chinese character begins (an English word in Chinese text)."""
_WORD_START = "(?<![a-z])"
"""How an evasion read only at the start of a Latin word begins (pinyin: "zuo lao", "tmd")."""


@dataclass(frozen=True)
class _Evasions:
    everywhere: re.Pattern[str]
    """Any evasion (one search per text)."""
    latin_or_cjk: re.Pattern[str]
    """The same without those read only after a Chinese character: for a text without both."""
    each: tuple[tuple[re.Pattern[str], str], ...]
    """Each alternative of each evasion and its spelling, in the alternation's order."""

    def spelling(self, text: str, start: int) -> tuple[int, str]:
        """Where the evasion found at ``start`` ends, and how it is spelled out: the first in the
        alternation's order that matches there, as the alternation chose."""
        for pattern, spelling in self.each:
            found = pattern.match(text, start)
            if found is not None:
                return found.end(), spelling
        raise AssertionError(f"no evasion matches at {start}")  # the alternation found one here


@lru_cache(maxsize=8)
def _evasion_pattern(evasions: tuple[tuple[re.Pattern[str], str], ...]) -> _Evasions:
    """The evasions as one alternation behind one test of the first character. Python's ``re``
    tries every alternative at every place a text could start one, and an alternative that begins
    with a test of its own (a lookbehind, a group) is entered to be tried: the alternatives read
    only at the start of a Latin word (``(?<![a-z])zuo ?lao``) share that test as one alternative,
    and so do those read only after a Chinese character (``(?<=[\u4e00-\u9fff]) ?boss``, skipped
    for a text without both scripts); an English text is read some five times faster. Which
    evasion matched is found afterwards (a match is rare); an evasion of several alternatives is
    split into them, each keeping its spelling."""
    plain: list[tuple[str, str]] = []
    word_start: list[tuple[str, str]] = []
    after_cjk: list[tuple[str, str]] = []
    for pattern, spelling in evasions:
        for alternative in _top_level_alternatives(pattern.pattern):
            if alternative.startswith(_AFTER_CJK):
                after_cjk.append((alternative, spelling))
            elif alternative.startswith(_WORD_START):
                word_start.append((alternative, spelling))
            else:
                plain.append((alternative, spelling))

    def shared(prefix: str, group: list[tuple[str, str]]) -> list[str]:
        inner = "|".join(f"(?:{a[len(prefix) :]})" for a, _ in group)
        return [f"{prefix}(?:{guarded(inner)})"] if group else []

    alone = [f"(?:{a})" for a, _ in plain] + shared(_WORD_START, word_start)
    alone_pattern = "|".join(alone) or "(?!)"
    every = "|".join([*alone, *shared(_AFTER_CJK, after_cjk)]) or "(?!)"
    in_order = tuple((re.compile(a), spelling) for a, spelling in (*plain, *word_start, *after_cjk))
    return _Evasions(re.compile(guarded(every)), re.compile(guarded(alone_pattern)), in_order)


_KNOWN_EVASIONS: dict[int, tuple[Sequence[tuple[re.Pattern[str], str]], _Evasions]] = {}
"""_evasion_pattern's answer for each evasions object seen (kept alive here, so its id stays its own)."""


def _evasions_of(evasions: Sequence[tuple[re.Pattern[str], str]]) -> _Evasions:
    """_evasion_pattern's answer, found by the evasions' identity rather than their hash: a compiled
    pattern's hash reads all its code, and hashing the rule book's evasions for every text cost a
    third of normalise."""
    known = _KNOWN_EVASIONS.get(id(evasions))
    if known is not None and known[0] is evasions:
        return known[1]
    found = _evasion_pattern(tuple(evasions))
    if len(_KNOWN_EVASIONS) < 8:
        _KNOWN_EVASIONS[id(evasions)] = (evasions, found)
    return found


def _spell_out(
    text: str, origin: list[int], evasions: Sequence[tuple[re.Pattern[str], str]]
) -> tuple[str, list[int]]:
    found = _evasions_of(evasions)
    mixed = HAS_CJK.search(text) is not None and HAS_LATIN.search(text) is not None
    pattern = found.everywhere if mixed else found.latin_or_cjk
    if pattern.search(text) is None:
        return text, origin
    return _substitute(text, origin, pattern, lambda match: found.spelling(text, match.start())[1])


def _substitute(
    text: str,
    origin: list[int],
    pattern: re.Pattern[str],
    replacement: str | Callable[[re.Match[str]], str],
) -> tuple[str, list[int]]:
    """``pattern.sub(replacement, text)``, carrying the origins along (a replacement's characters
    all come from where its match started)."""
    if pattern.search(text) is None:
        return text, origin
    pieces: list[str] = []
    new_origin: list[int] = []
    last = 0
    for found in pattern.finditer(text):
        start, end = found.span()
        pieces.append(text[last:start])
        new_origin.extend(origin[last:start])
        expanded = replacement if isinstance(replacement, str) else replacement(found)
        pieces.append(expanded)
        first, last_origin = origin[start], origin[max(start, end - 1)]
        new_origin.extend(first if i < len(expanded) - 1 else last_origin for i in range(len(expanded)))
        last = end
    pieces.append(text[last:])
    new_origin.extend(origin[last:])
    return "".join(pieces), new_origin
