"""Charts as SVG with no script: pygal draws them, and the configuration script it always writes
(for tooltips nobody runs) is taken out, for pages that run no chart script and files people open.
"""

from __future__ import annotations

import re
from typing import Any

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def script_free_svg(chart: Any) -> str:
    """The pygal chart's SVG without its script. pygal (ElementTree) escapes every label and title
    it writes, so the first ``</script>`` closes its script."""
    return _SCRIPT.sub("", chart.render(is_unicode=True))
