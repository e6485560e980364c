"""Liveness and readiness, outside /api/v1 (a load balancer probes them without credentials)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
