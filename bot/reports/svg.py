"""Server-rendered SVG charts for the console: plain markup, no script, no inline style.

Colours come from classes styled by the console's stylesheet (the Content-Security-Policy forbids
inline styles), so the charts follow the page's look and print well. Every label is escaped.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(value))


def columns(items: list[tuple[str, float | None]], *, title: str, maximum: float | None = None,
            width: int = 420, height: int = 200, digits: int = 0, css: str = "") -> Markup:
    """Vertical bars with the value above each and the label below (distribution, weeks)."""
    top, bottom, left = 24, 28, 8
    plot_h = height - top - bottom
    peak = maximum or max((v for _, v in items if v is not None), default=0) or 1
    slot = (width - 2 * left) / max(1, len(items))
    bar = max(4.0, slot * 0.6)
    parts = [f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}"/>']
    for i, (label, value) in enumerate(items):
        x = left + i * slot + (slot - bar) / 2
        h = 0 if value is None else plot_h * min(value, peak) / peak
        y = top + plot_h - h
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
        parts.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                     f'{escape(_fmt(value, digits))}</text>')
        parts.append(f'<text class="label" x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def rows(items: list[tuple[str, float | None, str]], *, title: str, maximum: float, width: int = 420,
         bar_height: int = 18, digits: int = 2) -> Markup:
    """Horizontal bars, one per group, with a side note (e.g. CSAT per brand and its answer count)."""
    label_w, note_w, gap = 110, 70, 6
    height = max(1, len(items)) * (bar_height + gap) + gap
    plot_w = width - label_w - note_w
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value, note) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = 0 if value is None else plot_w * min(value, maximum) / maximum
        parts.append(f'<text class="label" x="{label_w - 6}" y="{y + bar_height - 5}" text-anchor="end">'
                     f'{escape(label[:12])}</text>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}"/>')
        parts.append(f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + bar_height - 5}">'
                     f'{escape(_fmt(value, digits))}</text>')
        parts.append(f'<text class="note" x="{width - 4}" y="{y + bar_height - 5}" text-anchor="end">'
                     f'{escape(note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
