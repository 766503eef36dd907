"""Server-side SVG charts (no JavaScript, no inline style: the page's CSP forbids both)."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

_ids = itertools.count(1)

WIDTH = 640
LABEL_WIDTH = 230
ROW = 34
BAR = 22
PALETTE = ("#0b4f9c", "#a3161a", "#1d6b30", "#8a5a00", "#5b2a86", "#00646e", "#4a4a4a", "#9c2f6b", "#35607a")


def bar_chart(title: str, rows: list[tuple[str, int]], *, unit: str = "") -> Markup:
    """A horizontal bar chart of `rows` (label, count); every bar carries its count as text and a <title>."""
    chart_id = f"chart-{next(_ids)}"
    top = 8
    height = top + ROW * max(1, len(rows)) + 8
    biggest = max([count for _, count in rows] + [1])
    room = WIDTH - LABEL_WIDTH - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{chart_id}-t" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" height="{height}" font-family="system-ui, sans-serif" '
        f'font-size="14">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 20}" fill="#4a4a4a">Chưa có số liệu trong khoảng thời gian này.</text>')
    for i, (label, count) in enumerate(rows):
        y = top + i * ROW
        length = 0 if count <= 0 else max(2, round(room * count / biggest))
        colour = PALETTE[i % len(PALETTE)]
        text = f"{label}: {count}{(' ' + unit) if unit else ''}"
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-count="{count}"><title>{escape(text)}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 6}" text-anchor="end" fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" fill="{colour}" rx="3"></rect>'
            f'<text class="count" x="{LABEL_WIDTH + length + 6}" y="{y + BAR - 6}" fill="#1a1a1a" '
            f'font-weight="700">{count}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
