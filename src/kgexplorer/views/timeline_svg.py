"""A timeline drawn on the server as one self-contained SVG (no script, no fonts, nothing fetched).

It reads top to bottom, oldest first: the year on the left, one lane per substance (a dot where an
event concerns it), the event's label and where it is recorded. Gaps between rows grow with the years
between events, so long quiet periods show. It works offline, in exports, handouts and on a projector.

>>> from kgexplorer import KnowledgeGraph
>>> from kgexplorer.model.timeline import timeline
>>> with KnowledgeGraph.bundled() as kg:
...     svg = timeline_svg(timeline(kg, ["ketamine"], max_events=kg.settings.timeline_events))
>>> svg.startswith("<svg"), "1962" in svg, "http" in svg.split("xmlns", 1)[0]
(True, True, False)
"""

from __future__ import annotations

import textwrap
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from kgexplorer.model.timeline import Timeline

__all__ = ["timeline_svg"]

_KIND_COLOURS = {"Regulatory event": "#8a3b12", "Study published": "#1f5f99", "History": "#4d5a2b"}
_LANE_COLOURS = ("#222222", "#7a1f6b", "#0b6e4f", "#6b4c00")
_ROW, _LINE, _LANE = 34, 19, 26


def timeline_svg(t: Timeline, *, width: int = 1100) -> str:
    """The timeline as an SVG document (a string starting ``<svg``), ``width`` pixels wide."""
    lanes = len(t.substances)
    axis_x = 86
    text_x = axis_x + lanes * _LANE + 14
    chars = max(30, (width - text_x - 10) // 10)
    parts: list[str] = []
    y = 64
    previous: int | None = None
    for event in t.events:
        if previous is not None:
            y += min(max(event.year - previous, 0), 12) * 4  # quiet years show as space, capped
        lines = textwrap.wrap(event.label, chars) or [""]
        colour = _KIND_COLOURS.get(event.kind, "#444444")
        parts.append(
            f'<g class="kg-event"><title>{escape(event.date)}: {escape(event.label)} ({escape(event.kind)}; '
            f"source {escape(event.source)})</title>"
        )
        if event.year != previous:
            parts.append(f'<text x="{axis_x - 12}" y="{y + 5}" text-anchor="end" font-weight="700">{event.year}</text>')
        for lane, name in enumerate(t.substances):
            cx = axis_x + lane * _LANE + _LANE // 2
            if name in event.substances:
                parts.append(
                    f'<circle cx="{cx}" cy="{y}" r="8" fill="{colour}" '
                    f'stroke="{_LANE_COLOURS[lane]}" stroke-width="3"/>'
                )
        for i, line in enumerate(lines):
            weight = ' font-weight="600"' if i == 0 else ""
            parts.append(f'<text x="{text_x}" y="{y + 5 + i * _LINE}"{weight}>{escape(line)}</text>')
        host = urlsplit(event.source).netloc or event.source
        note = f"{event.kind} · {event.date} · source: {host}"
        parts.append(
            f'<text x="{text_x}" y="{y + 5 + len(lines) * _LINE}" font-size="13" fill="#4a4a4a">'
            f"{escape(note)}</text></g>"
        )
        y += _ROW + len(lines) * _LINE
        previous = event.year
    height = y + 10
    lane_top = "".join(
        f'<line x1="{axis_x + i * _LANE + _LANE // 2}" y1="52" x2="{axis_x + i * _LANE + _LANE // 2}" '
        f'y2="{height - 20}" stroke="{_LANE_COLOURS[i]}" stroke-width="2" stroke-opacity="0.5"/>'
        for i in range(lanes)
    )
    legend_x, legend = 10, []
    for i, name in enumerate(t.substances):
        legend.append(
            f'<circle cx="{legend_x + 8}" cy="20" r="7" fill="#ffffff" stroke="{_LANE_COLOURS[i]}" stroke-width="3"/>'
            f'<text x="{legend_x + 20}" y="25" font-weight="600">{escape(name)}</text>'
        )
        legend_x += 34 + 10 * len(name)
    for kind, colour in _KIND_COLOURS.items():
        legend.append(
            f'<circle cx="{legend_x + 8}" cy="20" r="7" fill="{colour}"/><text x="{legend_x + 20}" y="25">{kind}</text>'
        )
        legend_x += 40 + 9 * len(kind)
    label = escape(t.summary)
    empty = "" if t.events else f'<text x="10" y="70">{label}</text>'
    cut = f'<text x="10" y="{height + 4}" font-size="13">{label}</text>' if t.truncated else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + (20 if t.truncated else 0)}" '
        f'viewBox="0 0 {width} {height + (20 if t.truncated else 0)}" role="img" aria-label="{label}" '
        f'font-family="system-ui, sans-serif" font-size="16" fill="#1a1a1a">'
        f'<title>{label}</title><rect width="100%" height="100%" fill="#ffffff"/>{"".join(legend)}{lane_top}'
        f"{''.join(parts)}{empty}{cut}</svg>"
    )
