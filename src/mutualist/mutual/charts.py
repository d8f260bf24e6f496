"""The solvency projection's charts, drawn on the server as inline SVG with
Matplotlib: a fan chart of a fund's projected balance, and a small chart
comparing the rules in force with proposed ones.

How they are drawn, and why:

- No ``pyplot``: each chart is its own ``Figure`` on its own
  ``FigureCanvasSVG``, so two requests drawing at once share no state
  (``pyplot``'s current figure is global, and ``matplotlib.use`` would switch
  the backend for the whole process).
- ``svg.fonttype = "none"`` keeps text as ``<text>`` (readable, searchable,
  small) rather than glyph outlines; ``svg.hashsalt`` is fixed and the date
  left out of the metadata, so the same figures give the same bytes (the
  clip paths' ids are hashes). Both are set once, the first time a chart is
  drawn: nothing else in the process draws with Matplotlib, and the values
  never change after that, so no request sees them half-set.
- Matplotlib is imported on first use, not when the views are imported:
  it takes a while and most requests never draw a chart.
- What comes back is an ``<svg>`` element to inline in a page: no XML
  prolog, no DOCTYPE, no metadata, no ``<script>``; ``role="img"`` with an
  ``aria-label`` and a ``<title>`` that say in words what the chart shows.
  Its ``width``/``height`` are dropped (the ``viewBox`` stays) so CSS sizes
  it to the column, and its ``<style>`` (Matplotlib's ``*{...}`` rule, which
  would reach the whole page once inlined) becomes the root's own style.
- Ink (text, ticks, axes) is drawn in a placeholder colour that is then
  written as ``currentColor``, and the background is transparent, so the
  chart follows the page's light or dark scheme as the billing charts do.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from babel.numbers import format_currency
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# A colour no chart uses for anything else, replaced by ``currentColor``.
INK = "#010203"
BAND_OUTER = "#90caf9"  # 5 to 95 %
BAND_INNER = "#42a5f5"  # 25 to 75 %
MIDDLE = "#1565c0"
EMPTY = "#d32f2f"
NOW = "#78909c"
PROPOSED = "#1e88e5"
# Drawn 360 points wide, about a phone's column, so its text reads at the
# page's size there; CSS caps the width on wider screens (``_styles.html``).
WIDTH = 5.0
FONT_SIZE = 11
SALT = "mutualist-solvency"

# Matplotlib's wrapping that an inlined <svg> must not carry.
_PROLOG = re.compile(r"\A.*?(?=<svg[\s>])", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_STYLE = re.compile(r"\s*<style type=\"text/css\">(.*?)</style>", re.DOTALL)
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')


@functools.cache
def _setup() -> None:
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = SALT


def _figure(width: float, height: float) -> Figure:
    _setup()
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasSVG(figure)
    figure.patch.set_facecolor("none")
    return figure


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def amount_label(value: float, currency: str) -> str:
    """An axis amount in whole units of the currency: "₱12,000", "-€500"."""
    rounded = Decimal(round(value))
    return str(
        format_currency(rounded, currency, format="¤#,##0", currency_digits=False, locale="en")
    )


def whole(value: Decimal | float, currency: str) -> str:
    """An amount for the chart's description, in whole units."""
    return amount_label(float(value), currency)


def _axes(figure: Figure, *, first_month: dt.date, months: int, currency: str) -> Axes:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    axes = figure.add_subplot()
    axes.set_facecolor("none")
    # x = k is the first day of the k-th month from ``first_month``: 0 is
    # today's balance, k >= 1 the balance at the end of month k.
    years = list(range(0, months + 1, 12))
    axes.xaxis.set_major_locator(FixedLocator(years))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: f"{add_months(first_month, round(x)):%b\n%Y}")
    )
    axes.set_xlim(0, months)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: amount_label(y, currency)))
    axes.tick_params(colors=INK, labelsize=FONT_SIZE, length=3)
    for name, spine in axes.spines.items():
        spine.set_visible(name in ("left", "bottom"))
        spine.set_color(INK)
    axes.grid(axis="y", color=INK, alpha=0.12, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.axhline(0, color=EMPTY, linewidth=1.2, linestyle=(0, (4, 3)), label="Empty")
    return axes


def _legend(axes: Axes, labels: Sequence[str], *, columns: int) -> None:
    """The legend above the plot, its entries in the order of ``labels``."""
    handles, drawn = axes.get_legend_handles_labels()
    legend = axes.legend(
        [handles[drawn.index(name)] for name in labels],
        labels,
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncols=columns,
        frameon=False,
        fontsize=FONT_SIZE - 1,
        handlelength=1.6,
        columnspacing=1.0,
        borderaxespad=0,
        labelcolor=INK,
    )
    legend.set_in_layout(True)


def _svg(figure: Figure, label: str, css_class: str) -> SafeString:
    """The figure as an ``<svg>`` element to inline (see the module's docstring)."""
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text, count=1)
    found = _STYLE.search(text)
    inherited = ""
    if found is not None:
        # "*{stroke-linejoin: round; stroke-linecap: butt}": inherited
        # properties, so the root's style carries them to every shape.
        inherited = found.group(1).strip().removeprefix("*{").removesuffix("}")
        text = _STYLE.sub("", text, count=1)
    text = text.replace(INK, "currentColor")
    head_end = text.index(">")
    head = _SIZE.sub("", text[:head_end])
    attributes = (
        f' class="{css_class}" role="img" aria-label={quoteattr(label)}'
        f' style="{inherited}" focusable="false"'
    )
    text = f"{head}{attributes}>\n <title>{escape(label)}</title>{text[head_end + 1 :]}"
    if "<script" in text:  # pragma: no cover -- Matplotlib writes none; never let one through
        raise ValueError("A chart must not carry a script.")
    return mark_safe(text.strip())  # noqa: S308 -- our own drawing; every text in it is escaped


def _row(bands: Sequence[Sequence[Decimal]], percentiles: Sequence[int], which: int) -> list[float]:
    return [float(value) for value in bands[list(percentiles).index(which)]]


def _span(first_month: dt.date, months: int) -> str:
    last = add_months(first_month, months - 1)
    return f"from {first_month:%B %Y} to the end of {last:%B %Y}"


def fan_chart(
    *,
    percentiles: Sequence[int],
    bands: Sequence[Sequence[Decimal]],
    first_month: dt.date,
    currency: str,
    start: Decimal,
) -> SafeString:
    """The fan chart of a fund's projected balance.

    ``bands`` holds one row per entry of ``percentiles`` (5, 25, 50, 75 and
    95 are drawn), each the end-of-month balances of ``months`` months from
    ``first_month``; ``start`` is the balance now, where every future
    begins. Amounts are in ``currency``.
    """
    months = len(bands[0])
    low, quarter, middle, three, high = (
        _row(bands, percentiles, which) for which in (5, 25, 50, 75, 95)
    )
    begin = float(start)
    xs = list(range(months + 1))
    figure = _figure(WIDTH, 3.6)
    axes = _axes(figure, first_month=first_month, months=months, currency=currency)
    axes.fill_between(
        xs,
        [begin, *low],
        [begin, *high],
        color=BAND_OUTER,
        alpha=0.55,
        linewidth=0,
        label="9 futures in 10",
    )
    axes.fill_between(
        xs,
        [begin, *quarter],
        [begin, *three],
        color=BAND_INNER,
        alpha=0.6,
        linewidth=0,
        label="Half of the futures",
    )
    axes.plot(xs, [begin, *middle], color=MIDDLE, linewidth=2, label="The middle future")
    _legend(
        axes,
        ("The middle future", "Half of the futures", "9 futures in 10", "Empty"),
        columns=2,
    )
    label = (
        f"Fan chart of the fund's projected balance {_span(first_month, months)}. "
        f"It starts at {whole(start, currency)}. In the middle future it ends at "
        f"{whole(middle[-1], currency)}; in 9 futures in 10 it ends between "
        f"{whole(low[-1], currency)} and {whole(high[-1], currency)}, and in half of them "
        f"between {whole(quarter[-1], currency)} and {whole(three[-1], currency)}. "
        f"Its lowest 1-in-20 point is {whole(min(low), currency)}."
    )
    return _svg(figure, label, "solvency-chart")


def comparison_chart(
    *,
    percentiles: Sequence[int],
    now: Sequence[Sequence[Decimal]],
    proposed: Sequence[Sequence[Decimal]],
    first_month: dt.date,
    currency: str,
    start: Decimal,
) -> SafeString:
    """The rules in force against proposed ones: each one's middle future
    and the line only one future in 20 falls below (its 5th percentile)."""
    months = len(now[0])
    begin = float(start)
    xs = list(range(months + 1))
    figure = _figure(WIDTH, 3.6)
    axes = _axes(figure, first_month=first_month, months=months, currency=currency)
    now_middle, now_low = _row(now, percentiles, 50), _row(now, percentiles, 5)
    new_middle, new_low = _row(proposed, percentiles, 50), _row(proposed, percentiles, 5)
    axes.plot(xs, [begin, *now_middle], color=NOW, linewidth=2, label="Now: middle")
    axes.plot(
        xs, [begin, *now_low], color=NOW, linewidth=1.4, linestyle="--", label="Now: 1 in 20 below"
    )
    axes.plot(xs, [begin, *new_middle], color=PROPOSED, linewidth=2, label="Proposed: middle")
    axes.plot(
        xs,
        [begin, *new_low],
        color=PROPOSED,
        linewidth=1.4,
        linestyle="--",
        label="Proposed: 1 in 20 below",
    )
    _legend(
        axes,
        (
            # Filled column by column: the rules now on the left, as proposed on the right.
            "Now: middle",
            "Now: 1 in 20 below",
            "Empty",
            "Proposed: middle",
            "Proposed: 1 in 20 below",
        ),
        columns=2,
    )
    label = (
        f"The fund's projected balance {_span(first_month, months)}, under the rules in force "
        f"and under the proposed rules. In the middle future it ends at "
        f"{whole(now_middle[-1], currency)} now and {whole(new_middle[-1], currency)} as "
        f"proposed; one future in 20 ends below {whole(now_low[-1], currency)} now and "
        f"below {whole(new_low[-1], currency)} as proposed."
    )
    return _svg(figure, label, "solvency-chart solvency-chart--small")
