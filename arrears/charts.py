"""Charts as SVG with no script: pygal draws them, and the configuration script it always writes
(for tooltips nobody runs) is taken out, for pages that run no chart script and files people open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def script_free_svg(chart: Any) -> str:
    """The pygal chart's SVG without its script. pygal (ElementTree) escapes every label and title
    it writes, so the first ``</script>`` closes its script."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))


PALETTE = ("#1d4ed8", "#b91c1c", "#047857", "#b45309", "#6d28d9", "#0e7490", "#be185d", "#4d7c0f")
"""The pages' series colours, in order (each passes the contrast check against white)."""


def page_style(colours: Sequence[str] = PALETTE) -> Any:
    """The pages' chart style: white, the pages' text colours and font, ``colours`` in turn."""
    import pygal.style

    return pygal.style.Style(
        background="white",
        plot_background="white",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#52606d",
        colors=tuple(colours),
        font_family="system-ui, sans-serif",
    )


def page_chart_config(title: str, **more: Any) -> Any:
    """A pygal configuration for a chart inlined in a page: no script, nothing linked, no XML
    declaration, the pages' style; ``more`` overrides or adds settings."""
    import pygal

    return pygal.Config(
        js=[],
        disable_xml_declaration=True,
        title=title,
        width=720,
        height=320,
        legend_at_bottom=True,
        show_minor_x_labels=False,
        x_label_rotation=30,
        truncate_legend=-1,
        style=page_style(),
        **more,
    )


def inline_svg(chart: Any) -> Markup:
    """The chart's SVG to inline in a page, without pygal's script, labelled by its title for
    screen readers (pygal escapes what it writes)."""
    svg = script_free_svg(chart)
    label = escape(chart.config.title or "")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def short_day(day: date, language: str) -> str:
    """A day as an axis label in the reader's locale (2026/11/21, 11/21/26)."""
    from babel.dates import format_date

    return format_date(day, format="short", locale=language.replace("-", "_"))


def grouped_numbers(language: str) -> Callable[[float], str]:
    """An axis' numbers grouped by the reader's locale (240,000,000), never in exponent form."""
    from babel.numbers import format_decimal

    return lambda value: format_decimal(value, locale=language.replace("-", "_"))
