"""Roll rates: the bucket-to-bucket transition matrix between two snapshot dates.

Counted in the operational database with one GROUP BY over the two snapshots
(arrears.reports.repository). Rates are exact Decimals (the share of the row: accounts, or the
balance outstanding at the first date), rounded half-even to four places for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from sqlalchemy import Connection

from arrears.delinquency.repository import has_snapshot
from arrears.delinquency.rules import DelinquencyRules
from arrears.errors import InvalidInputError, NotFoundError, echo
from arrears.i18n import N_
from arrears.money import format_major, is_currency
from arrears.reports import repository

BY_COUNT = "count"
BY_BALANCE = "balance"
RATE_PLACES = Decimal("0.0001")


class RollRateError(InvalidInputError):
    """The matrix cannot be computed (a missing snapshot, a bad option)."""

    code = "roll_rates"
    default_message = N_("The roll-rate matrix cannot be computed")


class MissingSnapshotError(RollRateError, NotFoundError):
    """No snapshot is stored for one of the two dates."""

    code = "no_snapshot"
    http_status = 404


@dataclass(frozen=True, slots=True)
class RollMatrix:
    first: date
    last: date
    by: str
    currency: str | None
    buckets: tuple[str, ...]
    cells: dict[tuple[str, str], int]  # (from, to) -> accounts, or minor units of balance

    def row_total(self, bucket: str) -> int:
        return sum(v for (f, _), v in self.cells.items() if f == bucket)

    def rate(self, source: str, target: str) -> Decimal | None:
        total = self.row_total(source)
        if total == 0:
            return None
        share = Decimal(self.cells.get((source, target), 0)) / Decimal(total)
        return share.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


def roll_matrix(
    connection: Connection,
    first: date,
    last: date,
    rules: DelinquencyRules,
    by: str = BY_COUNT,
    currency: str | None = None,
) -> RollMatrix:
    if by not in (BY_COUNT, BY_BALANCE):
        raise RollRateError(
            N_("--by must be {count} or {balance}, not {given}"),
            count=BY_COUNT,
            balance=BY_BALANCE,
            given=repr(echo(by)),
        )
    if last <= first:
        raise RollRateError(N_("--to must be after --from"))
    if by == BY_BALANCE and currency is None:
        raise RollRateError(N_("--by balance needs a currency"))
    if currency is not None and not is_currency(currency):
        raise RollRateError(
            N_("{currency} is not an ISO 4217 currency code (write it like CNY or USD)"),
            currency=repr(echo(currency)),
        )
    for day in (first, last):
        if not has_snapshot(connection, day):
            raise MissingSnapshotError(
                N_("no snapshot as of {date}: run `arrears batch run --as-of {date}` first"),
                date=day.isoformat(),
            )
    cells: dict[tuple[str, str], int] = {}
    for source, target, count, balance in repository.roll_cells(connection, first, last, currency):
        cells[(source, target)] = int(count if by == BY_COUNT else balance or 0)
    known = list(rules.names)
    extra = sorted({b for pair in cells for b in pair} - set(known))
    return RollMatrix(first, last, by, currency, tuple(known + extra), cells)


def render_table(matrix: RollMatrix) -> object:
    from rich.table import Table

    unit = "accounts 户数" if matrix.by == BY_COUNT else f"balance 余额 ({matrix.currency})"
    span = f"{matrix.first.isoformat()} → {matrix.last.isoformat()}"
    table = Table(title=f"Roll rates 迁徙率 (% of row) {span}, by {unit}")
    table.add_column("from \\ to")
    for bucket in matrix.buckets:
        table.add_column(bucket, justify="right")
    table.add_column("total", justify="right")
    for source in matrix.buckets:
        total = matrix.row_total(source)
        if total == 0:
            continue
        cells = []
        for target in matrix.buckets:
            rate = matrix.rate(source, target)
            cells.append("" if not rate else f"{rate * 100:.1f}")
        shown = f"{total:,}" if matrix.by == BY_COUNT else format_major(total, matrix.currency or "XXX")
        table.add_row(source, *cells, shown)
    return table


def check_png(path: Path) -> None:
    """Refuse a heat map file name that is not a PNG's, before any work is done."""
    if path.suffix.lower() != ".png":
        raise RollRateError(N_("{path}: the heat map is a PNG image: name a .png file"), path=echo(path))


def draw_heat_map(matrix: RollMatrix, path: Path) -> None:
    """A PNG heat map of the row shares (floats only for the drawing)."""
    check_png(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(matrix.buckets)
    shares = [[float(matrix.rate(s, t) or 0) for t in names] for s in names]
    figure, axes = plt.subplots(figsize=(1.0 + 0.8 * len(names), 0.8 + 0.7 * len(names)))
    image = axes.imshow(shares, cmap="Reds", vmin=0.0, vmax=1.0)
    axes.set_xticks(range(len(names)), names)
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel(f"bucket on {matrix.last.isoformat()}")
    axes.set_ylabel(f"bucket on {matrix.first.isoformat()}")
    for row, values in enumerate(shares):
        for column, value in enumerate(values):
            if value:
                colour = "white" if value > 0.6 else "black"
                axes.text(column, row, f"{value:.0%}", ha="center", va="center", fontsize=7, color=colour)
    axes.set_title(f"Roll rates by {matrix.by}")
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
