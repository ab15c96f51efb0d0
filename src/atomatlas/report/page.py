"""report.html: one self-contained page (every script and style inline, nothing fetched).

The page is plotly.js (from the plotly package) and our own script (``static/report.js``)
with the run's data as one JSON block. The JSON is escaped so that nothing in it can end
the block (``<``, ``>``, ``&`` and the JavaScript line separators become ``\\uXXXX``), and
the script puts every string from the run on the page as text (``textContent``, never
``innerHTML``), so a label such as ``<img src=x onerror=...>`` shows as itself.
"""

from __future__ import annotations

import json
from importlib import resources

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def safe_json(data) -> str:
    """JSON that can sit inside a <script> element whatever its strings hold."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return "".join(_ESCAPES.get(char, char) for char in text) if any(c in text for c in _ESCAPES) else text


def _plotly_js() -> str:
    script = resources.files("plotly").joinpath("package_data", "plotly.min.js").read_text(encoding="utf-8")
    return script.replace("</script", "<\\/script")  # would end the inline element early


def _static(name: str) -> str:
    return resources.files("atomatlas.report").joinpath("static", name).read_text(encoding="utf-8")


def render(data: dict) -> str:
    """The page for ``data`` (see :func:`atomatlas.report.contents.gather`)."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # no network: scripts and styles inline only, images from data: URLs
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; "
        "worker-src blob:\">",
        "<title>atomatlas report</title>",
        f"<style>{_static('report.css')}</style>",
        "</head><body>",
        '<header><h1 id="title"></h1><p id="subtitle"></p></header>',
        '<main id="report"></main>',
        f'<script id="atlas-data" type="application/json">{safe_json(data)}</script>',
        f"<script>{_plotly_js()}</script>",
        f"<script>{_static('report.js')}</script>",
        "</body></html>",
    ]) + "\n"
