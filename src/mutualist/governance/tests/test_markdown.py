"""Proposal bodies: Markdown in, sanitized HTML out."""

from __future__ import annotations

import pytest

from mutualist.governance.markdown import render_markdown


def test_markdown_becomes_html():
    html = render_markdown(
        "# Plan\n\nWe **buy** a [laptop](https://example.org/l).\n\n- one\n- two"
    )
    assert html == (
        "<h3>Plan</h3>\n"
        '<p>We <strong>buy</strong> a <a href="https://example.org/l" '
        'rel="nofollow noopener noreferrer">laptop</a>.</p>\n'
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_nothing_executable_survives(text):
    # raw HTML stays text (escaped); no link to a script scheme is made
    html = str(render_markdown(text)).lower()
    for bad in ("<script", "<img", '<a href="javascript', '<a href="data'):
        assert bad not in html
    assert "<" not in html.replace("<p>", "").replace("</p>", "").replace("<a>", "").replace(
        "</a>", ""
    )


def test_an_empty_body_renders_nothing():
    assert render_markdown("") == ""
