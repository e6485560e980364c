"""The structure around a match: its clause and sentence, the condition before it, negation,
and whose words they are (reported speech).

A rule's match is judged in the *consequence* of its clause: in "再不还就爆你通讯录" the "不" belongs
to the condition ("if you do not pay"), not to the threat, so it does not negate it; in
"我们不会联系您的家人" the "不会" scopes over the contact and the sentence is a reassurance. Words
the collector reports from someone else ("客户说要去告我们", "he said he'd sue us") are theirs.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from itertools import pairwise

_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[，,；;：:。！？!?\n“”\"()（）]|\.(?=\s|$)| - ")
_CONDITION = re.compile(
    r"就|否则|不然|要不然|要不|的话|那么|那就|然后|再不|"
    r"\b(?:or else|otherwise|then|unless|until)\b|, or\b|\bor (?=we\b|i\b|you'll\b|you will\b|they\b)"
)
_NEGATION_ZH = re.compile(
    r"(?:不会|不可能|决不|绝不|绝对不|并不|从不|从来不|不要|不用|无需|无须|不必|不能|不得(?!不)|不可以|不允许|"
    r"禁止|严禁|不应|不该|并未|并没|未曾|没有|从未|没|别|不是|唔会|唔使|唔|冇|未|不)"
    r"(?!还|付|交|缴|到账|入账|接|回|理|配合|按时|得不|然|足|起|及时|出|上|管|到位|处理|方便|在|清|想|希望)"
)
_A_NOT_A = re.compile(r"(.)[不没唔]\1")
"""信不信, 会不会, 是不是: a question (or a dare), not a negation."""
_NEGATION_EN = re.compile(
    r"\b(?:not|never|no|nor|cannot|without|neither|nobody|no one|nobody's|no-one)\b|n't\b|\bno longer\b"
    r"(?!\s+(?:pay|respond|call|answer|reply|get back|make))"
)
_EN_DEBTOR_NEGATION = re.compile(
    r"\b(?:you|he|she|they)\s+(?:\w+\s+)?(?:\w*n't|not|never)\s+(?:\w+\s+)?"
    r"(?:pay|respond|call|answer|reply|get back|make|settle|contact us)|\bnot paying\b"
    r"|\b(?:if|unless|when) (?:\w+ )?no (?:pmt|payment|ptp|response|reply|contact|money|call ?back)\b"
)
_SUGGESTION = re.compile(
    r"\bwhy (?:don't|not)\b|\b(?:can't|couldn't|won't) you\b|何不|为什么不|怎么不|不会去|不就"
    r"|\b(?:don't|do not) make me\b|\bno (?:other )?(?:choice|option|alternative)\b|不介意|唔介意|不妨"
)
""""Why don't you ...", "can't you just ...", "不会去借啊": a suggestion, not a negation; nor are "don't make
me ring your dad" (a threat), "we will have no choice but to…" and "我们不介意帮你…" (a willingness)."""
_REPORTED_ZH = re.compile(
    r"(?<![跟对和给向让叫])(?:他|她|客户|顾客|对方|债务人|借款人|他们|她们|家属|家人|老婆|老公|丈夫|妻子|儿子|女儿|妈妈|"
    r"母亲|父亲|爸爸|同事|领导|有人|朋友|邻居|本人|持卡人|用户|客人)(?:也|还|就|一直|又|刚才|曾|却|反复)?"
    r"(?:说|称|声称|表示|问|讲|威胁|骂|担心|害怕|怕|觉得|以为|抱怨|投诉|反映|提到|质问|哭诉|吼|喊|嚷|回复|回答|扬言|听说|话(?!费|题|术)|"
    r"说过|问过|咨询|询问|认为|误以为|转述)|听说|据说|网上说|别人说|有人说|据称"
)
_REPORTED_EN = re.compile(
    r"\b(?:he|she|they|customer|cust|cx|consumer|debtor|borrower|caller|client|cardholder"
    r"|his \w+|her \w+|the \w+)"
    r"\s+(?:\w+\s+)?(?:said|says|claimed|claims|asked|asks|told us|told me|complained|complains|threatened|"
    r"yelled|shouted|screamed|is worried|was worried|worries|fears|feared|thinks|thought|believes|believed|"
    r"mentioned|stated|states|reported|reports|insists|insisted|accused|called me|called us|cursed|"
    r"swore at)\b"
    r"|\baccording to\b|\bheard that\b|\byou (?:mentioned|said|told (?:me|us)|suggested|were thinking of)\b"
    r"|\byou(?:'re| are) (?:thinking|considering)\b"
)
_SUBJECT_THEN_SPEECH = re.compile(
    r"^(?:客户|顾客|对方|债务人|借款人|他|她|家属|持卡人)[^，,。]{0,12}[，,](?:又|还|并|也|就|便)?"
    r"(?:说|称|表示|扬言|威胁|骂|问|喊)"
)
"""A third person's sentence whose speech verb comes after a comma ("客户情绪激动，说要……")."""
_REPORTED_YOU_ZH = re.compile(
    r"(?<![跟对和给向让叫])(?:你|您)(?:刚才|刚刚|之前|上次|前面|昨天|早上|头先|啱先|啱啱|先前)(?:也)?"
    r"(?:说|讲|提到|提过|话|表示)(?:过)?"
    r"|(?<![跟对和给向让叫])(?:你|您)(?:说过|提到过?|提过|讲过)"
    r"|(?<![跟对和给向让叫])(?:你|您)(?:说|话|讲)(?:想|要(?!不要|唔要)|打算|准备|有人)"
)
"""The debtor's own words said back to them ("您刚才说打算找朋友周转", "你话想问屋企人借", "您说有人在您
家门口喷了漆"), in the same clause only: a collector answering them in the next clause ("你刚才说没钱，
那就去借") speaks for themselves."""
_AFTER_NEGATION_ZH = re.compile(
    r"^[^，,。；;！!？?]{0,6}?(?:是|都是|也是|那是|倒是|倒|就)?(?:绝对|肯定|从来|根本)?"
    r"(?:不会|不可能|不存在|没有|唔会|冇可能|唔可能)(?:的|嘅|啦|喇|了|的事)?$"
)
"""A clause that ends by denying what it named: "坐牢是不会的", "上门是不可能的"."""
_OWN_WORDS = re.compile(
    r"我.{0,3}(?:跟|对|和|给|向).{0,3}(?:他|她|客户|对方)说|(?:^|[，,。])(?:跟|对)(?:他|她|客户)说"
    r"|\bi told\b|\btold (?:him|her|them)\b|\b(?:i|we) (?:said|replied|wrote)\b"
)
_QUOTES = re.compile(r"[“\"「『]([^”\"」』]*)[”\"」』]|(?<![a-z])'(.+?)'(?![a-z])")
"""Quotations: in double or corner quotes, or in single quotes that are not apostrophes ('…')."""
_SPEECH_BEFORE_QUOTE = re.compile(
    r"\b(?:said|says|saying|shouted|yelled|screamed|claimed|threatened|replied|texted|wrote)\b[\s,:]*$"
    r"|(?:说|称|表示|骂|喊|吼|扬言|威胁|回复)[：:，,]?\s*$"
)
"""A speech verb right before a quotation, its subject left out as notes do ("became aggressive,
said '…'"): the quotation is someone else's unless the collector says it is their own."""


@dataclass(frozen=True)
class Scope:
    clause: tuple[int, int]
    sentence: tuple[int, int]
    consequence_start: int
    """Where the consequence part of the clause starts (after 就/否则/or else ...)."""


def scope_of(text: str, start: int) -> Scope:
    bounds = _bounds(text)
    sentence_start = bounds.sentence.last_end(text, start)
    clause_start = bounds.clause.last_end(text, start)
    sentence_end = bounds.sentence.next_start(len(text), start)
    clause_end = bounds.clause.next_start(len(text), start)
    condition = _matches(text).condition.last(clause_start, start)
    consequence = max(clause_start, condition[1] if condition else clause_start)
    return Scope((clause_start, clause_end), (sentence_start, sentence_end), consequence)


@dataclass(frozen=True)
class _Boundaries:
    """Where a boundary pattern's matches end (scanned from the start) and every place one starts,
    so that the one before or after a position is a bisection rather than a scan of the text
    (marks() asks at every character: a scan made a 16,000-character note take a minute)."""

    ends: list[int]
    starts: list[int]

    @classmethod
    def of(cls, pattern: re.Pattern[str], text: str) -> _Boundaries:
        spans = [found.span() for found in pattern.finditer(text)]
        ends = [end for _, end in spans]
        if all(end - start == 1 for start, end in spans):
            # one character each: the scan tried every place, and found every one a match starts at
            return cls(ends, [start for start, _ in spans])
        return cls(ends, [found.start() for found in _at_every_place(pattern).finditer(text)])

    def last_end(self, text: str, before: int) -> int:
        """The end of the last match in ``text[:before]`` as the pattern reads it there: a full
        stop right before ``before`` ends it (the full stop's ``$`` matches at the cut)."""
        if before > 0 and text[before - 1] == ".":
            return before
        found = bisect_right(self.ends, before)
        return self.ends[found - 1] if found else 0

    def next_start(self, length: int, after: int) -> int:
        """Where the first match at or after ``after`` starts (``length`` when none does)."""
        found = bisect_left(self.starts, after)
        return self.starts[found] if found < len(self.starts) else length


@dataclass(frozen=True)
class _TextBounds:
    sentence: _Boundaries
    clause: _Boundaries
    quotes: list[tuple[int, int, int]]
    """(start, inner start, inner end) of each quotation, in order."""


@lru_cache(maxsize=8)
def _bounds(text: str) -> _TextBounds:
    """The text's sentence and clause boundaries and quotations, found once per text."""
    quotes = []
    for found in _QUOTES.finditer(text):
        inner = 1 if found.group(1) is not None else 2
        quotes.append((found.start(), found.start(inner), found.end(inner)))
    return _TextBounds(_Boundaries.of(_SENTENCE_END, text), _Boundaries.of(_CLAUSE_END, text), quotes)


def sentences(text: str) -> list[tuple[int, int]]:
    """The text's sentences as ``scope_of`` bounds them, each with the mark that ends it; those of
    nothing but whitespace left out."""
    return _pieces(text, _bounds(text).sentence.ends)


def clauses(text: str) -> list[tuple[int, int]]:
    """The text's clauses as ``scope_of`` bounds them, each with the mark that ends it; those of
    nothing but whitespace left out."""
    return _pieces(text, _bounds(text).clause.ends)


def _pieces(text: str, ends: list[int]) -> list[tuple[int, int]]:
    cuts = [0, *ends, len(text)]
    return [(start, end) for start, end in pairwise(cuts) if text[start:end].strip()]


_CONDITION_REACH = 12
"""How far past its start an attempt of _CONDITION reads: "or you will" and the ``\\b`` after it.
Each pattern's reach is checked against the pattern (tests/compliance/test_conduct.py)."""
_REPORTED_YOU_REACH = 7
"""_REPORTED_YOU_ZH's: "您刚才也提到过"."""
_REPORTED_ZH_REACH = 8
"""_REPORTED_ZH's: "债务人一直误以为"."""
_OWN_WORDS_REACH = 11
"""_OWN_WORDS': "我刚刚才跟你们的客户说", "we replied" and the ``\\b`` after it."""
_SUBJECT_THEN_SPEECH_REACH = 19
"""_SUBJECT_THEN_SPEECH's, from the sentence's start: a subject, twelve characters, a comma, a verb."""
_REPORTED_EN_REACH = 21
"""_REPORTED_EN's, where no subject and space start ("you were thinking of" and its ``\\b``)."""
_REPORTED_EN_RUNS = 6
"""Where a subject and a space start (_A_WORD_THEN_SPACE), _REPORTED_EN reads on through ``\\w+``
and ``\\s+``: the subject, a space, "his"'s word, spaces, a word, spaces — across at most six
changes between runs of word characters, spaces and the rest (_RUNS) — to a verb."""
_REPORTED_EN_VERB_REACH = 12
"""And past the last of those changes: a verb of at most 11 characters and the ``\\b`` after it."""
_A_WORD_THEN_SPACE = re.compile(r"(?=[a-z]{2,10}\s)")
"""Where one of _REPORTED_EN's subjects (he … cardholder, "his ", "her ", "the ") may start."""
_RUNS = re.compile(r"\w+|\s+|[^\w\s]+")


@dataclass(frozen=True)
class _Reach:
    """How far past its start an attempt to match may read the string (its lookaheads, ``\\b`` and
    ``$`` included): a cut of the string (endpos) at or past that leaves the attempt as it was.
    ``near`` bounds every attempt but those at ``far_starts``, which read below ``far_ends``
    (non-decreasing)."""

    near: int
    far_starts: Sequence[int] = ()
    far_ends: Sequence[int] = ()

    def settled_below(self, cut: int) -> int:
        """A place before which no attempt reads at or past ``cut``."""
        below = cut - self.near + 1
        first_unsettled = bisect_right(self.far_ends, cut)
        if first_unsettled < len(self.far_starts):
            below = min(below, self.far_starts[first_unsettled])
        return below


SCAN_LIMIT = 200
"""A scan this short (characters from its lower bound to the cut) is run as it is: indexing every
place of a text costs more than scanning a clause of a few dozen characters (the corpus' utterances
average 48), and the index pays only in long clauses and sentences."""


def _fixed(reach: int) -> Callable[[str], _Reach]:
    """A pattern's reach that does not depend on the string."""
    return lambda _string: _Reach(reach)


class _Matches:
    """The match of ``pattern`` at each place of ``string`` where it matches, read to the string's
    end, found once. A scan of the string from ``lower`` to a cut (``pos`` and ``endpos``:
    lookbehinds read before ``lower``, the cut is the end of the string) is taken from them for
    the attempts that read nothing at or past the cut, and is scanned again only after those:
    marks() asks at every character, and a scan of a text without punctuation (one clause, one
    sentence) at each made it grow with the square of its length."""

    def __init__(self, pattern: re.Pattern[str], string: str, reach: Callable[[str], _Reach]) -> None:
        self.pattern, self.string, self._reach_of = pattern, string, reach
        # From each lower asked, the matches (their indexes) a scan finds, as far as it was asked.
        self._scans: dict[int, list[int]] = {}
        self._lock = threading.Lock()

    @cached_property
    def reach(self) -> _Reach:
        return self._reach_of(self.string)

    @cached_property
    def _spans(self) -> tuple[list[int], list[int]]:
        spans = [found.span(1) for found in _at_every_place(self.pattern).finditer(self.string)]
        return [start for start, _ in spans], [end for _, end in spans]

    @property
    def starts(self) -> list[int]:
        return self._spans[0]

    @property
    def ends(self) -> list[int]:
        return self._spans[1]

    def first(self, lower: int, cut: int) -> tuple[int, int] | None:
        """The span ``pattern.search(string, lower, cut)`` finds."""
        if cut - lower <= SCAN_LIMIT:
            found = self.pattern.search(self.string, lower, cut)
            return found.span() if found else None
        settled = self.reach.settled_below(cut)
        at = bisect_left(self.starts, lower)
        if at < len(self.starts) and self.starts[at] < settled:
            return self.starts[at], self.ends[at]
        found = self.pattern.search(self.string, max(lower, settled), cut)
        return found.span() if found else None

    def last(self, lower: int, cut: int) -> tuple[int, int] | None:
        """The span of the last match ``pattern.finditer(string, lower, cut)`` finds."""
        if cut <= lower:
            return None
        if cut - lower <= SCAN_LIMIT:
            spans = [found.span() for found in self.pattern.finditer(self.string, lower, cut)]
            return spans[-1] if spans else None
        settled = self.reach.settled_below(cut)
        scanned = self._last_scanned(lower, settled)
        last = (self.starts[scanned], self.ends[scanned]) if scanned is not None else None
        for found in self.pattern.finditer(self.string, max(last[1] if last else lower, settled), cut):
            last = found.span()
        return last

    def _last_scanned(self, lower: int, below: int) -> int | None:
        """The last match a scan from ``lower`` finds that starts before ``below``."""
        first_unsettled = bisect_left(self.starts, below)
        with self._lock:
            scan = self._scans.setdefault(lower, [])
            following = bisect_left(self.starts, self.ends[scan[-1]] if scan else lower)
            while following < first_unsettled:
                scan.append(following)
                following = bisect_left(self.starts, self.ends[following])
            taken = bisect_left(scan, first_unsettled)
            return scan[taken - 1] if taken else None


@cache
def _at_every_place(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` tried at every place, overlapping, its match in group 1 (it has no backreference)."""
    return re.compile(f"(?=({pattern.pattern}))", pattern.flags)


@dataclass(frozen=True)
class _SentenceMatches:
    """A sentence's text (a slice: lookbehinds and ``^`` see nothing before it) and the matches the
    reported-speech cues are sought in."""

    text: str
    own_words: _Matches
    reported_zh: _Matches
    reported_en: _Matches

    @classmethod
    def of(cls, sentence: str) -> _SentenceMatches:
        return cls(
            sentence,
            _Matches(_OWN_WORDS, sentence, _fixed(_OWN_WORDS_REACH)),
            _Matches(_REPORTED_ZH, sentence, _fixed(_REPORTED_ZH_REACH)),
            _Matches(_REPORTED_EN, sentence, _english_reach),
        )


def _english_reach(sentence: str) -> _Reach:
    """How far _REPORTED_EN's attempts read in ``sentence`` (_REPORTED_EN_RUNS)."""
    changes = [run.start() for run in _RUNS.finditer(sentence)][1:]
    starts, ends = [], []
    for found in _A_WORD_THEN_SPACE.finditer(sentence):
        start = found.start()
        last_change = bisect_right(changes, start) + _REPORTED_EN_RUNS - 1
        through = changes[last_change] if last_change < len(changes) else len(sentence)
        starts.append(start)
        ends.append(max(start + _REPORTED_EN_REACH, through + _REPORTED_EN_VERB_REACH))
    return _Reach(_REPORTED_EN_REACH, starts, ends)


@dataclass(frozen=True)
class _TextMatches:
    text: str
    condition: _Matches
    reported_you: _Matches
    sentences: dict[tuple[int, int], _SentenceMatches] = field(default_factory=dict)

    def sentence(self, start: int, end: int) -> _SentenceMatches:
        """The matches in ``text[start:end]``, found when first asked."""
        found = self.sentences.get((start, end))
        if found is None:
            found = self.sentences.setdefault((start, end), _SentenceMatches.of(self.text[start:end]))
        return found


@lru_cache(maxsize=8)
def _matches(text: str) -> _TextMatches:
    """The text's condition and reported-speech matches, found once per text (each sentence's when
    first asked)."""
    return _TextMatches(
        text,
        _Matches(_CONDITION, text, _fixed(_CONDITION_REACH)),
        _Matches(_REPORTED_YOU_ZH, text, _fixed(_REPORTED_YOU_REACH)),
    )


NEGATION_WINDOW_ZH = 8
NEGATION_WINDOW_EN = 40


def negation_before(
    text: str,
    scope: Scope,
    start: int,
    reach_zh: int = NEGATION_WINDOW_ZH,
    reach_en: int = NEGATION_WINDOW_EN,
) -> str | None:
    """The negation that scopes over a match at ``start``, if any ("不会", "never", "won't"): within
    ``reach_zh`` characters before it in Chinese, ``reach_en`` in English, in its consequence."""
    low_zh = max(scope.consequence_start, start - reach_zh - 2)
    window = _SUGGESTION.sub("", _A_NOT_A.sub("", text[low_zh:start]))[-reach_zh:]
    found = _NEGATION_ZH.search(window)
    if found:
        return found.group(0)
    low_en = max(scope.consequence_start, start - reach_en)
    window = _SUGGESTION.sub("", text[low_en:start])
    if _EN_DEBTOR_NEGATION.search(window):
        return None
    found = _NEGATION_EN.search(window)
    return found.group(0) if found else None


def negation_after(text: str, scope: Scope, end: int) -> str | None:
    """The denial that ends the clause after a match ending at ``end`` ("坐牢是不会的"), if any."""
    found = _AFTER_NEGATION_ZH.search(text[end : scope.clause[1]])
    return found.group(0) if found else None


def reported_by_other(text: str, scope: Scope, start: int) -> str | None:
    """The cue that makes a match someone else's words ("客户说", "he said"), if any."""
    inside_quote = _quote_around(text, start)
    if inside_quote is not None:
        lead = text[max(scope.sentence[0], inside_quote - 12) : inside_quote]
        if _OWN_WORDS.search(lead):
            return None
        cue = _REPORTED_ZH.search(lead) or _REPORTED_EN.search(lead) or _SPEECH_BEFORE_QUOTE.search(lead)
        if cue:
            return cue.group(0)
    you = _matches(text).reported_you.first(scope.clause[0], start)
    if you is not None:
        return text[you[0] : you[1]]
    return _reported_before(text, scope.sentence, start)


def _reported_before(text: str, sentence: tuple[int, int], start: int) -> str | None:
    """The cue in ``text[sentence[0]:start]``, read as that slice, unless the collector says they
    are their own words."""
    if start <= sentence[0]:
        return None
    matches = _matches(text).sentence(sentence[0], max(sentence[1], start))
    cut = start - sentence[0]
    if matches.own_words.first(0, cut) is not None:
        return None
    carried = _SUBJECT_THEN_SPEECH.search(matches.text, 0, min(cut, _SUBJECT_THEN_SPEECH_REACH))
    if carried:
        return carried.group(0)
    found = matches.reported_zh.last(0, cut) or matches.reported_en.last(0, cut)
    return matches.text[found[0] : found[1]] if found else None


def _quote_around(text: str, start: int) -> int | None:
    """Where the quotation whose words hold ``start`` begins (its opening mark), if one does."""
    quotes = _bounds(text).quotes
    found = bisect_right(quotes, (start, len(text), len(text))) - 1  # the last one opened by start
    if found >= 0 and quotes[found][1] <= start < quotes[found][2]:
        return quotes[found][0]
    return None


MARK_REACH_ZH = 30
MARK_REACH_EN = 100
"""How far a negation reaches for the trained model's n-grams and cues (marks, cues.py): the rest of
its clause's consequence, rather than the rules' few characters — an n-gram is a hint, not a finding,
and "我们不会要求您找亲戚朋友借钱" negates the borrowing ten characters on."""


_STARTS_A_GRAM = re.compile(r"[\u3400-\u9fff]|(?<![a-z0-9$£€'])[a-z0-9$£€']")
"""A Chinese character or the first character of a word: where the model's n-grams begin."""


def marks(text: str) -> str:
    """How each character of ``text`` is said, one letter a character: ``n`` under a negation that
    scopes over it ("我们**不会**联系您的家人", "we will **not** tell…"), ``r`` in someone else's
    words ("客户说…", "he said…"), ``.`` plain — what the rules' structure would judge a match
    starting there (the trained model reads its n-grams so)."""
    out = []
    for start in range(len(text)):
        if not _STARTS_A_GRAM.match(text, start):  # read by no n-gram: left plain
            out.append(".")
            continue
        scope = scope_of(text, start)
        if reported_by_other(text, scope, start) is not None:
            out.append("r")
        elif (
            negation_before(text, scope, start, MARK_REACH_ZH, MARK_REACH_EN) is not None
            or negation_after(text, scope, start + 1) is not None
        ):
            out.append("n")
        else:
            out.append(".")
    return "".join(out)
