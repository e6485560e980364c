"""Routes of the compliance context under /api/v1 (thin: parse, check access, call the service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
