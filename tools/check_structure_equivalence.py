"""Does structure.py read every text as the scan it replaced, at every position?

structure.py finds the condition (_CONDITION) and reported-speech cues (_REPORTED_YOU_ZH, _OWN_WORDS,
_SUBJECT_THEN_SPEECH, _REPORTED_ZH, _REPORTED_EN) from matches indexed once per text, scanning again
only near the position asked. The reference below is the code it replaced (as of commit c70206a),
which scanned the clause or sentence up to each position. Both are asked at every position of every
text: ``scope_of``, ``reported_by_other``, ``negation_before`` (the rules' reach and the marks'),
``negation_after`` (a match ending at, one and three past the position) and ``marks``. The texts: every
corpus item (data/qa/corpus, as written and normalised as the checker reads it), random texts built
from the patterns' cue words, Chinese and English words, punctuation and spaces (long ones without
punctuation among them), cues at clause and sentence edges, and two 10,000-character texts without
punctuation. Positions are asked in order, in reverse and shuffled, the index built afresh each time.

    PYTHONPATH=. python tools/check_structure_equivalence.py [--random 3000] [--seed 23]

Prints what was compared and each difference; exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from arrears.compliance.conduct import structure
from arrears.compliance.conduct.evaluation import read_items
from arrears.compliance.conduct.normalise import normalise
from arrears.compliance.conduct.rules import load_rules
from arrears.compliance.conduct.structure import (
    _A_NOT_A,
    _AFTER_NEGATION_ZH,
    _CONDITION,
    _EN_DEBTOR_NEGATION,
    _NEGATION_EN,
    _NEGATION_ZH,
    _OWN_WORDS,
    _REPORTED_EN,
    _REPORTED_YOU_ZH,
    _REPORTED_ZH,
    _SPEECH_BEFORE_QUOTE,
    _STARTS_A_GRAM,
    _SUBJECT_THEN_SPEECH,
    _SUGGESTION,
    MARK_REACH_EN,
    MARK_REACH_ZH,
    NEGATION_WINDOW_EN,
    NEGATION_WINDOW_ZH,
    Scope,
    _bounds,
    _quote_around,
)

CORPUS = Path(__file__).resolve().parent.parent / "data" / "qa" / "corpus"


# The reference: structure.py's functions as they were (the boundaries, quotations and patterns they
# use are unchanged).


def old_scope_of(text: str, start: int) -> Scope:
    bounds = _bounds(text)
    sentence_start = bounds.sentence.last_end(text, start)
    clause_start = bounds.clause.last_end(text, start)
    sentence_end = bounds.sentence.next_start(len(text), start)
    clause_end = bounds.clause.next_start(len(text), start)
    consequence = max(clause_start, old_last_end(_CONDITION, text, start, lower=clause_start))
    return Scope((clause_start, clause_end), (sentence_start, sentence_end), consequence)


def old_last_end(pattern: re.Pattern[str], text: str, before: int, lower: int = 0) -> int:
    end = lower
    for found in pattern.finditer(text, lower, before):
        end = found.end()
    return end


def old_negation_before(
    text: str,
    scope: Scope,
    start: int,
    reach_zh: int = NEGATION_WINDOW_ZH,
    reach_en: int = NEGATION_WINDOW_EN,
) -> str | None:
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


def old_negation_after(text: str, scope: Scope, end: int) -> str | None:
    found = _AFTER_NEGATION_ZH.search(text[end : scope.clause[1]])
    return found.group(0) if found else None


def old_reported_by_other(text: str, scope: Scope, start: int) -> str | None:
    inside_quote = _quote_around(text, start)
    if inside_quote is not None:
        lead = text[max(scope.sentence[0], inside_quote - 12) : inside_quote]
        if _OWN_WORDS.search(lead):
            return None
        cue = _REPORTED_ZH.search(lead) or _REPORTED_EN.search(lead) or _SPEECH_BEFORE_QUOTE.search(lead)
        if cue:
            return cue.group(0)
    you = _REPORTED_YOU_ZH.search(text, scope.clause[0], start)
    if you is not None:
        return you.group(0)
    before = text[scope.sentence[0] : start]
    if _OWN_WORDS.search(before):
        return None
    carried = _SUBJECT_THEN_SPEECH.search(before)
    if carried:
        return carried.group(0)
    return old_last(_REPORTED_ZH, before) or old_last(_REPORTED_EN, before)


def old_last(pattern: re.Pattern[str], text: str) -> str | None:
    matches = list(pattern.finditer(text))
    return matches[-1].group(0) if matches else None


def old_marks(text: str) -> str:
    out = []
    for start in range(len(text)):
        if not _STARTS_A_GRAM.match(text, start):
            out.append(".")
            continue
        scope = old_scope_of(text, start)
        if old_reported_by_other(text, scope, start) is not None:
            out.append("r")
        elif (
            old_negation_before(text, scope, start, MARK_REACH_ZH, MARK_REACH_EN) is not None
            or old_negation_after(text, scope, start + 1) is not None
        ):
            out.append("n")
        else:
            out.append(".")
    return "".join(out)


# The texts.


def phrases(listed: str) -> list[str]:
    """The phrases of a list written one after another, ``|`` between them."""
    return [phrase.strip() for phrase in listed.split("|")]


ZH_CUES = phrases("""
就|否则|不然|要不然|要不|的话|那么|那就|然后|再不|他|她|客户|顾客|对方|债务人|借款人|他们|她们|家属|
家人|老婆|老公|丈夫|妻子|儿子|女儿|妈妈|母亲|父亲|爸爸|同事|领导|有人|朋友|邻居|本人|持卡人|用户|
客人|也|还|一直|又|刚才|曾|却|反复|说|称|声称|表示|问|讲|威胁|骂|担心|害怕|怕|觉得|以为|抱怨|投诉|
反映|提到|质问|哭诉|吼|喊|嚷|回复|回答|扬言|听说|话|话费|话题|话术|说过|问过|咨询|询问|认为|误以为|
转述|据说|网上说|别人说|有人说|据称|跟|对|和|给|向|让|叫|你|您|刚刚|之前|上次|前面|昨天|早上|头先|
啱先|啱啱|先前|提过|提到过|讲过|过|想|要|不要|唔要|打算|准备|我|我们|并|便|不会|不可能|决不|绝不|
绝对不|并不|从不|不用|无需|不必|不能|不得|不得不|不可以|禁止|不应|并未|没有|从未|没|别|不是|唔会|
唔使|唔|冇|未|不|付|接|回|理|然|会不会|是不是|信不信|何不|为什么不|不会去|不就|不介意|唔介意|不妨|
是不会的|上门是不可能的|根本没有|都是不存在的|肯定不会啦|的事|坐牢|上门|联系|家里|曝光|通讯录|钱|
还钱|借|照片|海报|起诉|单位|公司|逾期
""")
EN_CUES = phrases("""
or else|otherwise|then|unless|until|, or|or we|or i|or you'll|or you will|or they|he|she|they|customer|
cust|cx|consumer|debtor|borrower|caller|client|cardholder|his mom|her boss|the agent|his|her|the|said|
says|claimed|claims|asked|told us|told me|complained|threatened|yelled|is worried|was worried|fears|
thinks|believes|mentioned|stated|reported|insists|accused|called me|called us|cursed|swore at|
according to|heard that|you mentioned|you said|you told me|you told us|you suggested|
you were thinking of|you're thinking|you are considering|i told|told him|told her|told them|i said|
we said|i replied|we wrote|not|never|no|nor|cannot|without|no one|don't|won't|n't|no longer|pay|
why don't|why not|can't you|don't make me|no choice|not paying|if no payment|we will|call|your|boss|
sue|visit|tell|family|hello|you|theory|hesaid|shed|thence|ortho|whether|customers|cxs
""")
FILLER_ZH = [
    character
    for character in """
的了是在有个这上们来到时大地为子中说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心
学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头
经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感
"""
    if not character.isspace()
]
FILLER_EN = phrases("we|will|call|your|family|today|please|pay|the|bill|by|friday|a|an|it|is|ok|thank|you")
PUNCTUATION = [
    *"，,。！？!?；;：:\n“”\"()（）.'「」『』、-",
    ". ",
    " - ",
    ".\n",
]
SPACES = [" ", " ", " ", "  ", "\t", "\u3000"]
EDGES = [
    "他说话费",
    "他说话题",
    "你说想",
    "你说要不要",
    "你说要",
    "or else",
    "then",
    "otherwise",
    "or you will",
    "or you'll",
    "he said",
    "the customer said",
    "his wife is worried",
    "you were thinking of",
    "i told him",
    "我跟他说",
    "我昨天跟客户说",
    "，跟他说",
    "客户情绪激动，说要",
    "客户，又说",
    "再不还",
    "要不然",
    "是不会的",
    "没有的",
    "Mr.Smith",
    "a.b",
    # Each pattern's longest matches, and with a letter after them (a ``\b`` there reads it).
    "您刚才也提到过",
    "债务人一直误以为",
    "借款人反复话费",
    "我刚刚才跟你们的客户说",
    "债务人今天情绪非常激动一直在骂，又扬言",
    "we replied",
    "we repliedx",
    "told themx",
    "or you willx",
    "otherwisex",
    "you were thinking ofx",
    "you are consideringx",
    "his mom really was worried",
    "his mom really was worriedly",
    "the customer also swore atx",
    "customer  \u3000 really was worriedx",
    "he 我们 said",
]


def random_text(rng: random.Random, words: int, punctuation: float, spaced: float) -> str:
    pieces = []
    for _ in range(words):
        kind = rng.random()
        if kind < 0.4:
            pieces.append(rng.choice(ZH_CUES))
        elif kind < 0.65:
            pieces.append(rng.choice(EN_CUES))
        elif kind < 0.8:
            pieces.append("".join(rng.choices(FILLER_ZH, k=rng.randint(1, 4))))
        elif kind < 0.9:
            pieces.append(rng.choice(FILLER_EN))
        else:
            pieces.append(rng.choice(EDGES))
        gap = rng.random()
        if gap < punctuation:
            pieces.append(rng.choice(PUNCTUATION))
        elif gap < punctuation + spaced:
            pieces.append(rng.choice(SPACES))
    return "".join(pieces)


def long_run_text(rng: random.Random) -> str:
    """English cues before long runs of Chinese without spaces: where _REPORTED_EN reads far."""
    pieces = []
    for _ in range(rng.randint(2, 6)):
        pieces.append(rng.choice(["he ", "the ", "his ", "customer ", "they  ", "you "]))
        pieces.append("".join(rng.choices(FILLER_ZH + ZH_CUES[:40], k=rng.randint(20, 300))))
        pieces.append(rng.choice(["", " ", " said", " said ", " was worried ", "\u3000told us"]))
    return "".join(pieces)


def random_texts(count: int, seed: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for number in range(count):
        share = number / count
        if share < 0.55:
            yield "short", random_text(rng, rng.randint(1, 30), rng.choice([0.0, 0.05, 0.2, 0.5]), 0.3)
        elif share < 0.85:
            yield "medium", random_text(rng, rng.randint(30, 200), rng.choice([0.0, 0.0, 0.05, 0.2]), 0.3)
        elif share < 0.95:
            yield "long, no punctuation", random_text(rng, rng.randint(300, 900), 0.0, rng.choice([0.0, 0.3]))
        else:
            yield "long runs", long_run_text(rng)
    for edge in EDGES:  # each edge alone, before and after a boundary
        yield "edges", edge
        for mark in ("，", "。", " - ", ". ", "\n", "“"):
            yield "edges", edge + mark + edge
            yield "edges", mark + edge


def corpus_texts() -> Iterator[tuple[str, str]]:
    evasions = load_rules().evasions
    for path in sorted(CORPUS.rglob("*.yaml")):
        for item in read_items(path):
            yield "corpus", item.text
            yield "corpus, normalised", normalise(item.text, evasions).text


def ten_thousand() -> Iterator[tuple[str, str]]:
    note = (
        "再不还钱我们就把你的照片做成海报贴满你们小区您好请问本月账单已收到吗 "
        "Please pay your bill by Friday thank you "
    )
    yield "10,000 without punctuation", (note * 200)[:10_000]
    yield "10,000 without punctuation", ("再不还就曝光你" * 1500)[:10_000]


# The comparison.


def positions(text: str, order: str, rng: random.Random) -> list[int]:
    every = list(range(len(text) + 1))
    if order == "reversed":
        every.reverse()
    elif order == "shuffled":
        rng.shuffle(every)
    return every


def compare(
    text: str, order: str, rng: random.Random, counts: Counter[str], report: Callable[..., None]
) -> None:
    structure._matches.cache_clear()
    for start in positions(text, order, rng):
        scope = structure.scope_of(text, start)
        counts["scope_of"] += 1
        if scope != old_scope_of(text, start):
            report("scope_of", text, start, scope, old_scope_of(text, start))
            continue
        pairs = [
            ("reported_by_other", structure.reported_by_other, old_reported_by_other, (start,)),
            ("negation_before", structure.negation_before, old_negation_before, (start,)),
            (
                "negation_before",
                structure.negation_before,
                old_negation_before,
                (start, MARK_REACH_ZH, MARK_REACH_EN),
            ),
            *(
                ("negation_after", structure.negation_after, old_negation_after, (start + past,))
                for past in (0, 1, 3)
            ),
        ]
        for name, new, old, arguments in pairs:
            counts[name] += 1
            found, expected = new(text, scope, *arguments), old(text, scope, *arguments)
            if found != expected:
                report(name, text, start, found, expected)
    counts["marks"] += 1
    if structure.marks(text) != old_marks(text):
        report("marks", text, -1, structure.marks(text), old_marks(text))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--random", type=int, default=3000, help="How many random texts.")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--no-long", action="store_true", help="Leave out the 10,000-character texts.")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    counts: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    differences: list[str] = []

    def report(name: str, text: str, start: int, found: object, expected: object) -> None:
        differences.append(f"{name} at {start} of {text!r}: {found!r}, the scan {expected!r}")
        print(differences[-1], flush=True)

    sources = [random_texts(arguments.random, arguments.seed)]
    if not arguments.no_corpus:
        sources.append(corpus_texts())
    if not arguments.no_long:
        sources.append(ten_thousand())
    began, seen = time.perf_counter(), set()
    for source in sources:
        for kind, text in source:
            if text in seen:
                continue
            seen.add(text)
            texts[kind] += 1
            order = ("in order", "reversed", "shuffled")[len(seen) % 3]
            compare(text, order, rng, counts, report)
    for kind, number in texts.items():
        print(f"{number:>6} texts: {kind}")
    print(f"{sum(texts.values()):>6} texts, {sum(len(t) for t in seen):,} characters")
    for name, number in counts.items():
        print(f"{number:>10,} {name}")
    print(f"{len(differences)} differences ({time.perf_counter() - began:.0f} s)")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
