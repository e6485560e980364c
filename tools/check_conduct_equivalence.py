"""Does the conduct checker decide every text as it did? A dump of every decision, to compare.

Every text of the corpus (data/qa/corpus: every split the evaluation reads, train-extra, the written
examples) is checked as its item says (party, speaker), and to the debtor's side and to a third party
as a collector; check_text's decision is taken under every pack, for the debtor, a spouse and an
employer, as a note and as an SMS and a letter template. Then the same for random texts: corpus
fragments shuffled and joined with and without punctuation, the rules' word classes, evasions
(spaced letters, leet, filler between Chinese characters), Traditional characters, full-width forms,
English, mixed scripts, and long texts without punctuation. Each finding is written whole (category,
rule, pack key, severity, span, evidence), each dropped match with its reason, each decision as its
repr, one line of JSON per text.

    PYTHONPATH=. python tools/check_conduct_equivalence.py --out /tmp/before.jsonl
    PYTHONPATH=. python tools/check_conduct_equivalence.py --against /tmp/before.jsonl

With --against, prints each text whose dump differs and exits 1 when one does.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from arrears.compliance.conduct import Checked, check_conduct
from arrears.compliance.conduct.evaluation import load_corpus, read_items
from arrears.compliance.content import check_text
from arrears.compliance.facts import TextRequest
from arrears.compliance.packs import available_packs, load_pack

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "qa" / "corpus"
EXAMPLES = ROOT / "tests" / "compliance" / "conduct" / "examples.yaml"
PARTIES = ("debtor", "third_party")
TEXT_PARTIES = ("debtor", "spouse", "employer")
TEXT_KINDS = (("note", "call"), ("template", "sms"), ("template", "letter"))


def corpus_texts() -> Iterator[tuple[str, str, str]]:
    """(text, party, speaker) of every corpus item."""
    items = list(load_corpus(CORPUS, "all"))
    for path in sorted((CORPUS / "train-extra").glob("*.yaml")):
        items.extend(read_items(path))
    if EXAMPLES.is_file():
        items.extend(read_items(EXAMPLES))
    for item in items:
        yield item.text, item.party, item.speaker


PUNCTUATION = [
    *("，", "。", "！", "？", ", ", ". ", "! ", "? ", "；", "：", "\n"),
    *("“", "”", '"', "'", " - ", "（", "）"),
]
NOISE = [" ", "  ", "*", "·", "\u200b", "-", "_", "~", "、", "/", "|", "　"]
EXTRA = [
    "再不还就爆你通讯录",
    "我们不会联系您的家人",
    "客户说要去告我们",
    "坐牢是不会的",
    "他说再不还钱就找人收拾你",
    "再不還錢，出門小心點",
    "xiao xin ni de tui",
    "d e a d b e a t",
    "l0ser",
    "ｗｅ ｗｉｌｌ ｔｅｌｌ ｙｏｕｒ ｂｏｓｓ",
    "we will not tell your employer",
    "he said he'd sue us",
    "don't make me ring your dad",
    "why don't you borrow from your friends",
    "晚上十一点再打给你",
    "3:00 am",
    "criminal record一辈子",
    "你的 credit card 已经 overdue 了",
    "信不信我找人上门",
    "你刚才说没钱，那就去借",
    "İstanbul",
    "ﬁne",
    "①②③",
    "tmd",
    "zuo lao",
]


def fragments(texts: list[str], rng: random.Random) -> list[str]:
    """Pieces of corpus texts, cut at random places."""
    pieces = []
    for text in rng.sample(texts, min(len(texts), 3000)):
        start = rng.randrange(len(text))
        pieces.append(text[start : start + rng.randint(1, 24)])
    return pieces + EXTRA


def random_texts(texts: list[str], count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    pieces = fragments(texts, rng)
    joins = PUNCTUATION + NOISE + [""]
    for index in range(count):
        parts = rng.choices(pieces, k=rng.randint(1, 8))
        if index % 7 == 0:  # without punctuation
            yield "".join(p for part in parts for p in part if p not in "，。！？,.!?；;：:\n")
        else:
            yield "".join(part + rng.choice(joins) for part in parts)
    for length in (500, 2000, 6000):
        words = rng.choices(pieces, k=length // 8)
        yield "".join(words)[:length]
        yield " ".join(words)[:length]
        yield "".join(w.translate(str.maketrans("", "", "，。！？,.!?；;：:\n")) for w in words)[:length]


def findings(checked: Checked) -> list[object]:
    return [
        [[f.category, f.rule, f.pack_key, f.severity, f.start, f.end, f.evidence] for f in checked.findings],
        [[d.rule, d.evidence, d.because] for d in checked.dropped],
    ]


def dump(text: str, party: str, speaker: str) -> dict[str, object]:
    checked = {"as_item": findings(check_conduct(text, party=party, speaker=speaker))}
    for to in PARTIES:
        checked[to] = findings(check_conduct(text, party=to, speaker="collector"))
    decisions = [
        repr(check_text(TextRequest(purpose, text, channel, to), load_pack(pack)))
        for pack in available_packs()
        for to in TEXT_PARTIES
        for purpose, channel in TEXT_KINDS
    ]
    return {"text": text, "party": party, "speaker": speaker, "checked": checked, "decisions": decisions}


def all_dumps(count: int, seed: int) -> Iterator[str]:
    items = list(corpus_texts())
    for text, party, speaker in items:
        yield json.dumps(dump(text, party, speaker), ensure_ascii=False, sort_keys=True)
    for text in random_texts([text for text, _, _ in items], count, seed):
        yield json.dumps(dump(text, "debtor", "collector"), ensure_ascii=False, sort_keys=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="write the dump here")
    parser.add_argument("--against", type=Path, help="compare with this dump")
    parser.add_argument("--random", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    lines = list(all_dumps(args.random, args.seed))
    print(f"{len(lines)} texts dumped in {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.against is None:
        return 0
    recorded = args.against.read_text(encoding="utf-8").splitlines()
    pairs = enumerate(zip(recorded, lines, strict=False))
    differences = [(index, old, new) for index, (old, new) in pairs if old != new]
    if len(recorded) != len(lines):
        print(f"{len(recorded)} texts recorded, {len(lines)} now")
    for index, old, new in differences[:20]:
        print(f"text {index}:\n  was {old}\n  now {new}")
    print(f"{len(differences)} differences")
    return 1 if differences or len(recorded) != len(lines) else 0


if __name__ == "__main__":
    sys.exit(main())
