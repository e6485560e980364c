"""The conduct checker's speed on one core, beside the old lexicon check (the floor).

    .venv/bin/python benchmarks/bench_content.py [--corpus data/qa/corpus] [--seconds 3] [--rules-only]

Utterances come from the corpus' dev split when --corpus is given (never the held-out split),
else from a built-in mix of Chinese (Simplified and Traditional), English and mixed texts, clean
and offending. Each contender runs on the same utterances, pinned to one core, for the given
seconds; printed: utterances per second for each, of wall-clock and of CPU time (on a shared
machine the CPU figure is the steadier), the checker's share of the floor's rate, and the load.

  * floor    the old lexicon check: normalise, then every category's patterns (lexicon/content.yaml)
  * checker  check_conduct: normalisation with OpenCC, rules, structure (conduct/)
  * gate     check_text under the cn pack: the checker, the pack's rule ids and the decision
  * model    the trained conduct model alone (model_findings: normalisation, n-grams, 10 scores)
  * rules + model  check_with_model: the checker's rules and the model (what --with-model measures)

--rules-only runs the first three (the model's contenders load the sentence encoder and take
minutes on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from arrears.compliance.conduct import check_conduct
from arrears.compliance.conduct.model import check_with_model, model_findings
from arrears.compliance.content import check_text
from arrears.compliance.facts import TextRequest
from arrears.compliance.lexicon import CATEGORIES, load_lexicon
from arrears.compliance.packs import load_pack

BUILT_IN = [
    "您好，这里是某某银行信用卡中心，请问是张先生吗？",
    "您的信用卡已逾期三十天，请尽快还款，以免影响个人征信。",
    "再不还就爆你通讯录，通知你单位和家人",
    "我们不会联系您的家人，请您放心。",
    "客户说要去银保监会投诉我们，已安抚。",
    "再不還錢，出門小心點，找人收拾你",
    "您的帳單已到期，請於本月二十五日前還款。",
    "跟他说了，再不还钱就让他坐牢",
    "你这个老赖，不要脸",
    "客户承诺本周五还款2000元，态度良好",
    "Your payment of $120 is past due. Call 800-555-0100. Reply STOP to opt out.",
    "If you do not pay we will tell your employer about this debt.",
    "We will not contact your employer.",
    "This is Officer Brown calling from the county court about your account.",
    "Please call us to discuss a payment plan.",
    "你的 credit card 已经 overdue 了，今天必须还，不然我晚上十一点再打给你",
    "法院判决后可申请强制执行",
    "你可以先去网贷借点钱还上",
]


def utterances(corpus: Path | None) -> list[str]:
    if corpus is None:
        return BUILT_IN
    from arrears.compliance.conduct.evaluation import load_corpus

    return [item.text for item in load_corpus(corpus, "dev")]


def lexicon_floor() -> Callable[[str], object]:
    lexicon = load_lexicon()
    categories = [lexicon.categories[name] for name in CATEGORIES]

    def check(text: str) -> object:
        normalised = lexicon.normalise(text)
        return [found for category in categories if (found := category.find(normalised))]

    return check


def rate(check: Callable[[str], object], texts: list[str], seconds: float) -> tuple[float, float]:
    """Utterances per second of wall-clock time and of the process's CPU time: on a shared machine
    the CPU figure is the steadier (the wall clock counts the time other work held the core)."""
    for text in texts:  # warm caches (compiled patterns, OpenCC's dictionaries)
        check(text)
    done = 0
    started, cpu = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - started) < seconds:
        for text in texts:
            check(text)
        done += len(texts)
    return done / elapsed, done / max(time.process_time() - cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rules-only", action="store_true", help="floor, checker and gate only")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = utterances(args.corpus)
    cn = load_pack("cn")
    contenders: dict[str, Callable[[str], object]] = {
        "floor (old lexicon)": lexicon_floor(),
        "checker (conduct)": check_conduct,
        "gate (check_text, cn)": lambda text: check_text(TextRequest("note", text, "call"), cn),
    }
    if not args.rules_only:
        contenders["model (trained)"] = model_findings
        contenders["rules + model"] = lambda text: check_with_model(text, "debtor", "collector")
    print(f"{len(texts)} utterances, mean {sum(map(len, texts)) / len(texts):.0f} characters, one core")
    print(f"  {'':24} {'wall clock':>14}   {'CPU time':>14}   {'× floor (CPU)':>13}")
    rates = {name: rate(check, texts, args.seconds) for name, check in contenders.items()}
    floor = rates["floor (old lexicon)"][1]
    for name, (wall, cpu) in rates.items():
        print(f"  {name:24} {wall:>12,.0f}/s   {cpu:>12,.0f}/s   {cpu / floor:13.2f}")
    print(f"  load average {os.getloadavg()[0]:.1f} (the machine's other work; 1.0 a core busy)")


if __name__ == "__main__":
    main()
