"""The solvency charts: inline SVG that is well-formed, scriptless,
described in words, the same bytes for the same figures, and drawn to the
figures it is given."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from mutualist.mutual.charts import (
    INK,
    add_months,
    amount_label,
    comparison_chart,
    fan_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
PERCENTILES = (5, 25, 50, 75, 95)
DECEMBER = dt.date(2026, 12, 1)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to check it is well-formed


def bands(start: int = 5000, drift: int = 10, months: int = 60) -> tuple[tuple[Decimal, ...], ...]:
    """Straight lines from ``start``: the middle rises ``drift`` a month,
    each percentile ``p - 50`` more (so the 5th falls 35 a month)."""
    return tuple(
        tuple(Decimal(start + (drift + p - 50) * (m + 1)) for m in range(months))
        for p in PERCENTILES
    )


def fan(**changes: object) -> str:
    arguments: dict[str, object] = {
        "percentiles": PERCENTILES,
        "bands": bands(),
        "first_month": DECEMBER,
        "currency": "EUR",
        "start": Decimal(5000),
    }
    arguments.update(changes)
    return str(fan_chart(**arguments))  # type: ignore[arg-type]


def texts(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def ticks(shown: list[str], month: str) -> list[str]:
    """The years under each ``month`` tick label ("Dec" above "2026")."""
    return [year for label, year in zip(shown, shown[1:], strict=False) if label == month]


def test_it_is_an_inline_svg_image_with_its_description_as_label_and_title():
    # when the fan chart is drawn
    svg = fan()
    root = parse(svg)
    # then it is an <svg> element to inline: no XML prolog, no DOCTYPE
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert "<!DOCTYPE" not in svg
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    # and its label says in words what it shows, its first child the same
    label = (
        "Fan chart of the fund's projected balance from December 2026 to the end of "
        "November 2031. It starts at €5,000. In the middle future it ends at €5,600; in 9 "
        "futures in 10 it ends between €2,900 and €8,300, and in half of them between "
        "€4,100 and €7,100. Its lowest 1-in-20 point is €2,900."
    )
    assert root.get("aria-label") == label
    title = root[0]
    assert (title.tag, title.text) == (f"{SVG}title", label)


def test_it_carries_no_script_no_handler_and_no_style_that_reaches_the_page():
    for svg in (fan(), compare()):
        root = parse(svg)
        tags = {element.tag.removeprefix(SVG) for element in root.iter()}
        assert "script" not in tags
        # Matplotlib's "*{...}" rule would apply to the whole page once inlined.
        assert "style" not in tags
        assert not [
            name
            for element in root.iter()
            for name in element.attrib
            if name.lower().startswith("on")
        ]
        assert root.get("style") == "stroke-linejoin: round; stroke-linecap: butt"


def test_it_sizes_to_its_column_and_follows_the_page_colour():
    root = parse(fan())
    # then CSS gives it its width; the viewBox keeps its shape
    assert root.get("width") is None
    assert root.get("height") is None
    assert root.get("viewBox") == "0 0 360 259.2"
    assert root.get("class") == "solvency-chart"
    # and the ink is the page's text colour, the background transparent
    svg = fan()
    assert INK not in svg
    assert "currentColor" in svg
    assert "fill: #ffffff" not in svg


def test_the_same_figures_give_the_same_bytes_and_other_figures_others():
    assert fan() == fan()
    assert fan() != fan(bands=bands(drift=20))


def test_months_are_labelled_by_calendar_month_and_amounts_in_the_currency():
    root = parse(fan())
    shown = texts(root)
    # then a tick every year from the first month (the month above the
    # year), text kept as text
    assert ticks(shown, "Dec") == [str(year) for year in range(2026, 2032)]
    # and the amounts in euros, the zero line's among them
    assert "€0" in shown
    assert "€6,000" in shown
    # and the legend in words
    for entry in ("The middle future", "Half of the futures", "9 futures in 10", "Empty"):
        assert entry in shown


def test_a_projection_starting_in_march_labels_march():
    root = parse(fan(first_month=dt.date(2027, 3, 1), currency="PHP"))
    shown = texts(root)
    assert ticks(shown, "Mar") == [str(year) for year in range(2027, 2033)]
    assert "₱0" in shown


def compare(**changes: object) -> str:
    arguments: dict[str, object] = {
        "percentiles": PERCENTILES,
        "now": bands(),
        "proposed": bands(drift=30),
        "first_month": DECEMBER,
        "currency": "EUR",
        "start": Decimal(5000),
    }
    arguments.update(changes)
    return str(comparison_chart(**arguments))  # type: ignore[arg-type]


def test_the_comparison_shows_both_middles_and_their_one_in_twenty_lines():
    root = parse(compare())
    assert root.get("role") == "img"
    assert root.get("class") == "solvency-chart solvency-chart--small"
    assert root.get("aria-label") == (
        "The fund's projected balance from December 2026 to the end of November 2031, "
        "under the rules in force and under the proposed rules. In the middle future it "
        "ends at €5,600 now and €6,800 as proposed; one future in 20 ends below €2,900 now "
        "and below €4,100 as proposed."
    )
    shown = texts(root)
    for entry in (
        "Now: middle",
        "Proposed: middle",
        "Now: 1 in 20 below",
        "Proposed: 1 in 20 below",
        "Empty",
    ):
        assert entry in shown
    assert compare() == compare()


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (12000.4, "EUR", "€12,000"),
        (-500.0, "EUR", "-€500"),
        (0.0, "PHP", "₱0"),
        (1e6, "JPY", "¥1,000,000"),
    ],
)
def test_axis_amounts_are_whole_units_of_the_currency(value, currency, shown):
    assert amount_label(value, currency) == shown


def test_months_are_counted_across_years():
    assert add_months(DECEMBER, 0) == DECEMBER
    assert add_months(DECEMBER, 1) == dt.date(2027, 1, 1)
    assert add_months(DECEMBER, 59) == dt.date(2031, 11, 1)
