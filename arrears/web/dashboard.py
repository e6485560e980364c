"""The supervisor's dashboard (报表看板, issue #14 §3): charts of the portfolio, the flows, the
promises, the contacts, the collections, the queues and the people, each with its table and its
CSV and XLSX exports.

Thin: the page declares report.read, parses and checks the filters, calls
``arrears.reports.dashboard.dashboard`` (each figure one aggregate SQL statement) and renders. The
charts are SVG drawn on the server by pygal (no script, nothing linked: ``js=[]``), each with a
title and its figures in a table under it; the roll-rate heat map is a table with coloured cells.
An export of a figure naming collectors is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pygal
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from openpyxl import Workbook
from starlette.responses import Response

from arrears.api.access import DatabaseSession, page_requires
from arrears.api.paging import now, today
from arrears.audit.trail import record
from arrears.auth.permissions import Permission
from arrears.auth.principal import Principal
from arrears.channels.rendering import PRODUCT_NAMES
from arrears.charts import grouped_numbers, inline_svg, page_chart_config, short_day
from arrears.contacts.dispositions import dispositions
from arrears.delinquency.rules import DelinquencyRules, load_rules
from arrears.errors import InvalidInputError, NotFoundError, echo
from arrears.i18n import N_, translate
from arrears.money import to_major
from arrears.reports import dashboard as reports
from arrears.reports.dashboard import AGES, FIGURES, PERSONAL_FIGURES, Dashboard, Filters
from arrears.spreadsheet import neutralise
from arrears.web import render

router = APIRouter(include_in_schema=False)

Reporter = Annotated[Principal, Depends(page_requires(Permission.REPORT_READ))]
Field = Annotated[str | None, Query(max_length=40)]

TITLES = {
    "buckets": N_("Accounts and balance by bucket"),
    "roll": N_("Roll rates"),
    "flows": N_("Entries and cures per day"),
    "promises": N_("Promise-kept rate"),
    "contacts": N_("Right-party-contact rate"),
    "collected": N_("Collected amounts"),
    "queues": N_("Queue sizes and ageing"),
    "collectors": N_("Productivity by collector"),
    "teams": N_("Productivity by team"),
}
DEFINITIONS = {
    "buckets": N_(
        "Accounts in the daily snapshot and their outstanding balance (schedule less net payments), "
        "per bucket, on up to 13 snapshot dates of the period."
    ),
    "roll": N_(
        "Of the accounts in each bucket on the first snapshot date of the period, the share in each "
        "bucket on the last one."
    ),
    "flows": N_(
        "Entries: cases the nightly batch opened or reopened that day. Cures: cases it cured (every "
        "account back to DPD 0)."
    ),
    "promises": N_(
        "Of the promises settled that day, the share kept in full; partly kept and broken count "
        "against it, superseded and cancelled ones are left out."
    ),
    "contacts": N_(
        "Right-party contacts (a conversation with the debtor) divided by outbound attempts; contact "
        "rate: connected calls divided by attempts; as the disposition codes count them."
    ),
    "collected": N_("Payments received that day less reversals, per currency."),
    "queues": N_("Cases in each team's queue now, by days since they entered it."),
    "collectors": N_(
        "Each collector's outbound attempts, right-party contacts and promises taken in the period, "
        "with the rates."
    ),
    "teams": N_("The same counts per team."),
}
AGE_LABELS = (N_("0–7 days"), N_("8–30 days"), N_("31–90 days"), N_("over 90 days"))
assert len(AGE_LABELS) == len(AGES)


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount in minor units and its currency (a table cell)."""

    minor: int
    currency: str

    @property
    def major(self) -> Decimal:
        return to_major(self.minor, self.currency)


@dataclass(frozen=True, slots=True)
class Rate:
    """A share, 0 to 1, four places (a table cell shown as a percentage)."""

    value: Decimal | None


Cell = str | int | date | Amount | Rate | None


@dataclass(frozen=True)
class Table:
    name: str
    headers: list[str]
    rows: list[list[Cell]]


# --- filters ------------------------------------------------------------------------------------


def _date(value: str | None, name: str, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            N_("{field} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-21"),
            field=f"{name} {echo(value, 40)!r}",
        ) from None


def filters_of(
    request: Request, first: str | None, last: str | None, team: str | None, product: str | None
) -> Filters:
    """The filters from the query, checked: a bad one is a 400 page saying which."""
    start, end = reports.default_period(today(request))
    team_id = None
    if team:
        if not team.isdigit() or not 0 < int(team) < 2**31:
            raise InvalidInputError(N_("team {team} is not a team's number"), team=repr(echo(team, 40)))
        team_id = int(team)
    if product and product not in PRODUCT_NAMES["en"]:
        raise InvalidInputError(N_("{product} is not a product"), product=repr(echo(product, 40)))
    filters = Filters(_date(first, "from", start), _date(last, "to", end), team_id, product or None)
    filters.check()
    return filters


def _rules(request: Request) -> DelinquencyRules:
    settings = request.app.state.context.settings
    return load_rules(settings.delinquency_rules) if settings.delinquency_rules else DelinquencyRules()


def _figures(
    request: Request, session: Any, principal: Principal, filters: Filters, figures: Sequence[str] = FIGURES
) -> Dashboard:
    settings = request.app.state.context.settings
    return reports.dashboard(
        session,
        principal,
        dispositions(settings.dispositions),
        _rules(request),
        filters,
        today=today(request),
        figures=figures,
    )


# --- the tables of the figures ------------------------------------------------------------------


def tables(dash: Dashboard, language: str, figures: Sequence[str] = FIGURES) -> dict[str, Table]:
    """Each figure as a table in the reader's language: the page's, the CSV's and the XLSX's."""

    def _(text: str) -> str:
        return translate(text, language)

    def team(team_id: int | None) -> str:
        return dash.team_names.get(team_id, str(team_id)) if team_id is not None else ""

    made: dict[str, Callable[[], Table]] = {
        "buckets": lambda: Table(
            "buckets",
            [_("Date"), _("Bucket"), _("Currency"), _("Accounts"), _("Outstanding")],
            [
                [p.as_of, p.bucket, p.currency, p.accounts, Amount(p.outstanding, p.currency)]
                for p in dash.buckets
            ],
        ),
        "roll": lambda: _roll_table(dash, _),
        "flows": lambda: Table(
            "flows", [_("Date"), _("Entries"), _("Cures")], [[f.day, f.entries, f.cures] for f in dash.flows]
        ),
        "promises": lambda: Table(
            "promises",
            [_("Date"), _("Kept"), _("Partly kept"), _("Broken"), _("Kept rate")],
            [[p.day, p.kept, p.partly_kept, p.broken, Rate(p.kept_rate)] for p in dash.promises],
        ),
        "contacts": lambda: Table(
            "contacts",
            [
                _("Date"),
                _("Attempts"),
                _("Connected"),
                _("Right-party contacts"),
                _("Contact rate"),
                _("RPC rate"),
            ],
            [
                [
                    r.day,
                    r.attempts,
                    r.connected,
                    r.right_party,
                    Rate(r.contact_rate),
                    Rate(r.right_party_rate),
                ]
                for r in dash.contacts
            ],
        ),
        "collected": lambda: Table(
            "collected",
            [_("Date"), _("Currency"), _("Payments"), _("Collected")],
            [[c.day, c.currency, c.payments, Amount(c.amount, c.currency)] for c in dash.collected],
        ),
        "queues": lambda: Table(
            "queues",
            [_("Team"), _("Queue"), _("Cases"), *(_(label) for label in AGE_LABELS)],
            [[team(q.team_id), q.queue, q.cases, *q.ages] for q in dash.queues],
        ),
        "collectors": lambda: Table(
            "collectors",
            [
                _("Team"),
                _("Collector"),
                _("Attempts"),
                _("Right-party contacts"),
                _("Promises"),
                _("RPC rate"),
                _("Promise rate"),
            ],
            [
                [
                    team(p.team_id),
                    dash.user_names.get(p.collector_id, str(p.collector_id)) if p.collector_id else "",
                    p.attempts,
                    p.right_party,
                    p.promises,
                    Rate(p.right_party_rate),
                    Rate(p.promise_rate),
                ]
                for p in dash.collectors
            ],
        ),
        "teams": lambda: Table(
            "teams",
            [
                _("Team"),
                _("Attempts"),
                _("Right-party contacts"),
                _("Promises"),
                _("RPC rate"),
                _("Promise rate"),
            ],
            [
                [
                    team(p.team_id),
                    p.attempts,
                    p.right_party,
                    p.promises,
                    Rate(p.right_party_rate),
                    Rate(p.promise_rate),
                ]
                for p in dash.teams
            ],
        ),
    }
    return {name: made[name]() for name in figures}


def _roll_table(dash: Dashboard, _: Callable[[str], str]) -> Table:
    matrix = dash.roll
    if matrix is None:
        return Table("roll", [_("From")], [])
    rows: list[list[Cell]] = []
    for source in matrix.buckets:
        total = matrix.row_total(source)
        if total:
            rows.append([source, total, *(Rate(matrix.rate(source, target)) for target in matrix.buckets)])
    return Table("roll", [_("From"), _("Accounts"), *matrix.buckets], rows)


# --- charts -------------------------------------------------------------------------------------


def _every(count: int) -> int:
    return max(1, count // 10)


def charts(dash: Dashboard, language: str, currency: str) -> dict[str, Markup]:
    """The SVG charts of the figures (floats only for the drawing; the tables hold the Decimals)."""

    def _(text: str, **params: Any) -> str:
        return translate(text, language, **params)

    out = _bucket_charts(dash, language, currency, _)
    grouped = grouped_numbers(language)
    if dash.flows:
        labels = [short_day(f.day, language) for f in dash.flows]
        chart = pygal.Bar(
            page_chart_config(_(TITLES["flows"]), x_labels_major_every=_every(len(labels))),
            x_labels=labels,
            value_formatter=grouped,
        )
        chart.add(_("Entries"), [f.entries for f in dash.flows])
        chart.add(_("Cures"), [f.cures for f in dash.flows])
        out["flows"] = inline_svg(chart)
    if dash.promises:
        labels = [short_day(p.day, language) for p in dash.promises]
        chart = pygal.Line(
            page_chart_config(
                _(TITLES["promises"]) + " (%)", range=(0, 100), x_labels_major_every=_every(len(labels))
            ),
            x_labels=labels,
            value_formatter=grouped,
        )
        chart.add(_("Kept rate"), [_percent(p.kept_rate) for p in dash.promises])
        out["promises"] = inline_svg(chart)
    if dash.contacts:
        labels = [short_day(r.day, language) for r in dash.contacts if r.day]
        chart = pygal.Line(
            page_chart_config(
                _(TITLES["contacts"]) + " (%)", range=(0, 100), x_labels_major_every=_every(len(labels))
            ),
            x_labels=labels,
            value_formatter=grouped,
        )
        chart.add(_("RPC rate"), [_percent(r.right_party_rate) for r in dash.contacts])
        chart.add(_("Contact rate"), [_percent(r.contact_rate) for r in dash.contacts])
        out["contacts"] = inline_svg(chart)
    days = [c for c in dash.collected if c.currency == currency]
    if days:
        labels = [short_day(c.day, language) for c in days]
        chart = pygal.Bar(
            page_chart_config(
                _("Collected ({currency})", currency=currency), x_labels_major_every=_every(len(labels))
            ),
            x_labels=labels,
            value_formatter=grouped,
        )
        chart.add(_("Collected"), [float(Amount(c.amount, c.currency).major) for c in days])
        out["collected"] = inline_svg(chart)
    if dash.queues:
        labels = [f"{dash.team_names.get(q.team_id, q.team_id)} · {q.queue}" for q in dash.queues]
        chart = pygal.HorizontalStackedBar(
            page_chart_config(_(TITLES["queues"])), x_labels=labels, value_formatter=grouped
        )
        for index, label in enumerate(AGE_LABELS):
            chart.add(_(label), [q.ages[index] for q in dash.queues])
        out["queues"] = inline_svg(chart)
    if dash.collectors:
        labels = [
            dash.user_names.get(p.collector_id, str(p.collector_id)) if p.collector_id else ""
            for p in dash.collectors
        ]
        chart = pygal.HorizontalBar(
            page_chart_config(_(TITLES["collectors"])), x_labels=labels, value_formatter=grouped
        )
        chart.add(_("Attempts"), [p.attempts for p in dash.collectors])
        chart.add(_("Right-party contacts"), [p.right_party for p in dash.collectors])
        chart.add(_("Promises"), [p.promises for p in dash.collectors])
        out["collectors"] = inline_svg(chart)
    return out


def _bucket_charts(dash: Dashboard, language: str, currency: str, _: Callable[..., str]) -> dict[str, Markup]:
    """Accounts and (the bank's currency's) balance per bucket on each snapshot date, stacked."""
    dates = sorted({p.as_of for p in dash.buckets})
    if not dates:
        return {}
    names = list(dict.fromkeys(p.bucket for p in dash.buckets))
    accounts = {(p.as_of, p.bucket): 0 for p in dash.buckets}
    balance: dict[tuple[date, str], Decimal] = {}
    for p in dash.buckets:
        accounts[(p.as_of, p.bucket)] += p.accounts
        if p.currency == currency:
            balance[(p.as_of, p.bucket)] = Amount(p.outstanding, p.currency).major
    labels = [short_day(d, language) for d in dates]
    every = _every(len(labels))
    grouped = grouped_numbers(language)
    chart = pygal.StackedBar(
        page_chart_config(_("Accounts by bucket"), x_labels_major_every=every),
        x_labels=labels,
        value_formatter=grouped,
    )
    for name in names:
        chart.add(name, [accounts.get((d, name), 0) for d in dates])
    out = {"buckets": inline_svg(chart)}
    chart = pygal.StackedBar(
        page_chart_config(_("Balance by bucket ({currency})", currency=currency), x_labels_major_every=every),
        x_labels=labels,
        value_formatter=grouped,
    )
    for name in names:
        chart.add(name, [float(balance.get((d, name), 0)) for d in dates])
    out["balance"] = inline_svg(chart)
    return out


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


HEAT_FROM, HEAT_TO = (0xFF, 0xFF, 0xFF), (0x7F, 0x1D, 0x1D)
"""The heat map's scale: white (no account moved so) to dark red (every account)."""


def heat(value: Decimal | None) -> str:
    """The roll-rate cell's background, from white to dark red by the share, and its text black
    or white, whichever contrasts more (at least 4.5:1 all along the scale: WCAG AA)."""
    share = float(value or 0)
    rgb = tuple(round(a + (b - a) * share) for a, b in zip(HEAT_FROM, HEAT_TO, strict=True))
    text = "#000000" if contrast(rgb, (0, 0, 0)) >= contrast(rgb, (255, 255, 255)) else "#ffffff"
    colour = "".join(f"{v:02x}" for v in rgb)
    return f"background:#{colour};color:{text}"


def _luminance(rgb: Sequence[int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: Sequence[int], other: Sequence[int]) -> float:
    """WCAG's contrast ratio of two sRGB colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# --- the routes ---------------------------------------------------------------------------------


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: DatabaseSession,
    principal: Reporter,
    first: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    team: Field = None,
    product: Field = None,
) -> Response:
    """The supervisor's dashboard (报表看板): charts and tables of the portfolio, flows, promises,
    contacts, collections, queues and productivity, for a period, a team and a product."""
    filters = filters_of(request, first, last, team, product)
    dash = _figures(request, session, principal, filters)
    language = render.language_of(request)
    currency = request.app.state.context.settings.default_currency
    query = request.url.query
    return render.render(
        request,
        "dashboard.html",
        {
            "dash": dash,
            "filters": filters,
            "figures": FIGURES,
            "titles": TITLES,
            "definitions": DEFINITIONS,
            "tables": tables(dash, language),
            "charts": charts(dash, language, currency),
            "currency": currency,
            "team_choices": reports.teams_to_filter(session, principal),
            "products": list(PRODUCT_NAMES["en"]),
            "heat": heat,
            "query": f"?{query}" if query else "",
            "is_amount": lambda cell: isinstance(cell, Amount),
            "is_rate": lambda cell: isinstance(cell, Rate),
            "is_date": lambda cell: isinstance(cell, date),
        },
    )


@router.get("/dashboard/{figure}.{kind}")
def dashboard_export(
    request: Request,
    session: DatabaseSession,
    principal: Reporter,
    figure: Annotated[str, Path(max_length=20)],
    kind: Annotated[str, Path(max_length=5)],
    first: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    team: Field = None,
    product: Field = None,
) -> Response:
    """One figure of the dashboard as CSV or XLSX, with the page's filters; an export naming
    collectors is audited."""
    if figure not in FIGURES or kind not in ("csv", "xlsx"):
        raise NotFoundError(N_("No such export"))
    filters = filters_of(request, first, last, team, product)
    dash = _figures(request, session, principal, filters, [figure])
    table = tables(dash, render.language_of(request), [figure])[figure]
    if figure in PERSONAL_FIGURES:
        record(
            session,
            principal.actor(),
            "report.export",
            at=now(request),
            object_type="report",
            object_id=f"dashboard.{figure}",
            after={
                "format": kind,
                "from": filters.first.isoformat(),
                "to": filters.last.isoformat(),
                "team_id": filters.team_id,
                "product": filters.product,
                "rows": len(table.rows),
            },
        )
    name = f"{figure}-{filters.first.isoformat()}-{filters.last.isoformat()}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if kind == "csv":
        return Response(to_csv(table), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(
        to_xlsx(table),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )


def _plain(cell: Cell) -> str | int | Decimal | date | None:
    """A cell as a spreadsheet holds it: amounts in major units (Decimal), rates as Decimals,
    every text neutralised."""
    if isinstance(cell, Amount):
        return cell.major
    if isinstance(cell, Rate):
        return cell.value
    if isinstance(cell, str):
        return neutralise(cell)
    return cell


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a BOM (so a spreadsheet reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(
            ["" if (v := _plain(c)) is None else (v.isoformat() if isinstance(v, date) else v) for c in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """The table as one XLSX sheet: numbers as numbers, dates as dates, text neutralised."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name)
    sheet.append([neutralise(h) for h in table.headers])
    for row in table.rows:
        sheet.append([_plain(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
