"""Bar charts drawn on the server as inline SVG: no JavaScript, no library,
nothing fetched from the network.

A chart is a picture of the table printed under it, which holds the same
figures: screen readers get the chart's title and a one-sentence summary
(``<title>``/``<desc>``, referenced by ``aria-labelledby``/``aria-describedby``)
and then the table. Each bar segment carries its own ``<title>`` (a tooltip
on hover: who, which month, how much).

The bars are stacked, one colour per series, from a palette that stays
distinguishable to readers with the common colour-vision deficiencies
(Okabe and Ito). Past ``MAX_SERIES`` series the smallest are drawn together
as "Others"; the table still lists each one. Text and axes use
``currentColor``, so the chart follows the page's light or dark scheme.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe-Ito, without its yellow (too pale on white) and black (the text's colour).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F6A00")
OTHERS_COLOUR = "#8C8C8C"
MAX_SERIES = len(PALETTE)

WIDTH = 720
PLOT_HEIGHT = 220
MARGIN_LEFT = 72
MARGIN_RIGHT = 16
MARGIN_TOP = 16
AXIS_LABELS = 40
LEGEND_ROW = 20
FONT_SIZE = 12
# An estimate of the width of one character at FONT_SIZE, to lay out the legend.
CHAR_WIDTH = 7


@dataclass(frozen=True)
class ChartSeries:
    """One stacked series: a label and one value per category (not negative)."""

    label: str
    values: Sequence[Decimal]


def nice_step(top: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that about
    ``ticks`` steps reach ``top``: ``nice_step(Decimal(830))`` is ``250``."""
    if top <= 0:
        return Decimal(1)
    raw = top / ticks
    # adjusted() is the exponent of the leading digit: floor(log10(raw)).
    magnitude = Decimal(10) ** raw.adjusted()
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover -- the loop ends at 10


def _number(value: Decimal) -> str:
    """An axis label: grouped thousands, no trailing zeros (``2,500``, ``0.25``)."""
    text = f"{value.normalize():,f}"
    return text


def _fold(series: Sequence[ChartSeries], count: int) -> list[tuple[str, str, list[Decimal]]]:
    """``(label, colour, values)``, the largest series first in the palette's
    colours, the rest added up as "Others" when there are too many."""
    ranked = sorted(series, key=lambda s: -sum(s.values, Decimal(0)))
    if len(ranked) <= MAX_SERIES:
        kept, rest = ranked, []
    else:
        kept, rest = ranked[: MAX_SERIES - 1], ranked[MAX_SERIES - 1 :]
    # Colours follow the caller's order (stable from one month range to the
    # next), not the ranking.
    order = {id(s): n for n, s in enumerate(series)}
    kept.sort(key=lambda s: order[id(s)])
    folded = [
        (s.label, PALETTE[n % len(PALETTE)], [Decimal(v) for v in s.values])
        for n, s in enumerate(kept)
    ]
    if rest:
        others = [sum((s.values[i] for s in rest), Decimal(0)) for i in range(count)]
        folded.append((f"Others ({len(rest)})", OTHERS_COLOUR, others))
    return folded


def _legend(items: Sequence[tuple[str, str]], *, top: int, width: int) -> tuple[list[str], int]:
    """The legend's SVG elements, wrapped into rows; and its height."""
    parts: list[str] = []
    x, y = MARGIN_LEFT, top
    for label, colour in items:
        item_width = 18 + CHAR_WIDTH * len(label) + 16
        if x + item_width > width - MARGIN_RIGHT and x > MARGIN_LEFT:
            x, y = MARGIN_LEFT, y + LEGEND_ROW
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{y + 10}">{escape(label)}</text>'
        )
        x += item_width
    return parts, (y - top) + LEGEND_ROW if items else 0


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[ChartSeries],
    format_value: Callable[[Decimal], str] = _number,
    width: int = WIDTH,
) -> SafeString:
    """A stacked bar chart of ``series`` over ``categories`` (months), as an
    inline ``<svg>`` element. A category's label may take two lines
    (``"Jan\\n2027"``). ``chart_id`` makes the ids of its title and
    description unique on the page; ``format_value`` writes an amount in a
    segment's tooltip (a currency, say).

    >>> svg = bar_chart(chart_id="c", title="Income", description="Income by month.",
    ...                 categories=["Jan"], series=[ChartSeries("Acme", [Decimal(5)])])
    >>> svg.startswith('<svg') and "<title id=\\"c-title\\">Income</title>" in svg
    True
    """
    count = len(categories)
    if any(len(s.values) != count for s in series):
        raise ValueError("Every series needs one value per category.")
    if any(Decimal(v) < 0 for s in series for v in s.values):
        raise ValueError("A bar chart draws values of zero or more.")
    folded = _fold(series, count)
    totals = [sum((values[i] for _, _, values in folded), Decimal(0)) for i in range(count)]
    top = max(totals, default=Decimal(0))
    step = nice_step(top)
    steps = max(1, math.ceil(top / step)) if top > 0 else 4
    axis_top = step * steps
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    base = MARGIN_TOP + PLOT_HEIGHT
    legend, legend_height = _legend(
        [(label, colour) for label, colour, _ in folded],
        top=base + AXIS_LABELS,
        width=width,
    )
    height = base + AXIS_LABELS + legend_height + 8

    # Geometry in Decimal too: this module sits among the money code, which
    # holds no floats (core/tests/test_no_floats.py).
    def y_of(value: Decimal) -> Decimal:
        return base - value / axis_top * PLOT_HEIGHT

    ident = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'font-size="{FONT_SIZE}" font-family="system-ui, sans-serif" fill="currentColor">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    # The value axis: gridlines and their labels.
    for n in range(steps + 1):
        value = step * n
        y = y_of(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="{"0.6" if n == 0 else "0.15"}"/>'
            f'<text x="{MARGIN_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value))}</text>"
        )
    # The bars, and a label under every month (every few months when there are many).
    band = Decimal(plot_width) / max(count, 1)
    bar = min(band * Decimal("0.7"), Decimal(48))
    every = max(1, -(-count // 12))  # a label every few months past twelve
    for i, category in enumerate(categories):
        x = MARGIN_LEFT + band * i + (band - bar) / 2
        spoken = category.replace("\n", " ")
        stacked = Decimal(0)
        for label, colour, values in folded:
            value = values[i]
            if value <= 0:
                continue
            y_top, y_bottom = y_of(stacked + value), y_of(stacked)
            stacked += value
            parts.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar:.1f}" '
                f'height="{max(y_bottom - y_top, Decimal("0.5")):.1f}" fill="{colour}">'
                f"<title>{escape(label)}, {escape(spoken)}: {escape(format_value(value))}</title>"
                "</rect>"
            )
        if i % every == 0:
            centre = MARGIN_LEFT + band * i + band / 2
            lines = "".join(
                f'<tspan x="{centre:.1f}" dy="{0 if n == 0 else 14}">{escape(line)}</tspan>'
                for n, line in enumerate(category.split("\n"))
            )
            parts.append(f'<text y="{base + 18}" text-anchor="middle">{lines}</text>')
    parts.extend(legend)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every piece of text is escaped above


__all__ = ["MAX_SERIES", "PALETTE", "ChartSeries", "bar_chart", "nice_step"]
