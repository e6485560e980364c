"""Queries of the strategy context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

from arrears.strategy.document import StrategyDocument, StrategyFileError
from arrears.strategy.models import Strategy, StrategyStatus
from arrears.yamlfile import parse_yaml, read_yaml, validate


@dataclass(frozen=True)
class ActiveStrategy:
    id: int
    code: str
    number: int
    document: StrategyDocument


def active_strategy(connection: Connection, as_of: date) -> ActiveStrategy | None:
    """The approved version with the latest ``active_from`` on or before ``as_of`` (the newest
    number when two start the same day)."""
    row = connection.execute(
        select(Strategy.id, Strategy.code, Strategy.number, Strategy.document)
        .where(Strategy.status == str(StrategyStatus.APPROVED), Strategy.active_from <= as_of)
        .order_by(Strategy.active_from.desc(), Strategy.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return ActiveStrategy(
        row.id, row.code, row.number, parse_document(row.document, f"{row.code} v{row.number}")
    )


def parse_document(text: str, source: str) -> StrategyDocument:
    return validate(
        parse_yaml(text, source, error=StrategyFileError), StrategyDocument, error=StrategyFileError
    )


def read_document(file: Path) -> tuple[str, StrategyDocument]:
    """A strategy file's text and document; a clear error when it cannot be read or is not one."""
    read_yaml(file, error=StrategyFileError)  # readable, and YAML: else a clear error
    text = file.read_text("utf-8")
    return text, parse_document(text, str(file))
