"""Charts as SVG with no script: pygal draws them, and the configuration script it always writes
(for tooltips nobody runs) is taken out, for pages that run no chart script and files people open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

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
