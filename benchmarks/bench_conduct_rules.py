"""The conduct rules' speed over every open-split text, and what each rule's searches cost.

    PYTHONPATH=. python benchmarks/bench_conduct_rules.py [--repeats 3] [--profile] [--top 15]

The texts are every item of the splits trained on (model_training.TRAINING_SPLITS; never the part
held out for measuring), longer than dev's alone. Printed: ``check_conduct(text)`` (to the
debtor, as a collector: what bench_content.py's checker runs) per second of CPU time, each pass
and the best of --repeats, pinned to one core. With --profile, each rule's searches as the
checker runs them (its ``requires`` test, its pattern's search, its further matches), timed for
every text both to the debtor and to a third party (the rules for one party only run once), the
most expensive first, with their share of the whole.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

from arrears.compliance.conduct import check_conduct
from arrears.compliance.conduct.checker import DEBTOR_SIDE
from arrears.compliance.conduct.evaluation import load_corpus
from arrears.compliance.conduct.model_training import TRAINING_SPLITS
from arrears.compliance.conduct.normalise import HAS_CJK, HAS_LATIN, normalise
from arrears.compliance.conduct.rules import load_rules

CORPUS = Path(__file__).resolve().parent.parent / "data" / "qa" / "corpus"


def open_texts() -> list[str]:
    return [item.text for split in TRAINING_SPLITS for item in load_corpus(CORPUS, split)]


def rate(texts: list[str]) -> float:
    """Texts per second of CPU time, one pass."""
    started = time.process_time()
    for text in texts:
        check_conduct(text)
    return len(texts) / max(time.process_time() - started, 1e-9)


def profile(texts: list[str]) -> dict[str, float]:
    """Seconds of each rule's searches (requires, search, the further matches) over the texts, to
    the debtor and to a third party."""
    book = load_rules()
    cost: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    for text in texts:
        plain = normalise(text, book.evasions).text
        has_zh = HAS_CJK.search(plain) is not None
        has_en = HAS_LATIN.search(plain) is not None
        for party in ("debtor", "third_party"):
            for rule, pattern, requires in book.searches(party in DEBTOR_SIDE, has_zh, has_en):
                if party != "debtor" and not rule.third_party_only:
                    continue  # searched once, to the debtor
                started = clock()
                if (requires is None or requires.search(plain) is not None) and pattern.search(plain):
                    for _ in pattern.finditer(plain):
                        pass
                cost[rule.id] += clock() - started
    return dict(cost)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="each rule's searches, the costliest first")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = open_texts()
    for text in texts:  # warm caches (compiled patterns, OpenCC's dictionaries)
        check_conduct(text)
    mean = sum(map(len, texts)) / len(texts)
    print(f"rules {load_rules().version}: {len(texts)} open-split texts, mean {mean:.0f} characters, 1 core")
    rates = [rate(texts) for _ in range(args.repeats)]
    print(f"  checker, CPU: {', '.join(f'{r:,.0f}/s' for r in rates)}; best {max(rates):,.0f}/s")
    if args.profile:
        cost = profile(texts)
        total = sum(cost.values())
        print(f"  the rules' searches (to the debtor; the third-party rules to a third party): {total:.2f} s")
        for rule, seconds in sorted(cost.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"    {rule:36} {seconds:6.3f} s  {seconds / total:5.1%}")
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
