"""``arrears serve``: the HTTP API under uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

commands: dict[str, Callable[..., Any]] = {}
