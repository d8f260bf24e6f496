"""Proposal bodies: Markdown rendered by markdown-it-py, sanitized by nh3.

Members write in Markdown; what reaches a page is HTML that nh3 (ammonia) has
cleaned to a short list of tags, with links limited to http, https and mailto
and marked ``nofollow noopener noreferrer``. Raw HTML in the Markdown is not
rendered (markdown-it's ``html`` option is off) and would be removed anyway.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tr", "th", "td", "del", "s",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

BODY_MAX = 20_000


def render_markdown(text: str) -> SafeString:
    """Markdown to sanitized HTML, safe to put in a template as is.

    Headings of level one and two become level three: the page has its own.
    """
    html = _md.render(text or "")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 -- nh3 has just sanitized it
