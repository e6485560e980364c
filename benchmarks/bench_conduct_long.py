"""The conduct checker on long texts, one core (docs/qa.md, "Since (session 22)").

A collector's note of growing length (a threat, a clean question and an English reminder, repeated),
checked by the rules alone (``check_conduct``) and with the shipped model (``check_with_model``),
beside the floor the model cannot go under: its sentence encoder reading the text once. The
structure around each match (sentences, clauses, quotations) is indexed once per text; a text
scanned again at every character grew with the square of its length (16,000 characters took
57 s with the test suite running beside it). ``--unpunctuated`` takes the note's punctuation out:
one sentence and one clause, across which the condition and reported-speech cues were scanned at
each match until their matches were indexed too; ``check-text`` is what ``arrears compliance
check-text`` runs (the rules, the cn pack).

    PYTHONPATH=. python benchmarks/bench_conduct_long.py [--lengths 2000 8000 16000] [--unpunctuated]
"""

from __future__ import annotations

import os

# One core, set before numpy (OpenBLAS) starts its threads.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import re
import time
from collections.abc import Callable

from arrears.compliance.conduct import check_conduct, embedding
from arrears.compliance.conduct.model import check_with_model, load_model
from arrears.compliance.content import check_text
from arrears.compliance.facts import TextRequest
from arrears.compliance.packs import load_pack

NOTE = (
    "再不还钱，我们就把你的照片做成海报贴满你们小区。您好，请问本月账单已收到吗？ "
    "Please pay your bill by Friday, thank you. "
)
UNPUNCTUATED = re.sub(r"[^\w\s]", "", NOTE)


def seconds(check: Callable[[str], object], text: str) -> float:
    began = time.perf_counter()
    check(text)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lengths", type=int, nargs="+", default=[2_000, 8_000, 16_000])
    parser.add_argument("--unpunctuated", action="store_true", help="The note without its punctuation.")
    arguments = parser.parse_args()
    note = UNPUNCTUATED if arguments.unpunctuated else NOTE
    model, pack = load_model(), load_pack("cn")
    check_with_model("您好", model=model)  # the encoder and the reader loaded before timing
    check_text(TextRequest("template", "您好", None, "debtor"), pack)  # and the lexicon
    print(
        f"{'characters':>10}  {'rules':>8}  {'check-text':>10}  {'with the model':>14}"
        f"  {'floor: the encoder once':>23}"
    )
    for length in arguments.lengths:
        text = (note * (length // len(note) + 1))[:length]
        rules = seconds(check_conduct, text)
        checked = seconds(lambda t: check_text(TextRequest("template", t, None, "debtor"), pack), text)
        with_model = seconds(lambda t: check_with_model(t, model=model), text)
        floor = seconds(lambda t: embedding.embed([t]), text)
        print(f"{length:>10,}  {rules:>7.2f}s  {checked:>9.2f}s  {with_model:>13.2f}s  {floor:>22.2f}s")


if __name__ == "__main__":
    main()
