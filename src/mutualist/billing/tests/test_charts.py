"""The server-drawn SVG bar chart: well-formed, accessible, to scale, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from mutualist.billing.charts import MAX_SERIES, PALETTE, ChartSeries, bar_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to check it is well-formed


def bars(root: ET.Element) -> list[ET.Element]:
    """The bar segments (the legend's swatches have no tooltip)."""
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def chart(series: list[ChartSeries], categories: list[str] | None = None) -> str:
    return str(
        bar_chart(
            chart_id="c1",
            title="Income in AUD",
            description="Two months of income.",
            categories=categories or ["Jan\n2027", "Feb"],
            series=series,
            format_value=lambda value: f"A${value}",
        )
    )


@pytest.mark.parametrize(
    ("top", "step"),
    [("830", "250"), ("100", "25"), ("4", "1"), ("9.5", "2.5"), ("0.3", "0.1"), ("0", "1")],
)
def test_the_value_axis_steps_by_round_numbers(top, step):
    assert nice_step(Decimal(top)) == Decimal(step)


def test_it_is_an_image_named_by_its_title_and_described():
    root = parse(chart([ChartSeries("Harbour", [Decimal(5), Decimal(10)])]))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title"
    assert root.get("aria-describedby") == "c1-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), title.text) == ("c1-title", "Income in AUD")  # type: ignore[union-attr]
    assert (desc.get("id"), desc.text) == ("c1-desc", "Two months of income.")  # type: ignore[union-attr]


def test_bars_are_to_scale_and_each_says_who_when_and_how_much():
    # given 5 in January and 10 in February (the axis reaches 10)
    root = parse(chart([ChartSeries("Harbour", [Decimal(5), Decimal(10)])]))
    # then
    jan, feb = bars(root)
    assert float(feb.get("height")) == pytest.approx(2 * float(jan.get("height")))  # type: ignore[arg-type]
    assert jan.find(f"{SVG}title").text == "Harbour, Jan 2027: A$5"  # type: ignore[union-attr]
    assert feb.find(f"{SVG}title").text == "Harbour, Feb: A$10"  # type: ignore[union-attr]


def test_series_stack_in_their_own_colours_with_a_legend():
    root = parse(
        chart(
            [
                ChartSeries("Ana", [Decimal(3), Decimal(0)]),
                ChartSeries("Ben", [Decimal(1), Decimal(4)]),
            ]
        )
    )
    ana_jan, ben_jan, ben_feb = bars(root)
    assert (ana_jan.get("fill"), ben_jan.get("fill"), ben_feb.get("fill")) == (
        PALETTE[0],
        PALETTE[1],
        PALETTE[1],
    )
    # Ben's January sits on top of Ana's
    assert float(ben_jan.get("y")) + float(ben_jan.get("height")) == pytest.approx(  # type: ignore[arg-type]
        float(ana_jan.get("y")),  # type: ignore[arg-type]
        abs=0.11,
    )
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "Ana" in texts and "Ben" in texts


def test_month_labels_may_take_two_lines():
    root = parse(chart([ChartSeries("Harbour", [Decimal(1), Decimal(1)])]))
    spans = [span.text for span in root.iter(f"{SVG}tspan")]
    assert spans == ["Jan", "2027", "Feb"]


def test_too_many_series_fold_the_smallest_into_others():
    series = [ChartSeries(f"Client {n}", [Decimal(n + 1)]) for n in range(MAX_SERIES + 2)]

    root = parse(chart(series, categories=["Jan"]))

    segments = bars(root)
    assert len(segments) == MAX_SERIES
    labels = [rect.find(f"{SVG}title").text for rect in segments]  # type: ignore[union-attr]
    assert labels[-1] == "Others (3), Jan: A$6"  # clients 0, 1 and 2: 1 + 2 + 3
    assert "Client 8, Jan: A$9" in labels


def test_text_is_escaped():
    svg = chart([ChartSeries('<script>alert("x")</script> & Co', [Decimal(1), Decimal(2)])])
    assert "<script>" not in svg
    root = parse(svg)
    assert '<script>alert("x")</script> & Co' in [t.text for t in root.iter(f"{SVG}text")]


def test_an_empty_chart_still_draws_its_axis():
    root = parse(chart([ChartSeries("Harbour", [Decimal(0), Decimal(0)])]))
    assert bars(root) == []
    assert len(list(root.iter(f"{SVG}line"))) == 5  # 0 to 4, one step each


def test_it_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="one value per category"):
        chart([ChartSeries("Harbour", [Decimal(1)])])
    with pytest.raises(ValueError, match="zero or more"):
        chart([ChartSeries("Harbour", [Decimal(1), Decimal(-1)])])
