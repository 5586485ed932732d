"""Inline SVG charts for report.html.

The report is opened on air-gapped audit machines, so charts are plain SVG
markup computed here (no chart library, no script needed to see them, and
they print). Every label goes through ``escape``: dataset ids and column names
come from the scanned sources.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from markupsafe import Markup
from markupsafe import escape as _escape

from reports.safe_text import neutralize


def escape(text: object) -> Markup:
    """HTML-escape a label from data, with control and bidi characters spelled out (reports/safe_text.py)."""
    return _escape(neutralize(str(text)))


FONT = 12
ROW_H = 22
BAR_H = 14


@dataclass(frozen=True)
class Bar:
    """One bar (or one segment of a stacked bar)."""

    label: str
    value: int
    color: str


def text_width(text: str, size: int = FONT) -> float:
    """Approximate rendered width: wide (CJK) characters take a full em, others about 0.6."""
    return sum(size * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6) for ch in text)


def clip(text: str, max_width: float, size: int = FONT) -> str:
    """Shorten a label to fit ``max_width`` (the full text stays in a <title>)."""
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(body) + "</svg>"
    )


def _label_column(labels: list[str], limit: float = 220) -> float:
    return min(limit, max((text_width(x) for x in labels), default=40) + 12)


def bar_chart(bars: list[Bar], title: str, width: int = 340) -> Markup:
    """Horizontal bars with their value at the end (e.g. sensitive columns per level)."""
    left = _label_column([b.label for b in bars])
    top = 6
    span = width - left - 48
    peak = max((b.value for b in bars), default=0) or 1
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * ROW_H
        w = span * bar.value / peak
        body.append(
            f'<text x="{left - 8:.0f}" y="{y + BAR_H - 3}" text-anchor="end" font-size="{FONT}">'
            f"{escape(clip(bar.label, left - 10))}</text>"
            f'<rect x="{left:.0f}" y="{y}" width="{max(w, 1 if bar.value else 0):.1f}" height="{BAR_H}" '
            f'rx="2" fill="{bar.color}"><title>{escape(bar.label)}: {bar.value}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + BAR_H - 3}" font-size="{FONT}" class="num">{bar.value}</text>'
        )
    return _svg(width, top * 2 + len(bars) * ROW_H, title, body)


def stacked_bars(rows: list[tuple[str, list[Bar]]], title: str, width: int = 360, empty: str = "") -> Markup:
    """One horizontal bar per row, split into coloured segments (violations per dataset by severity)."""
    if not rows:
        return _svg(width, 40, title, [f'<text x="8" y="24" font-size="{FONT}" class="muted">{escape(empty)}</text>'])
    left = _label_column([r[0] for r in rows])
    top = 6
    span = width - left - 48
    peak = max(sum(s.value for s in segs) for _, segs in rows) or 1
    body: list[str] = []
    for i, (label, segs) in enumerate(rows):
        y = top + i * ROW_H
        x = left
        body.append(f'<text x="{left - 8:.0f}" y="{y + BAR_H - 3}" text-anchor="end" font-size="{FONT}">'
                    f"<title>{escape(label)}</title>{escape(clip(label, left - 10))}</text>")
        for seg in segs:
            if not seg.value:
                continue
            w = span * seg.value / peak
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{seg.color}">'
                        f"<title>{escape(label)} · {escape(seg.label)}: {seg.value}</title></rect>")
            x += w
        total = sum(s.value for s in segs)
        body.append(f'<text x="{x + 6:.1f}" y="{y + BAR_H - 3}" font-size="{FONT}" class="num">{total}</text>')
    return _svg(width, top * 2 + len(rows) * ROW_H, title, body)


@dataclass(frozen=True)
class HeatCell:
    """Columns of one dataset holding one entity, coloured by the entity's level."""

    count: int
    color: str


def heat_map(rows: list[str], cols: list[str], cells: dict[tuple[int, int], HeatCell], title: str,
             empty: str = "") -> Markup:
    """Dataset × entity grid: a filled square where the dataset holds the entity, with the column count."""
    if not rows or not cols:
        return _svg(420, 40, title, [f'<text x="8" y="24" font-size="{FONT}" class="muted">{escape(empty)}</text>'])
    cell = 30
    left = _label_column(rows, 260)
    head = max(text_width(c) for c in cols) * 0.72 + 16  # labels at -45°
    width = left + cell * len(cols) + head * 0.7 + 10
    height = head + cell * len(rows) + 6
    body: list[str] = []
    for j, name in enumerate(cols):
        x = left + j * cell + cell / 2
        body.append(f'<text transform="translate({x:.1f},{head - 6:.1f}) rotate(-45)" font-size="{FONT}">'
                    f"{escape(name)}</text>")
    for i, name in enumerate(rows):
        y = head + i * cell
        body.append(f'<text x="{left - 8:.0f}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" font-size="{FONT}">'
                    f"<title>{escape(name)}</title>{escape(clip(name, left - 10))}</text>")
        for j, col in enumerate(cols):
            x = left + j * cell
            hit = cells.get((i, j))
            if hit is None:
                body.append(f'<rect x="{x + 1}" y="{y + 1:.1f}" width="{cell - 2}" height="{cell - 2}" '
                            f'fill="#f2f4f7"/>')
                continue
            body.append(
                f'<rect x="{x + 1}" y="{y + 1:.1f}" width="{cell - 2}" height="{cell - 2}" rx="3" fill="{hit.color}">'
                f"<title>{escape(name)} · {escape(col)}: {hit.count}</title></rect>"
                f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" font-size="{FONT}" '
                f'class="on">{hit.count}</text>'
            )
    return _svg(width, height, title, body)


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: a value per scan."""

    label: str
    values: list[int]
    color: str


def trend_chart(x_labels: list[str], series: list[Series], title: str, width: int = 520, empty: str = "") -> Markup:
    """Lines over recent scans (e.g. sensitive columns and violations), the last point labelled.

    Each point has a <title> with the scan and the value, so the exact numbers
    are there on hover and for screen readers; x labels are the scans' dates.
    """
    if len(x_labels) < 2 or not series:
        return _svg(width, 40, title, [f'<text x="8" y="24" font-size="{FONT}" class="muted">{escape(empty)}</text>'])
    left, right, top, plot_h = 34, 120, 10, 120
    span = width - left - right
    peak = max((v for s in series for v in s.values), default=0) or 1
    step = span / (len(x_labels) - 1)

    def y_of(v: int) -> float:
        return top + plot_h - plot_h * v / peak

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + span:.0f}" y2="{top + plot_h}" stroke="#d0d5dd"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="{FONT - 2}" class="muted">{peak}</text>',
            f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="{FONT - 2}" class="muted">0</text>']
    for i, label in enumerate(x_labels):
        if i in (0, len(x_labels) - 1) or len(x_labels) <= 6:
            anchor = "start" if i == 0 else "end" if i == len(x_labels) - 1 else "middle"
            body.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" '
                        f'font-size="{FONT - 2}" class="muted">{escape(label)}</text>')
    for s in series:
        points = [(left + i * step, y_of(v)) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for (x, y), v, label in zip(points, s.values, x_labels):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.color}">'
                        f"<title>{escape(label)} · {escape(s.label)}: {v}</title></circle>")
        x, y = points[-1]
        body.append(f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" font-size="{FONT}" class="num">{s.values[-1]} '
                    f"{escape(clip(s.label, right - 26))}</text>")
    return _svg(width, top + plot_h + 24, title, body)
